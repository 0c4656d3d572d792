"""A programme's code of conduct, and each participant's acceptance of it.

Every programme has one: the coordinator's own text (``program conduct``) or,
until they write one, its curriculum's ``code_of_conduct``. Nobody is matched
until they have accepted the version in force (``matching.eligibility``), so the
acceptance is recorded on the enrolment with its time and version; replacing
the code raises the version, which asks everyone again, while pairs already
running carry on. The "I agree" button carries the version it showed, so
pressing an old card can never accept a code the person has not read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import codec
from conversations.cards import local_date
from conversations.curriculum import Curriculum
from conversations.features.conduct.holds import not_agreed
from conversations.features.matching.eligibility import conduct_accepted
from conversations.kinds import Kind
from conversations.messages import Button, Card, Message, Section
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import Enrolment, EnrolmentStatus, Person, Programme

ACCEPT = "conduct.accept"
"""The action of the "I agree" button; its value is ``<enrolment id>:<version>``."""
KIND = Kind.CONDUCT

Why = Literal["joined", "enrolled", "changed", "reminder", "read"]

_ASK = {
    "joined": "Before you're matched in *{name}*, please read how everyone taking part has "
    "agreed to work together, and press *I agree*.",
    "enrolled": "You've been enrolled in *{name}*. Before you're matched, please read how "
    "everyone taking part has agreed to work together, and press *I agree*.",
    "changed": "The code of conduct for *{name}* has changed. Please read the new version and "
    "press *I agree*: until you do, you won't be matched with anyone new. A pairing you "
    "already have carries on.",
    "reminder": "Your coordinator would like to pair you in *{name}*. First, please read the "
    "code of conduct and press *I agree*.",
    "read": "This is how everyone taking part in *{name}* has agreed to work together. "
    "Press *I agree* to accept it; you'll be matched only once you have.",
}


def text_of(programme: Programme, curriculum: Curriculum) -> str:
    """The code in force: the coordinator's own, else the curriculum's."""
    return programme.conduct.strip() or curriculum.code_of_conduct


def is_placeholder(person: Person) -> bool:
    """Someone imported by email who has never spoken to the bot: no chat to send to yet."""
    return person.platform_user_id.startswith(repo.PLACEHOLDER_PREFIX)


def _plain(text: str) -> str:
    return text.replace("*", "")


def card(
    *,
    programme: Programme,
    code: str,
    why: Why,
    enrolment: Enrolment | None,
    reader: Person,
) -> Message:
    """The code, and an "I agree" button when this reader still has to accept it.

    ``enrolment`` is the reader's (None when they aren't in the programme: they can
    read the code before joining, but there is nothing for them to accept yet).
    """
    footer = (
        f"Version {programme.conduct_version}. Read it again any time: conduct {programme.key}."
    )
    buttons: tuple[Button, ...] = ()
    if enrolment is None:
        ask = (
            f"This is how everyone taking part in *{programme.name}* agrees to work together. "
            f"If you join, I'll ask you to accept it."
        )
    elif conduct_accepted(programme, enrolment) and enrolment.consented_at is not None:
        ask = (
            f"You accepted the code of conduct for *{programme.name}* on "
            f"{local_date(enrolment.consented_at, reader.timezone)}. Thank you."
        )
    else:
        ask = _ASK[why].format(name=programme.name)
        footer += f" You can also type conduct {programme.key} agree."
        buttons = (
            Button(
                label="I agree",
                action=ACCEPT,
                value=codec.ConductAnswer(enrolment.id, programme.conduct_version).encode(),
                style="primary",
            ),
        )
    return Message(
        text=f"{_plain(ask)}\n\n{code}\n\n{footer}",
        card=Card(
            header=f"Code of conduct: {programme.name}",
            sections=(Section(text=ask), Section(text=code), Section(text=footer)),
            buttons=buttons,
        ),
        kind=KIND,
    )


async def live_enrolments(
    session: AsyncSession, *, programme_id: int, person_id: int | None = None
) -> list[Enrolment]:
    """Enrolments in the programme that have not left (active or paused), oldest first."""
    query = select(Enrolment).where(
        Enrolment.programme_id == programme_id, Enrolment.status != EnrolmentStatus.LEFT
    )
    if person_id is not None:
        query = query.where(Enrolment.person_id == person_id)
    rows = await session.scalars(query.order_by(Enrolment.id))
    return list(rows.unique())


async def send(
    session: AsyncSession,
    *,
    programme: Programme,
    curriculum: Curriculum,
    person: Person,
    enrolment: Enrolment,
    why: Why,
    now: datetime,
    again: bool = False,
) -> bool:
    """Send someone the code with its button, once per version (``again``: once more).

    Returns whether it was queued: someone imported by email alone is skipped until
    they first message the bot, when ``status`` and ``conduct`` show it to them.
    """
    if is_placeholder(person):
        return False
    key = f"conduct:{programme.id}:{person.id}:v{programme.conduct_version}"
    if again:
        key += f":again:{now.strftime('%Y%m%dT%H%M%S')}"
    message = card(
        programme=programme,
        code=text_of(programme, curriculum),
        why=why,
        enrolment=enrolment,
        reader=person,
    )
    return await Outbox(session, now).to_person(
        person, message, key=key, holds=(not_agreed(person, programme),)
    )


async def accept(
    session: AsyncSession, *, programme: Programme, person: Person, now: datetime
) -> list[Enrolment]:
    """Record that this person accepts the code in force, on each of their enrolments."""
    enrolments = await live_enrolments(session, programme_id=programme.id, person_id=person.id)
    for enrolment in enrolments:
        enrolment.consented_at = now
        enrolment.consent_version = programme.conduct_version
    return enrolments


async def replace(
    session: AsyncSession,
    *,
    programme: Programme,
    curriculum: Curriculum,
    text: str,
    now: datetime,
) -> int:
    """Put a new code in force and ask everyone still enrolled to accept it.

    Raising the version is what makes earlier acceptances stop counting. Returns how
    many people were sent the new code.
    """
    programme.conduct = text
    programme.conduct_version += 1
    sent = 0
    seen: set[int] = set()
    for enrolment in await live_enrolments(session, programme_id=programme.id):
        if enrolment.person_id in seen:
            continue
        seen.add(enrolment.person_id)
        sent += await send(
            session,
            programme=programme,
            curriculum=curriculum,
            person=enrolment.person,
            enrolment=enrolment,
            why="changed",
            now=now,
        )
    return sent


async def not_accepted(session: AsyncSession, *, programme: Programme) -> tuple[int, int]:
    """(people who haven't accepted the code in force, people enrolled), leavers aside."""
    enrolments = await live_enrolments(session, programme_id=programme.id)
    people: dict[int, bool] = {}
    for enrolment in enrolments:
        people[enrolment.person_id] = people.get(enrolment.person_id, True) and conduct_accepted(
            programme, enrolment
        )
    return sum(1 for ok in people.values() if not ok), len(people)
