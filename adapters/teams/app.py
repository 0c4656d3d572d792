"""The Teams adapter: botbuilder's ``CloudAdapter`` at ``POST /api/messages``.

Every request is checked before anything is parsed into an event or stored: the
body must be a JSON activity, and with an app id configured botbuilder must accept
its Bot Framework token (otherwise 401). Then botbuilder's ``TeamsActivityHandler``
routes the activity by its type and name (:class:`Routes` overrides its hooks), and
the activity becomes a neutral event:

- a message is a command (the bot's @mention removed, other mentions made the
  engine's); a message whose ``value`` is a card's data is a button press or a
  form submission (``Action.Submit``); so is an ``adaptiveCard/action`` invoke
  (``Action.Execute``), answered in the invoke response;
- an answered card in a personal chat is redrawn in place without its buttons;
- ``conversationUpdate`` and ``installationUpdate`` store conversation references
  (a person's 1:1 chat, a team's channels) and greet whoever installed the bot; an
  ``installationUpdate`` ``remove`` forgets them again (:meth:`TeamsAdapter.uninstalled`);
- a file consent card's answer (``fileConsent/invoke``) uploads the file or lets it go.

Replies to something said in a channel or group chat go to the person's own chat
with the bot, through the outbox, and the channel hears only that they did: Teams
has no private replies in a channel, and a status or a form is nobody else's.
Nothing here decides anything; the engine does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.invoke_response import InvokeResponse
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeValue
from botbuilder.schema import InvokeResponse as SchemaInvokeResponse
from botbuilder.schema.teams import FileConsentCardResponse

from adapters import limits
from adapters.downloads import FileHosts, SharedFile
from adapters.outage import SORRY, database_unreachable, reason
from adapters.platform import PlatformAdapter, ProfileCache, apology
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
    team_of,
    tenant_id,
)
from adapters.teams.connector import TeamsConfig, cloud_adapter
from conversations import codec
from conversations.events import Actor, ButtonPressed, CommandSent, FormSubmitted, PersonJoined
from conversations.inbound import cleaned
from conversations.kinds import Kind
from conversations.messages import Message

log = logging.getLogger(__name__)
PATH = "/api/messages"
MAX_BODY = 256 * 1024
"""Teams activities are a few KB; anything this big is not one."""
FILE_TYPE = "application/vnd.microsoft.teams.file.download.info"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
SHAREPOINT = (".sharepoint.com", ".sharepoint.us", ".sharepoint-mil.us", ".sharepoint.cn")
"""Where files shared in Teams live (commercial, government and sovereign clouds): a
shared file's ``downloadUrl`` is on its owner's SharePoint or OneDrive for Business."""
INVOKE_RESPONSES = (InvokeResponse, SchemaInvokeResponse)
"""botbuilder has two classes of invoke response, alike in shape: core's (which this adapter
sends) and the schema's (which ``TeamsActivityHandler`` returns from its hooks)."""
_CHANNEL_WORD = re.compile(r"(?<!\S)#([^\s#<>|]{1,100})")


