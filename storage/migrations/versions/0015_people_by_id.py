"""audit entries and outbox messages name people by id

``audit_people`` says who an audit entry is about (its target reads ``{0} + {1}`` and the
names are filled in when read); ``outbox_mentions`` says who an outbox message names. A
person's records are then found, exported and forgotten by id, never by matching their
display name, which anyone can change to someone else's.

An outbox row already names its recipient and its pair by id; only the others a new message
mentions are recorded (older rows mention nobody else by id). An audit entry written before this
named people in its text; it is converted only where each name in it belongs to exactly one
person in its workspace today (and a forget entry names whoever did it). Anything else is
left as written: it still reads the same in ``audit``, but is not anyone's by id.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ONE = (
    "role.grant",
    "role.revoke",
    "role.bootstrap",
    "clearance.record",
    "clearance.revoke",
    "minor.mark",
    "minor.unmark",
    "guardian.consent",
    "guardian.revoke",
    "digest.subscribe",
    "digest.unsubscribe",
    "conduct.accept",
    "privacy.my-data",
    "block",
)
TWO = {
    " + ": (
        "unpair",
        "do-not-pair.add",
        "do-not-pair.remove",
        "stall.nudge",
        "stall.pause",
        "stall.end",
        "pair",
        "pair.resume",
    ),
    " → ": (
        "match.remove",
        "match.pin",
        "match.unpin",
    ),
}


def upgrade() -> None:
    op.create_table(
        "audit_people",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["audit_log.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id", "position"),
    )
    op.create_index("ix_audit_people_person_id", "audit_people", ["person_id"])
    op.create_table(
        "outbox_mentions",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outbox_id", "person_id"),
    )
    op.create_index("ix_outbox_mentions_person_id", "outbox_mentions", ["person_id"])
    _audit_by_id()


def _label(display_name: str, platform_user_id: str) -> str:
    """How ``Person.label`` read when these entries were written."""
    if display_name:
        return display_name
    if platform_user_id.startswith("email:"):
        return "someone invited by email"
    return platform_user_id


def _audit_by_id() -> None:
    bind = op.get_bind()
    people: dict[tuple[int, str], list[int]] = {}
    for pid, workspace_id, name, user_id in bind.execute(
        sa.text("SELECT id, workspace_id, display_name, platform_user_id FROM people")
    ):
        people.setdefault((workspace_id, _label(name or "", user_id)), []).append(pid)
    entries = bind.execute(
        sa.text("SELECT id, workspace_id, actor_id, action, target FROM audit_log")
    ).all()
    for entry_id, workspace_id, actor_id, action, target in entries:
        template, ids = _converted(people, workspace_id, actor_id, action, target or "")
        if template is None:
            continue
        bind.execute(
            sa.text("UPDATE audit_log SET target = :target WHERE id = :id"),
            {"target": template, "id": entry_id},
        )
        for position, person_id in enumerate(ids):
            bind.execute(
                sa.text(
                    "INSERT INTO audit_people (entry_id, position, person_id) "
                    "VALUES (:entry, :position, :person)"
                ),
                {"entry": entry_id, "position": position, "person": person_id},
            )


def _converted(
    people: dict[tuple[int, str], list[int]],
    workspace_id: int,
    actor_id: int | None,
    action: str,
    target: str,
) -> tuple[str | None, list[int]]:
    def one(name: str) -> int | None:
        found = people.get((workspace_id, name), [])
        return found[0] if len(found) == 1 else None

    if action == "privacy.forget" and actor_id is not None:
        return "{0}", [actor_id]
    if action in ONE:
        found = one(target)
        return ("{0}", [found]) if found is not None else (None, [])
    if action == "enrol" and " as " in target:
        name, side = target.rsplit(" as ", 1)
        found = one(name)
        return ("{0} as " + side, [found]) if found is not None else (None, [])
    for separator, actions in TWO.items():
        if action in actions and target.count(separator) == 1:
            first, second = (one(part) for part in target.split(separator))
            if first is not None and second is not None:
                return "{0}" + separator + "{1}", [first, second]
    return None, []


def downgrade() -> None:
    """Names go back into the targets, as the code before this wrote them."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT audit_people.entry_id, audit_people.position, people.display_name, "
            "people.platform_user_id FROM audit_people "
            "JOIN people ON people.id = audit_people.person_id"
        )
    )
    labels: dict[int, dict[int, str]] = {}
    for entry_id, position, name, user_id in rows:
        labels.setdefault(entry_id, {})[position] = _label(name or "", user_id)
    for entry_id, named in labels.items():
        target = bind.execute(
            sa.text("SELECT target FROM audit_log WHERE id = :id"), {"id": entry_id}
        ).scalar_one()
        for position, label in named.items():
            target = target.replace(f"{{{position}}}", label)
        bind.execute(
            sa.text("UPDATE audit_log SET target = :target WHERE id = :id"),
            {"target": target[:200], "id": entry_id},
        )
    op.drop_index("ix_outbox_mentions_person_id", table_name="outbox_mentions")
    op.drop_table("outbox_mentions")
    op.drop_index("ix_audit_people_person_id", table_name="audit_people")
    op.drop_table("audit_people")
