"""Delivering the outbox to Microsoft Teams, proactively.

Each message goes through ``CloudAdapter.continue_conversation`` with a stored
ConversationReference and the bot's app id:

- to a person: their 1:1 chat with the bot. Someone the bot has never talked to
  (enrolled by a mention or a CSV) gets a chat started for them
  (``create_conversation`` with the tenant's service URL) and its reference kept;
- to a pair: a bot cannot open a group chat without Microsoft Graph, so each person
  gets the pair's message in their own chat with the bot; in a safeguarded programme
  a coordinator gets a copy too (without buttons: it is for oversight, not to answer
  on their behalf), and without a coordinator the message is not sent at all;
- to a channel: the team channel's stored reference (the app must be in that team).

Someone who removed the app from their own chat has no reference and is out of reach:
nothing is posted to them, and no chat is started for them in its place; their copy is
skipped (:class:`conversations.delivery.Removed`) with the reason until they add it again.

Every copy is recorded in ``teams_messages`` as soon as it is posted, and a retry
posts only the copies still missing, so a pair whose second person was throttled
does not hear the first half twice. Errors become :class:`DeliveryError`s through
:func:`adapters.teams.connector.classify`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from azure.core.exceptions import DeserializationError
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationParameters
from msrest.exceptions import ClientRequestError, HttpOperationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import store as shared
from adapters.teams import files, store
from adapters.teams.activities import message_activity, reference_of
from adapters.teams.connector import classify
from adapters.teams.store import Pair, Person
from conversations.delivery import Delivery, DeliveryError, Removed
from conversations.messages import Message, Section

log = logging.getLogger(__name__)
CHANNEL_ID = "msteams"


@dataclass(frozen=True, slots=True)
class Copy:
    """One recipient's copy of a delivery."""

    recipient: str
    """Their Teams user id, or the channel id."""
    message: Message
    person: Person | None = None
    channel: bool = False


def oversight_copy(message: Message, pair: Pair) -> Message:
    """The coordinator's copy of a pair message in a safeguarded programme: the same
    content, opening with whom it went to, and without buttons or inputs."""
    note = f"Copy for the programme team — sent to {pair.mentor.label} and {pair.mentee.label}."
    if message.card is None:
        return message.model_copy(update={"text": f"{note}\n{message.text}"})
    card = message.card
    sections = card.sections or (Section(text=message.text),)
    return message.model_copy(
        update={
            "text": f"{note}\n{message.text}",
            "card": card.model_copy(
                update={
                    "sections": (Section(text=f"_{note}_"), *sections),
                    "buttons": (),
                    "inputs": (),
                    "submit": None,
                }
            ),
        }
    )


