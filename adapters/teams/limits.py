"""How fast Teams lets a bot post: 7 messages a second, 8 in 2 s, 60 in 30 s and 1,800 an
hour per conversation, plus a per-tenant budget (``TEAMS_TENANT_RATE``). Imports no
botbuilder, so a process can plan its limits without loading the SDK."""

from __future__ import annotations

from conversations.ratelimit import Policy, Window


def rate_policy(tenant_rate: float) -> Policy:
    return Policy(
        per_conversation=(
            Window(7, 1.0),
            Window(8, 2.0),
            Window(60, 30.0),
            Window(1800, 3600.0),
        ),
        per_workspace=(Window(max(1, int(tenant_rate)), 1.0),),
    )
