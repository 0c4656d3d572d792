"""The Teams adapter: botbuilder's ``CloudAdapter`` at ``POST /api/messages``.

Every request is checked before anything is parsed into an event or stored: the
body must be a JSON activity, and with an app id configured botbuilder must accept
its Bot Framework token (otherwise 401). Then the activity becomes a neutral event:

- a message is a command (the bot's @mention removed, other mentions made the
  engine's); a message whose ``value`` is a card's data is a button press or a
  form submission (``Action.Submit``); so is an ``adaptiveCard/action`` invoke
  (``Action.Execute``), answered in the invoke response;
- an answered card in a personal chat is redrawn in place without its buttons;
- ``conversationUpdate`` and ``installationUpdate`` store conversation references
  (a person's 1:1 chat, a team's channels) and greet whoever installed the bot.

Replies to something said in a channel or group chat go to the person's own chat
with the bot, through the outbox, and the channel hears only that they did: Teams
has no private replies in a channel, and a status or a form is nobody else's.
Nothing here decides anything; the engine does.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.invoke_response import InvokeResponse
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes
from sqlalchemy import func, select

from adapters.outage import SORRY, database_unreachable, reason
from adapters.teams import cards, files, inbound, store
from adapters.teams.activities import (
    CARD_TYPE,
    actor_of,
    card_attachment,
    channel_id,
    channel_name,
    command_text,
    conversation_kind,
    message_activity,
    reference_dict,
    submitted_value,
    tenant_id,
)
from adapters.teams.connector import TeamsConfig, cloud_adapter
from bot import limits
from bot.app import App
from conversations import codec
from conversations.events import (
    Actor,
    ButtonPressed,
    CommandSent,
    Event,
    FormSubmitted,
    PersonJoined,
)
from conversations.inbound import cleaned
from conversations.kinds import Kind
from conversations.messages import Attachment, Message
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import TeamsConversation

log = logging.getLogger(__name__)
PATH = "/api/messages"
MAX_BODY = 256 * 1024
"""Teams activities are a few KB; anything this big is not one."""
PROFILE_TTL = 3600.0
MAX_FILE_BYTES = 2 * 1024 * 1024
FILE_TYPE = "application/vnd.microsoft.teams.file.download.info"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
INVOKE_ANSWERED = "mentorbot.invoke_answered"
"""Turn state set once an invoke has its response, so a failure after it does not send a
second one."""
_CHANNEL_WORD = re.compile(r"(?<!\S)#([^\s#<>|]{1,100})")


@dataclass
class TeamsAdapter:
    app: App
    config: TeamsConfig
    on_queued: Callable[[], None] = lambda: None
    """Called after an event queued messages, so delivery need not wait for its next turn."""
    cloud: Any = field(init=False)
    _profiles: dict[tuple[str, str], tuple[float, tuple[str | None, str | None]]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self.cloud = cloud_adapter(self.config)
        if not self.config.authenticated:
            log.warning(
                "*** Teams is served WITHOUT AUTHENTICATION: MICROSOFT_APP_ID is not set, so "
                "anyone who can reach %s can act as any Teams user. Use this only for local "
                "development with the Bot Framework Emulator. ***",
                PATH,
            )

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(PATH, self.handle)

    # -- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"error": "expected an application/json activity"}, status=415)
        raw = await limits.read_body(request, limit=MAX_BODY)  # a JSON 413 past the limit
        try:
            body = cleaned(json.loads(raw))  # no NULs or lone surrogates: ids get stored
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return web.json_response({"error": "the body is not an activity"}, status=400)
        if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"]:
            return web.json_response({"error": "the activity has no serviceUrl"}, status=400)
        try:
            activity = Activity().deserialize(body)
        except Exception:  # msrest raises several kinds for ill-shaped fields
            return web.json_response({"error": "the activity is malformed"}, status=400)
        # None, not "", when there is no header: botbuilder then applies "no app id, no
        # authentication", and with an app id refuses the request.
        header = request.headers.get("Authorization") or None
        try:
            authenticated = await self.cloud.bot_framework_authentication.authenticate_request(
                activity, header
            )
        except Exception as exc:  # PermissionError, or the token library's own errors
            log.warning("refused a Teams request: %s: %s", type(exc).__name__, exc)
            return web.json_response({"error": "unauthorized"}, status=401)
        problem = inbound.problem(body)  # only once it is known who sent it
        if problem is not None:
            return web.json_response({"error": problem}, status=400)
        invoke = await self.cloud.process_activity(authenticated, activity, self.on_turn)
        if isinstance(invoke, InvokeResponse):
            return web.json_response(invoke.body or {}, status=invoke.status or 200)
        return web.Response(status=200)

    # -- turns ---------------------------------------------------------------------------

    async def on_turn(self, turn: TurnContext) -> None:
        """One activity. Never raises: a failure is logged (one line when the database is
        unreachable, which passes; the trace otherwise) and the person told, once."""
        try:
            await self._turn(turn)
        except Exception as error:
            if database_unreachable(error):
                log.warning(
                    "the database is unreachable; a Teams %s activity was not handled: %s",
                    turn.activity.type,
                    reason(error),
                )
            else:
                log.exception("a Teams %s activity failed", turn.activity.type)
            await self._apologise(turn)

    async def _apologise(self, turn: TurnContext) -> None:
        """Tell the person who sent a message or pressed a button. An invoke still gets its
        response (without one botbuilder answers Teams 501): a card action shows the
        apology in place; any other invoke gets an empty 200 and the apology in the chat."""
        activity = turn.activity
        sorry = Message(text=SORRY, kind=Kind.ERROR)
        try:
            if activity.type == ActivityTypes.invoke and not turn.turn_state.get(INVOKE_ANSWERED):
                if activity.name == "adaptiveCard/action":
                    body = {"statusCode": 200, "type": MESSAGE_TYPE, "value": SORRY}
                    await self._invoke_response(turn, 200, body)
                    return
                await self._invoke_response(turn, 200, {})
            if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
                await turn.send_activity(message_activity(sorry))
        except Exception as exc:
            log.info("could not apologise: %s", type(exc).__name__)

    async def _turn(self, turn: TurnContext) -> None:
        activity = turn.activity
        if activity.type == ActivityTypes.message:
            if await self._seen(activity):
                return
            value = submitted_value(activity)
            if value is not None and not (activity.text or "").strip():
                await self._answered(turn, value)
            else:
                await self._command(turn)
        elif activity.type == ActivityTypes.invoke:
            if activity.name == "adaptiveCard/action":
                await self._answered(turn, submitted_value(activity) or {})
            elif activity.name == files.INVOKE:
                await files.answer(turn, self.app.sessions)
                await self._invoke_response(turn, 200, {})
            else:
                await self._invoke_response(turn, 200, {})
        elif activity.type == ActivityTypes.conversation_update:
            await self._conversation_update(turn)
        elif activity.type == ActivityTypes.installation_update:
            await self._installation_update(turn)

    async def _seen(self, activity: Activity) -> bool:
        """Record the activity id; True if it was handled before (a channel's retry)."""
        if not activity.id or activity.conversation is None:
            return False
        return not await repo.first_time(
            self.app.sessions,
            platform="teams",
            event_id=f"{activity.conversation.id}|{activity.id}",
            now=self.app.clock.now(),
        )

    async def _run(self, event: Event) -> list[Message]:
        replies = await self.app.engine.handle(event)
        self.on_queued()
        return replies

    async def _actor(self, turn: TurnContext) -> Actor:
        name, email = await self._profile(turn)
        found = actor_of(turn.activity, email=email)
        return found if found.display_name else replace(found, display_name=name or "")

    async def _profile(self, turn: TurnContext) -> tuple[str | None, str | None]:
        """The sender's name and email, cached for an hour. Teams leaves the email out of
        activities (and the name out of some); the email is how someone imported by
        email is recognised when they first speak."""
        activity = turn.activity
        user = activity.from_property.id if activity.from_property else None
        if not user:
            return None, None
        cache = (tenant_id(activity), str(user))
        cached = self._profiles.get(cache)
        if cached is not None and time.monotonic() - cached[0] < PROFILE_TTL:
            return cached[1]
        profile: tuple[str | None, str | None] = (None, None)
        try:
            member = await TeamsInfo.get_member(turn, str(user))
            profile = (member.name or None, member.email or member.user_principal_name or None)
        except Exception as exc:  # a profile lookup must never stop the conversation
            log.info("could not look up Teams member %s: %s", user, exc)
        self._profiles[cache] = (time.monotonic(), profile)
        return profile

    # -- commands ------------------------------------------------------------------------

    async def _command(self, turn: TurnContext) -> None:
        activity = turn.activity
        actor = await self._actor(turn)
        text = await self._channels_by_name(actor.workspace, command_text(activity))
        files = await self._download(activity)
        replies = await self._run(CommandSent(actor=actor, text=text, attachments=files))
        await self._remember(turn)
        await self._reply(turn, actor, replies)

    async def _channels_by_name(self, tenant: str, text: str) -> str:
        """``#General`` typed in a chat (where Teams cannot tag a channel) becomes the
        channel's reference when exactly one stored channel has that name."""
        names = {m.group(1) for m in _CHANNEL_WORD.finditer(text)}
        if not names:
            return text
        async with self.app.sessions() as session:
            space = await repo.workspace_by_external(session, platform="teams", external_id=tenant)
            if space is None:
                return text
            rows = await session.execute(
                select(TeamsConversation.name, TeamsConversation.conversation_id).where(
                    TeamsConversation.workspace_id == space.id,
                    TeamsConversation.kind == "channel",
                    func.lower(TeamsConversation.name).in_([n.lower() for n in names]),
                )
            )
            found: dict[str, list[str]] = {}
            for name, conversation in rows:
                found.setdefault(name.lower(), []).append(conversation)

        def swap(match: re.Match[str]) -> str:
            ids = found.get(match.group(1).lower(), [])
            return codec.channel(ids[0], match.group(1)) if len(ids) == 1 else match.group(0)

        return _CHANNEL_WORD.sub(swap, text)

    async def _download(self, activity: Activity) -> tuple[Attachment, ...]:
        """Files shared in the chat (a CSV to import), fetched from Teams' download link."""
        fetched: list[Attachment] = []
        shared = [a for a in activity.attachments or [] if a.content_type == FILE_TYPE][:3]
        if not shared:
            return ()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for item in shared:
                content = item.content if isinstance(item.content, dict) else {}
                url = content.get("downloadUrl")
                if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                    continue
                try:
                    async with http.get(url) as response:
                        if response.status != 200:
                            log.info("could not download %s: %s", item.name, response.status)
                            continue
                        data = await response.content.read(MAX_FILE_BYTES + 1)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.info("could not download %s: %s", item.name, exc)
                    continue
                if len(data) <= MAX_FILE_BYTES:
                    kind = str(content.get("fileType") or "")
                    fetched.append(
                        Attachment(
                            name=str(item.name or "file"),
                            media_type="text/csv" if kind == "csv" else kind,
                            data=data,
                        )
                    )
        return tuple(fetched)

    # -- cards answered ------------------------------------------------------------------

    async def _answered(self, turn: TurnContext, value: dict[str, Any]) -> None:
        activity = turn.activity
        invoked = activity.type == ActivityTypes.invoke
        actor = await self._actor(turn)
        parsed = cards.submitted(value)
        if parsed is None:
            replies = [Message(text=codec.OUT_OF_DATE, kind=Kind.ERROR)]
        else:
            action, engine_value, inputs = parsed
            if action == codec.OPEN_FORM:
                replies = [await self._form(actor, engine_value)]
            elif cards.is_form(value):
                replies = await self._run(
                    FormSubmitted(actor=actor, action=action, value=engine_value, values=inputs)
                )
            else:
                replies = await self._run(
                    ButtonPressed(actor=actor, action=action, value=engine_value)
                )
        await self._remember(turn)
        refused = any(r.kind.refusal for r in replies)
        redrawn = None
        opens_form = parsed is not None and parsed[0] == codec.OPEN_FORM
        if (
            parsed is not None
            and not refused
            and not opens_form  # opening a form answers nothing: the card keeps its buttons
            and conversation_kind(activity) == "personal"
        ):
            redrawn = await self._redraw(turn, parsed[0], parsed[1], actor)
        if invoked:
            if redrawn is not None:
                body = {"statusCode": 200, "type": CARD_TYPE, "value": redrawn}
            else:
                text = replies[0].text if refused and replies else "Done."
                body = {"statusCode": 200, "type": MESSAGE_TYPE, "value": text}
            await self._invoke_response(turn, 200, body)
        elif redrawn is not None and activity.reply_to_id:
            update = Activity(
                type=ActivityTypes.message,
                id=activity.reply_to_id,
                attachments=[card_attachment(redrawn)],
            )
            try:
                await turn.update_activity(update)
            except Exception as exc:
                log.info("could not update the answered card: %s", exc)
        await self._reply(turn, actor, replies)

    async def _form(self, actor: Actor, packed: str) -> Message:
        try:
            submit = codec.FormOpen.decode(packed)
        except codec.OutOfDate:
            return Message(text=codec.OUT_OF_DATE, kind=Kind.ERROR)
        form = await self.app.engine.form(actor=actor, action=submit.action, value=submit.value)
        return form or Message(text=codec.OUT_OF_DATE, kind=Kind.ERROR)

    async def _redraw(
        self, turn: TurnContext, action: str, value: str, actor: Actor
    ) -> dict[str, Any] | None:
        """The answered card, from the message the bot stored when it posted it."""
        activity = turn.activity
        if not activity.reply_to_id or activity.conversation is None:
            return None
        async with self.app.sessions() as session:
            original = await store.answerable(
                session, str(activity.conversation.id), str(activity.reply_to_id)
            )
        if original is None:
            return None
        label = next(
            (b.label for b in original.buttons() if b.action == action and b.value == value),
            "answered",
        )
        return cards.answered_card(original, label=label, by=actor.display_name or "you")

    async def _invoke_response(self, turn: TurnContext, status: int, body: Any) -> None:
        await turn.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status, body))
        )
        turn.turn_state[INVOKE_ANSWERED] = True

    # -- installs and references ---------------------------------------------------------

    async def _conversation_update(self, turn: TurnContext) -> None:
        activity = turn.activity
        bot = activity.recipient.id if activity.recipient else None
        if bot and bot in [m.id for m in activity.members_added or []]:
            await self._welcome(turn, hello=True)
        else:
            await self._remember(turn)

    async def _installation_update(self, turn: TurnContext) -> None:
        """Teams sends this beside ``conversationUpdate``; the team hears hello only once."""
        if str(turn.activity.action or "").startswith("add"):
            await self._welcome(turn, hello=False)

    async def _welcome(self, turn: TurnContext, *, hello: bool) -> None:
        """The bot was added. Whoever added it is greeted once (in a new tenant the engine
        makes them its first coordinator, so this runs before anything else is stored);
        a team's channel hears hello."""
        activity = turn.activity
        actor = await self._actor(turn)
        replies = await self._run(PersonJoined(actor=actor))
        await self._remember(turn)
        await self._reply(turn, actor, replies, say_where=False)
        if not hello or conversation_kind(activity) == "personal":
            return
        name = activity.recipient.name if activity.recipient else "the bot"
        await turn.send_activity(
            message_activity(
                Message(
                    text=f"Hello! I'm {name}, the mentoring bot. Coordinators can announce "
                    f"programmes here (program announce <program> #{channel_name(activity)}); "
                    "everyone else can chat with me 1:1 to join one and meet their match.",
                    kind=Kind.HELLO,
                )
            )
        )

    async def _remember(self, turn: TurnContext) -> None:
        """Keep the references proactive messages need (see ``adapters.teams.store``).

        This runs after the engine has acted, so a database that drops now must not turn
        the engine's answer into an apology that invites the person to repeat what was
        done: the references are refreshed by their next activity anyway."""
        try:
            await self._store_references(turn)
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.warning(
                "the database is unreachable; Teams references not refreshed: %s", reason(error)
            )

    async def _store_references(self, turn: TurnContext) -> None:
        activity = turn.activity
        if activity.conversation is None or activity.from_property is None:
            return
        tenant = tenant_id(activity)
        reference = reference_dict(activity)
        reference.pop("activityId", None)
        kind = conversation_kind(activity)
        if kind == "personal":
            await store.remember_person(
                self.app.sessions,
                tenant=tenant,
                user_id=str(activity.from_property.id),
                reference=reference,
            )
            return
        channel = channel_id(activity)
        conversation = channel or str(activity.conversation.id)
        reference["conversation"] = {**(reference.get("conversation") or {}), "id": conversation}
        await store.remember_conversation(
            self.app.sessions,
            tenant=tenant,
            conversation_id=conversation,
            kind="channel" if channel else kind,
            name=channel_name(activity) if channel else "",
            reference=reference,
            now=self.app.clock.now(),
        )

    # -- replying ------------------------------------------------------------------------

    async def _reply(
        self, turn: TurnContext, actor: Actor, replies: list[Message], *, say_where: bool = True
    ) -> None:
        if not replies:
            return
        if conversation_kind(turn.activity) != "personal":
            await self._reply_privately(turn, actor, replies, say_where=say_where)
            return
        for reply in replies:
            await self._post(turn, reply)

    async def _post(self, turn: TurnContext, reply: Message) -> None:
        activity = turn.activity
        response = await turn.send_activity(message_activity(reply))
        offered = files.offerable(reply)
        if not (reply.buttons() or offered) or activity.conversation is None:
            return
        now = self.app.clock.now()
        try:
            async with self.app.sessions.begin() as session:
                space = await store.workspace(session, tenant_id(activity), now)
                if reply.buttons() and response is not None:
                    store.record(
                        session,
                        workspace_id=space.id,
                        conversation_id=str(activity.conversation.id),
                        activity_id=str(response.id),
                        recipient=str(activity.from_property.id),
                        message=reply,
                        now=now,
                    )
        except Exception as error:
            if offered or not database_unreachable(error):
                raise  # a file the person asked for will not come: on_turn tells them
            # The reply is out; unrecorded, its card cannot be redrawn once answered.
            log.warning(
                "the database is unreachable; a Teams card went unrecorded: %s", reason(error)
            )
            return
        for attachment in offered:  # a file is offered, then sent once accepted
            await files.offer(
                turn,
                self.app.sessions,
                workspace_id=space.id,
                recipient=str(activity.from_property.id),
                attachment=attachment,
                now=now,
            )

    async def _reply_privately(
        self, turn: TurnContext, actor: Actor, replies: list[Message], *, say_where: bool
    ) -> None:
        """Queue the replies for the person's 1:1 chat; tell the channel they went there."""
        activity = turn.activity
        now = self.app.clock.now()
        async with self.app.sessions.begin() as session:
            space = await repo.workspace_by_external(
                session, platform="teams", external_id=actor.workspace
            )
            person = (
                await repo.person_by_platform_id(
                    session, workspace_id=space.id, platform_user_id=actor.user_id
                )
                if space is not None
                else None
            )
            if person is not None:
                outbox = Outbox(session, now)
                for index, reply in enumerate(replies):
                    await outbox.to_person(
                        person,
                        reply,
                        key=f"teams-reply:{activity.conversation.id}:{activity.id}:{index}",
                        urgent=True,
                    )
        if person is None:  # nobody to write to privately: the refusal is safe to show here
            for reply in replies:
                await turn.send_activity(message_activity(reply))
            return
        self.on_queued()
        if not say_where:
            return
        await turn.send_activity(
            message_activity(
                Message(text=f"{actor.display_name or 'Done'}: I've answered in our 1:1 chat.")
            )
        )
