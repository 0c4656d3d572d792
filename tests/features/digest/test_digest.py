"""The executive digest against figures worked out by hand on a fixed data set.

Two programmes in one workspace (and a draft one that must not count), eleven people
in three departments, five pairs, meetings, check-in prompts and answers, a pulse,
a joiner and a leaver, concerns, and two lines participants chose to share. The
digest is computed for Monday 9 March 2026, 08:00 UTC: week 0 is the seven days
before, week 1 the seven before that. Every expected number below is derived in
the comments from the rows inserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build
from bot.cli import main
from bot.config import ConfigError, load_settings
from conversations.features.digest import digest
from conversations.features.digest.chart import chart_png
from conversations.features.digest.figures import departments, figures, total
from conversations.messages import Message
from storage.models import (
    CheckIn,
    Concern,
    Enrolment,
    Meeting,
    Pair,
    Person,
    Programme,
    Prompt,
    PulseResponse,
    Workspace,
)
from tests.support.harness import Chat, more_people, open_chat, programme_with_pair

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
SECRET = "SECRET-REFLECTION nobody may read"


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[tuple[App, dict[str, int]]]:
    app = await build(load_settings(database_url=database_url), upgrade=False)
    ids: dict[str, int] = {}
    async with app.sessions.begin() as s:
        space = Workspace(platform="console", external_id="acme", settings={}, created_at=at(1, 1))
        s.add(space)
        await s.flush()
        ids["workspace"] = space.id

        def programme(key: str, name: str, status: str) -> Programme:
            return Programme(
                workspace_id=space.id,
                key=key,
                name=name,
                curriculum_key="new-hire-buddy",
                curriculum_version=1,
                cadence_days=7,
                status=status,
                created_at=at(1, 1),
            )

        buddies, career, draft = (
            programme("buddies", "Buddies", "active"),
            programme("career", "Career", "active"),
            programme("later", "Later", "draft"),
        )
        s.add_all([buddies, career, draft])
        await s.flush()
        ids |= {"buddies": buddies.id, "career": career.id}
        people: dict[str, Person] = {}
        names = {
            "m1": "Ana Lopez",
            "m2": "Raj",
            "m3": "Kim",
            "e1": "Eli",
            "e2": "Fay",
            "e3": "Gus",
            "e4": "Hal",
            "s1": "Ivy",
            "s2": "Jo",
            "s3": "Lee",
            "b1": "Mo",
            "x1": "Ned",
            "d1": "Ola",
        }
        for handle, name in names.items():
            people[handle] = Person(
                workspace_id=space.id,
                platform_user_id=handle,
                display_name=name,
                timezone="UTC",
                created_at=at(1, 1),
            )
        s.add_all(people.values())
        await s.flush()

        def enrol(
            handle: str, programme: Programme, side: str, department: str, **extra: object
        ) -> None:
            s.add(
                Enrolment(
                    programme_id=programme.id,
                    person_id=people[handle].id,
                    side=side,
                    department=department,
                    created_at=extra.pop("created_at", at(1, 5)),
                    **extra,
                )
            )

        for handle in ("m1", "m2", "m3"):
            enrol(handle, buddies, "mentor", "Engineering")
        for handle in ("e1", "e2", "e3", "e4"):
            enrol(handle, buddies, "mentee", "Engineering")
        enrol("s1", buddies, "mentee", "Sales")
        enrol("s2", buddies, "mentee", "Sales", created_at=at(3, 4))  # joined in week 0
        enrol("x1", buddies, "mentee", "Engineering", status="left", left_at=at(3, 5))  # left
        enrol("s3", career, "mentor", "Sales")
        enrol("b1", career, "mentee", "Marketing")
        enrol("d1", draft, "mentee", "Engineering")  # a draft programme: never counted

        def pair(mentor: str, mentee: str, programme: Programme, **extra: object) -> Pair:
            made = Pair(
                programme_id=programme.id,
                mentor_id=people[mentor].id,
                mentee_id=people[mentee].id,
                status=extra.pop("status", "active"),
                created_at=at(1, 10),
                **extra,
            )
            s.add(made)
            return made

        p1 = pair("m1", "e1", buddies, started_at=at(2, 1), last_met_at=at(3, 4))
        p2 = pair("m2", "e2", buddies, started_at=at(3, 3), last_met_at=at(3, 5))  # new
        pair("m3", "s1", buddies, started_at=at(2, 1))  # never met: stalled
        p4 = pair("m1", "e3", buddies, status="ended", started_at=at(1, 10), ended_at=at(2, 26))
        p5 = pair("s3", "b1", career, started_at=at(2, 1), last_met_at=at(3, 8))
        pair("m2", "e4", buddies, status="proposed")  # a proposal is not a pair yet
        await s.flush()

        def met(p: Pair, when: datetime, index: int, outcome: str = "met") -> None:
            s.add(Meeting(pair_id=p.id, session_index=index, outcome=outcome, logged_at=when))

        met(p1, at(3, 4), 1)  # week 0
        met(p1, at(2, 25), 0)  # week 1
        met(p2, at(3, 5), 0)  # week 0
        met(p2, at(3, 6), 1, "not_yet")  # not a meeting
        met(p4, at(2, 24), 0)  # week 1
        met(p5, at(3, 7), 0)  # week 0
        met(p5, at(3, 8), 1)  # week 0 again: still one pair

        def asked(p: Pair, who: str, index: int, when: datetime, answered: datetime | None) -> None:
            s.add(
                Prompt(
                    pair_id=p.id,
                    person_id=people[who].id,
                    kind="checkin",
                    ref_index=index,
                    asked_at=when,
                    answered_at=answered,
                )
            )

        asked(p1, "e1", 1, at(3, 4), at(3, 5))  # week 0, answered
        asked(p1, "m1", 1, at(3, 4), None)  # week 0, not answered
        asked(p2, "e2", 0, at(3, 5), at(3, 6))  # week 0, answered
        asked(p5, "b1", 1, at(3, 8), at(3, 8))  # week 0, answered
        asked(p1, "e1", 0, at(2, 25), at(2, 26))  # week 1, answered
        asked(p1, "m1", 0, at(2, 25), at(3, 3))  # week 1, answered later
        asked(p4, "e3", 0, at(2, 24), None)  # week 1, not answered
        s.add(
            Prompt(
                pair_id=p1.id,
                person_id=people["e1"].id,
                kind="pulse",
                ref_index=30,
                asked_at=at(3, 3),
                answered_at=at(3, 3),
            )
        )  # a pulse prompt: not a check-in

        def checkin(
            p: Pair, who: str, index: int, rating: int, when: datetime, **extra: str
        ) -> None:
            s.add(
                CheckIn(
                    pair_id=p.id,
                    person_id=people[who].id,
                    session_index=index,
                    rating=rating,
                    created_at=when,
                    **extra,
                )
            )

        checkin(
            p1,
            "e1",
            1,
            4,
            at(3, 5),
            shareable_quote="Ana and Kim showed me how budgets really work",
        )
        checkin(p2, "e2", 0, 5, at(3, 6), reflection=SECRET)
        checkin(p1, "m1", 0, 3, at(3, 3))
        checkin(p5, "b1", 1, 4, at(3, 8), shareable_quote="Great to have someone to ask, Lee!")
        checkin(p1, "e1", 0, 5, at(2, 26))  # week 1
        s.add(
            PulseResponse(
                pair_id=p1.id, person_id=people["e1"].id, day=30, rating=4, created_at=at(3, 3)
            )
        )
        for status in ("open", "resolved"):
            s.add(
                Concern(
                    workspace_id=space.id,
                    programme_id=buddies.id,
                    category="other",
                    description="never shown",
                    status=status,
                    created_at=at(3, 1),
                )
            )
    yield app, ids
    await app.close()


async def test_the_figures_match_the_hand_count(world: tuple[App, dict[str, int]]) -> None:
    app, ids = world
    async with app.sessions() as session:
        by = await figures(session, programme_ids=[ids["buddies"], ids["career"]], end=NOW)
    buddies, career, fig = by[ids["buddies"]], by[ids["career"]], total(by.values())

    # Under way: week 0 p1 p2 p3 p5 (p4 ended on 26 Feb); week 1 p1 p3 p4 p5 (p2 began on
    # 3 Mar); back to week 5 (to 2 Feb) p1 p3 p4 p5 (begun 1 Feb); weeks 6 and 7 p4 alone.
    assert fig.live == (4, 4, 4, 4, 4, 4, 1, 1)
    assert (buddies.live[0], career.live[0]) == (3, 1)
    assert fig.met[:2] == (3, 2)  # week 0: p1 p2 p5; week 1: p1 p4
    assert (buddies.met[0], career.met[0]) == (2, 1)
    assert (fig.met_share(0), fig.met_share(1)) == (75, 50)
    assert fig.new[0] == 1  # p2
    assert fig.active == 4 and fig.stalled == 1  # p3 never met since 1 Feb
    assert (fig.asked[:2], fig.answered[:2]) == ((4, 3), (3, 2))
    assert (fig.response_rate(0), fig.response_rate(1)) == (75, 67)
    assert (fig.rating_count[0], fig.rating(0)) == (4, 4.0)  # 4 + 5 + 3 + 4
    assert (fig.rating_count[1], fig.rating(1)) == (1, 5.0)
    assert fig.milestones[0] == 1
    assert (fig.joined[0], fig.left[0]) == (1, 1)  # s2 joined, x1 left
    assert fig.concerns == 1  # one open, one resolved
    assert (buddies.participants, career.participants) == (9, 2)  # x1 left: not counted
    assert fig.met[2:] == (0, 0, 0, 0, 0, 0)


async def test_departments_are_counted_and_waiting_mentees_found(
    world: tuple[App, dict[str, int]],
) -> None:
    app, ids = world
    scope = [ids["buddies"], ids["career"]]
    async with app.sessions() as session:
        groups = await departments(session, programme_ids=scope, end=NOW)
    found = {g.name: (g.people, g.live, g.met, g.waiting) for g in groups}
    # Engineering: m1 m2 m3 e1 e2 e3 e4; its mentees' live pairs p1 p2, both met this week;
    # e3 (pair ended) and e4 (only proposed) wait. Sales: s1 s2 s3; s1 has p3, s2 waits.
    assert found == {
        "Engineering": (7, 2, 2, 2),
        "Sales": (3, 1, 0, 1),
        "Marketing": (1, 1, 1, 0),
    }
    assert [g.name for g in groups] == ["Engineering", "Sales", "Marketing"]


async def _compose(app: App, ids: dict[str, int], *, min_group: int = 5) -> Message:
    async with app.sessions() as session:
        message = await digest.compose(
            session,
            workspace_id=ids["workspace"],
            programme_id=None,
            timezone="Europe/London",
            now=NOW,
            min_group=min_group,
        )
    assert message is not None
    return message


def _everything(message: Message) -> str:
    parts = [message.text]
    if message.card is not None:
        parts.append(message.card.header)
        for section in message.card.sections:
            parts.append(section.text)
            parts += [f"{f.label}: {f.value}" for f in section.fields]
    return "\n".join(parts)


async def test_the_digest_says_it_in_words_with_small_groups_suppressed(
    world: tuple[App, dict[str, int]],
) -> None:
    app, ids = world
    message = await _compose(app, ids)
    said = _everything(message)

    assert "Active pairs: 4 (1 new this week)" in said
    assert "Pairs that met: 3 of 4: 75 % ▲ from 50 %" in said
    assert "Check-ins answered: 3 of 4: 75 % ▲ from 67 %" in said
    # Regression: an average of fewer ratings than a group may have is those people's.
    assert "Average session rating: fewer than 5 check-ins this week, so not shown" in said
    assert "Milestone check-ins: 1" in said
    assert "Joined / left: 1 / 1" in said
    assert "Pairs at risk: 1" in said
    assert "Open concerns: 1" in said
    assert "• Buddies: 3 active pairs, 2 met (67 %), 9 people" in said
    assert "• Career: fewer than 5 people" in said
    assert "• Engineering: 7 people, 2 of 2 pairs met, 2 mentees waiting" in said
    assert "• Sales, Marketing: fewer than 5 people each" in said
    assert "What to do: 3 mentees are waiting for a mentor" in said
    assert "“[name] and [name] showed me how budgets really work” — a mentee, Buddies" in said
    # Career has fewer than five people: its side and name would say who wrote the line
    assert "“Great to have someone to ask, [name]!” — a participant" in said
    # Never a participant's name, a private word or a concern's words.
    for private in (SECRET, "never shown", "Ana", "Eli", "Lee", "Ivy", "Kim", "Later"):
        assert private not in said, private
    [chart] = message.attachments
    assert chart.media_type == "image/png" and chart.data.startswith(b"\x89PNG")


async def test_the_small_group_threshold_is_configurable_but_never_below_three(
    world: tuple[App, dict[str, int]],
) -> None:
    app, ids = world
    three = _everything(await _compose(app, ids, min_group=3))
    assert "Average session rating: 4.0 / 5 (4 check-ins)" in three
    assert "• Sales: 3 people, 0 of 1 pairs met, 1 mentee waiting" in three
    assert "• Career: fewer than 3 people" in three
    assert "• Marketing: fewer than 3 people" in three
    assert _everything(await _compose(app, ids, min_group=1)) == three  # clamped to 3
    with pytest.raises(ConfigError, match="DIGEST_MIN_GROUP"):
        load_settings(digest_min_group=2)


def test_quotes_lose_every_name_of_their_pair() -> None:
    assert digest.anonymise("Ana Lopez and ana both helped", ["Ana Lopez", "Raj"]) == (
        "[name] and [name] both helped"
    )
    assert digest.anonymise("ask <@U123|raj> or raj@example.org", []) == "ask [name] or [name]"


async def test_a_coordinator_previews_the_next_digest_and_nobody_else_can(
    database_url: str,
) -> None:
    async with open_chat(database_url) as chat:
        await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
        early = await chat.say("maya", "digest preview")
        assert "nothing to report yet" in early
        await programme_with_pair(chat, key="career")
        await more_people(chat, "career")
        preview = await chat.say("maya", "digest preview career")
        assert preview.startswith("Preview, as executives would see it now:")
        assert "1 active pairs" in preview and "Ana" not in preview and "Ben" not in preview
        refused = await chat.say("ben", "digest preview")
        assert "Only coordinators" in refused


async def test_a_digest_the_terminal_shows_draws_no_chart_until_something_reads_it(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A terminal shows no picture, so the weekly digests it delivers draw none; the chart
    is drawn once, the first time something reads it (an upload, a file written)."""
    drawn: list[str] = []

    def counted(**series: Any) -> bytes:
        drawn.append("chart")
        return chart_png(**series)

    monkeypatch.setattr(digest, "chart_png", counted)
    await programme_with_pair(chat)
    await more_people(chat, "buddies")
    await chat.hello("helen")
    await chat.say("maya", "digest subscribe <@helen|Helen> buddies mon 08:00")
    for _ in range(3):
        await chat.wait(days=7)
    received = [m for m in chat.inbox("helen") if m.kind == "digest"]
    assert len(received) >= 2 and drawn == []

    [chart] = received[-1].attachments
    assert chart.media_type == "image/png" and chart.data.startswith(b"\x89PNG")
    assert chart.data == chart.data and drawn == ["chart"]
    # Stored or sent as JSON, the picture goes with it.
    again = Message.from_json(received[-1].to_json())
    assert again.attachments[0].data == chart.data and drawn == ["chart"]


