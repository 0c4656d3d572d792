"""Fetching a file someone shared with the bot (a CSV to import), the same way everywhere.

A payload names the URL of a shared file, and a payload can be forged or mistaken, so:

- only the platform's own file hosts are asked, over HTTPS; a host named in the
  adapter's configuration (``SLACK_API_URL``, ``TEAMS_FILE_URL``: a proxy, a test's
  fake server) is trusted with the scheme and port it names. Credentials (Slack's bot
  token) go nowhere else;
- a redirect is not followed: it could lead anywhere, token in hand;
- the body is read to its end, never past the size cap, and must be as long as the
  server said it would be. One ``read(n)`` returns what has arrived so far, which is
  how a 4,000-row CSV once imported as 388 rows: a file cut short fails loudly, and
  nothing of it is imported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from conversations.kinds import Kind
from conversations.messages import Attachment, Message

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 2 * 1024 * 1024
"""The largest file the bot reads: a roster of many thousand people is smaller."""
MAX_FILES = 3
"""Files read from one message; more than this in one go is not an import."""
TIMEOUT = aiohttp.ClientTimeout(total=30)


class Unreadable(Exception):
    """A shared file could not be read in full; the message says why, for the log."""

    def __init__(self, why: str, *, too_large: bool = False) -> None:
        super().__init__(why)
        self.too_large = too_large


@dataclass(frozen=True, slots=True)
class FileHosts:
    """Where a platform's shared files may be fetched from."""

    hosts: tuple[str, ...]
    """Host names over HTTPS; one starting with a dot is a domain and its subdomains."""
    configured: str | None = None
    """A URL from the adapter's settings whose scheme, host and port are trusted as named."""

    def allows(self, url: str) -> bool:
        try:
            where = urlsplit(url)
            port = where.port
        except ValueError:  # an unparseable port or host
            return False
        host = (where.hostname or "").lower()
        if not host:
            return False
        if self.configured:
            trusted = urlsplit(self.configured)
            if (where.scheme, host, port) == (
                trusted.scheme,
                (trusted.hostname or "").lower(),
                trusted.port,
            ):
                return True
        if where.scheme != "https" or port not in (None, 443):
            return False
        return any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.hosts)


@dataclass(frozen=True, slots=True)
class SharedFile:
    """A file a payload says was shared: where it is, what it is called, how big it says
    it is (``None`` when the platform does not say)."""

    url: str
    name: str
    media_type: str
    size: int | None = None


def unreadable(name: str, *, too_large: bool = False) -> Message:
    """What the person hears when a file they shared could not be read."""
    if too_large:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        text = f"{name} is larger than {limit} MB, so I didn't read it and nothing was imported."
    else:
        text = f"I couldn't read {name}, so nothing was imported. Please share it again."
    return Message(text=text, kind=Kind.ERROR)


async def fetch_all(
    files: Sequence[SharedFile],
    *,
    hosts: FileHosts,
    headers: Mapping[str, str] | None = None,
) -> tuple[Attachment, ...] | Message:
    """Every file in full, or what to tell the person when one of them cannot be read
    (then none is used: half an import is worse than none)."""
    fetched: list[Attachment] = []
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        for shared in files[:MAX_FILES]:
            if shared.size is not None and shared.size > MAX_FILE_BYTES:
                log.info("did not download a file of %s bytes", shared.size)
                return unreadable(shared.name, too_large=True)
            try:
                data = await fetch(http, shared.url, hosts=hosts, headers=headers)
            except Unreadable as exc:
                log.info("could not download a shared file: %s", exc)
                return unreadable(shared.name, too_large=exc.too_large)
            fetched.append(Attachment(name=shared.name, media_type=shared.media_type, data=data))
    return tuple(fetched)


async def fetch(
    http: aiohttp.ClientSession,
    url: str,
    *,
    hosts: FileHosts,
    headers: Mapping[str, str] | None = None,
    limit: int = MAX_FILE_BYTES,
) -> bytes:
    """The whole body at ``url``, at most ``limit`` bytes; :class:`Unreadable` otherwise."""
    if not hosts.allows(url):
        raise Unreadable("not on the platform's file host over https: not asked")
    try:
        async with http.get(url, headers=dict(headers or {}), allow_redirects=False) as response:
            if response.status != 200:  # a redirect included: it is not followed
                raise Unreadable(f"HTTP {response.status}")
            declared = response.content_length
            if declared is not None and declared > limit:
                raise Unreadable(f"larger than {limit} bytes (says {declared})", too_large=True)
            body = bytearray()
            while True:
                chunk = await response.content.read(limit + 1 - len(body))
                if not chunk:
                    break
                body += chunk
                if len(body) > limit:
                    raise Unreadable(f"larger than {limit} bytes", too_large=True)
    except (aiohttp.ClientError, TimeoutError) as exc:  # ClientPayloadError: cut short
        raise Unreadable(f"{type(exc).__name__}: the body was not read in full") from None
    if declared is not None and len(body) != declared:
        raise Unreadable(f"cut short: {len(body)} of {declared} bytes")
    return bytes(body)
