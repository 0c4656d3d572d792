"""The inbound benchmark's baseline: a bare slack-bolt app whose ``/mentor`` only acks.

Run as its own process (``python -m bench.bare_slack``), configured from the same
environment variables as ``mentorbot serve`` (``PORT``, ``SLACK_SIGNING_SECRET``,
``SLACK_BOT_TOKEN``, ``SLACK_API_URL``), it is what any bolt app on aiohttp costs before
it does anything: the same ``AsyncApp`` settings as our adapter, mounted the same way
(``to_bolt_request`` → ``async_dispatch`` → ``to_aiohttp_response``), served by
``web.run_app`` with the same access log at the same level. No database, no engine, no
reply. ``GET /healthz`` says it is listening.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def make_app(*, signing_secret: str, token: str, api_url: str) -> web.Application:
    bolt = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(token=token, base_url=api_url),
        raise_error_for_unhandled_request=False,
    )

    @bolt.command("/mentor")
    async def mentor(ack: Any) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(
        make_app(
            signing_secret=os.environ["SLACK_SIGNING_SECRET"],
            token=os.environ["SLACK_BOT_TOKEN"],
            api_url=os.environ["SLACK_API_URL"],
        ),
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        print=lambda text: print(text, flush=True),
    )


if __name__ == "__main__":
    main()
