"""Every message a real programme produces — replies and deliveries, every kind — renders as
Block Kit that slack_sdk's models accept, within Slack's limits."""

from __future__ import annotations

import pytest
from slack_sdk.models.views import View

from adapters.slack.blocks import form_view, message_blocks
from tests.support.cards import assert_slack_accepts
from tests.support.harness import Chat, everything_a_programme_says


@pytest.mark.slow
async def test_everything_a_programme_says_renders_for_slack(chat: Chat) -> None:
    messages = await everything_a_programme_says(chat)
    kinds = {m.kind for m in messages}
    assert {
        "introduction",
        "agenda",
        "checkin",
        "proposal",
        "announcement",
        "digest",
        "programme_status",
        "help",
        "error",
        "not_allowed",
        "stall",
        "which",
    } <= kinds, kinds
    for message in messages:
        assert_slack_accepts(message_blocks(message), most=50)
        if message.card is not None and message.card.inputs:
            view = form_view(message, private_metadata="{}")
            View(**view).validate_json()