def test_the_preview_command_prints_the_digest_and_writes_its_chart(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def setup() -> None:
        async with open_chat(database_url) as chat:
            await programme_with_pair(chat)
            await more_people(chat, "buddies")

    asyncio.run(setup())
    monkeypatch.setenv("DATABASE_URL", database_url)
    chart = tmp_path / "chart.png"

    assert main(["digest", "preview", "--program", "buddies", "--out", str(chart)]) == 0

    out = capsys.readouterr().out
    assert "Mentoring this week: New-hire buddy" in out and "Active pairs: 1" in out
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert main(["digest", "preview", "--program", "nothing-like-it"]) == 1
    assert digest.anonymise("Kim and Raj, in May", [], frozenset({"Kim"})) == (
        "[name] and Raj, in May"
    )


async def _finished_cohort(database_url: str, *, status: str, end_reason: str) -> Message:
    """Three Engineering mentees whose pairings ended for ``end_reason`` in a programme
    that is ``status`` now, and a fourth never paired; the digest an executive gets."""
    app = await build(load_settings(database_url=database_url), upgrade=False)
    try:
        async with app.sessions.begin() as s:
            space = Workspace(
                platform="console", external_id="acme", settings={}, created_at=at(1, 1)
            )
            s.add(space)
            await s.flush()
            cohort = Programme(
                workspace_id=space.id,
                key="cohort",
                name="Cohort",
                curriculum_key="new-hire-buddy",
                curriculum_version=1,
                cadence_days=7,
                status=status,
                created_at=at(1, 1),
            )
            people = [
                Person(
                    workspace_id=space.id,
                    platform_user_id=f"p{n}",
                    display_name=f"P{n}",
                    timezone="UTC",
                    created_at=at(1, 1),
                )
                for n in range(7)
            ]
            s.add_all([cohort, *people])
            await s.flush()
            for n, person in enumerate(people):
                s.add(
                    Enrolment(
                        programme_id=cohort.id,
                        person_id=person.id,
                        side="mentor" if n < 3 else "mentee",
                        department="Engineering",
                        created_at=at(1, 5),
                    )
                )
            for n in range(3):
                s.add(
                    Pair(
                        programme_id=cohort.id,
                        mentor_id=people[n].id,
                        mentee_id=people[n + 3].id,
                        status="ended",
                        end_reason=end_reason,
                        session_index=6,
                        created_at=at(1, 10),
                        started_at=at(1, 10),
                        ended_at=at(3, 2),
                    )
                )
        async with app.sessions() as session:
            message = await digest.compose(
                session,
                workspace_id=space.id,
                programme_id=None,
                timezone="Europe/London",
                now=NOW,
                min_group=3,
            )
        assert message is not None
        return message
    finally:
        await app.close()


async def test_mentees_whose_pairings_completed_are_not_waiting_for_a_mentor(
    database_url: str,
) -> None:
    said = _everything(
        await _finished_cohort(database_url, status="active", end_reason="completed")
    )
    assert "• Engineering: 7 people, 0 of 0 pairs met, 1 mentee waiting" in said, said
    assert "What to do: Nothing needs you this week." in said, said


async def test_nobody_waits_for_a_mentor_in_a_closed_programme(database_url: str) -> None:
    said = _everything(
        await _finished_cohort(database_url, status="closed", end_reason="programme closed")
    )
    assert "waiting" not in said, said
    assert "What to do: Nothing needs you this week." in said, said
