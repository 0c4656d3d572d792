"""The engine: one neutral event in, replies out, messages to others queued.

Each event is handled in one database transaction. A refusal (``UserError``)
rolls it back, so bad input changes nothing, and becomes a friendly reply; an
unexpected failure is logged with context and the person gets an apology,
never a stack trace.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations import codec, inbound, logcontext, planner, removal
from conversations.clock import Clock
from conversations.context import Context, EngineSettings
from conversations.curriculum import Library
from conversations.delivery import Delivery
from conversations.errors import Choose, NotAllowed, UserError
from conversations.events import (
    Actor,
    ButtonPressed,
    CommandSent,
    Event,
    FormSubmitted,
    PersonJoined,
)
from conversations.grammar import BrokenQuotes, loose_words, prose, split_words
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.messages import Card, Message, Section
from conversations.outbox import Outbox, acting
from conversations.profiles import valid_timezone
from conversations.registry import FreeText, Registry
from storage import repositories as repo
from storage.models import Person, Role, RoleGrant, Workspace
from storage.outage import database_unreachable, reason

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side and nothing was changed. Please try again in "
    "a moment; if it keeps happening, tell your coordinator."
)


@dataclass(slots=True)
class Engine:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    library: Library
    settings: EngineSettings = field(default_factory=EngineSettings)
    registry: Registry = field(default_factory=Registry.discover)
    """Every verb, action, form, renderer, timed job and personal-data hook."""
    _established: set[tuple[str, str]] = field(default_factory=set)
    """Workspaces this process has seen stored (so first contact is looked for once)."""

    async def handle(self, event: Event) -> list[Message]:
        """Handle one event; always returns something to say to the person."""
        with logcontext.about(platform=event.actor.platform, workspace=event.actor.workspace):
            return await self._handle(event)

    async def _handle(self, event: Event) -> list[Message]:
        event = inbound.event(event)
        for attempt in (1, 2):
            try:
                await self.first_contact(event.actor)
                async with self.sessions.begin() as session:
                    ctx = await self._context(session, event.actor)
                    with acting(ctx.actor.id):
                        return await self._dispatch(ctx, event)
            except UserError as refusal:
                return [_refusal(refusal)]
            except IntegrityError:
                # Two first events from one workspace raced to create it; the retry sees it.
                if attempt == 2:
                    log.exception("integrity error handling %s", type(event).__name__)
            except Exception as exc:
                if database_unreachable(exc):
                    log.warning(
                        "could not handle %s, the database is unreachable: %s",
                        type(event).__name__,
                        reason(exc),
                    )
                    break
                log.exception(
                    "failed handling %s from %s/%s",
                    type(event).__name__,
                    event.actor.platform,
                    event.actor.workspace,
                )
                break
        return [Message(text=SORRY, kind=Kind.ERROR)]

    async def form(self, *, actor: Actor, action: str, value: str) -> Message | None:
        """The form a submit action belongs to, rebuilt for this person (None if unknown).

        Platforms that cannot put inputs in a message (Slack) show a button that opens
        the form separately; this recreates it from the action and value alone.
        """
        builder = self.registry.forms.get(action)
        if builder is None:
            return None
        try:
            await self.first_contact(actor)
            async with self.sessions() as session:
                ctx = await self._context(session, inbound.actor(actor))
                return await builder(ctx, inbound.text(value))
        except UserError as refusal:
            return _refusal(refusal)

    async def home(self, actor: Actor) -> list[Message]:
        """A person's home screen: where they are, the agenda with its buttons, their
        programmes, a private way to report a concern; for coordinators, every programme's
        health too. Changes nothing (but the first contact of a new workspace)."""
        try:
            await self.first_contact(actor)
            async with self.sessions() as session:
                ctx = await self._context(session, inbound.actor(actor))
                shown: list[Message] = []
                for _order, section in self.registry.home:
                    shown += await section(ctx)
                return shown
        except UserError as refusal:
            return [_refusal(refusal)]

    async def first_contact(self, actor: Actor) -> None:
        """Store a workspace the first time anyone there reaches the bot (or installs it),
        with that person as its first coordinator, in a transaction of its own: whatever
        their first command turns out to be, even one that is refused, they stay the
        coordinator, and the next person to speak does not become one too. Looked for once
        per workspace per process."""
        actor = inbound.actor(actor)
        key = (actor.platform, actor.workspace)
        if key in self._established:
            return
        try:
            async with self.sessions.begin() as session:
                await self._context(session, actor)
        except UserError:
            return  # not someone we can tell apart: the event itself is refused as such
        except IntegrityError:
            pass  # another process stored it at the same moment; theirs stands
        self._established.add(key)

    async def delivery_failed(self, delivery: Delivery, reason: str) -> None:
        """A message could not be delivered for good: act on what the platform said.

        Someone the platform says is gone (``unreachable:``) is marked unreachable and
        their pairs pause, so nobody waits on them; coordinators are told either way.
        """
        if delivery.message.kind == Kind.DELIVERY_PROBLEM:
            return  # a notice about a failure that itself failed: no cascade
        async with self.sessions.begin() as session:
            now = self.clock.now()
            outbox = Outbox(session, now)
            person = await session.get(Person, delivery.person.id) if delivery.person else None
            if reason.startswith("unreachable:") and person is not None:
                person.reachable = False
                for unreachable in self.registry.unreachable:
                    await unreachable(session, person, now)
                text = (
                    f"I can't reach {person.label} on {delivery.workspace.platform} any "
                    "more (their account may be deactivated), so I've paused their pairs. "
                    f"Details: {reason}"
                )
            else:
                text = (
                    f"A message ({Kind(delivery.message.kind).words}) could not be delivered: "
                    f"{reason}. "
                    "Type outbox to see it and retry once it's fixed."
                )
            await outbox.to_coordinators(
                delivery.workspace.id,
                Message(text=text, kind=Kind.DELIVERY_PROBLEM),
                key=f"failed:{delivery.outbox_id}",
                holds=ALWAYS,  # it reports a failure that happened
                about=person,
            )

    async def removed_by(self, actor: Actor) -> bool:
        """``actor`` removed the bot from their own chat with it (Teams' personal scope):
        nothing more can reach them, so, as when the platform says they are gone, they are
        marked unreachable, their pairs pause so no partner waits on them, and coordinators
        are told. Adding the bot again makes them reachable (the adapter's store does that
        when it next hears from them). Returns whether anything changed."""
        actor = inbound.actor(actor)
        async with self.sessions.begin() as session:
            workspace = await repo.workspace_by_external(
                session, platform=actor.platform, external_id=actor.workspace
            )
            person = (
                await repo.person_by_platform_id(
                    session, workspace_id=workspace.id, platform_user_id=actor.user_id
                )
                if workspace is not None
                else None
            )
            if workspace is None or person is None or not person.reachable:
                return False
            now = self.clock.now()
            person.reachable = False
            for unreachable in self.registry.unreachable:
                await unreachable(session, person, now)
            await Outbox(session, now).to_coordinators(
                workspace.id,
                Message(
                    text=f"{person.label} removed me from their chat on "
                    f"{actor.platform.capitalize()}, so I can't reach them and I've paused "
                    "their pairs. Nothing more goes to them until they add me again.",
                    kind=Kind.DELIVERY_PROBLEM,
                ),
                key=f"removed:{person.id}:{now.isoformat()}",
                holds=ALWAYS,  # it reports something that happened
                about=person,
            )
            return True

    async def tick(self) -> int:
        """Queue what has become due, expire unanswered mentor requests, pass unacknowledged
        urgent concerns on, and purge free text past retention (and the ids kept to spot a
        platform's retries, once none can come). Returns a count."""
        async with self.sessions.begin() as session:
            now = self.clock.now()
            queued = await planner.plan(
                session,
                registry=self.registry,
                library=self.library,
                now=now,
                settings=self.settings,
            )
            await repo.forget_retry_ids(session, now=now)
            return queued.total

    async def _context(self, session: AsyncSession, actor: Actor) -> Context:
        if not inbound.identifiable(actor):
            raise UserError(
                "I couldn't tell who sent that, so I've done nothing. Please try again "
                "from your chat app."
            )
        now = self.clock.now()
        workspace = await repo.workspace_by_external(
            session, platform=actor.platform, external_id=actor.workspace
        )
        new_workspace = workspace is None
        if workspace is not None and workspace.removed_at is not None:
            # The platform only lets someone reach the bot where it is installed: it is back.
            removal.restored(workspace)
        if workspace is None:
            workspace = Workspace(
                platform=actor.platform, external_id=actor.workspace, settings={}, created_at=now
            )
            session.add(workspace)
            await session.flush()
        person = await repo.person_by_platform_id(
            session, workspace_id=workspace.id, platform_user_id=actor.user_id
        )
        if person is None and actor.email:
            # Someone imported by email before they ever spoke to the bot: adopt that record.
            person = await repo.placeholder_by_email(
                session, workspace_id=workspace.id, email=actor.email
            )
            if person is not None:
                person.platform_user_id = actor.user_id
        timezone = self._timezone(actor.timezone)
        if person is None:
            person = Person(
                workspace_id=workspace.id,
                platform_user_id=actor.user_id,
                display_name=actor.display_name,
                email=actor.email,
                timezone=timezone or self.settings.default_timezone,
                locale=actor.locale,
                created_at=now,
            )
            session.add(person)
            await session.flush()
        else:
            # Set only what changed: an untouched person is not dirty, so the queries that
            # follow skip autoflush's work, which would otherwise be most of a status's cost.
            known = {
                "display_name": actor.display_name,
                "email": actor.email,
                "locale": actor.locale,
                "timezone": timezone,
            }
            for name, value in known.items():
                if value and getattr(person, name) != value:
                    setattr(person, name, value)
        if new_workspace:
            # Bootstrap: whoever sets the bot up in a workspace coordinates it first.
            session.add(
                RoleGrant(
                    workspace_id=workspace.id,
                    person_id=person.id,
                    role=Role.COORDINATOR,
                    granted_at=now,
                )
            )
            await repo.audit(
                session,
                workspace_id=workspace.id,
                actor_id=person.id,
                action="role.bootstrap",
                target="{0}",
                people=(person,),
                at=now,
                after={"role": "coordinator"},
            )
            await session.flush()
        roles = await repo.roles_of(session, person)
        return Context(
            session=session,
            now=now,
            library=self.library,
            settings=self.settings,
            workspace=workspace,
            actor=person,
            roles=roles,
            registry=self.registry,
        )

    @staticmethod
    def _timezone(name: str | None) -> str | None:
        if not name:
            return None
        try:
            return valid_timezone(name)
        except UserError:
            return None

    async def _dispatch(self, ctx: Context, event: Event) -> list[Message]:
        if isinstance(event, CommandSent):
            ctx.attachments = event.attachments
            return await self._command(ctx, event.text, direct=event.direct)
        if isinstance(event, ButtonPressed) and event.action == codec.COMMAND:
            # A "run this command" button: the value is typed for its presser, with their
            # permissions, so a forged one does nothing they could not type.
            return await self._command(ctx, event.value, direct=False)
        if isinstance(event, ButtonPressed | FormSubmitted):
            values = event.values if isinstance(event, FormSubmitted) else {}
            action = self.registry.actions.get(event.action)
            if action is None:
                raise codec.OutOfDate
            return await action(ctx, event.value, values)
        if isinstance(event, PersonJoined):
            return await self._greet(ctx)
        raise UserError("I didn't understand that.")

    async def _command(self, ctx: Context, text: str, *, direct: bool) -> list[Message]:
        try:
            words = split_words(text)
        except BrokenQuotes:
            loose = loose_words(text)
            verb, _ = self.registry.find(loose)
            if verb is not None:
                raise UserError(
                    f"That's not quite how {verb.name} works: words that belong together go "
                    'between a pair of double quotes, one at each end, like "a good talk".',
                    usage=verb.usage,
                ) from None
            return await self._free_text(ctx, text, loose, direct=direct)
        if not words:
            return [self._overview(ctx)]
        verb, rest = self.registry.find(words)
        if verb is None:
            if len(words) == 1:
                self._which_one(words[0])
            return await self._free_text(ctx, text, words, direct=direct)
        if verb.role is not None and verb.role not in ctx.roles:
            who = await repo.people_with_role(
                ctx.session, workspace_id=ctx.workspace.id, role=verb.role
            )
            ask = f" Ask {repo.names(who)} if you need it done." if who else ""
            raise NotAllowed(f"Only {verb.role}s can use {verb.name}.{ask}")
        return await verb.handler(ctx, verb.signature.parse(rest))

    async def _free_text(
        self, ctx: Context, text: str, words: list[str], *, direct: bool
    ) -> list[Message]:
        """Words that name no command: the feature that declares ``@free_text`` answers
        them (a reply to a question, a greeting); otherwise, or when it passes, they are
        refused as an unknown command."""
        if self.registry.conversation is not None:
            said = FreeText(text=prose(text), words=tuple(words), direct=direct)
            reply = await self.registry.conversation(ctx, said)
            if reply is not None:
                return reply
        if not words:
            return [self._overview(ctx)]
        self._which_one(words[0])
        raise _unknown(words[0], self.registry)

    def _which_one(self, word: str) -> None:
        """``program`` alone: the two-word commands it starts."""
        family = [v.usage for v in self.registry.family(word)]
        if family:
            raise UserError("Which one? " + "; ".join(family))

    def _overview(self, ctx: Context) -> Message:
        if self.registry.overview is not None:
            return self.registry.overview(ctx)
        return Message(text="Type help to see what I can do.", kind=Kind.HELP)

    async def _greet(self, ctx: Context) -> list[Message]:
        if ctx.actor.greeted_at is not None:
            return []
        ctx.actor.greeted_at = ctx.now
        known = await repo.programmes(ctx.session, workspace_id=ctx.workspace.id)
        open_ = [p.key for p in known if p.status in repo.RUNNING_PROGRAMMES]
        offer = (
            f" Programmes open now: {', '.join(open_)}; type join <program> to take part."
            if open_
            else " When a programme opens, I'll be the one to walk you through it."
        )
        lead = (
            " You're a coordinator here, so you can create and run programmes; help shows how."
            if Role.COORDINATOR in ctx.roles
            else ""
        )
        return [
            Message(
                text=f"Hello {ctx.actor.label}, I'm the mentoring bot. I pair mentors "
                f"and mentees and guide each pair through a structured programme.{offer}"
                f"{lead} Type help any time.",
                kind=Kind.WELCOME,
            )
        ]


def _refusal(error: UserError) -> Message:
    text = error.message
    if error.usage:
        text += f"\nUsage: {error.usage}"
    if isinstance(error, Choose) and error.buttons:
        return Message(
            text=text,
            card=Card(sections=(Section(text=text),), buttons=error.buttons),
            kind=Kind.WHICH,
        )
    return Message(
        text=text, kind=Kind.NOT_ALLOWED if isinstance(error, NotAllowed) else Kind.ERROR
    )


def _unknown(word: str, registry: Registry) -> UserError:
    names = sorted({name.split()[0] for name in registry.verbs})
    close = difflib.get_close_matches(word.lower(), names, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    shown = word if len(word) <= 40 else word[:40] + "…"
    return UserError(f"I don't know the command '{shown}'.{hint} Type help to see what I can do.")
