"""A pair's planned messages, rendered when they are sent from what is true then.

Each returns None when the message is no longer needed (the meeting was logged, the
question answered, the pair paused or ended), and the outbox row is skipped.
"""

from __future__ import annotations

from datetime import timedelta

from conversations import cards, codec
from conversations.durations import elapsed
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import schedule, tally
from conversations.kinds import Kind
from conversations.messages import Button, Card, Input, Message, Section
from conversations.registry import renders
from conversations.rendering import Job
from storage.models import MeetingOutcome, PairStatus, PauseReason, Prompt


def _active(job: Job) -> bool:
    return job.pair is not None and job.pair.status == PairStatus.ACTIVE


@renders(Kind.AGENDA)
async def agenda(job: Job) -> Message | None:
    curriculum = job.curriculum
    if not _active(job) or curriculum is None or job.pair is None:
        return None
    if job.pair.session_index != job.ref or job.ref >= len(curriculum.sessions):
        return None  # the pair has moved on since this was queued
    started = job.pair.session_started_at or job.now
    before = None if job.ref == 0 else await _outcome(job, job.ref - 1)
    return pair_cards.agenda(
        pair=job.pair,
        programme=job.pair.programme,
        curriculum=curriculum,
        previous_logged=job.ref == 0 or before is not MeetingOutcome.NOT_HEARD,
        due=started + timedelta(days=job.pair.programme.cadence_days),
    )


async def _outcome(job: Job, index: int) -> MeetingOutcome | None:
    assert job.pair is not None
    return await tally.outcome(job.session, pair_id=job.pair.id, index=index)


@renders(Kind.MEET_DUE)
async def session_due(job: Job) -> Message | None:
    """Did they meet? Only while the session is still open and waiting for an answer."""
    curriculum = job.curriculum
    pair = job.pair
    if not _active(job) or pair is None or curriculum is None:
        return None
    if pair.session_index != job.ref or pair.next_agenda_at is None:
        return None
    if await _outcome(job, job.ref) is not None:
        return None
    return pair_cards.session_due(
        pair=pair, programme=pair.programme, curriculum=curriculum, passes=pair.next_agenda_at
    )


@renders(Kind.CLOSING)
async def closing(job: Job) -> Message | None:
    curriculum = job.curriculum
    if job.pair is None or curriculum is None:
        return None
    return pair_cards.closing(pair=job.pair, programme=job.pair.programme, curriculum=curriculum)


@renders(Kind.MEET_NUDGE)
async def meet_nudge(job: Job) -> Message | None:
    curriculum = job.curriculum
    if not _active(job) or job.pair is None or curriculum is None:
        return None
    if job.pair.session_index != job.ref or job.pair.session_due_at is None:
        return None  # moved on, or the session fell due and "did you meet?" took over
    if await _outcome(job, job.ref) is not None:
        return None
    title = curriculum.sessions[job.ref].title
    return Message(
        text=f"{pair_cards.both(job.pair)}, a gentle check: have you two met for session "
        f"{job.ref + 1} ({title}) yet?",
        card=Card(
            header="Did you meet?",
            sections=(
                Section(
                    text=f"{pair_cards.both(job.pair)}, have you met for *session "
                    f"{job.ref + 1}: {title}* in {job.pair.programme.name} yet? No pressure; a "
                    "quick answer helps me send the right thing next."
                ),
            ),
            buttons=pair_cards.meeting_buttons(job.pair, job.ref, skip=True),
        ),
        kind=Kind.MEET_NUDGE,
    )


def pulse_form(job: Job, day: int) -> Message:
    assert job.pair is not None
    about = job.pair.programme.name
    if job.person is not None and job.pair.includes(job.person.id):
        about += f", with {job.pair.other(job.person.id).label}"
    milestone = next(
        (m for m in (job.curriculum.milestones if job.curriculum else ()) if m.day == day), None
    )
    title = milestone.title if milestone else f"Day {day}: how is it going?"
    questions = (
        list(milestone.questions) if milestone else ["Is this mentoring useful to you so far?"]
    )
    return Message(
        text=f"{about}: {title}. Reply to the form, it takes a minute.",
        card=Card(
            header=title,
            sections=(
                Section(text=f"*{about}*"),
                Section(text="\n".join(f"• {q}" for q in questions)),
            ),
            inputs=(
                cards.rating_input(
                    "How is your mentoring going?",
                    ("really well", "well", "okay", "not so well", "badly"),
                ),
                Input(
                    name="comment",
                    label="Anything to add? (private)",
                    kind="multiline",
                    hint="Only you can see this; the programme team sees counts only.",
                ),
            ),
            submit=Button(
                label="Send",
                action="pulse",
                value=codec.PulseAnswer(job.pair.id, day).encode(),
                style="primary",
            ),
        ),
        kind=Kind.PULSE,
    )


