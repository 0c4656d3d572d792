"""Sending a file (a CSV export) to someone in Teams: the file consent flow.

A bot cannot attach a file to a Teams message. In a personal chat it offers one
with a *file consent card*; when the person accepts, Teams invokes the bot
(``fileConsent/invoke``) with an upload URL in their OneDrive, the bot PUTs the
bytes there and posts a *file info card* linking to the file. The file waits in
``teams_messages`` between the offer and the answer, and is dropped from there
once accepted or declined. Only the person it was offered to can accept it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.schema import Attachment as CardAttachment
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.downloads import FileHosts
from adapters.teams import store
from adapters.teams.activities import as_dict, message_activity
from adapters.teams.cards import IMAGE_TYPES
from conversations.messages import Attachment, Message

log = logging.getLogger(__name__)
CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
INVOKE = "fileConsent/invoke"


def offerable(message: Message) -> tuple[Attachment, ...]:
    """The files to offer: a picture travels inside the card instead (see ``cards``)."""
    return tuple(a for a in message.attachments if a.media_type not in IMAGE_TYPES)


async def offer(
    turn: TurnContext,
    sessions: async_sessionmaker[AsyncSession],
    *,
    workspace_id: int,
    recipient: str,
    attachment: Attachment,
    now: datetime,
) -> None:
    """Post a consent card for ``attachment`` in the turn's (personal) conversation."""
    file_id = await store.offer_file(
        sessions,
        workspace_id=workspace_id,
        conversation_id=str(turn.activity.conversation.id),
        recipient=recipient,
        attachment=attachment,
        now=now,
    )
    card = CardAttachment(
        content_type=CONSENT_TYPE,
        name=attachment.name,
        content={
            "description": f"{attachment.name}, from the mentoring bot",
            "sizeInBytes": len(attachment.data),
            "acceptContext": {"file": file_id},
            "declineContext": {"file": file_id},
        },
    )
    response = await turn.send_activity(Activity(type=ActivityTypes.message, attachments=[card]))
    if response is not None:
        await store.file_card_posted(sessions, file_id, str(response.id))


async def answer(
    turn: TurnContext, sessions: async_sessionmaker[AsyncSession], hosts: FileHosts
) -> None:
    """The person accepted or declined a file: upload it (only to the tenant's own file
    hosts, ``hosts``), or let it go."""
    activity = turn.activity
    value = as_dict(activity.value)
    context = as_dict(value.get("context"))
    sender = str(activity.from_property.id) if activity.from_property else ""
    waiting = await store.waiting_file(sessions, _file_id(context), recipient=sender)
    if waiting is None:
        await turn.send_activity(
            message_activity(Message(text="That file is no longer available: ask for it again."))
        )
        return
    attachment = waiting.attachment
    if value.get("action") != "accept":
        await _forget(sessions, waiting, turn, f"Not sent: {attachment.name}.")
        return
    upload = as_dict(value.get("uploadInfo"))
    if not await _upload(str(upload.get("uploadUrl") or ""), attachment.data, hosts):
        await turn.send_activity(
            message_activity(
                Message(text=f"I couldn't put {attachment.name} in your OneDrive. Try again.")
            )
        )
        return
    info = CardAttachment(
        content_type=INFO_TYPE,
        content_url=upload.get("contentUrl"),
        name=upload.get("name") or attachment.name,
        content={"uniqueId": upload.get("uniqueId"), "fileType": upload.get("fileType")},
    )
    await turn.send_activity(Activity(type=ActivityTypes.message, attachments=[info]))
    await _forget(sessions, waiting, turn, f"Sent: {attachment.name}.")


def _file_id(context: dict[str, Any]) -> int:
    file_id = context.get("file")
    return file_id if isinstance(file_id, int) and not isinstance(file_id, bool) else 0


async def _upload(url: str, data: bytes, hosts: FileHosts) -> bool:
    """PUT the file where Teams said, if that is one of the tenant's file hosts (https,
    SharePoint or OneDrive): the address arrives in an activity, and a file the bot holds
    for someone must not go anywhere it names. No redirects are followed."""
    if not hosts.allows(url):
        log.warning("refused to upload a file to a host that is not the tenant's")
        return False
    headers = {
        "Content-Length": str(len(data)),
        "Content-Range": f"bytes 0-{max(len(data) - 1, 0)}/{len(data)}",
    }
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http,
            http.put(url, data=data, headers=headers, allow_redirects=False) as response,
        ):
            if response.status in (200, 201):
                return True
            log.info("file upload refused: HTTP %s", response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("file upload failed: %s", exc)
    return False


async def _forget(
    sessions: async_sessionmaker[AsyncSession],
    waiting: store.WaitingFile,
    turn: TurnContext,
    said: str,
) -> None:
    """Drop the waiting file and replace the consent card with what became of it."""
    await store.drop_file(sessions, waiting.id)
    if waiting.activity_id:
        update = message_activity(Message(text=said))
        update.id = waiting.activity_id
        try:
            await turn.update_activity(update)
        except Exception as exc:
            log.info("could not update the file card: %s", exc)
