"""The Teams app package is one Teams accepts: a valid 1.19 manifest and proper icons."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from adapters.teams.package import color_icon, manifest, outline_icon
from bot.cli import main
from conversations.registry import Registry
from tests.support.paths import SCHEMAS

APP_ID = "1f0c2a4e-5b6d-4c7e-8f90-a1b2c3d4e5f6"
HOST = "mentor.example.org"


def schema() -> dict[str, Any]:
    path = SCHEMAS / "teams-manifest-1.19.json"
    if not path.is_file():
        pytest.fail(
            f"The Teams manifest schema is missing: expected {path}. "
            "CI lays shared/schemas/ beside the checkout; put it there to run this test."
        )
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def problems(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft4Validator(schema())
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def png(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, colour type and the raw (filtered) scanlines of an 8-bit PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and interlace == 0
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    return width, height, colour_type, raw


def test_the_manifest_validates_against_the_teams_schema() -> None:
    assert problems(manifest(app_id=APP_ID, host=HOST)) == []


def test_the_schema_would_catch_a_mistake() -> None:
    broken = manifest(app_id=APP_ID, host=HOST)
    broken["id"] = "not-a-guid"
    broken["bots"][0]["commandLists"][0]["commands"].append({"title": "x" * 40})
    assert len(problems(broken)) >= 2


def test_the_manifest_is_filled_in() -> None:
    document = manifest(app_id=APP_ID.upper(), host="Mentor.Example.org:8443", version="2.1.0")
    assert document["manifestVersion"] == "1.19"
    assert document["version"] == "2.1.0"
    assert document["id"] == document["bots"][0]["botId"] == APP_ID
    assert document["developer"]["websiteUrl"] == "https://mentor.example.org:8443/"
    assert document["validDomains"] == ["mentor.example.org"]


def test_the_color_icon_is_a_192_pixel_png() -> None:
    width, height, colour_type, raw = png(color_icon())
    assert (width, height) == (192, 192)
    assert colour_type in (2, 6)
    assert len(raw) == height * (1 + width * (3 if colour_type == 2 else 4))
    assert len({raw[i : i + 3] for i in range(1, len(raw), 3)}) > 1  # not a blank square


def test_the_outline_icon_is_white_on_transparent() -> None:
    width, height, colour_type, raw = png(outline_icon())
    assert (width, height) == (32, 32)
    assert colour_type == 6  # RGBA
    assert len(raw) == height * (1 + width * 4)
    assert raw[0] == 0 and raw[1:5][3] == 0  # filter none, top-left pixel transparent
    pixels = [
        raw[row * (1 + width * 4) + 1 + col * 4 :][:4]
        for row in range(height)
        for col in range(width)
    ]
    opaque = [pixel for pixel in pixels if pixel[3] != 0]
    assert opaque and all(pixel[:3] == b"\xff\xff\xff" for pixel in opaque)


def test_the_cli_writes_the_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--app-id", APP_ID, "--host", HOST, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        document = json.loads(archive.read("manifest.json"))
        assert archive.read("color.png") == color_icon()
        assert archive.read("outline.png") == outline_icon()
    assert document["id"] == APP_ID and document["validDomains"] == [HOST]
    assert problems(document) == []


@pytest.mark.parametrize(
    ("app_id", "host", "says"),
    [
        ("not-a-guid", HOST, "not a Teams app id"),
        ("", HOST, "not a Teams app id"),
        (APP_ID, "https://mentor.example.org", "without scheme or path"),
        (APP_ID, "mentor.example.org/teams", "without scheme or path"),
        (APP_ID, "mentor_bot!", "not a valid host name"),
        (APP_ID, "mentor.example.org:0", "invalid port"),
    ],
)
def test_a_bad_id_or_host_is_one_friendly_line(
    app_id: str, host: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--app-id", app_id, "--host", host, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mentorbot: ") and says in lines[0]
    assert not out.exists()


def test_every_listed_command_is_a_real_verb() -> None:
    registry = Registry.discover()
    lists = manifest(app_id=APP_ID, host=HOST)["bots"][0]["commandLists"]
    assert {tuple(entry["scopes"]) for entry in lists} == {("personal",), ("team",)}
    for entry in lists:
        assert 0 < len(entry["commands"]) <= 10
        for command in entry["commands"]:
            verb, rest = registry.find(command["title"].split())
            assert verb is not None and rest == [], f"{command['title']!r} is not a verb"
