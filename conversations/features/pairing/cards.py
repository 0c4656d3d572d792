"""A pair's cards: the introduction, each session's agenda, the check-in form, the closing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from conversations import cards, codec
from conversations.curriculum import Curriculum, Session
from conversations.durations import describe_days
from conversations.features.concerns import cards as concern_cards
from conversations.kinds import Kind
from conversations.messages import Button, Card, Input, Message, Section
from storage.models import Enrolment, MeetingOutcome, Pair, Person, Programme

MEETING_BUTTONS: tuple[tuple[str, MeetingOutcome, Literal["primary"] | None], ...] = (
    ("We met", MeetingOutcome.MET, "primary"),
    ("Not yet", MeetingOutcome.NOT_YET, None),
    ("Rescheduled", MeetingOutcome.RESCHEDULED, None),
)
SKIP_BUTTON = ("We skipped it", MeetingOutcome.SKIPPED, None)
"""Offered when we ask whether they met, not on every agenda: skipping is an answer."""


def both(pair: Pair) -> str:
    """A pair message's greeting, so someone in several pairs sees which one it is about."""
    return f"{pair.mentor.label} and {pair.mentee.label}"


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def meeting_buttons(
    pair: Pair, session_index: int, *, skip: bool = False, late: int | None = None
) -> tuple[Button, ...]:
    """The buttons of a pair message about a session: the answers to "did you meet?" (with
    "We skipped it" when ``skip``, and "We met for session N" for a session ``late`` that
    passed unheard), then "Report a concern", so every message a pair shares offers a
    private way out."""
    answers = tuple(
        Button(
            label=label,
            action="meeting.log",
            value=codec.MeetingAnswer(pair.id, session_index, outcome).encode(),
            style=style,
        )
        for label, outcome, style in (*MEETING_BUTTONS, *((SKIP_BUTTON,) if skip else ()))
    )
    if late is not None:
        answers += (late_meeting_button(pair, late),)
    return (*answers, concern_cards.pair_report_button(pair))


def late_meeting_button(pair: Pair, session_index: int) -> Button:
    """ "We met for session N": a meeting logged after its session passed unheard counts
    for that session, not for the one the pair is on now."""
    return Button(
        label=f"We met for session {session_index + 1}",
        action="meeting.log",
        value=codec.MeetingAnswer(pair.id, session_index, MeetingOutcome.MET).encode(),
    )


def session_due(
    *, pair: Pair, programme: Programme, curriculum: Curriculum, passes: datetime
) -> Message:
    """The session fell due with nothing logged: did they meet? It stays open until
    ``passes``; the answer counts for this session whenever it comes."""
    index = pair.session_index
    title = curriculum.sessions[index].title
    until = cards.local_date(passes, pair.mentee.timezone)
    return Message(
        text=f"{both(pair)}: {programme.name}, session {index + 1} ({title}) was due about "
        "now. Did you two meet?",
        card=Card(
            header="Did you meet?",
            sections=(
                Section(
                    text=f"{both(pair)}, *session {index + 1}: {title}* was due about now. "
                    "Did you meet? "
                    "If you decided to skip this one, say so and I'll send the next agenda. "
                    f"The session stays open until {until}; if I haven't heard by then, "
                    "I'll move you on to the next one, no harm done."
                ),
            ),
            buttons=meeting_buttons(pair, index, skip=True),
        ),
        kind=Kind.MEET_DUE,
    )


def session_sections(session: Session, *, number: int, total: int) -> tuple[Section, ...]:
    sections = [Section(text=f"*Session {number} of {total}: {session.title}*\n{session.goal}")]
    if session.preparation:
        sections.append(Section(text=f"*Before you meet:* {session.preparation}"))
    sections.append(Section(text="*To talk about:*\n" + _bullets(session.prompts)))
    return tuple(sections)


def _profile_line(person: Person, enrolment: Enrolment | None, side: str) -> str:
    details = [side]
    if enrolment is not None:
        details += [d for d in (enrolment.title, enrolment.department) if d]
    return f"*{person.label}* ({', '.join(details)})"


