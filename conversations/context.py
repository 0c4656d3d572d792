"""Everything a handler needs for one inbound event, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import logcontext
from conversations.curriculum import Curriculum, Library
from conversations.errors import NotAllowed, UserError
from conversations.grammar import person_ref
from conversations.messages import Attachment, Message
from conversations.registry import Registry
from storage import repositories as repo
from storage.models import Pair, PairStatus, Person, Programme, Role, Workspace


@dataclass(frozen=True, slots=True)
class EngineSettings:
    default_timezone: str = "UTC"
    digest_min_group: int = 5
    """Digest breakdowns of fewer people than this say only "fewer than N" (never below 3)."""
    concern_escalation_minutes: int = 15
    """An urgent concern nobody has acknowledged goes to the next contact after this long."""
    retention_days: int = 180
    """Free text from check-ins and pulses is deleted this long after a programme closes."""


@dataclass(slots=True)
class Context:
    session: AsyncSession
    now: datetime
    library: Library
    settings: EngineSettings
    workspace: Workspace
    actor: Person
    roles: frozenset[str]
    registry: Registry
    """What the engine can do: ``help`` lists its verbs, refusals quote their usage."""
    attachments: tuple[Attachment, ...] = ()
    """Files sent with the command being handled (e.g. a CSV to import)."""

    async def audit(
        self,
        action: str,
        *,
        target: str = "",
        programme: Programme | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        people: Sequence[Person] = (),
    ) -> None:
        """Record what this person just did in the workspace's audit log. Anyone it is
        about is passed in ``people`` and named ``{0}``, ``{1}``… in ``target`` and the
        changes, never by their name (see ``repo.audit``)."""
        await repo.audit(
            self.session,
            workspace_id=self.workspace.id,
            actor_id=self.actor.id,
            programme_id=programme.id if programme else None,
            action=action,
            target=target,
            at=self.now,
            before=before,
            after=after,
            people=people,
        )

    @property
    def is_coordinator(self) -> bool:
        return Role.COORDINATOR in self.roles

    async def programme(self, key: str) -> Programme:
        """The workspace's programme called ``key``; another workspace's is never found."""
        found = await repo.programme_by_key(
            self.session, workspace_id=self.workspace.id, key=key.lower()
        )
        if found is not None:
            logcontext.bind(programme=found.key)
        if found is None:
            known = [
                p.key for p in await repo.programmes(self.session, workspace_id=self.workspace.id)
            ]
            hint = (
                f" Programmes here: {', '.join(known)}."
                if known
                else (" There are no programmes here yet.")
            )
            raise UserError(f"I can't find a programme called '{key}'.{hint}")
        return found

    def curriculum(self, programme: Programme) -> Curriculum:
        curriculum = self.library.get(programme.curriculum_key)
        if curriculum is None:
            raise UserError(
                f"The curriculum '{programme.curriculum_key}' behind {programme.name} is no "
                "longer installed. Ask the person who runs the bot to restore it."
            )
        return curriculum

    async def live_pair(
        self, mentor_word: str, mentee_word: str, programme_word: str
    ) -> tuple[Person, Person, Programme, Pair]:
        """The running (or paused) pair a coordinator names as ``@mentor @mentee <program>``."""
        mentor = await self.person(mentor_word)
        mentee = await self.person(mentee_word)
        programme = await self.programme(programme_word)
        pair = await self.session.scalar(
            select(Pair).where(
                Pair.programme_id == programme.id,
                Pair.mentor_id == mentor.id,
                Pair.mentee_id == mentee.id,
                Pair.status.in_((PairStatus.ACTIVE, PairStatus.PAUSED)),
            )
        )
        if pair is None:
            raise UserError(f"{mentor.label} isn't mentoring {mentee.label} in {programme.name}.")
        if self.actor.id in (mentor.id, mentee.id):
            # Nobody acts on a pair they are in: the programme team's decisions about it
            # (resuming what a concern paused, ending it) are someone else's to make.
            raise NotAllowed("You're in this pairing, so another coordinator needs to do that.")
        return mentor, mentee, programme, pair

    async def person(self, word: str) -> Person:
        """Resolve a person reference, creating a person the platform vouched for."""
        ref = person_ref(word)
        if ref is None:
            shown = word if len(word) <= 60 else word[:60] + "…"
            raise UserError(f"'{shown}' doesn't look like a person. Mention them with @.")
        found = await repo.person_by_platform_id(
            self.session, workspace_id=self.workspace.id, platform_user_id=ref.user_id
        )
        if found is not None and found.forgotten_at is not None:
            raise UserError(f"'{word}' asked to be forgotten; there is nobody by that name now.")
        if found is not None:
            if ref.display_name and not found.display_name:
                found.display_name = ref.display_name
            return found
        if ref.verified:
            person = Person(
                workspace_id=self.workspace.id,
                platform_user_id=ref.user_id,
                display_name=ref.display_name or "",
                timezone=self.settings.default_timezone,
                created_at=self.now,
            )
            self.session.add(person)
            await self.session.flush()
            return person
        if ref.email is not None:
            by_email = await repo.people_by_email(
                self.session, workspace_id=self.workspace.id, email=ref.email
            )
            if len(by_email) == 1:
                return by_email[0]
            raise UserError(
                f"I don't know anyone with the address {ref.email} here. Mention them with @, "
                "or enrol or import them by email first."
            )
        # A word that is nobody's id is never looked up as a display name: anyone can call
        # themselves anything, and a pairing must not go to whoever chose the name typed.
        raise UserError(
            f"I don't know anyone called '{ref.user_id}' here yet. Mention them with @ so "
            "the platform links the right person (or give the email address they were "
            "imported with), or ask them to say hello to me first."
        )


Reply = list[Message]
