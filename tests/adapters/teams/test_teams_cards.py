"""Every message a real programme produces renders as an Adaptive Card 1.5 that the official
schema accepts, within Teams' 40 KB; answers come back to the engine as they went out."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.teams.cards import adaptive_card, answered_card, answered_line, submitted
from conversations.features.digest.chart import chart_png
from conversations.messages import (
    Attachment,
    Button,
    Card,
    CardField,
    Input,
    Message,
    Option,
    Section,
)
from tests.support.cards import all_actions, assert_teams_accepts, grouped_stalls, press
from tests.support.harness import Chat, everything_a_programme_says


@pytest.mark.slow
async def test_everything_a_programme_says_renders_for_teams(chat: Chat) -> None:
    messages = await everything_a_programme_says(chat)
    kinds = {m.kind for m in messages}
    assert {"introduction", "agenda", "checkin", "proposal", "help", "error", "which"} <= kinds, (
        kinds
    )
    for message in messages:
        card = adaptive_card(message)
        assert_teams_accepts(card)
        assert len(all_actions(card)) == len(message.buttons())

    agenda = next(m for m in messages if m.kind == "agenda" and m.buttons())
    answered = answered_card(agenda, label="Done", by="Ben")
    assert_teams_accepts(answered)
    assert "actions" not in answered and not all_actions(answered)
    assert not any(e["type"].startswith("Input.") for e in answered["body"])
    assert answered["body"][-1]["text"] == "✓ Done (Ben)"

    checkin = next(m for m in messages if m.kind == "checkin" and m.card and m.card.submit)
    assert checkin.card is not None and checkin.card.submit is not None
    card = adaptive_card(checkin)
    data = press(card, checkin.card.submit.label, {"rating": "4", "reflection": "x"})
    assert submitted(data) == (
        "checkin",
        checkin.card.submit.value,
        {"rating": "4", "reflection": "x"},
    )


def _checkin_form() -> Message:
    return Message(
        text="How did session 1 go?",
        card=Card(
            header="How did session 1 go?",
            sections=(Section(text="Career, with *Ana*: *Getting started*"),),
            inputs=(
                Input(
                    name="rating",
                    label="How useful was it?",
                    kind="select",
                    required=True,
                    options=tuple(Option(label=str(n), value=str(n)) for n in range(5, 0, -1)),
                ),
                Input(
                    name="reflection",
                    label="A private note",
                    kind="multiline",
                    hint="Only you can see this.",
                ),
                Input(name="minutes", label="Minutes", kind="number", initial="30"),
            ),
            buttons=(Button(label="Skip", action="checkin.skip", value="7:0", style="danger"),),
            submit=Button(label="Send check-in", action="checkin", value="7:0", style="primary"),
        ),
        kind="checkin",
    )


def test_a_checkin_form_round_trips() -> None:
    card = adaptive_card(_checkin_form())
    assert_teams_accepts(card)
    by_id = {e["id"]: e for e in card["body"] if "id" in e}
    assert by_id["rating"]["type"] == "Input.ChoiceSet" and by_id["rating"]["isRequired"]
    assert by_id["rating"]["errorMessage"]
    assert by_id["reflection"]["isMultiline"] is True
    assert by_id["minutes"] == {
        "id": "minutes",
        "label": "Minutes",
        "isRequired": False,
        "type": "Input.Number",
        "value": 30,
    }
    assert "**Ana**" in card["body"][1]["text"]
    styles = {a["title"]: a.get("style") for a in card["actions"]}
    assert styles == {"Skip": "destructive", "Send check-in": "positive"}
    skip = next(a for a in card["actions"] if a["title"] == "Skip")
    assert skip["associatedInputs"] == "none"

    data = press(card, "Send check-in", {"rating": "4", "reflection": "x"})
    assert submitted(data) == ("checkin", "7:0", {"rating": "4", "reflection": "x"})
    assert submitted({**data, "minutes": 30.0, "msteams": {"x": 1}}) == (
        "checkin",
        "7:0",
        {"rating": "4", "reflection": "x", "minutes": "30"},
    )
    assert submitted(press(card, "Skip", {})) == ("checkin.skip", "7:0", {})


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"rating": "4"},
        {"mentorbot": "checkin"},
        {"mentorbot": {"value": "7:0"}},
        {"mentorbot": {"action": "", "value": "7:0"}},
        {"mentorbot": {"action": "checkin", "value": 7}},
        {"action": "checkin", "value": "7:0"},
    ],
)
def test_payloads_that_are_not_ours_give_none(value: dict[str, Any]) -> None:
    assert submitted(value) is None


def test_plain_text_is_one_text_block() -> None:
    card = adaptive_card(Message(text="Hello *there*\nsecond line"))
    assert_teams_accepts(card)
    assert card["body"] == [
        {"type": "TextBlock", "text": "Hello **there**\n\nsecond line", "wrap": True}
    ]
    assert "actions" not in card


def test_a_huge_message_is_trimmed_under_the_limit_and_still_validates() -> None:
    long_text = "\n".join(f"• line {n}: " + "lorem ipsum dolor sit amet " * 8 for n in range(800))
    fields = tuple(CardField(label=f"Field {n}", value="é" * 1500) for n in range(40))
    message = Message(
        text="A long proposal",
        card=Card(
            header="Proposal",
            sections=(Section(text=long_text, fields=fields),),
            buttons=tuple(Button(label=f"Go {n}", action="go", value=str(n)) for n in range(8)),
        ),
        kind="proposal",
    )
    card = adaptive_card(message)
    assert_teams_accepts(card)
    assert card["body"][0]["text"] == "Proposal"
    assert card["body"][-3]["text"] == "…more: type proposal <program> <page>"
    assert [len(e["actions"]) for e in card["body"][-2:]] == [6, 2]
    answered = answered_card(message, label="Approved", by="Maya")
    assert_teams_accepts(answered)
    assert answered["body"][-1]["text"] == "✓ Approved (Maya)"


def _digest(data: bytes) -> Message:
    return Message(
        text="Mentoring this week: 4 active pairs.",
        card=Card(
            header="Mentoring this week: All programmes",
            sections=(Section(fields=(CardField(label="Active pairs", value="4"),)),),
        ),
        kind="digest",
        attachments=(Attachment(name="mentoring.png", media_type="image/png", data=data),),
    )


def test_the_digest_chart_is_an_image_in_the_card() -> None:
    png = chart_png(
        week_ends=[datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=7 * w) for w in range(8)],
        met=[3, 5, 6, 4, 7, 8, 6, 9],
        response_rate=[50, 60, None, 70, 80, 75, 90, 85],
    )
    card = adaptive_card(_digest(png))

    assert_teams_accepts(card)
    [image] = [e for e in card["body"] if e["type"] == "Image"]
    assert image["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert card["body"].index(image) == 1  # right under the header


def test_a_picture_too_big_for_a_card_is_left_out_and_the_words_stay() -> None:
    card = adaptive_card(_digest(b"\x89PNG" + bytes(range(256)) * 160))  # 40 KB of picture

    assert_teams_accepts(card)
    assert not [e for e in card["body"] if e["type"] == "Image"]
    assert "Active pairs" in json.dumps(card)


# -- cards grouping several notices ---------------------------------------------------------


def test_a_grouped_card_shows_each_lines_buttons_right_after_it() -> None:
    [card] = grouped_stalls(3)
    made = adaptive_card(card)
    assert_teams_accepts(made)
    assert "actions" not in made
    body = made["body"]
    assert [e["type"] for e in body] == ["TextBlock"] + ["TextBlock", "ActionSet"] * 3
    for number, (text, actions) in enumerate(zip(body[1::2], body[2::2], strict=True)):
        assert f"Ana {number + 1} and" in text["text"]
        assert [a["title"] for a in actions["actions"]] == [
            "Nudge both",
            "Pause the pair",
            "End the pair",
        ]
        assert {a["data"]["mentorbot"]["value"] for a in actions["actions"]} == {str(number + 1)}
        assert all("associatedInputs" not in a for a in actions["actions"])


@pytest.mark.parametrize("name", ["Ana", "Bartholomew-Alexandre Featherstonehaugh-Ó Dálaigh"])
def test_as_many_notices_as_a_card_holds_are_all_shown_whole(name: str) -> None:
    cards = grouped_stalls(60, name=name)
    assert len(cards) > 1
    for card in cards:
        made = adaptive_card(card)
        assert_teams_accepts(made)
        assert "…more" not in json.dumps(made, ensure_ascii=False)
        assert len(all_actions(made)) == len(card.buttons())


def test_pressing_one_lines_button_answers_that_line_only() -> None:
    [card] = grouped_stalls(3)
    assert card.card is not None
    pressed = card.card.sections[1].buttons[1]
    after = answered_line(card, pressed, by="Maya")
    assert after is not None and after.card is not None
    first, second, third = after.card.sections
    assert second.buttons == () and second.text.endswith("\n✓ Pause the pair (Maya)")
    assert first == card.card.sections[0] and third == card.card.sections[2]
    made = adaptive_card(after)
    assert_teams_accepts(made)
    assert len(all_actions(made)) == 6
    again = answered_line(after, third.buttons[0], by="Maya")  # the next press builds on it
    assert again is not None and again.card is not None
    assert [len(s.buttons) for s in again.card.sections] == [3, 0, 0]
    whole = Message(text="x", card=Card(buttons=(pressed,)))
    assert answered_line(whole, pressed, by="Maya") is None  # not a line: the whole card
