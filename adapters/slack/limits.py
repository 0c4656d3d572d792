"""How fast Slack lets a bot post: about one message a second per conversation, plus a
workspace-wide budget (``SLACK_WORKSPACE_RATE``). Staying under it is cheaper than
collecting 429s; a 429 that still arrives is retried after its ``Retry-After``."""

from __future__ import annotations

from conversations.ratelimit import Policy, Window


def rate_policy(workspace_rate: float) -> Policy:
    return Policy(
        per_conversation=(Window(1, 1.0),),
        per_workspace=(Window(max(1, int(workspace_rate)), 1.0),),
    )