class TeamsTransport:
    """The outbox's transport for Teams tenants (see the module docstring)."""

    def __init__(
        self,
        adapter: CloudAdapter,
        sessions: async_sessionmaker[AsyncSession],
        *,
        app_id: str | None,
        now: Callable[[], datetime],
    ) -> None:
        self._adapter = adapter
        self._sessions = sessions
        self._app_id = app_id or ""
        self._now = now

    async def send(self, delivery: Delivery) -> str | None:
        copies = await self._copies(delivery)
        async with self._sessions() as session:
            done = await store.copies_sent(session, delivery.key)
        first: str | None = None
        for copy in copies:
            activity_id = done.get(copy.recipient)
            if activity_id is None:
                activity_id = await self._post(delivery, copy)
            first = first or activity_id
        return first

    async def confirm(self, delivery: Delivery) -> str | None:
        """After a crash: the activity id if every copy was already posted, else None (and
        ``send`` then posts only the missing ones)."""
        try:
            copies = await self._copies(delivery)
        except DeliveryError:
            return None
        async with self._sessions() as session:
            done = await store.copies_sent(session, delivery.key)
        if copies and all(copy.recipient in done for copy in copies):
            return done[copies[0].recipient]
        return None

    async def close(self) -> None:
        """Nothing to close: the connector clients are made per call by botbuilder."""

    # -- who gets a copy -----------------------------------------------------------------

    async def _copies(self, delivery: Delivery) -> list[Copy]:
        message = delivery.message
        if delivery.channel is not None:
            return [Copy(recipient=delivery.channel, message=message, channel=True)]
        if delivery.person is not None:
            person = delivery.person
            return [Copy(recipient=person.platform_user_id, message=message, person=person)]
        pair = delivery.pair
        if pair is None:
            raise DeliveryError("nowhere to send: no person, pair or channel", permanent=True)
        copies = [
            Copy(recipient=p.platform_user_id, message=message, person=p)
            for p in (pair.mentor, pair.mentee)
        ]
        if pair.programme.safeguarded:
            coordinator = await shared.safeguard(self._sessions, pair)
            if coordinator is None:
                raise DeliveryError(
                    f"safeguarding: {pair.mentor.label} and {pair.mentee.label} are in a "
                    "safeguarded programme and nobody outside the pair can be copied in",
                    permanent=True,
                )
            if coordinator.platform_user_id not in {c.recipient for c in copies}:
                copies.append(
                    Copy(
                        recipient=coordinator.platform_user_id,
                        message=oversight_copy(message, pair),
                        person=coordinator,
                    )
                )
        return copies

    # -- posting one copy ----------------------------------------------------------------

    async def _reference(self, delivery: Delivery, copy: Copy) -> dict[str, Any]:
        workspace_id = delivery.workspace.id
        async with self._sessions() as session:
            if copy.channel:
                reference = await store.conversation_reference(
                    session, workspace_id, copy.recipient
                )
                if reference is None:
                    raise DeliveryError(
                        f"channel: the app is not in a team with channel {copy.recipient}; "
                        "add it to the team, then announce again",
                        permanent=True,
                    )
                return reference
            assert copy.person is not None
            own = await store.person_reference(session, copy.person.id)
            if own is not None:
                return own
            if await store.chat_removed(session, copy.person.id):
                raise Removed(
                    f"{copy.person.label} has no chat with the app in Teams any more (they "
                    "removed it, or Teams refused one), so it was not sent; nothing goes to "
                    "them until they add the app again"
                )
            known = await store.any_reference(session, workspace_id)
        if known is None:
            raise DeliveryError(
                f"unreachable: {copy.recipient} has no chat with the bot and the bot knows no "
                "Teams service in this tenant yet",
                permanent=True,
                person=copy.person,
            )
        return await self._start_chat(delivery, copy, known)

    async def _start_chat(
        self, delivery: Delivery, copy: Copy, known: dict[str, Any]
    ) -> dict[str, Any]:
        """Open a 1:1 chat with someone the bot has not talked to; keep its reference."""
        tenant = delivery.workspace.external_id
        bot = known.get("bot") or {}
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot.get("id") or f"28:{self._app_id}", name=bot.get("name")),
            members=[ChannelAccount(id=copy.recipient)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        made: dict[str, Any] = {}

        async def opened(turn_context: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            made.update(reference.serialize())

        where = f"starting a chat with {copy.recipient}"
        await self._call(
            lambda: self._adapter.create_conversation(
                self._app_id,
                opened,
                parameters,
                known.get("channelId") or CHANNEL_ID,
                known.get("serviceUrl"),
            ),
            where=where,
            channel=False,
            person=copy.person,
        )
        made.pop("activityId", None)
        # Complete what botbuilder's synthetic activity leaves out, as a 1:1 chat's reference.
        made.setdefault("user", {"id": copy.recipient})
        conversation = made.setdefault("conversation", {})
        conversation.setdefault("conversationType", "personal")
        conversation.setdefault("tenantId", tenant)
        if copy.person is not None and made.get("conversation", {}).get("id"):
            async with self._sessions.begin() as session:
                await store.save_person_reference(session, copy.person.id, made)
        return made

    async def _post(self, delivery: Delivery, copy: Copy) -> str:
        reference = await self._reference(delivery, copy)
        posted: dict[str, str] = {}

        async def send(turn_context: TurnContext) -> None:
            # The continuation activity botbuilder makes has an invented id; left in place,
            # the post would be a reply to it (a broken thread in a channel). Without it the
            # message is posted to the conversation itself.
            turn_context.activity.id = None
            response = await turn_context.send_activity(message_activity(copy.message))
            posted["id"] = str(getattr(response, "id", "") or "")
            posted["conversation"] = str(turn_context.activity.conversation.id)
            if copy.person is not None:  # files go to people, through the consent flow
                for attachment in files.offerable(copy.message):
                    await files.offer(
                        turn_context,
                        self._sessions,
                        workspace_id=delivery.workspace.id,
                        recipient=copy.recipient,
                        attachment=attachment,
                        now=self._now(),
                    )

        where = f"channel {copy.recipient}" if copy.channel else f"user {copy.recipient}"
        await self._call(
            lambda: self._adapter.continue_conversation(
                reference_of(reference), send, self._app_id
            ),
            where=where,
            channel=copy.channel,
            person=copy.person,
        )
        activity_id = posted.get("id") or f"{delivery.key}:{copy.recipient}"
        async with self._sessions.begin() as session:
            store.record(
                session,
                workspace_id=delivery.workspace.id,
                conversation_id=posted.get("conversation", ""),
                activity_id=activity_id,
                recipient=copy.recipient,
                message=copy.message,
                now=self._now(),
                outbox_key=delivery.key,
            )
        return activity_id

    async def _call(
        self, call: Callable[[], Any], *, where: str, channel: bool, person: Person | None
    ) -> None:
        try:
            await call()
        except HttpOperationError as exc:
            error = classify(exc, where=where, channel=channel)
            error.person = person
            raise error from None
        except DeserializationError:  # an HTML error page, from a gateway on the way
            raise DeliveryError(f"teams error: a non-JSON answer ({where})") from None
        except (ClientRequestError, requests.RequestException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"teams unreachable: {type(exc).__name__} ({where})") from None