def introduction(
    *,
    pair: Pair,
    programme: Programme,
    curriculum: Curriculum,
    mentor_profile: Enrolment | None,
    mentee_profile: Enrolment | None,
) -> Message:
    first = curriculum.sessions[0]
    total = len(curriculum.sessions)
    who = (
        f"{_profile_line(pair.mentor, mentor_profile, 'mentor')} and "
        f"{_profile_line(pair.mentee, mentee_profile, 'mentee')}"
    )
    how = (
        f"About {describe_days(programme.cadence_days)} I'll bring you an agenda with a few "
        f"prompts, then ask whether you met and how it went. Check-ins are private: your "
        f"partner and the programme team never see what you write in a reflection."
    )
    sections = (
        Section(text=f"Welcome to *{programme.name}*. {who}, meet each other."),
        Section(text=f"*Why you were paired:* {pair.reason}"),
        Section(text=f"{curriculum.introduction}\n{how}"),
        *session_sections(first, number=1, total=total),
        Section(
            text=f"{pair.mentor.label}, could you suggest a time for a first conversation "
            "this week? Half an hour is plenty. Press a button below once you have met."
        ),
    )
    return Message(
        text=f"{pair.mentor.label} and {pair.mentee.label}: you are paired in {programme.name}. "
        f"Why: {pair.reason} First session: {first.title}.",
        card=Card(
            header="Meet your mentoring partner",
            sections=sections,
            buttons=meeting_buttons(pair, 0),
        ),
        kind=Kind.INTRODUCTION,
    )


def agenda(
    *,
    pair: Pair,
    programme: Programme,
    curriculum: Curriculum,
    previous_logged: bool,
    due: datetime,
) -> Message:
    """The current session's agenda. ``previous_logged`` is False when the session before
    passed unheard: the card says so and offers to log it late, for that session."""
    index = pair.session_index
    session = curriculum.sessions[index]
    total = len(curriculum.sessions)
    lead = f"{both(pair)}, here is the agenda for your next conversation"
    late = None
    if not previous_logged and index > 0:
        lead = (
            f"{both(pair)}, I didn't hear whether you met for session {index}; that's fine, "
            f"life happens. If you did, press 'We met for session {index}'. Here is the next one"
        )
        late = index - 1
    when = cards.local_date(due, pair.mentee.timezone)
    sections = (
        Section(text=f"{lead}, ideally before {when}."),
        *session_sections(session, number=index + 1, total=total),
    )
    return Message(
        text=f"{both(pair)}: {programme.name}, session {index + 1} of {total}, {session.title}.",
        card=Card(
            header="Your next session",
            sections=sections,
            buttons=meeting_buttons(pair, index, late=late),
        ),
        kind=Kind.AGENDA,
    )


def checkin_form(
    *, pair: Pair, person: Person, curriculum: Curriculum, session_index: int, programme: Programme
) -> Message:
    session = curriculum.sessions[session_index]
    questions = session.checkin or ["What was most useful?"]
    return Message(
        text=f"How did session {session_index + 1} ({session.title}) with "
        f'{pair.other(person.id).label} go? Reply with checkin <1-5> "optional note".',
        card=Card(
            header=f"How did session {session_index + 1} go?",
            sections=(
                Section(
                    text=f"{programme.name}, with {pair.other(person.id).label}: *{session.title}*"
                ),
                Section(text="Something to think about:\n" + _bullets(questions)),
            ),
            inputs=(
                cards.rating_input(
                    "How useful was it?",
                    ("very useful", "useful", "okay", "not very useful", "not useful"),
                ),
                Input(
                    name="reflection",
                    label="A private note to yourself (optional)",
                    kind="multiline",
                    hint="Only you can ever see this. Not your partner, not the programme team.",
                ),
                Input(
                    name="quote",
                    label="A line we may share without your name (optional)",
                    kind="text",
                    hint="If you like, a sentence about what this mentoring gives you. It may "
                    "appear, anonymised, in the weekly update to the programme's sponsors. "
                    "Leave it empty to share nothing.",
                ),
            ),
            submit=Button(
                label="Send check-in",
                action="checkin",
                value=codec.SessionRef(pair.id, session_index).encode(),
                style="primary",
            ),
        ),
        kind=Kind.CHECKIN,
    )


def closing(*, pair: Pair, programme: Programme, curriculum: Curriculum) -> Message:
    end = curriculum.closing
    return Message(
        text=f"{both(pair)}: you've completed {programme.name} together. {end.title}.",
        card=Card(
            header=end.title,
            sections=(
                Section(
                    text=f"{pair.mentor.label} and {pair.mentee.label}, you've reached the "
                    f"end of *{programme.name}*. Thank you for the time you gave each other."
                ),
                Section(text="*For a last conversation:*\n" + _bullets(end.prompts)),
                Section(text="You're welcome to keep meeting; the structure just steps back now."),
            ),
            buttons=(concern_cards.pair_report_button(pair),),
        ),
        kind=Kind.CLOSING,
    )
