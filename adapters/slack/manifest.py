"""The Slack app manifest, with this deployment's public URL filled in.

``manifest.yml`` beside this file names the server as ``https://HOST``; the
functions here put the real base URL in its place (``mentorbot slack manifest
--url https://mentor.example.org`` prints the result, comments included).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import yaml

TEMPLATE = Path(__file__).with_name("manifest.yml")
PLACEHOLDER = "https://HOST"

_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def base_url(url: str) -> str:
    """``url`` as ``https://host[:port]``, or ``ValueError`` saying what a base URL looks like."""
    example = "e.g. https://mentor.example.org"
    shown = url.strip()
    try:
        parts = urlsplit(shown)
        port = parts.port
        if port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise ValueError(
            f"'{shown}' is not a URL Slack can reach; give one like {example}"
        ) from None
    if parts.scheme.lower() != "https":
        raise ValueError(f"Slack only calls https:// addresses; got '{shown}' ({example})")
    host = (parts.hostname or "").lower()
    if not _HOST.match(host) or parts.username is not None or parts.password is not None:
        raise ValueError(f"'{shown}' has no valid host name; give one like {example}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"give only the server's address, without a path: https://{parts.netloc} "
            f"rather than '{shown}' (the /slack/... paths are added for you)"
        )
    return f"https://{host}" + (f":{port}" if port is not None else "")


def manifest_yaml(url: str) -> str:
    """The manifest as YAML text (comments kept), pointing at ``url``."""
    return TEMPLATE.read_text(encoding="utf-8").replace(PLACEHOLDER, base_url(url))


def manifest(url: str) -> dict[str, Any]:
    """The manifest as data, pointing at ``url``."""
    return cast(dict[str, Any], yaml.safe_load(manifest_yaml(url)))
