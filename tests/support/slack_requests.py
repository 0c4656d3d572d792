"""Signed Slack requests sent to a running ``mentorbot serve``, as Slack sends them.

The payload shapes and the signing come from tests/support/slack_world.py (stored
fixtures filled in); this adds what a test of a separate server process needs: the
settings that point the server at a :class:`tests.support.fake_slack.FakeSlack`, and a
POST to its ``/slack/events`` with a fresh signature.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

from tests.support.fake_slack import FakeSlack
from tests.support.slack_world import SECRET, payload, sign, slash_command

ZONES = {"UMAYA": "America/Toronto", "UANA": "America/Toronto", "UBEN": "America/Halifax"}


def settings(fake: FakeSlack) -> dict[str, str]:
    """The environment that makes ``serve`` a Slack app talking to ``fake``."""
    for user, zone in ZONES.items():
        fake.users[user] = {
            "tz": zone,
            "real_name": user[1:].title(),
            "profile": {"display_name": user[1:].title()},
        }
    return {
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.api_url,
    }


async def post(
    http: aiohttp.ClientSession,
    server: str,
    body: str,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST ``body`` to ``server``'s /slack/events, signed now; (status, response text)."""
    stamp = int(time.time())
    sent = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(body, stamp),
        **(headers or {}),
    }
    async with http.post(f"{server}/slack/events", data=body.encode(), headers=sent) as response:
        return response.status, await response.text()


def command(fake: FakeSlack, *, user: str, text: str, name: str) -> str:
    """``/mentor <text>`` from ``user``, answered at the response URL called ``name``."""
    return slash_command(
        user_id=user, text=text, response_url=fake.response_url(name), trigger_id=f"{name}.1.abc"
    )


def direct_message(*, user: str, text: str, event_id: str) -> str:
    """An Events API callback: ``user`` wrote ``text`` in the bot's DM (``D<user>``)."""
    body: dict[str, Any] = payload("event_message_im.json")
    body["event"].update(user=user, channel=f"D{user}", text=text, ts=f"{time.time():.6f}")
    body["event"]["blocks"][0]["elements"][0]["elements"][0]["text"] = text
    body.update(event_id=event_id, event_time=int(time.time()))
    return json.dumps(body)
