"""Every message a real programme produces — replies and deliveries, every kind — renders as
Block Kit that slack_sdk's models accept, within Slack's limits."""

from __future__ import annotations

from slack_sdk.models.views import View

from adapters.slack.blocks import form_view, message_blocks
from conversations.messages import Message
from tests.harness import Chat
from tests.test_slack_blocks import assert_slack_accepts


async def test_everything_a_programme_says_renders_for_slack(chat: Chat) -> None:
    script = [
        ("maya", "help"),
        ("maya", "program create career --curriculum cross-department-career"),
        ("maya", "program open career <#C1|general>"),
        ("ana", "join career"),
        ("ana", "join career mentor --skills data --department IT"),
        ("ben", "join career mentee --interests data --department Sales"),
        ("cleo", "join career mentee --interests data"),
        ("maya", "match career"),
        ("maya", "proposal career"),
        ("maya", "publish career"),
        ("maya", "program status career"),
        ("ben", "met"),
        ("ben", "checkin 4"),
        ("ben", "status"),
        ("ben", "agenda"),
        ("maya", "digest subscribe <@helen|Helen> all mon 08:00"),
        ("maya", "audit"),
        ("maya", "outbox"),
        ("maya", "quiet add 2026-12-25"),
        ("ben", "snooze 1w"),
        ("maya", "export career"),
        ("ben", "frobnicate"),
        ("ben", "pair a b c"),
    ]
    for who, text in script:
        await chat.say(who, text)
    for _ in range(8):  # weeks pass: agendas, nudges, pulses, reminders, stalls, digests
        await chat.wait(days=7)
    await chat.hours(48)
    messages: list[Message] = [m for _, m in chat.transport.received]
    messages += [m for replies in chat.replies.values() for m in replies]
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
    } <= kinds, kinds
    for message in messages:
        assert_slack_accepts(message_blocks(message), most=50)
        if message.card is not None and message.card.inputs:
            view = form_view(message, private_metadata="{}")
            View(**view).validate_json()
