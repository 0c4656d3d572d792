"""The web server: /healthz says the process is up, /readyz whether it can work."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import build
from bot.config import load_settings
from bot.server import make_web_app
from storage import db, migrate


async def _get(database_url: str, path: str, *, upgrade: bool = False) -> tuple[int, object]:
    """GET ``path`` from a real server on an ephemeral port."""
    app = await build(load_settings(database_url=database_url), upgrade=upgrade)
    server = TestServer(make_web_app(app), port=0)
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(server.make_url(path)) as response,
        ):
            return response.status, await response.json()
    finally:
        await server.close()


def _closed_port() -> int:
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_readyz_is_ok_when_the_database_answers_and_is_migrated(database_url: str) -> None:
    assert await _get(database_url, "/readyz") == (
        200,
        {"status": "ready", "database": "ok", "migrations": "current"},
    )


async def test_readyz_is_503_when_the_database_is_gone() -> None:
    gone = f"postgresql://postgres@127.0.0.1:{_closed_port()}/none"
    assert await _get(gone, "/readyz") == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
    assert await _get(gone, "/healthz") == (200, {"status": "ok"})  # the process is up


async def test_readyz_is_503_while_a_migration_is_missing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/behind.sqlite3"
    engine = db.create_engine(url)
    try:
        await migrate.upgrade(engine, "0007")
    finally:
        await engine.dispose()
    status, body = await _get(url, "/readyz")
    assert status == 503
    head = migrate.head_revision()
    assert head is not None and head > "0007"
    assert body == {"status": "unavailable", "database": "ok", "migrations": f"at 0007, not {head}"}


@pytest.mark.process
@pytest.mark.slow
async def test_mentorbot_serve_migrates_and_answers(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path}/serve.db"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        seen = b""
        for _ in range(20):  # log lines (e.g. "no transport configured") may come first
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            seen += line
            if b"Running on" in line or not line:
                break
        assert b"Running on" in seen, seen
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
        assert (tmp_path / "serve.db").exists()
        process.terminate()  # SIGTERM: a graceful stop, in good time
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_privacy_and_terms_pages_the_app_packages_link_to_exist(
    database_url: str,
) -> None:
    app = await build(load_settings(database_url=database_url), upgrade=False)
    server = TestServer(make_web_app(app), port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as client:
            for path, words in (("/privacy", "is private"), ("/terms", "Apache-2.0")):
                async with client.get(server.make_url(path)) as response:
                    assert response.status == 200
                    assert words in await response.text()
    finally:
        await server.close()
