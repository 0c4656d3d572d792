"""The Slack adapter: slack-bolt's AsyncApp mounted on our aiohttp server.

It verifies every request (bolt checks the v0 HMAC-SHA256 signature over the
raw body and the 5-minute window before anything is parsed), acknowledges at
once, then turns the payload into a neutral event for the engine and the
engine's replies into Block Kit. Nothing else lives here: the engine decides.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters import limits
from adapters.downloads import FileHosts, SharedFile
from adapters.outage import SORRY
from adapters.platform import PlatformAdapter, ProfileCache
from adapters.slack import blocks, payloads, store
from adapters.slack.store import Workspace
from adapters.slack.tokens import SlackConfig, Tokens
from conversations import codec
from conversations.events import Actor, ButtonPressed, CommandSent, FormSubmitted, PersonJoined
from conversations.kinds import Kind
from conversations.messages import Message

log = logging.getLogger(__name__)
SLACK_FILES = "files.slack.com"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
FORM_CALLBACK = "mentorbot.form"
NOT_AUTHORIZED = (
    "Sorry, I can't find this workspace's installation just now. Please try again in a "
    "moment; if it keeps happening, ask whoever manages Slack apps here to reinstall me."
)
"""What bolt tells someone when a workspace's installation is not found: with OAuth it is
looked up in our database, so this is also what they hear while the database is away, and
"reinstall" alone would be the wrong advice."""
REMOVED = (
    "Mentorbot was removed from this workspace, so I can't do anything here until it is "
    "installed again. Ask whoever manages Slack apps here to reinstall it."
)
"""What someone hears from a workspace the app was uninstalled from, if Slack still sends
their command or button press: their workspace has no installation, and we know why."""
UNINSTALLED = "the app was uninstalled"
BOT_REVOKED = "its bot token was revoked"


BOT_SCOPES = (
    "files:read",
    "commands",
    "chat:write",
    "im:write",
    "mpim:write",
    "im:history",
    "mpim:history",
    "channels:history",
    "users:read",
    "users:read.email",
    "channels:read",
    "files:write",
)


@dataclass
class SlackAdapter(PlatformAdapter):
    platform: ClassVar[str] = "slack"
    config: SlackConfig
    bolt: AsyncApp = field(init=False)
    _verifier: SignatureVerifier = field(init=False)
    installations: AsyncSQLAlchemyInstallationStore | None = field(init=False)
    _profiles: ProfileCache[tuple[str, str], dict[str, Any]] = field(default_factory=ProfileCache)
    """users.info answers, by (team, user)."""
    _http: aiohttp.ClientSession | None = field(default=None, init=False)
    """Kept open for replies to response URLs (see :meth:`_respond`)."""
    _socket: AsyncSocketModeHandler | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._verifier = SignatureVerifier(self.config.signing_secret)
        base_url = self.config.api_url or AsyncWebClient.BASE_URL
        if self.config.distributed:
            self.installations = store.installations(str(self.config.client_id), self.app.database)
            self.bolt = AsyncApp(
                signing_secret=self.config.signing_secret,
                client=AsyncWebClient(base_url=base_url),
                installation_store=self.installations,
                installation_store_bot_only=True,
                oauth_settings=AsyncOAuthSettings(
                    client_id=str(self.config.client_id),
                    client_secret=str(self.config.client_secret),
                    scopes=list(BOT_SCOPES),
                    installation_store=self.installations,
                    state_store=store.oauth_states(self.app.database),
                    install_path=INSTALL_PATH,
                    redirect_uri_path=REDIRECT_PATH,
                    token_rotation_expiration_minutes=120,
                    callback_options=AsyncCallbackOptions(
                        success=self._installed, failure=self._install_failed
                    ),
                ),
                raise_error_for_unhandled_request=False,
                user_facing_authorize_error_message=NOT_AUTHORIZED,
            )
        else:
            self.installations = None
            self.bolt = AsyncApp(
                token=self.config.bot_token,
                signing_secret=self.config.signing_secret,
                client=AsyncWebClient(token=self.config.bot_token, base_url=base_url),
                raise_error_for_unhandled_request=False,
            )
        self.bolt.command("/mentor")(self._guarded(self._command))
        self.bolt.action(re.compile(".+"))(self._guarded(self._action))
        self.bolt.view(FORM_CALLBACK)(self._guarded(self._submission))
        self.bolt.event("app_home_opened")(self._guarded(self._home))
        self.bolt.event("message")(self._guarded(self._direct_message))
        # As bolt's built-in token revocation listeners, and the workspace marked removed.
        self.bolt.event("app_uninstalled")(self._guarded(self._uninstalled))
        self.bolt.event("tokens_revoked")(self._guarded(self._tokens_revoked))
        self.bolt.error(self._failed)

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/slack/events", self.handle)
        if self.config.distributed:
            web_app.router.add_get(INSTALL_PATH, self.oauth)
            web_app.router.add_get(REDIRECT_PATH, self.oauth)
        web_app.on_cleanup.append(self._close_http)

    async def _close_http(self, _: web.Application) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _respond(self, respond: Any, **message: Any) -> None:
        """Post to the response URL bolt gave, over one HTTP session kept open: bolt's own
        ``respond`` opens a session, so a connection (to Slack, a TLS handshake), per reply."""
        url = getattr(respond, "response_url", None)
        if not url:
            await respond(**message)  # bolt says why there is nowhere to reply
            return
        if not message.get("blocks"):
            message.pop("blocks", None)  # as bolt does: no blocks rather than an empty list
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        await AsyncWebhookClient(url=url, session=self._http).send_dict(message)

    async def oauth(self, request: web.Request) -> web.Response:
        """The install link and Slack's redirect back: bolt's OAuth flow, our database."""
        flow = self.bolt.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        """Slack's redirect back after an install: whoever installed the app into a new
        workspace becomes its first coordinator, before anyone else there speaks."""
        installation = args.installation
        team = installation.team_id or installation.enterprise_id
        if team:
            try:  # installed again after an uninstall: new messages go out again
                await store.reinstalled(self.app.sessions, team=team)
            except Exception as exc:
                log.warning("could not record that the app is back in %s: %s", team, exc)
        if team and installation.user_id:
            try:
                client = AsyncWebClient(
                    token=installation.bot_token,
                    base_url=self.config.api_url or AsyncWebClient.BASE_URL,
                )
                actor = await self._actor(client, team=team, user=installation.user_id)
                await self.app.engine.first_contact(actor)
            except Exception as exc:  # the install itself succeeded: say so regardless
                log.warning("could not record who installed the app in %s: %s", team, exc)
        return await args.default.success(args)

    async def _install_failed(self, args: AsyncFailureArgs) -> BoltResponse:
        return await args.default.failure(args)

    async def token_for(self, workspace: Workspace) -> str | None:

        return await Tokens(self.config, self.installations).token_for(workspace)

    async def start(self) -> None:
        if self.config.socket_mode:
            self._socket = await self.socket_mode()

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # untyped in bolt
            self._socket = None

    async def socket_mode(self) -> AsyncSocketModeHandler:
        """Connect over Socket Mode (development behind a firewall); returns the handler."""
        if not self.config.app_token:
            raise ValueError("SLACK_APP_TOKEN (xapp-…) is needed for Socket Mode")
        handler = AsyncSocketModeHandler(self.bolt, self.config.app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
        return handler

    async def handle(self, request: web.Request) -> web.Response:
        raw = await limits.read_body(request)  # a JSON 413 past the limit, read no further
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return limits.refusal(400, "the body is not UTF-8 text")
        # Nothing is parsed or stored before the signature over the raw body checks out.
        if not self._signed(text, request):
            return limits.refusal(401, "the request signature is missing, stale or wrong")
        if request.content_type not in (payloads.JSON_TYPE, payloads.FORM_TYPE):
            return limits.refusal(415, "expected a form or a JSON body, as Slack sends")
        try:
            body = payloads.parse(text, request.content_type)
        except payloads.Malformed as exc:
            return limits.refusal(400, str(exc))
        refused = payloads.check(body)
        if refused is not None:
            return limits.refusal(*refused)
        try:
            bolt_request = _bolt_request(request, text, body)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return limits.refusal(400, "the body is not a request Slack would send")
        if await self._uninstalled_here(body):
            return web.Response(status=200, text="")
        try:
            seen = await self._seen(body)
        except Exception as error:
            return self._unrecorded(error, body)
        if seen:
            return web.Response(status=200, text="")  # a retry of something already handled
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    async def _uninstalled_here(self, body: dict[str, Any]) -> bool:
        """A command or a button press from a workspace the app was uninstalled from: bolt
        would find no installation and could only guess why, so the person is told here
        that the app was removed (at the response URL, after the acknowledgement). Asked
        only with OAuth, where each workspace's installation is ours to keep or forget."""
        team = _interactive_team(body)
        if not self.config.distributed or team is None:
            return False
        try:
            removed = await store.is_removed(self.app.sessions, team=team)
        except Exception as exc:  # the database is away: bolt's own answer says try again
            log.info("could not tell whether the app is still in %s: %s", team, exc)
            return False
        if not removed:
            return False
        url = body.get("response_url")
        if isinstance(url, str) and url:
            self.later(self._tell(url, REMOVED))
        return True

    async def _tell(self, url: str, text: str) -> None:
        """An ephemeral line at a response URL; Slack out of reach is logged, nothing more."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        try:
            await AsyncWebhookClient(url=url, session=self._http).send_dict(
                {"text": text, "response_type": "ephemeral", "replace_original": False}
            )
        except Exception as exc:
            log.info("could not answer on Slack: %s", type(exc).__name__)

    async def _uninstalled(self, context: AsyncBoltContext) -> None:
        """``app_uninstalled``: every token of the workspace is forgotten at once, and nothing
        queued for it is sent (each message is skipped with the reason) until it is
        installed again."""
        await store.forget_workspace(
            self.installations,
            self.app.sessions,
            enterprise_id=context.enterprise_id,
            team_id=context.team_id,
            reason=UNINSTALLED,
            now=self.app.clock.now(),
        )
        self._forgotten(context, UNINSTALLED)

    async def _tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """``tokens_revoked``: the user tokens named are forgotten; a revoked bot token is
        forgotten too, and then the workspace is treated as uninstalled (the bot can no
        longer say anything there)."""
        tokens = event.get("tokens") or {}
        await store.forget_users(
            self.installations,
            enterprise_id=context.enterprise_id,
            team_id=context.team_id,
            user_ids=list(tokens.get("oauth") or []),
        )
        if tokens.get("bot"):
            await store.forget_bot(
                self.installations,
                self.app.sessions,
                enterprise_id=context.enterprise_id,
                team_id=context.team_id,
                reason=BOT_REVOKED,
                now=self.app.clock.now(),
            )
            self._forgotten(context, BOT_REVOKED)

    def _forgotten(self, context: AsyncBoltContext, reason: str) -> None:
        team = context.team_id or context.enterprise_id
        if self.config.distributed:
            log.warning("Slack says %s in %s: its tokens are forgotten", reason, team)
        else:
            log.warning(
                "Slack says %s in %s: SLACK_BOT_TOKEN no longer works there, and nothing is "
                "sent there until the app is installed again (with the new token configured)",
                reason,
                team,
            )

    def _signed(self, text: str, request: web.Request) -> bool:
        try:
            return self._verifier.is_valid_request(text, dict(request.headers))
        except ValueError:  # a timestamp header that is not a number
            return False

    def _unrecorded(self, error: Exception, body: dict[str, Any]) -> web.Response:
        """An event that could not be recorded (the database is unreachable) is not handled,
        since its retries could then not be told apart. Slack hears 200 all the same: a 5xx
        would count against the app and bring the event back only a minute later, then five,
        with the person hearing nothing meanwhile. If they wrote to the bot, they are told
        at once that it did not go through, so nothing they said is silently lost."""
        self.failed(error, _kind(body))
        self.later(self._apologise(body, respond=None, client=self.bolt.client))
        return web.Response(status=200, text="")

    def _guarded(self, listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """``listener`` as bolt runs it, with its failures handled here: logged, Slack
        acknowledged if it still waits (a 200, never a 5xx), the person told.

        Not left to bolt's error handler: when a listener fails within bolt's 10 ms poll
        of ``ack()`` (as when the database refuses a connection), bolt loses the
        acknowledgement it already had and answers Slack 404 three seconds later."""
        names = list(inspect.signature(listener).parameters)

        async def guarded(args: AsyncArgs) -> None:
            self.app.track()  # work after the ack: shutdown (and a test) can wait for it
            try:
                await listener(**{name: getattr(args, name) for name in names})
            except Exception as error:
                self.failed(error, _kind(args.body))
                if args.ack.response is None:
                    await args.ack()
                await self._apologise(args.body, respond=args.respond, client=args.client)

        return guarded

    async def _failed(
        self,
        error: Exception,
        body: dict[str, Any],
        respond: Any,
        client: AsyncWebClient,
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        """Bolt's error handler, for what fails before a listener runs: with OAuth, finding
        the workspace's installation in the database. Logged, the person told, and Slack
        answered 200 rather than bolt's 500."""
        self.failed(error, _kind(body))
        await self._apologise(body, respond=respond, client=client)
        return BoltResponse(status=200, body="") if response is not None else None

    async def _apologise(
        self, body: dict[str, Any], *, respond: Any, client: AsyncWebClient
    ) -> None:
        """Say sorry where the person will see it: on the response URL of a command or a
        button, in the DM they wrote in, or in their DM for a form. Nobody asked anything
        when the home tab was opened, so nothing is said then."""
        try:
            if respond is not None and getattr(respond, "response_url", None):
                await respond(text=SORRY, response_type="ephemeral", replace_original=False)
            elif body.get("type") == "event_callback":
                event = body.get("event") or {}
                if isinstance(event, dict) and _from_a_person(event):
                    await client.chat_postMessage(channel=str(event.get("channel")), text=SORRY)
            elif body.get("type") == "view_submission" and (body.get("user") or {}).get("id"):
                await client.chat_postMessage(channel=str(body["user"]["id"]), text=SORRY)
        except Exception as exc:  # Slack unreachable too: the log line above says what failed
            log.info("could not apologise on Slack: %s", type(exc).__name__)

    async def _seen(self, body: dict[str, Any]) -> bool:
        """Record an Events API event id; True if it was handled before (a Slack retry)."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        return await self.seen(event_id if isinstance(event_id, str) else None)

    async def _actor(
        self, client: AsyncWebClient, *, team: str, user: str, name: str = ""
    ) -> Actor:
        """Who is speaking, with their time zone and email from users.info (cached)."""
        self.app.track()  # every listener starts here, after the ack: shutdown waits for it
        profile = self._profiles.get((team, user))
        if profile is None:
            profile = {}
            try:
                result = await client.users_info(user=user)
                profile = dict(result.get("user") or {})
                self._profiles.put((team, user), profile)
            except Exception as exc:  # a profile lookup must never stop the conversation
                log.info("users.info failed for %s: %s", user, exc)
        info = profile.get("profile") or {}
        return Actor(
            platform="slack",
            workspace=team,
            user_id=user,
            display_name=(info.get("display_name") or profile.get("real_name") or name or user),
            timezone=profile.get("tz"),
            email=info.get("email"),
            locale=profile.get("locale"),
        )

    async def _reply(
        self,
        replies: list[Message],
        *,
        respond: Any,
        client: AsyncWebClient,
        trigger_id: str | None,
        user: str = "",
    ) -> None:
        for reply in replies:
            if reply.card is not None and reply.card.inputs and trigger_id:
                await client.views_open(trigger_id=trigger_id, view=_form(reply, _submit_of(reply)))
                trigger_id = None  # a trigger opens one view
                continue
            text = reply.text
            if reply.attachments and user:
                await self._upload(client, user, reply)
                text += " I've put the file in our direct messages."
            said = reply.model_copy(update={"text": text})
            shown = blocks.message_blocks(said)
            if user and not getattr(respond, "response_url", None):
                # A button on the Home tab comes with no response URL: answer in the DM.
                await client.chat_postMessage(
                    channel=user, text=blocks.fallback(said), blocks=shown
                )
                continue
            await self._respond(
                respond,
                text=blocks.fallback(said),
                blocks=shown,
                response_type="ephemeral",
                replace_original=False,
            )

    async def _upload(self, client: AsyncWebClient, user: str, reply: Message) -> None:
        """Files (a CSV export) go to the person's DM: ephemeral replies cannot carry them."""
        opened = await client.conversations_open(users=user)
        channel = str((opened.get("channel") or {}).get("id") or user)
        await client.files_upload_v2(
            channel=channel,
            file_uploads=[
                {"content": a.data, "filename": a.name, "title": a.name} for a in reply.attachments
            ],
        )

    async def _command(
        self, ack: Any, command: dict[str, Any], respond: Any, client: AsyncWebClient
    ) -> None:
        await ack()
        actor = await self._actor(
            client,
            team=command.get("team_id", ""),
            user=command.get("user_id", ""),
            name=command.get("user_name", ""),
        )
        replies = await self.run(CommandSent(actor=actor, text=command.get("text", "")))
        await self._reply(
            replies,
            respond=respond,
            client=client,
            trigger_id=command.get("trigger_id"),
            user=actor.user_id,
        )

    async def _action(
        self, ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient
    ) -> None:
        await ack()
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        actor = await self._actor(
            client, team=team, user=user.get("id", ""), name=user.get("username", "")
        )
        for element in body.get("actions") or []:
            try:
                name, value = blocks.decode_action(
                    element.get("action_id", ""), element.get("value", "")
                )
            except ValueError:
                # Not a button this app made (an older version's, or forged): the engine
                # answers "out of date" for an action it does not know.
                name, value = "unknown", ""
            if name == "form.open":
                await self._open_form(client, actor, value, body.get("trigger_id"), respond)
                continue
            replies = await self.run(ButtonPressed(actor=actor, action=name, value=value))
            await self._answered(client, body, element, actor, replies)
            await self._reply(
                replies,
                respond=respond,
                client=client,
                trigger_id=body.get("trigger_id"),
                user=actor.user_id,
            )

    async def _open_form(
        self,
        client: AsyncWebClient,
        actor: Actor,
        packed: str,
        trigger_id: str | None,
        respond: Any,
    ) -> None:
        try:
            submit = codec.FormOpen.decode(packed)
        except codec.OutOfDate:
            stale = Message(text=codec.OUT_OF_DATE, kind=Kind.ERROR)
            # Through _reply, so a Home-tab button (no response URL) is answered in the DM.
            await self._reply(
                [stale], respond=respond, client=client, trigger_id=None, user=actor.user_id
            )
            return
        form = await self.app.engine.form(actor=actor, action=submit.action, value=submit.value)
        if form is None or form.card is None or not form.card.inputs or not trigger_id:
            text = form.text if form is not None else codec.OUT_OF_DATE
            await self._reply(
                [Message(text=text, kind=Kind.ERROR)],
                respond=respond,
                client=client,
                trigger_id=None,
                user=actor.user_id,
            )
            return
        await client.views_open(trigger_id=trigger_id, view=_form(form, submit))

    async def _answered(
        self,
        client: AsyncWebClient,
        body: dict[str, Any],
        element: dict[str, Any],
        actor: Actor,
        replies: list[Message],
    ) -> None:
        """Replace the buttons on the original message, so nobody answers it twice: all of
        them, or only the pressed line's on a card grouping several notices."""
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        original = body.get("message") or {}
        if not channel or not ts or container.get("is_ephemeral") or not original:
            return
        if _in_a_channel(body.get("channel")):
            return  # an announcement's buttons are for everyone in the channel, not just one
        if any(r.kind.refusal for r in replies):
            return  # a refusal changes nothing, the message included
        label = (element.get("text") or {}).get("text", "answered")
        note = {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"✓ {label} ({codec.mention(actor.user_id)})"}],
        }
        blocks_now = original.get("blocks", [])
        kept = blocks.answered_line(blocks_now, str(element.get("block_id", "")), note)
        if kept is None:
            kept = [b for b in blocks_now if b.get("type") != "actions"] + [note]
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=original.get("text", ""), blocks=kept
            )
        except Exception as exc:
            log.info("could not update the answered message: %s", exc)

    async def _submission(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        try:
            submit = codec.FormOpen.decode(view.get("private_metadata") or "")
        except codec.OutOfDate:
            await ack(response_action="errors", errors={})
            return
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        actor = await self._actor(
            client, team=team, user=user.get("id", ""), name=user.get("username", "")
        )
        values = blocks.form_values((view.get("state") or {}).get("values") or {})
        replies = await self.run(
            FormSubmitted(actor=actor, action=submit.action, value=submit.value, values=values)
        )
        refusal = next((r for r in replies if r.kind.refusal), None)
        if refusal is not None:
            field_name = next(iter(values), "")
            await ack(response_action="errors", errors={field_name: refusal.text[:150]})
            return
        await ack()
        for reply in replies:
            await client.chat_postMessage(
                channel=actor.user_id,
                text=blocks.fallback(reply),
                blocks=blocks.message_blocks(reply),
            )

    async def _direct_message(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A command typed in the bot's own DM (the Messages tab), without /mentor; a CSV
        shared there with the words "import <program>" is imported."""
        if not _from_a_person(event):
            return
        shared = event.get("subtype") == "file_share"
        actor = await self._actor(client, team=body.get("team_id", ""), user=event.get("user", ""))
        files = await self.files(
            _shared_files(event.get("files") or []) if shared else (),
            headers={"Authorization": f"Bearer {client.token}"},
        )
        if isinstance(files, Message):  # a file that could not be read: nothing is imported
            replies = [files]
        else:
            replies = await self.run(
                CommandSent(
                    actor=actor,
                    text=str(event.get("text", "")),
                    attachments=files,
                    direct=True,  # the bot's own DM: words that name no command are talk
                )
            )
        for reply in replies:
            await client.chat_postMessage(
                channel=event.get("channel", actor.user_id),
                text=blocks.fallback(reply),
                blocks=blocks.message_blocks(reply),
            )

    def file_hosts(self) -> FileHosts:
        """Slack's file host over HTTPS, or the host of ``SLACK_API_URL`` (a proxy, a test):
        the bot token goes nowhere else, whatever a payload says."""
        return FileHosts(hosts=(SLACK_FILES,), configured=self.config.api_url)

    async def _home(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team = body.get("team_id", "")
        actor = await self._actor(client, team=team, user=event.get("user", ""))
        greeting = await self.run(PersonJoined(actor=actor))
        home = await self.app.engine.home(actor)
        await client.views_publish(user_id=actor.user_id, view=blocks.home_view([*greeting, *home]))


def _bolt_request(request: web.Request, text: str, body: dict[str, Any]) -> AsyncBoltRequest:
    """Bolt's request over the raw text (bolt checks the signature over it again), holding
    the body as ``payloads.parse`` read it where bolt's own guess differs."""
    bolt_request = AsyncBoltRequest(
        body=text, query=request.query_string, headers=dict(request.headers)
    )
    if bolt_request.body != body:
        bolt_request.body = body
        bolt_request.context = build_async_context(AsyncBoltContext({}), body)
    return bolt_request


def _interactive_team(body: dict[str, Any]) -> str | None:
    """The workspace of a slash command or a button press (someone waiting for an answer);
    None for anything else."""
    if isinstance(body.get("command"), str):
        team = body.get("team_id")
    elif body.get("type") == "block_actions":
        team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    else:
        return None
    return team if isinstance(team, str) and team else None


def _from_a_person(event: dict[str, Any]) -> bool:
    """A message someone wrote (or a file they shared) in the bot's DM: not the bot's own,
    not an edit or a join notice, not in a channel."""
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return False
    return not event.get("bot_id") and event.get("subtype") in (None, "", "file_share")


def _kind(body: dict[str, Any]) -> str:
    """What a failed request was, for the log line: never what the person wrote."""
    event = body.get("event") if body.get("type") == "event_callback" else None
    if isinstance(event, dict):
        return f"{event.get('type')} event"
    return str(body.get("type") or ("slash command" if body.get("command") else "request"))


def _shared_files(files: list[dict[str, Any]]) -> list[SharedFile]:
    """The files of a ``file_share`` message, as Slack describes them."""
    found = []
    for shared in files:
        url = shared.get("url_private_download") or shared.get("url_private")
        if not isinstance(url, str):
            continue
        found.append(
            SharedFile(
                url=url,
                name=str(shared.get("name") or "file"),
                media_type=str(shared.get("mimetype") or ""),
                size=int(shared.get("size") or 0),
            )
        )
    return found


def _in_a_channel(channel: Any) -> bool:
    """Whether a button was pressed in a channel (public or private) rather than in a DM
    or a group DM, as the payload names the conversation: Slack calls a DM
    "directmessage" and a group DM "mpdm-…". An id's first letter is no guide (Slack
    changes it, e.g. when a conversation is shared). Unsaid counts as a channel, so an
    announcement's buttons are never taken away from everyone."""
    name = channel.get("name") if isinstance(channel, dict) else None
    if not isinstance(name, str) or not name:
        return True
    return not (name == "directmessage" or name.startswith("mpdm-"))


def _form(message: Message, submit: codec.FormOpen) -> dict[str, Any]:
    view = blocks.form_view(message, private_metadata=submit.encode())
    view["callback_id"] = FORM_CALLBACK
    return view


def _submit_of(message: Message) -> codec.FormOpen:
    submit = message.card.submit if message.card else None
    return codec.FormOpen(submit.action, submit.value) if submit else codec.FormOpen("", "")
