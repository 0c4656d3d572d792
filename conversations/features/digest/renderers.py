"""The weekly digest, rendered when it is sent: this week's figures, not the planner's."""

from __future__ import annotations

from conversations.features.digest import digest
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import renders
from conversations.rendering import Job
from storage.models import DigestSubscription


@renders(Kind.DIGEST)
async def weekly_digest(job: Job) -> Message | None:
    subscription = await job.session.get(DigestSubscription, job.ref)
    if subscription is None:
        return None  # unsubscribed since
    return await digest.render(
        job.session, subscription, now=job.now, min_group=job.settings.digest_min_group
    )
