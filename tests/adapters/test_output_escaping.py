"""What a person writes is shown as written, on every platform and in the logs (issue 16,
item 6): never a disguised link, a mention of everyone, or a forged log line."""

from __future__ import annotations

import logging

from adapters.slack.blocks import fallback, message_blocks
from adapters.teams.activities import message_activity
from adapters.teams.cards import adaptive_card, markdown
from bot.config import OneLine
from conversations.messages import Card, Message, Section

PLANTED = "[Reset your password](https://evil.example/reset) <!channel> <https://evil.example|Docs>"


def _introduction() -> Message:
    text = f"Ana and Ben: you are paired in Buddies. Ben's goals: {PLANTED}"
    return Message(
        text=text,
        card=Card(header="Meet your mentoring partner", sections=(Section(text=text),)),
    )


def test_slack_fallback_text_is_escaped_like_its_blocks() -> None:
    """Regression: Slack's top-level ``text`` (the notification) went out unescaped while
    the blocks were escaped, so ``<!channel>`` in a profile pinged everyone there."""
    said = fallback(_introduction())
    assert "<!channel>" not in said and "<https://" not in said
    assert "&lt;!channel&gt;" in said and "&lt;https://evil.example|Docs&gt;" in said
    assert "<!channel>" not in str(message_blocks(_introduction()))


def test_a_markdown_link_a_person_wrote_is_never_a_link_in_teams() -> None:
    """Regression: a planted ``[Reset your password](https://…)`` rendered as a link in
    another person's introduction card."""
    card = adaptive_card(_introduction())
    texts = [str(e.get("text", "")) for e in _elements(card)]
    assert any("Reset your password" in t for t in texts)
    assert not any("](" in t for t in texts)
    assert "](" not in str(message_activity(Message(text=PLANTED)).text)
    assert markdown("*Session 1*: [a](b)") == "**Session 1**: [a]\u2060(b)"


def _elements(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _elements(value)
    elif isinstance(node, list):
        for value in node:
            found += _elements(value)
    return found


def test_a_newline_in_something_a_person_typed_cannot_forge_a_log_line() -> None:
    record = logging.LogRecord(
        "adapters.teams", logging.INFO, __file__, 1, "could not read %s", ("a.csv\nERROR x",), None
    )
    line = OneLine("%(levelname)s %(name)s: %(message)s").format(record)
    assert line == "INFO adapters.teams: could not read a.csv\\nERROR x"
    assert "\n" not in line
