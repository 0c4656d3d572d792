"""Every card the engine writes becomes Block Kit that Slack accepts.

The messages are built by the engine's own builders from small in-memory models
(no database) and the bundled curricula; what comes out is parsed back through
slack_sdk's models, which validate it, and checked against Slack's limits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from slack_sdk.models.views import View

from adapters.slack import blocks as slack
from conversations import rendering
from conversations.curriculum import Curriculum, Library
from conversations.features.enrolment import cards as join_cards
from conversations.features.help import commands as help_command
from conversations.features.matching.offers import choice_card
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import renderers
from conversations.messages import Button, Card, CardField, Message, Section
from conversations.registry import Registry
from storage.models import Enrolment, MatchOffer, OutboxMessage, Pair, Person, Programme, Role
from tests.support.cards import assert_slack_accepts, elements, grouped_stalls

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIBRARY = Library.load()
CURRICULA = [LIBRARY.curricula[key] for key in LIBRARY.available()]


# --- a small in-memory world ---------------------------------------------------------------


def person(id: int, name: str, timezone: str = "America/Halifax") -> Person:
    return Person(
        id=id,
        workspace_id=1,
        platform_user_id=f"U{id:04d}",
        display_name=name,
        timezone=timezone,
        created_at=NOW,
    )


def programme_for(curriculum: Curriculum) -> Programme:
    return Programme(
        id=3,
        workspace_id=1,
        key=curriculum.key.split("-")[0],
        name=curriculum.name,
        curriculum_key=curriculum.key,
        curriculum_version=curriculum.version,
        cadence_days=curriculum.cadence_days,
        status="active",
        settings={},
        created_at=NOW,
    )


def pair_in(curriculum: Curriculum, *, session_index: int = 0) -> Pair:
    ana, ben = person(1, "Ana Ruiz"), person(2, "Ben Okafor", "Europe/London")
    pair = Pair(
        id=42,
        programme_id=3,
        mentor_id=ana.id,
        mentee_id=ben.id,
        status="active",
        reason="You both work with data & care about <clear> writing; Ana has led a team.",
        session_index=session_index,
        session_started_at=NOW,
        started_at=NOW,
        created_at=NOW,
        pinned=False,
        paused_by=None,
        pulses_sent=0,
    )
    pair.mentor, pair.mentee, pair.programme = ana, ben, programme_for(curriculum)
    pair.auto_pause_at = NOW + timedelta(days=14)
    return pair


def profile(of: Person, side: str, title: str, department: str) -> Enrolment:
    enrolment = Enrolment(
        id=of.id, programme_id=3, person_id=of.id, side=side, title=title, department=department
    )
    enrolment.person = of
    return enrolment


def job(pair: Pair) -> rendering.Job:
    # Renderers that never touch the database are given none.
    return rendering.Job(
        session=cast(Any, None),
        row=OutboxMessage(ref_index=pair.session_index),
        pair=pair,
        person=pair.mentee,
        library=LIBRARY,
        now=NOW,
    )


def engine_cards(curriculum: Curriculum) -> list[Message]:
    """Every card the engine builds for one curriculum, from the real builders."""
    pair = pair_in(curriculum)
    programme = pair.programme
    found = [
        pair_cards.introduction(
            pair=pair,
            programme=programme,
            curriculum=curriculum,
            mentor_profile=profile(pair.mentor, "mentor", "Team lead", "Data"),
            mentee_profile=profile(pair.mentee, "mentee", "Analyst", "Finance"),
        ),
        pair_cards.closing(pair=pair, programme=programme, curriculum=curriculum),
        join_cards.join_form(programme=programme, curriculum=curriculum, person=pair.mentee),
        join_cards.join_form(
            programme=programme, curriculum=curriculum, person=pair.mentor, side="mentor"
        ),
    ]
    for index in range(len(curriculum.sessions)):
        pair.session_index = index
        found.append(
            pair_cards.agenda(
                pair=pair,
                programme=programme,
                curriculum=curriculum,
                previous_logged=index % 2 == 0,
                due=NOW + timedelta(days=7),
            )
        )
        found.append(
            pair_cards.checkin_form(
                pair=pair,
                person=pair.mentee,
                curriculum=curriculum,
                session_index=index,
                programme=programme,
            )
        )
    pair.session_index = 0
    days = [m.day for m in curriculum.milestones] or [30]
    found += [renderers.pulse_form(job(pair), day) for day in [*days, 999]]
    return found


async def rendered_cards(curriculum: Curriculum) -> list[Message]:
    """The planned messages whose renderers need no database: stall and inactivity."""
    pair = pair_in(curriculum)
    pair.last_met_at = NOW - timedelta(days=60)
    made = [await renderers.stall(job(pair)), await renderers.inactivity_notice(job(pair))]
    return [m for m in made if m is not None]


def mentor_choice(curriculum: Curriculum) -> Message:
    pair = pair_in(curriculum)
    offers = []
    for rank, name in enumerate(["Carla Mendes", "Dev Patel", "Eun-ji Park"]):
        offer = MatchOffer(
            id=100 + rank,
            programme_id=3,
            mentee_id=2,
            mentor_id=10 + rank,
            rank=rank,
            score=9.5 - rank,
            reason="Shares your interest in analytics and has moved between departments.",
        )
        offer.mentor, offer.mentee = person(10 + rank, name), pair.mentee
        offers.append(offer)
    return choice_card(pair.programme, offers)


def help_overview() -> Message:
    everyone = SimpleNamespace(
        roles=frozenset(role.value for role in Role), registry=Registry.discover()
    )
    return help_command.overview(cast(Any, everyone))


def long_proposal() -> Message:
    """Like a big proposal page: 60 long lines, 30 fields, two buttons."""
    lines = [
        f"• Mentor {n:02d} → Mentee {n:02d} (score {n / 7:.1f}): same department & "
        f"interests in <data>, mentoring, public speaking and career moves across teams"
        for n in range(60)
    ]
    fields = tuple(
        CardField(label=f"Mentor {n:02d}", value=f"{n % 3} places free, prefers mornings")
        for n in range(30)
    )
    return Message(
        text="Proposal for Career mentoring:\n" + "\n".join(lines),
        kind="proposal",
        card=Card(
            header="Proposal for Career mentoring",
            sections=(
                Section(text="60 pairs proposed (total score 252.9); 3 mentees unmatched."),
                Section(text="\n".join(lines)),
                Section(text="*Places free*", fields=fields),
            ),
            buttons=(
                Button(label="Publish", action="proposal.publish", value="career", style="primary"),
                Button(label="Re-run around pins", action="proposal.rerun", value="career"),
            ),
        ),
    )


def paginated() -> Message:
    """More sections than one Slack message can hold."""
    sections = tuple(
        Section(text=f"*Pair {n}*: Mentor {n} → Mentee {n}, met {n % 4} times") for n in range(80)
    )
    return Message(
        text="Proposal (long)",
        kind="proposal",
        card=Card(
            header="Proposal for Career mentoring",
            sections=sections,
            buttons=(
                Button(label="Publish", action="proposal.publish", value="career", style="primary"),
            ),
        ),
    )


def many_buttons() -> Message:
    return Message(
        text="Failed messages: retry any of them.",
        kind="outbox",
        card=Card(
            header="Outbox",
            sections=(Section(text="30 failed."),),
            buttons=tuple(
                Button(
                    label=f"Retry message number {n} to a person with a very long name indeed",
                    action="outbox.retry",
                    value=str(n),
                    style="danger" if n == 29 else None,
                )
                for n in range(30)
            ),
        ),
    )


def extremes() -> Message:
    """Text longer than every limit: header, a single unbroken line, fields, labels."""
    return Message(
        text="x",
        kind="status",
        card=Card(
            header="A header far longer than Slack's one hundred and fifty characters " * 4,
            sections=(
                Section(text="word " * 1500),
                Section(text="y" * 7000),
                Section(fields=(CardField(label="Long", value="&" * 2500),)),
            ),
            buttons=(Button(label="A" * 200, action="status", value="v" * 2000),),
        ),
    )


ALL = [
    *(m for c in CURRICULA for m in engine_cards(c)),
    *(mentor_choice(c) for c in CURRICULA),
    help_overview(),
    long_proposal(),
    paginated(),
    many_buttons(),
    extremes(),
    Message(text="Welcome back. I'll send your next agenda on the usual rhythm.", kind="resumed"),
]


def kinds(messages: list[Message]) -> set[str]:
    return {m.kind for m in messages}


def test_the_engine_builds_every_kind_of_card_here() -> None:
    assert {
        "introduction",
        "agenda",
        "checkin",
        "closing",
        "join_form",
        "pulse",
        "mentor_choice",
        "help",
        "proposal",
        "outbox",
    } <= kinds(ALL)


@pytest.mark.parametrize("message", ALL, ids=lambda m: m.kind)
def test_every_card_is_block_kit_slack_accepts(message: Message) -> None:
    assert_slack_accepts(slack.message_blocks(message), most=50)


@pytest.mark.parametrize("curriculum", CURRICULA, ids=lambda c: c.key)
async def test_planned_nudges_for_coordinators_and_pairs_are_accepted(
    curriculum: Curriculum,
) -> None:
    made = await rendered_cards(curriculum)
    assert kinds(made) == {"stall", "inactivity_notice"}
    for message in made:
        assert_slack_accepts(slack.message_blocks(message), most=50)


@pytest.mark.parametrize("message", ALL, ids=lambda m: m.kind)
def test_every_button_press_decodes_to_the_engines_action_and_value(message: Message) -> None:
    blocks = slack.message_blocks(message)
    pressed = []
    for element in elements(blocks):
        action, value = slack.decode_action(element["action_id"], element.get("value", ""))
        if action == slack.FORM_OPEN:  # the form's submit travels packed in the value
            assert slack.is_form_open(element["action_id"])
            action, value = slack.decode_form(value)
        pressed.append((action, value))
    assert pressed == [  # a button that opens a form also travels as that form's submit
        slack.decode_form(b.value) if b.action == slack.FORM_OPEN else (b.action, b.value)
        for b in message.buttons()
    ]


def test_an_introduction_reads_like_the_card_with_meeting_buttons() -> None:
    message = engine_cards(CURRICULA[0])[0]
    blocks = slack.message_blocks(message)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Meet your mentoring partner", "emoji": True},
    }
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "*Ana Ruiz* (mentor, Team lead, Data)" in text  # bold kept as Slack mrkdwn
    assert "data &amp; care about &lt;clear&gt; writing" in text  # escaped once
    buttons = elements(blocks)
    assert [b["text"]["text"] for b in buttons] == [
        "We met",
        "Not yet",
        "Rescheduled",
        "Report a concern",
    ]
    assert [b["action_id"] for b in buttons] == [
        "meeting.log:0",
        "meeting.log:1",
        "meeting.log:2",
        "form.open:3",
    ]
    assert slack.decode_form(buttons[3]["value"]) == ("concern.report", "pair:42")
    assert buttons[0]["value"] == "42:0:met" and buttons[0]["style"] == "primary"
    assert "style" not in buttons[1]


def test_help_shows_angle_brackets_instead_of_swallowing_them() -> None:
    blocks = slack.message_blocks(help_overview())
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "help &lt;command&gt;" in text
    assert "&amp;lt;" not in text


def test_a_form_is_posted_as_its_sections_and_a_button_that_opens_it() -> None:
    curriculum = CURRICULA[0]
    message = next(m for m in engine_cards(curriculum) if m.kind == "checkin")
    blocks = slack.message_blocks(message)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "actions"]
    (button,) = elements(blocks)
    assert button["text"]["text"] == "Open the form"
    assert button["action_id"] == "form.open:0"
    assert button["value"] == '{"a":"checkin","v":"42:0"}'
    assert slack.is_form_open(button["action_id"])
    assert slack.decode_action(button["action_id"], button["value"]) == (
        "form.open",
        '{"a":"checkin","v":"42:0"}',
    )
    assert slack.decode_form(button["value"]) == ("checkin", "42:0")
    assert not slack.is_form_open("meeting.log:0")


def test_long_text_is_split_at_lines_and_fields_ten_at_a_time() -> None:
    message = long_proposal()
    blocks = slack.message_blocks(message)
    sections = [b for b in blocks if b["type"] == "section"]
    texts = [b["text"]["text"] for b in sections if "text" in b]
    assert len(texts) >= 4  # 60 lines of ~150 characters need several sections
    assert all(len(t) <= 3000 for t in texts)
    shown_lines = [line for t in texts for line in t.split("\n") if line.startswith("• Mentor")]
    assert len(shown_lines) == 60  # nothing lost, no line cut in two
    assert [len(b.get("fields", [])) for b in sections if "fields" in b] == [10, 10, 10]
    assert sections[-3]["text"]["text"] == "*Places free*"  # fields follow their heading
    assert sections[-3]["fields"][0]["text"] == "*Mentor 00*\n0 places free, prefers mornings"


def test_content_beyond_fifty_blocks_points_to_the_command_that_shows_the_rest() -> None:
    blocks = slack.message_blocks(paginated())
    assert len(blocks) == 50
    assert blocks[0]["type"] == "header"
    assert blocks[-1]["type"] == "actions"  # the buttons survive the cut
    assert blocks[-2] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "…more: type proposal &lt;program&gt; &lt;page&gt;"}
        ],
    }
    custom = slack.message_blocks(paginated(), more="proposal career 2")
    assert custom[-2]["elements"][0]["text"] == "…more: type proposal career 2"


def test_thirty_buttons_keep_unique_ids_across_two_actions_blocks() -> None:
    blocks = slack.message_blocks(many_buttons())
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    ids = [e["action_id"] for e in elements(blocks)]
    assert ids == [f"outbox.retry:{n}" for n in range(30)]
    assert all(len(e["text"]["text"]) <= 75 for e in elements(blocks))
    assert elements(blocks)[-1]["style"] == "danger"


def test_what_the_engine_needs_back_is_never_cut() -> None:
    too_long = Message(
        text="x",
        card=Card(buttons=(Button(label="Go", action="status", value="v" * 2001),)),
    )
    with pytest.raises(ValueError, match="2001-character value"):
        slack.message_blocks(too_long)
    with pytest.raises(ValueError, match="not an action id"):
        slack.decode_action("meeting.log", "42:0:met")
    with pytest.raises(ValueError, match="not a form reference"):
        slack.decode_form("42:0")


def test_a_message_without_a_card_is_its_text() -> None:
    blocks = slack.message_blocks(Message(text="Paused Ana & Ben.\nType resume <program>."))
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Paused Ana &amp; Ben.\nType resume &lt;program&gt;.",
            },
        }
    ]


# --- forms as modals ------------------------------------------------------------------------


FORMS = [m for m in ALL if m.card is not None and m.card.inputs]


def test_forms_include_checkin_join_and_pulse() -> None:
    assert kinds(FORMS) == {"checkin", "join_form", "pulse"}


@pytest.mark.parametrize("message", FORMS, ids=lambda m: m.kind)
def test_every_form_opens_as_a_modal_slack_accepts(message: Message) -> None:
    view = slack.form_view(message, private_metadata=slack.form_metadata(message))
    parsed = View(**view)
    parsed.validate_json()
    assert parsed.to_dict() == view
    assert view["type"] == "modal" and view["callback_id"] == slack.FORM_CALLBACK
    assert 0 < len(view["blocks"]) <= 100
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert_slack_accepts(view["blocks"], most=100)
    assert message.card is not None
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["element"]["action_id"]) for b in inputs] == [
        (i.name, i.name) for i in message.card.inputs
    ]
    for block, item in zip(inputs, message.card.inputs, strict=True):
        assert block.get("optional", False) is not item.required
    assert slack.decode_form(view["private_metadata"]) == (
        message.card.submit.action if message.card.submit else "",
        message.card.submit.value if message.card.submit else "",
    )


def test_the_join_form_modal_has_each_kind_of_input_with_initial_values() -> None:
    curriculum = next(c for c in CURRICULA if c.key == "cross-department-career")
    pair = pair_in(curriculum)
    message = join_cards.join_form(
        programme=pair.programme, curriculum=curriculum, person=pair.mentee, side="mentor"
    )
    view = slack.form_view(message, private_metadata="{}")
    by_name = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    side = by_name["side"]["element"]
    assert side["type"] == "static_select"
    assert side["initial_option"] == {
        "text": {"type": "plain_text", "text": "Mentor", "emoji": True},
        "value": "mentor",
    }
    assert "optional" not in by_name["side"]
    assert by_name["goals"]["element"] == {
        "action_id": "goals",
        "type": "plain_text_input",
        "multiline": True,
    }
    assert by_name["capacity"]["element"] == {
        "action_id": "capacity",
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": "1",
    }
    assert by_name["timezone"]["element"]["initial_value"] == "Europe/London"
    assert by_name["timezone"]["hint"]["text"] == "e.g. America/Halifax"
    assert by_name["department"]["element"]["placeholder"]["text"] == "e.g. IT"
    # "Join Cross-department career mentoring" does not fit a 24-character title
    assert view["title"]["text"] == "Join Cross-department c…"
    assert view["blocks"][0]["text"]["text"] == "Join Cross-department career mentoring"


def test_a_submitted_checkin_gives_the_engine_its_names_and_values() -> None:
    state = {
        "values": {
            "rating": {
                "rating": {
                    "type": "static_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": "4 - useful", "emoji": True},
                        "value": "4",
                    },
                }
            },
            "reflection": {
                "reflection": {"type": "plain_text_input", "value": "Good talk about goals."}
            },
        }
    }
    expected = {"rating": "4", "reflection": "Good talk about goals."}
    assert slack.form_values(state) == expected
    assert slack.form_values(state["values"]) == expected  # view.state.values itself


def test_an_input_named_values_is_not_taken_for_the_wrapper() -> None:
    values = {"values": {"values": {"type": "plain_text_input", "value": "kindness"}}}
    assert slack.form_values(values) == {"values": "kindness"}
    assert slack.form_values({"values": values}) == {"values": "kindness"}


def test_a_submitted_join_form_fills_empty_inputs_with_nothing() -> None:
    state = {
        "values": {
            "side": {"side": {"type": "static_select", "selected_option": None}},
            "department": {"department": {"type": "plain_text_input", "value": "Finance"}},
            "goals": {"goals": {"type": "plain_text_input", "value": None}},
            "capacity": {"capacity": {"type": "number_input", "value": "2"}},
            "timezone": {"timezone": {"type": "plain_text_input", "value": "Europe/London"}},
        }
    }
    assert slack.form_values(state) == {
        "side": "",
        "department": "Finance",
        "goals": "",
        "capacity": "2",
        "timezone": "Europe/London",
    }
    assert slack.form_values({"values": {}}) == {}
    assert slack.form_values({}) == {}


# --- the App Home ---------------------------------------------------------------------------


def test_the_home_tab_stacks_messages_with_dividers() -> None:
    curriculum = CURRICULA[0]
    stack = [m for m in engine_cards(curriculum) if m.kind in {"introduction", "agenda"}][:2]
    view = slack.home_view(stack)
    parsed = View(**view)
    parsed.validate_json()
    assert parsed.to_dict() == view
    assert view["type"] == "home"
    assert sum(1 for b in view["blocks"] if b["type"] == "divider") == 1
    assert_slack_accepts(view["blocks"], most=100)


def test_the_home_tab_stops_at_a_whole_message_within_a_hundred_blocks() -> None:
    view = slack.home_view(ALL)
    View(**view).validate_json()
    blocks = view["blocks"]
    assert len(blocks) <= 100
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"].startswith("…more")
    assert blocks[-2]["type"] != "divider"


def test_an_empty_home_tab_still_says_something() -> None:
    view = slack.home_view([])
    View(**view).validate_json()
    assert len(view["blocks"]) == 1


# --- cards grouping several notices ----------------------------------------------------------


def test_a_grouped_card_shows_each_lines_buttons_right_after_it() -> None:
    [card] = grouped_stalls(3)
    blocks = slack.message_blocks(card)
    assert_slack_accepts(blocks, most=50)
    assert [b["type"] for b in blocks] == ["header"] + ["section", "actions"] * 3
    for number, (section, actions) in enumerate(zip(blocks[1::2], blocks[2::2], strict=True)):
        assert f"Ana {number + 1} and" in section["text"]["text"]
        assert [e["text"]["text"] for e in actions["elements"]] == [
            "Nudge both",
            "Pause the pair",
            "End the pair",
        ]
        assert {e["value"] for e in actions["elements"]} == {str(number + 1)}
    ids = [e["action_id"] for e in elements(blocks)]
    assert ids == [f"{b.action}:{n}" for n, b in enumerate(card.buttons())]


@pytest.mark.parametrize("name", ["Ana", "Bartholomew-Alexandre Featherstonehaugh-Ó Dálaigh"])
def test_as_many_notices_as_a_card_holds_are_all_shown_whole(name: str) -> None:
    """Nothing of a grouped card may be cut: its rows are all sent, so every line shows."""
    cards = grouped_stalls(60, name=name)
    assert len(cards) > 1
    for card in cards:
        blocks = slack.message_blocks(card)
        assert_slack_accepts(blocks, most=50)
        assert not any(b["type"] == "context" for b in blocks)  # no "…more"
        assert len(elements(blocks)) == len(card.buttons())
        assert card.card is not None
        assert sum(b["type"] == "section" for b in blocks) == len(card.card.sections)


def test_pressing_one_lines_button_answers_that_line_only() -> None:
    [card] = grouped_stalls(3)
    blocks = slack.message_blocks(card)
    pressed = blocks[4]  # the second line's buttons
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": "✓ Pause the pair"}]}
    after = slack.answered_line(blocks, pressed["block_id"], note)
    assert after is not None
    assert [b["type"] for b in after] == [
        "header",
        "section",
        "actions",
        "section",
        "context",
        "section",
        "actions",
    ]
    assert after[4] == note and after[2] == blocks[2] and after[6] == blocks[6]
    assert slack.answered_line(after, after[2]["block_id"], note) is not None  # and the next
    assert slack.answered_line(blocks, "b1", note) is None  # not a line: the whole message