@renders(Kind.PULSE)
async def pulse(job: Job) -> Message | None:
    if job.pair is None or job.pair.status == PairStatus.ENDED:
        return None
    return pulse_form(job, job.ref)


@renders(Kind.REMINDER, grouped=lambda n: f"{n} forms are waiting for your answer")
async def reminder(job: Job) -> Message | None:
    prompt = await job.session.get(Prompt, job.ref)
    pair = job.pair
    if prompt is None or prompt.answered_at is not None or pair is None or not _active(job):
        return None
    if prompt.kind == Kind.PULSE:
        form = pulse_form(job, prompt.ref_index)
    else:
        curriculum = job.curriculum
        person = job.person
        if curriculum is None or person is None:
            return None
        form = pair_cards.checkin_form(
            pair=pair,
            person=person,
            curriculum=curriculum,
            session_index=prompt.ref_index,
            programme=pair.programme,
        )
    kind = Kind.PULSE_REMINDER if prompt.kind == Kind.PULSE else Kind.CHECKIN_REMINDER
    return form.model_copy(update={"text": "A gentle reminder: " + form.text, "kind": kind})


@renders(Kind.STALL, grouped=lambda n: f"{n} pairs may need a hand")
async def stall(job: Job) -> Message | None:
    pair = job.pair
    if not _active(job) or pair is None:
        return None
    last = pair.last_met_at or pair.started_at or pair.created_at
    quiet = job.now - last
    if quiet.days < schedule.setting(pair.programme, "stall_days", schedule.STALL_DAYS):
        return None
    since = (
        f"in the {elapsed(quiet)} since they started"
        if pair.last_met_at is None
        else f"for {elapsed(quiet)}"
    )
    text = (
        f"{pair.mentor.label} and {pair.mentee.label} in {pair.programme.name} haven't "
        f"logged a meeting {since}."
    )
    return Message(
        text=text,
        card=Card(
            header="A pair may need a hand",
            sections=(Section(text=text + " A friendly nudge is often all it takes."),),
            buttons=(
                Button(
                    label="Nudge both",
                    action="stall.nudge",
                    value=codec.Ref(pair.id).encode(),
                    style="primary",
                ),
                Button(
                    label="Pause the pair", action="stall.pause", value=codec.Ref(pair.id).encode()
                ),
                Button(
                    label="End the pair",
                    action="stall.end",
                    value=codec.Ref(pair.id).encode(),
                    style="danger",
                ),
            ),
        ),
        kind=Kind.STALL,
    )


@renders(Kind.INACTIVITY_NOTICE)
async def inactivity_notice(job: Job) -> Message | None:
    pair = job.pair
    if not _active(job) or pair is None or pair.auto_pause_at is None:
        return None
    when = cards.local_date(pair.auto_pause_at, pair.mentee.timezone)
    return Message(
        text=f"{pair_cards.both(pair)}: it's been a while since either of you logged a meeting "
        f"in {pair.programme.name}. I'll pause your pairing on {when} unless you'd like to "
        "keep going.",
        card=Card(
            header="Still meeting?",
            sections=(
                Section(
                    text=f"{pair_cards.both(pair)}, it's been a while since you logged a "
                    f"meeting in {pair.programme.name}. To keep things tidy I'll pause your "
                    f"pairing on {when}, with no fuss. Press *Keep going* or log a meeting if "
                    "you're still in touch."
                ),
            ),
            buttons=(
                Button(
                    label="Keep going",
                    action="inactivity.keep",
                    value=codec.Ref(pair.id).encode(),
                    style="primary",
                ),
                *pair_cards.meeting_buttons(pair, pair.session_index)[:1],
            ),
        ),
        kind=Kind.INACTIVITY_NOTICE,
    )


@renders(Kind.AUTO_PAUSED)
async def auto_paused(job: Job) -> Message | None:
    pair = job.pair
    if pair is None or pair.status != PairStatus.PAUSED or pair.paused_by != PauseReason.INACTIVITY:
        return None
    return Message(
        text=f"{pair_cards.both(pair)}: I've paused your pairing in {pair.programme.name} after "
        f"a long quiet spell. Either of you can pick it up again whenever you like: "
        f"{pair.mentor.label}, type resume @{pair.mentee.label}; {pair.mentee.label}, type "
        f"resume @{pair.mentor.label}.",
        kind=Kind.AUTO_PAUSED,
    )