@dataclass
class TeamsAdapter(PlatformAdapter):
    platform: ClassVar[str] = "teams"
    config: TeamsConfig
    cloud: Any = field(init=False)
    routes: Routes = field(init=False)
    _profiles: ProfileCache[tuple[str, str], tuple[str | None, str | None]] = field(
        default_factory=ProfileCache
    )
    """Members' names and emails, by (tenant, user), including "not found" for the hour."""

    def __post_init__(self) -> None:
        self.cloud = cloud_adapter(self.config)
        self.routes = Routes(self)
        if not self.config.authenticated:
            log.warning(
                "*** Teams is served WITHOUT AUTHENTICATION: MICROSOFT_APP_ID is not set, so "
                "anyone who can reach %s can act as any Teams user. Use this only for local "
                "development with the Bot Framework Emulator. ***",
                PATH,
            )

    def file_hosts(self) -> FileHosts:
        """SharePoint over HTTPS, or the server ``TEAMS_FILE_URL`` names (a proxy, a test)."""
        return FileHosts(hosts=SHAREPOINT, configured=self.config.file_url)

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(PATH, self.handle)

    # -- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"error": "expected an application/json activity"}, status=415)
        raw = await limits.read_body(request, limit=MAX_BODY)  # a JSON 413 past the limit
        try:
            body = cleaned(limits.json_value(raw))  # no NULs or lone surrogates: ids get stored
        except limits.TooDeep as exc:
            return web.json_response({"error": str(exc)}, status=400)
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
        if activity.channel_id not in self.config.channels:
            log.warning("refused a Teams request from the %r channel", activity.channel_id)
            return web.json_response(
                {"error": "this bot takes activities from Microsoft Teams only"}, status=403
            )
        if not self.config.accepts_service_url(str(activity.service_url)):
            log.warning("refused a Teams request naming an unknown service URL")
            return web.json_response(
                {"error": "the activity's serviceUrl is not a Bot Framework service"}, status=403
            )
        problem = inbound.problem(body)  # only once it is known who sent it
        if problem is not None:
            return web.json_response({"error": problem}, status=400)
        invoke = await self.cloud.process_activity(authenticated, activity, self.on_turn)
        if isinstance(invoke, INVOKE_RESPONSES):
            return web.json_response(
                invoke.body or {}, status=invoke.status or 200, dumps=_invoke_json
            )
        return web.Response(status=200)

    # -- turns ---------------------------------------------------------------------------

    async def on_turn(self, turn: TurnContext) -> None:
        """One activity, routed by botbuilder's ``TeamsActivityHandler`` (:class:`Routes`).
        Never raises: a failure is logged (one line when the database is unreachable,
        which passes; the trace otherwise) and the person told, once."""
        try:
            await self.routes.on_turn(turn)
        except Exception as error:
            self.failed(error, f"{turn.activity.type} activity")
            await self._apologise(turn)

    async def _apologise(self, turn: TurnContext) -> None:
        """Tell the person who sent a message or pressed a button. An invoke still gets its
        response (without one botbuilder answers Teams 501): a card action shows the
        apology in place; any other invoke gets an empty 200 and the apology in the chat.
        One that has its response already (the engine acted) hears it in the chat."""
        activity = turn.activity
        sorry = apology()
        try:
            if activity.type == ActivityTypes.invoke and not _invoke_answered(turn):
                if activity.name == "adaptiveCard/action":
                    body = {"statusCode": 200, "type": MESSAGE_TYPE, "value": SORRY}
                    await _invoke_response(turn, body)
                    return
                await _invoke_response(turn, {})
            if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
                await turn.send_activity(message_activity(sorry))
        except Exception as exc:
            log.info("could not apologise: %s", type(exc).__name__)

    async def message(self, turn: TurnContext) -> None:
        """A message: a command, or the data of a card's ``Action.Submit``."""
        activity = turn.activity
        key = _retry_key(activity)
        if await self.seen(key):
            return
        try:
            value = submitted_value(activity)
            if value is not None and not (activity.text or "").strip():
                await self._answered(turn, value)
            else:
                await self._command(turn)
        except asyncio.CancelledError:
            # The request ran out of time (bot.limits.deadline) and its work rolled back:
            # the Bot Framework's retry must be handled, not dropped as a repeat.
            await self.unseen(key)
            raise

    async def card_action(self, turn: TurnContext) -> None:
        """An ``Action.Execute``, answered in its invoke response (a redrawn card, or a line
        of text) as soon as the engine has acted."""
        await self._answered(turn, submitted_value(turn.activity) or {})

    async def file_answered(self, turn: TurnContext) -> None:
        """The person accepted or declined a file the bot offered."""
        await files.answer(turn, self.app.sessions, self.file_hosts())

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
        if cached is not None:
            return cached
        profile: tuple[str | None, str | None] = (None, None)
        try:
            member = await TeamsInfo.get_member(turn, str(user))
            profile = (member.name or None, member.email or member.user_principal_name or None)
        except Exception as exc:  # a profile lookup must never stop the conversation
            log.info("could not look up Teams member %s: %s", user, exc)
        self._profiles.put(cache, profile)
        return profile

    # -- commands ------------------------------------------------------------------------

    async def _command(self, turn: TurnContext) -> None:
        activity = turn.activity
        actor = await self._actor(turn)
        text = await self._channels_by_name(actor.workspace, command_text(activity))
        shared = await self.files(_shared_files(activity))
        if isinstance(shared, Message):  # a file that could not be read: nothing is imported
            replies = [shared]
        else:
            replies = await self.run(
                CommandSent(
                    actor=actor,
                    text=text,
                    attachments=shared,
                    direct=conversation_kind(activity) == "personal",
                )
            )
        await self._remember(turn)
        await self._reply(turn, actor, replies)

    async def _channels_by_name(self, tenant: str, text: str) -> str:
        """``#General`` typed in a chat (where Teams cannot tag a channel) becomes the
        channel's reference when exactly one stored channel has that name."""
        names = {m.group(1) for m in _CHANNEL_WORD.finditer(text)}
        if not names:
            return text
        found = await store.channels_named(self.app.sessions, tenant=tenant, names=names)

        def swap(match: re.Match[str]) -> str:
            ids = found.get(match.group(1).lower(), [])
            return codec.channel(ids[0], match.group(1)) if len(ids) == 1 else match.group(0)

        return _CHANNEL_WORD.sub(swap, text)

    # -- cards answered ------------------------------------------------------------------

    async def _answered(self, turn: TurnContext, value: dict[str, Any]) -> None:
        """A card answered, by ``Action.Submit`` (a message) or ``Action.Execute`` (an
        invoke, whose response is given before the replies are posted)."""
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
                replies = await self.run(
                    FormSubmitted(actor=actor, action=action, value=engine_value, values=inputs)
                )
            else:
                replies = await self.run(
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
            await _invoke_response(turn, body)
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
        """The answered card, from the message the bot stored when it posted it. On a card
        grouping several notices only the pressed line is answered, and what is stored
        becomes the card as now shown, for the next line's press."""
        activity = turn.activity
        if not activity.reply_to_id or activity.conversation is None:
            return None
        conversation, posted = str(activity.conversation.id), str(activity.reply_to_id)
        async with self.app.sessions() as session:
            original = await store.answerable(session, conversation, posted)
        if original is None:
            return None
        pressed = next(
            (b for b in original.buttons() if b.action == action and b.value == value), None
        )
        by = actor.display_name or "you"
        line = cards.answered_line(original, pressed, by=by) if pressed is not None else None
        if line is not None:
            async with self.app.sessions.begin() as session:
                await store.now_shown(session, conversation, posted, line)
            return cards.adaptive_card(line)
        label = pressed.label if pressed is not None else "answered"
        return cards.answered_card(original, label=label, by=by)

    # -- installs and references ---------------------------------------------------------

    async def conversation_update(self, turn: TurnContext) -> None:
        """Members came or went, or a team changed: when the bot is among those added it
        says hello; otherwise the conversation's reference is refreshed."""
        activity = turn.activity
        bot = activity.recipient.id if activity.recipient else None
        if bot and bot in [m.id for m in activity.members_added or []]:
            await self._welcome(turn, hello=True)
        else:
            await self._remember(turn)

    async def installed(self, turn: TurnContext) -> None:
        """Teams sends this beside ``conversationUpdate``; the team hears hello only once."""
        await self._welcome(turn, hello=False)

    async def _welcome(self, turn: TurnContext, *, hello: bool) -> None:
        """The bot was added. Whoever added it is greeted once (in a new tenant the engine
        makes them its first coordinator, so this runs before anything else is stored);
        a team's channel hears hello."""
        activity = turn.activity
        actor = await self._actor(turn)
        replies = await self.run(PersonJoined(actor=actor))
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
            team_id=team_of(activity) if channel else None,
        )

    async def uninstalled(self, turn: TurnContext) -> None:
        """``installationUpdate`` with ``remove``: the app was taken away from where this
        activity comes from, and nothing more is posted there.

        - From someone's personal scope: only their own chat is gone. Its reference is
          dropped (no chat is started for them in its place), and the engine treats them
          as out of reach: their pairs pause so no partner waits on them, and coordinators
          are told. Adding the app again brings them back (``store.remember_person``).
        - From a team (every channel of it) or a group chat: their references go, so
          announcements there stop; adding it again stores them afresh.

        An upgrade's ``remove-upgrade`` is followed by its ``add-upgrade``: not a removal."""
        activity = turn.activity
        if activity.action != "remove" or activity.conversation is None:
            return
        tenant = tenant_id(activity)
        if conversation_kind(activity) == "personal":
            if activity.from_property is None:
                return
            user = str(activity.from_property.id)
            await store.forget_chat(self.app.sessions, tenant=tenant, user_id=user)
            if await self.app.engine.removed_by(actor_of(activity)):
                self.on_queued()  # the coordinators' notice
            return
        conversation = str(activity.conversation.id).split(";", 1)[0]
        channel = channel_id(activity)
        forgotten = await store.forget_conversations(
            self.app.sessions,
            tenant=tenant,
            conversation_ids={conversation, *([channel] if channel else [])},
            team_id=team_of(activity),
        )
        log.info(
            "the app was removed from a Teams %s: %d conversations forgotten",
            conversation_kind(activity),
            forgotten,
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
        queued = await store.queue_privately(
            self.app.sessions,
            tenant=actor.workspace,
            user_id=actor.user_id,
            replies=replies,
            key=f"teams-reply:{activity.conversation.id}:{activity.id}",
            now=self.app.clock.now(),
        )
        if not queued:  # nobody to write to privately: the refusal is safe to show here
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


class Routes(TeamsActivityHandler):  # type: ignore[misc]  # botbuilder is untyped
    """botbuilder's routing of Teams activities by type and name; each hook hands the turn
    to the adapter, which translates it. What a hook returns is what botbuilder makes the
    invoke response of, unless the adapter gave one already (a card action's answer)."""

    def __init__(self, adapter: TeamsAdapter) -> None:
        super().__init__()
        self._adapter = adapter

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._adapter.message(turn_context)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> None:
        """``Action.Execute``. The adapter sets the invoke response itself: botbuilder's
        ``AdaptiveCardInvokeResponse`` cannot carry the line of text Teams shows for a
        button answered with a message rather than a redrawn card."""
        await self._adapter.card_action(turn_context)

    async def on_teams_file_consent_accept(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        await self._adapter.file_answered(turn_context)

    async def on_teams_file_consent_decline(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        await self._adapter.file_answered(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Every ``conversationUpdate``, in place of botbuilder's own dispatch: that looks up
        each added member in the roster (a call per person) only to say who they are, and
        neither a hello nor a stored reference needs it."""
        await self._adapter.conversation_update(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._adapter.installed(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._adapter.uninstalled(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> SchemaInvokeResponse:
        """An invoke this bot has no use for (a messaging extension, a tab) is answered an
        empty 200 rather than botbuilder's 501, which Teams shows as an error."""
        response = await super().on_invoke_activity(turn_context)
        if isinstance(response, INVOKE_RESPONSES) and response.status == 501:
            log.info("a Teams %s invoke was not for this bot", turn_context.activity.name)
            return SchemaInvokeResponse(status=200, body={})
        return response


def _invoke_json(body: object) -> str:
    """An invoke response's body as JSON. botbuilder's own refusals of a malformed card
    action carry an ``AdaptiveCardInvokeResponse`` holding an exception, which neither
    ``json`` nor msrest can write: its fields go out by their wire names, an error as its
    code and message."""
    return json.dumps(body, default=_wire_value)


def _wire_value(value: object) -> object:
    fields = getattr(value, "_attribute_map", None)
    if isinstance(fields, dict):
        return {
            spec["key"]: getattr(value, name)
            for name, spec in fields.items()
            if getattr(value, name, None) is not None
        }
    if isinstance(value, BaseException):
        code, *message = value.args or ("Error",)
        return {"code": str(code), "message": " ".join(str(m) for m in message)}
    return str(value)


def _invoke_answered(turn: TurnContext) -> bool:
    """Whether the turn has its invoke response already (botbuilder keeps it in the turn's
    state, where ``CloudAdapter`` stores it when it is sent)."""
    return turn.turn_state.get(TurnContext._INVOKE_RESPONSE_KEY) is not None


async def _invoke_response(turn: TurnContext, body: Any) -> None:
    await turn.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(200, body))
    )


def _retry_key(activity: Activity) -> str | None:
    """What a redelivered activity is recognised by: an activity id is unique only within
    its conversation."""
    if not activity.id or activity.conversation is None:
        return None
    return f"{activity.conversation.id}|{activity.id}"


def _shared_files(activity: Activity) -> list[SharedFile]:
    """Files shared in the chat (a CSV to import), at Teams' download links."""
    found = []
    for item in activity.attachments or []:
        if item.content_type != FILE_TYPE:
            continue
        content = item.content if isinstance(item.content, dict) else {}
        url = content.get("downloadUrl")
        if not isinstance(url, str):
            continue
        kind = str(content.get("fileType") or "")
        found.append(
            SharedFile(
                url=url,
                name=str(item.name or "file"),
                media_type="text/csv" if kind == "csv" else kind,
            )
        )
    return found
