"""The Microsoft Teams app package: ``manifest.json`` plus its two icons, zipped.

``mentorbot teams package --app-id <GUID> --host mentor.example.org`` writes the
zip a Teams administrator uploads. The icons are drawn here with the standard
library (zlib + struct), so no imaging dependency is needed.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.19/MicrosoftTeams.schema.json"
)
MANIFEST_VERSION = "1.19"
ACCENT = (0x3A, 0x5B, 0xA0)
ACCENT_HEX = "#{:02X}{:02X}{:02X}".format(*ACCENT)
COLOR_SIZE = 192
OUTLINE_SIZE = 32

_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$")

PERSONAL_COMMANDS: list[tuple[str, str]] = [
    ("help", "This list, or how to use one command: help [command]"),
    ("status", "Where you are in your programmes"),
    ("join", "Join a programme: join <program> [mentor|mentee]"),
    ("met", "Tell me whether you met: met [yes|not-yet|rescheduled]"),
    ("checkin", 'Rate your last session: checkin <1-5> ["private note"]'),
    ("agenda", "Show your current session's agenda"),
    ("programs", "List this workspace's programmes"),
    ("pause", "Take a break; your partner is told kindly"),
    ("resume", "Pick up again after a pause"),
    ("leave", "Step out of a programme: leave <program>"),
]
TEAM_COMMANDS: list[tuple[str, str]] = [
    ("help", "This list, or how to use one command: help [command]"),
    ("programs", "List this workspace's programmes"),
    ("status", "Where you are; coordinators see programme health"),
    ("join", "Join a programme: join <program> [mentor|mentee]"),
    ("program open", "Coordinators: let people join: program open <program>"),
    ("program launch", "Coordinators: start the rhythm: program launch <program>"),
    ("program status", "Coordinators: counts for a programme: program status <program>"),
    ("match", "Coordinators: propose mentors for everyone waiting: match <program>"),
    ("proposal", "Coordinators: show the current proposal: proposal <program>"),
    ("publish", "Coordinators: start the proposed pairs: publish <program>"),
]


def app_id_of(app_id: str) -> str:
    """``app_id`` trimmed, or ``ValueError`` saying what a Teams app id looks like."""
    shown = app_id.strip()
    if not _GUID.match(shown):
        raise ValueError(
            f"'{shown}' is not a Teams app id; give the bot's Microsoft App ID, a GUID "
            "like 00000000-0000-0000-0000-000000000000"
        )
    return shown.lower()


def host_of(host: str) -> str:
    """``host`` as a bare ``hostname[:port]``, or ``ValueError`` saying what one looks like."""
    example = "e.g. mentor.example.org"
    shown = host.strip()
    if "://" in shown or "/" in shown:
        raise ValueError(
            f"give only the server's host name, without scheme or path: {example} "
            f"rather than '{shown}'"
        )
    name, sep, port = shown.lower().partition(":")
    if not _HOST.match(name):
        raise ValueError(f"'{shown}' is not a valid host name; give one like {example}")
    if sep and not (port.isdigit() and 0 < int(port) < 65536 and port[0] != "0"):
        raise ValueError(f"'{shown}' has an invalid port; give one like mentor.example.org:8443")
    return name + (f":{port}" if sep else "")


def manifest(*, app_id: str, host: str, version: str = "1.0.0") -> dict[str, Any]:
    """The Teams app manifest (schema 1.19) for this bot, served from ``host``."""
    bot_id = app_id_of(app_id)
    where = host_of(host)
    if not _SEMVER.match(version):
        raise ValueError(f"'{version}' is not a version Teams accepts; give one like 1.0.0")
    base = f"https://{where}"
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {
            "name": "Mentorbot",
            "websiteUrl": f"{base}/",
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": "Mentorbot", "full": "Mentorbot: structured mentoring"},
        "description": {
            "short": "Structured mentoring programmes: matching, agendas and check-ins.",
            "full": (
                "Mentorbot runs structured mentoring programmes inside Microsoft Teams. "
                "People join a programme as a mentor or a mentee; coordinators propose "
                "and publish matches; each pair gets a session agenda on a steady rhythm, "
                "gentle nudges, and a private check-in after every session. Type help to "
                "see every command."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_HEX,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team"],
                "supportsFiles": True,  # a CSV to import can be shared in the 1:1 chat
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": _commands(PERSONAL_COMMANDS)},
                    {"scopes": ["team"], "commands": _commands(TEAM_COMMANDS)},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [where.partition(":")[0]],
    }


def _commands(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "description": description} for title, description in pairs]


# --- icons ------------------------------------------------------------------------------------

Pixel = tuple[int, ...]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png(size: int, colour_type: int, paint: Callable[[float, float], Pixel]) -> bytes:
    """A square 8-bit PNG; ``paint`` gives each pixel from its centre in [0, 1) coordinates."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(paint((x + 0.5) / size, (y + 0.5) / size))
    header = struct.pack(">IIBBBBB", size, size, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _in_shape(x: float, y: float) -> bool:
    """Two people side by side: a small head and shoulders, and a larger one (mentor)."""

    def person(cx: float, head_y: float, r: float) -> bool:
        head = (x - cx) ** 2 + (y - head_y) ** 2 <= r**2
        body = (
            y >= head_y + 1.5 * r
            and (x - cx) ** 2 + (y - (head_y + 3.6 * r)) ** 2 <= (2.0 * r) ** 2
        )
        return head or (body and y <= 0.8)

    return person(0.36, 0.34, 0.11) or person(0.68, 0.44, 0.08)


def color_icon() -> bytes:
    """The 192×192 full-colour icon: a lighter mark on the accent colour."""
    light = (0xE8, 0xEE, 0xFA)
    return _png(COLOR_SIZE, 2, lambda x, y: light if _in_shape(x, y) else ACCENT)


def outline_icon() -> bytes:
    """The 32×32 outline icon: white on a transparent background (RGBA)."""
    return _png(
        OUTLINE_SIZE,
        6,
        lambda x, y: (255, 255, 255, 255) if _in_shape(x, y) else (0, 0, 0, 0),
    )


def package(*, app_id: str, host: str, out: Path) -> Path:
    """Write the app package zip (manifest.json, color.png, outline.png) to ``out``."""
    document = manifest(app_id=app_id, host=host)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(document, indent=2) + "\n")
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return out
