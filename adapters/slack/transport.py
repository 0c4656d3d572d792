"""Delivering the outbox to Slack through the Web API.

A message to a person goes to their DM with the bot; a message to a pair goes to
one group DM with both of them (and, in a safeguarded programme, a coordinator,
so no adult and young person talk unseen); an announcement goes to its channel.
Each post carries the outbox idempotency key in its message metadata, which is
how :meth:`SlackTransport.confirm` tells, after a crash, whether a row was
already delivered instead of sending it twice.

Slack's errors become :class:`DeliveryError`s the dispatcher understands: rate
limits carry ``Retry-After``; errors that no retry can fix are permanent, with a
reason prefix saying whose problem it is (``unreachable:`` a person,
``channel:`` a channel, ``auth:`` the installation); anything else is retried.
An answer that says the workspace's token is gone (revoked, the app uninstalled) is a
:class:`Removed` for the whole workspace: the dispatcher records it, skips what is
queued there with that reason, and tries nothing more there (not even to tell a
coordinator, which would take the same dead token) until the app is installed again.
The dispatcher owns retries, so the SDK's own retry handlers are switched off.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import fallback
from adapters.slack.store import Pair, Workspace
from conversations.delivery import Delivery, DeliveryError, Removed
from conversations.messages import Message

log = logging.getLogger(__name__)
EVENT_TYPE = "mentorbot_message"
"""The metadata event type on every message we post; its payload holds the outbox key."""
HISTORY_LIMIT = 50

UNREACHABLE = frozenset({"user_not_found", "user_disabled", "user_not_visible", "cannot_dm_bot"})
"""The person cannot be messaged: retrying will not help, their pairs need a human. (So can
``account_inactive``, when ``auth.test`` shows the bot token itself is fine.)"""
CHANNEL = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action"})
GONE = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive"})
"""The workspace's token no longer works: the app was uninstalled or its token revoked
(``account_inactive`` is documented as the token's own account being deactivated). Every
message to the team would fail the same way. With token rotation ``token_expired`` is not
here: the next attempt asks ``token_for`` for a fresh one."""
AUTH = frozenset({"missing_scope"})
"""The installation works but lacks a scope: a coordinator must reinstall with it."""
REJECTED = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments"}
    | {"invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large"}
)
"""Slack refused what we sent: the same request will be refused again."""


def message_blocks(message: Message) -> list[dict[str, Any]] | None:
    """The message's Block Kit, or None to send text alone.

    The Block Kit renderer lives in its own module; until it is installed the text,
    which always makes sense alone, is what people see.
    """
    try:
        module = importlib.import_module("adapters.slack.blocks")
    except ModuleNotFoundError as exc:
        if exc.name != "adapters.slack.blocks":
            raise
        return None
    blocks = cast(list[dict[str, Any]], module.message_blocks(message))
    return blocks or None


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value or "1"), 0.0)
    except ValueError:
        return 1.0


def _failure(exc: SlackApiError) -> tuple[str, int | None, str | None]:
    """(error code, HTTP status, Retry-After) from whatever response the SDK kept."""
    response = exc.response
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    return str(error or ""), status if isinstance(status, int) else None, headers.get("Retry-After")


def classify(
    error: str, *, status: int | None, retry_after: str | None, where: str
) -> DeliveryError:
    """What the dispatcher should do about a Slack error (see the module docstring)."""
    if error == "ratelimited" or status == 429:
        return DeliveryError("ratelimited", retry_after=_retry_after(retry_after))
    if error in UNREACHABLE:
        return DeliveryError(f"unreachable: {error} ({where})", permanent=True)
    if error in CHANNEL:
        return DeliveryError(f"channel: {error} ({where})", permanent=True)
    if error in GONE:
        return Removed(f"Slack refused its token: {error}", workspace=True)
    if error in AUTH:
        return DeliveryError(f"auth: {error}", permanent=True)
    if error in REJECTED:
        return DeliveryError(f"rejected: {error} ({where})", permanent=True)
    return DeliveryError(f"slack error: {error or 'no error code'} (HTTP {status}) ({where})")


class SlackTransport:
    """The outbox's transport for Slack workspaces (see the module docstring)."""

    def __init__(
        self,
        token_for: Callable[[Workspace], Awaitable[str | None]],
        *,
        base_url: str | None = None,
        coordinator_copy: Callable[[Pair], Awaitable[str | None]] | None = None,
        forget_token: Callable[[Workspace], Awaitable[None]] | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._token_for = token_for
        self._forget_token = forget_token
        self._base_url = base_url or AsyncWebClient.BASE_URL
        self._coordinator_copy = coordinator_copy
        self._timeout = timeout
        self._client: AsyncWebClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._conversations: dict[tuple[str, str], str] = {}
        """(team id, user ids) → the DM or group DM. ``conversations.open`` is idempotent, so
        this is only a saving: a new process asks again and gets the same id."""

    def _web(self) -> AsyncWebClient:
        """One client and one HTTP session for every workspace (the token goes per call);
        created on first use, inside the running event loop."""
        if self._client is None or self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
            self._client = AsyncWebClient(
                base_url=self._base_url, session=self._session, retry_handlers=[]
            )
        return self._client

    async def send(self, delivery: Delivery) -> str | None:
        token = await self._token(delivery.workspace)
        users = await self._users(delivery)
        where = f"users {users}" if users else f"channel {delivery.channel}"
        channel = delivery.channel
        try:
            channel = channel or await self._open(delivery.workspace, users, token)
            blocks = message_blocks(delivery.message)
            response = await self._web().chat_postMessage(
                token=token,
                channel=channel,
                text=fallback(delivery.message),
                blocks=blocks,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"key": delivery.key}},
                unfurl_links=False,
            )
        except SlackApiError as exc:
            error = await self._explain(exc, token=token, where=where)
            if error.permanent and str(error).startswith("channel:"):
                self._forget(channel)  # a DM we cached may be gone: open it afresh next time
            if isinstance(error, Removed) and self._forget_token is not None:
                await self._forget_token(delivery.workspace)  # a dead token is not kept
            raise error from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"slack unreachable: {type(exc).__name__}") from None
        posted = str(response.get("channel") or channel)
        if delivery.message.attachments:
            await self._attach(delivery, token=token, channel=posted)
        return f"{posted}:{response['ts']}"

    async def _attach(self, delivery: Delivery, *, token: str, channel: str) -> None:
        """Upload the message's files (the digest's chart) beside it. The message is already
        posted and says the same in words, so a failed upload is logged, not retried: a
        retry would post the message twice."""
        try:
            await self._web().files_upload_v2(
                token=token,
                channel=channel,
                file_uploads=[
                    {"content": item.data, "filename": item.name, "title": item.name}
                    for item in delivery.message.attachments
                ],
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not upload the files of %s: %s", delivery.key, exc)

    async def confirm(self, delivery: Delivery) -> str | None:
        """The id of a message already posted with this delivery's key, if one is in the
        conversation's latest messages; None when there is none or Slack cannot say."""
        try:
            token = await self._token(delivery.workspace)
            users = await self._users(delivery)
            channel = delivery.channel or await self._open(delivery.workspace, users, token)
            response = await self._web().conversations_history(
                token=token, channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except (DeliveryError, SlackApiError, aiohttp.ClientError, TimeoutError):
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == delivery.key:
                return f"{channel}:{message['ts']}"
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = self._client = None

    # -- where a delivery goes -----------------------------------------------------------

    async def _token(self, workspace: Workspace) -> str:
        token = await self._token_for(workspace)
        if not token:
            raise Removed("no installation of the app is stored for it", workspace=True)
        return token

    async def _users(self, delivery: Delivery) -> str:
        """Who shares the conversation ("U1,U2"; "" for a channel): the person, or the pair
        (plus, when the programme is safeguarded, a coordinator: without one the pair's
        message is not sent at all)."""
        if delivery.channel is not None:
            return ""
        if delivery.person is not None:
            return delivery.person.platform_user_id
        pair = delivery.pair
        if pair is None:
            raise DeliveryError("nowhere to send: no person, pair or channel", permanent=True)
        users = [pair.mentor.platform_user_id, pair.mentee.platform_user_id]
        if pair.programme.safeguarded:
            coordinator = await self._coordinator_copy(pair) if self._coordinator_copy else None
            if not coordinator:
                raise DeliveryError(
                    f"safeguarding: {pair.mentor.label} and {pair.mentee.label} are in a "
                    "safeguarded programme and nobody outside the pair can be copied in",
                    permanent=True,
                )
            users.append(coordinator)
        return ",".join(dict.fromkeys(users))

    async def _open(self, workspace: Workspace, users: str, token: str) -> str:
        """The DM or group DM of these users."""
        cache = (workspace.external_id, users)
        if cache not in self._conversations:
            response = await self._web().conversations_open(token=token, users=users)
            self._conversations[cache] = str(response["channel"]["id"])
        return self._conversations[cache]

    def _forget(self, channel: str | None) -> None:
        for cache, known in list(self._conversations.items()):
            if known == channel:
                del self._conversations[cache]

    async def _explain(self, exc: SlackApiError, *, token: str, where: str) -> DeliveryError:
        """Classify a failed call. ``account_inactive`` means the bot token's own account when
        it comes from ``auth.test`` too, and otherwise the person we tried to reach."""
        error, status, retry_after = _failure(exc)
        if error != "account_inactive":
            return classify(error, status=status, retry_after=retry_after, where=where)
        try:
            await self._web().auth_test(token=token)
        except SlackApiError as auth:
            error, status, retry_after = _failure(auth)
            return classify(error, status=status, retry_after=retry_after, where="the bot token")
        except (aiohttp.ClientError, TimeoutError) as failed:
            return DeliveryError(f"slack unreachable: {type(failed).__name__}")
        return DeliveryError(f"unreachable: account_inactive ({where})", permanent=True)
