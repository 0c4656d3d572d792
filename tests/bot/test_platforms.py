"""Adding a platform touches one folder: a package under ``adapters/`` with a ``plugin``.

The test writes a whole new platform ("echo") into a temporary folder that joins the
``adapters`` package, and checks that the process picks up everything it declares —
its environment variables, its setup command, its route on the web server (counted in
the metrics under its name), its transport, its rate limits and its personal-data
hook — without a line of ``bot/`` knowing it. A second test keeps ``bot/`` that way.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import adapters
from adapters import plugins
from bot import platforms
from bot.app import build
from bot.cli import main
from bot.config import ConfigError, load_settings, variable_names
from bot.runtime import transport_for
from bot.server import make_web_app

ROOT = Path(__file__).resolve().parents[2]

ECHO = '''
"""A made-up platform, all in this one module."""

from __future__ import annotations

import argparse

from aiohttp import web
from pydantic import Field

from adapters.platform import PlatformAdapter
from adapters.plugins import Platform, PlatformError, PlatformSettings
from conversations.ratelimit import Policy, Window
from conversations.registry import PersonalData


class EchoSettings(PlatformSettings):
    echo_secret: str | None = Field(default=None)
    echo_rate: float = Field(default=5.0, gt=0)


class EchoAdapter(PlatformAdapter):
    platform = "echo"

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/echo/events", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response({"heard": await request.text()})


class EchoTransport:
    async def send(self, delivery: object) -> str | None:
        return "sent"


class Echo(Platform[EchoSettings, str]):
    name = "echo"
    settings = EchoSettings
    inbound = ("/echo/",)

    def config(self, settings: EchoSettings, options: argparse.Namespace | None = None):
        if getattr(options, "loud", False) and not settings.echo_secret:
            raise PlatformError("--loud needs ECHO_SECRET")
        return settings.echo_secret

    def rate_policy(self, settings: EchoSettings) -> Policy:
        return Policy(per_workspace=(Window(limit=int(settings.echo_rate), seconds=1.0),))

    def transports(self, host, config):
        return {self.name: EchoTransport()}

    def adapter(self, host, config):
        return EchoAdapter(host)

    def register(self, registry) -> None:
        registry.add_personal_data(PersonalData(name="echo lines"))

    def serve_arguments(self, parser) -> None:
        parser.add_argument("--loud", action="store_true")

    def add_commands(self, commands) -> None:
        echo = commands.add_parser(self.name, help="Echo app setup")
        echo.add_argument("words", nargs="+")

    def run_command(self, args: argparse.Namespace) -> int:
        print("echo:", " ".join(args.words))
        return 0


PLATFORM = Echo()
'''


@pytest.fixture
def echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The "echo" platform, present for this test only."""
    package = tmp_path / "echo"
    package.mkdir()
    (package / "__init__.py").write_text('"""Echo."""\n')
    (package / "plugin.py").write_text(textwrap.dedent(ECHO))
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    plugins.discover.cache_clear()
    yield
    plugins.discover.cache_clear()
    for name in [name for name in sys.modules if name.startswith("adapters.echo")]:
        del sys.modules[name]


@pytest.mark.usefixtures("echo")
def test_a_new_platform_brings_its_own_variables_and_setup_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {"ECHO_SECRET", "ECHO_RATE", "DATABASE_URL", "SLACK_BOT_TOKEN"} <= variable_names()
    monkeypatch.setenv("ECHO_SECRET", "from the environment")
    assert load_settings().platform("echo").echo_secret == "from the environment"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="ECHO_RATE"):
        load_settings(echo_rate=0)
    assert main(["echo", "hello", "there"]) == 0
    assert capsys.readouterr().out == "echo: hello there\n"


@pytest.mark.usefixtures("echo")
def test_a_new_platform_that_cannot_run_stops_serve_with_its_own_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECHO_SECRET", raising=False)
    assert main(["serve", "--loud"]) == 2
    assert "configuration error: --loud needs ECHO_SECRET" in capsys.readouterr().err


@pytest.mark.usefixtures("echo")
async def test_a_new_platform_is_mounted_counted_routed_limited_and_its_data_hooked(
    database_url: str,
) -> None:
    app = await build(load_settings(database_url=database_url, echo_secret="s"), upgrade=False)
    try:
        assert "echo lines" in [hook.name for hook in app.engine.registry.personal_data]
        assert "echo" in platforms.rate_policies(app.settings)
        router = transport_for(app)
        assert router is not None and "echo" in router.platforms
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.post(server.make_url("/echo/events"), data="ping") as response,
            ):
                assert (response.status, await response.json()) == (200, {"heard": "ping"})
                async with http.get(server.make_url("/metrics")) as scraped:
                    metrics = await scraped.text()
            assert 'mentorbot_inbound_requests_total{outcome="ok",platform="echo"} 1.0' in metrics
        finally:
            await server.close()
    finally:
        await app.close()


def test_bot_names_no_platform() -> None:
    """``bot/`` reaches platforms only through ``adapters.plugins``: it imports no platform
    package (the console, a terminal for development and the demo, is not a platform)."""
    served = {each.name for each in plugins.discover()}
    assert {"slack", "teams", "webhook"} <= served
    found = []
    for path in sorted((ROOT / "bot").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "adapters" and len(parts) > 1 and parts[1] in served:
                    found.append(f"{path.name}: {name}")
    assert found == []
