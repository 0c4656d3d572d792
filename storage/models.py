"""The schema, as typed SQLAlchemy 2 models.

Designed for the whole product, not just the foundation: roles, safeguarding
fields, concerns, an outbox with idempotency keys, processed inbound ids, digest
subscriptions and an audit log are all here so later features add behaviour,
not tables. Alembic migrations (``storage/migrations``) create this schema; a
test fails if the two ever differ.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import TextEnum, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this mapping by name)
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Role(StrEnum):
    COORDINATOR = "coordinator"
    EXECUTIVE = "executive"
    SAFEGUARDING = "safeguarding"


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    ENROLLING = "enrolling"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Side(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class PairStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class PauseReason(StrEnum):
    """Who or what paused a pair; decides who may resume it (see the pair lifecycle)."""

    PARTICIPANT = "participant"
    """One of the pair paused it: only they resume it."""
    PROGRAMME_TEAM = "programme team"
    """A coordinator or safeguarding contact paused it (a concern, a withdrawn consent…)."""
    CLEARANCE = "clearance"
    """The mentor's safeguarding clearance lapsed: resuming needs a renewed one."""
    INACTIVITY = "inactivity"
    """Nothing was logged for the programme's silence period."""
    UNREACHABLE = "unreachable"
    """The platform says one of them can no longer be reached."""

    @property
    def held_by_team(self) -> bool:
        """Only the programme team (``pair resume``) may lift this pause."""
        return self in (PauseReason.PROGRAMME_TEAM, PauseReason.CLEARANCE)


class EndReason(StrEnum):
    """Why a pair ended; shown to coordinators and in exports."""

    COMPLETED = "completed"
    LEFT = "left"
    BLOCKED = "blocked"
    ENDED_BY_TEAM = "ended by the programme team"
    PROGRAMME_CLOSED = "programme closed"


class MeetingOutcome(StrEnum):
    """What is on record for one session of a pair (a ``Meeting`` row).

    ``met``, ``skipped`` and ``not_heard`` close a session; ``not_yet`` and ``rescheduled``
    are answers that keep it open. A session's outcome is the strongest of its rows
    (``conversations.features.pairing.tally``): a late "we met" outranks "not heard"."""

    MET = "met"
    NOT_YET = "not_yet"
    RESCHEDULED = "rescheduled"
    SKIPPED = "skipped"
    """The pair said they skipped this session."""
    NOT_HEARD = "not_heard"
    """The session passed its grace period with nothing logged; only the planner writes it."""

    @property
    def said_by_people(self) -> bool:
        """An answer a person may give (a button, ``met``); ``not_heard`` is the planner's."""
        return self is not MeetingOutcome.NOT_HEARD


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    """No longer needed when its time came (the meeting was logged, the pair ended…)."""
    DEAD = "dead"


class Workspace(Base):
    """A Slack workspace, a Teams tenant, or the local console."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    """When the platform said the bot was removed from here (the Slack app uninstalled, its
    token revoked): nothing is sent here until it is back (``conversations.removal``)."""
    removed_reason: Mapped[str | None] = mapped_column(String(200))
    """What the platform said, in words a coordinator reads in ``outbox skipped``."""


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("workspace_id", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform_user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    snoozed_until: Mapped[datetime | None]
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    is_minor: Mapped[bool] = mapped_column(Boolean, default=False)
    guardian_consent_at: Mapped[datetime | None]
    clearance_recorded_at: Mapped[datetime | None]
    clearance_expires_at: Mapped[datetime | None]
    greeted_at: Mapped[datetime | None]
    conversation_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the platform needs to message this person proactively (e.g. a Teams reference)."""
    forgotten_at: Mapped[datetime | None]
    """Set when the person asked to be forgotten: the row remains only as an anonymous
    placeholder, so counts stay true and their partner's history stays whole."""
    created_at: Mapped[datetime]

    @property
    def label(self) -> str:
        """How messages name them; never an email (someone imported by email only)."""
        if self.display_name:
            return self.display_name
        if self.platform_user_id.startswith("email:"):
            return "someone invited by email"
        return self.platform_user_id


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("workspace_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime]


class Programme(Base):
    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    curriculum_key: Mapped[str] = mapped_column(String(64))
    curriculum_version: Mapped[int] = mapped_column(Integer)
    cadence_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=ProgrammeStatus.DRAFT)
    safeguarded: Mapped[bool] = mapped_column(Boolean, default=False)
    conduct: Mapped[str] = mapped_column(Text, default="")
    """The coordinator's own code of conduct; empty: the curriculum's."""
    conduct_version: Mapped[int] = mapped_column(Integer, default=1)
    """Raised whenever the code changes: everyone accepts the new version before matching."""
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class Enrolment(Base):
    """A person's place in a programme, as mentor or mentee, with their profile."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("programme_id", "person_id", "side"),
        # One side per programme: a person is a mentor or a mentee there, not both. A side
        # they left stays on record, so leaving and joining on the other side is allowed.
        Index(
            "ix_enrolments_one_side",
            "programme_id",
            "person_id",
            unique=True,
            sqlite_where=text("status != 'left'"),
            postgresql_where=text("status != 'left'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default=EnrolmentStatus.ACTIVE)
    department: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    seniority: Mapped[int | None] = mapped_column(Integer)
    skills: Mapped[list[str]] = mapped_column(default=list)
    interests: Mapped[list[str]] = mapped_column(default=list)
    goals: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    availability: Mapped[str] = mapped_column(String(200), default="")
    consented_at: Mapped[datetime | None]
    consent_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")


DUE = {"due": True}
"""Marks a pair column as a due time of its durable schedule: the pair lifecycle clears
every such column when the pair pauses or ends, so a new timed prompt's column is
disarmed with the others without being listed anywhere else."""


class Pair(Base):
    """A mentor and a mentee in one programme, and where they are in its curriculum."""

    __tablename__ = "pairs"
    __table_args__ = (
        Index("ix_pairs_programme_status", "programme_id", "status"),
        # The planner's claims: each due time, within a programme's active pairs.
        Index("ix_pairs_due_agenda", "programme_id", "status", "next_agenda_at"),
        Index("ix_pairs_due_session", "programme_id", "status", "session_due_at"),
        Index("ix_pairs_due_pulse", "programme_id", "status", "next_pulse_at"),
        Index("ix_pairs_due_silence", "programme_id", "status", "inactive_at"),
        Index("ix_pairs_due_pause", "programme_id", "status", "auto_pause_at"),
        Index("ix_pairs_due_nudge", "status", "nudge_at"),
        Index("ix_pairs_due_stall", "status", "stall_at"),
        # A mentee's pairs: the digest's "mentees waiting", and each person's own pairs.
        Index("ix_pairs_mentee", "mentee_id", "programme_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=PairStatus.ACTIVE)
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why they were paired, in words both people are shown."""
    session_index: Mapped[int] = mapped_column(Integer, default=0)
    """0-based position in the curriculum; equal to the session count once finished."""
    session_started_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    last_met_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[EndReason | None] = mapped_column(TextEnum(EndReason, 40))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    """A proposed pair the coordinator fixed: re-running the match keeps it."""
    score: Mapped[float | None] = mapped_column(Float)
    paused_by: Mapped[PauseReason | None] = mapped_column(TextEnum(PauseReason, 16))
    """Why it is paused, which decides who may resume it (see ``PauseReason``)."""
    # The durable schedule: when each kind of prompt next falls due (NULL: not armed).
    session_due_at: Mapped[datetime | None] = mapped_column(info=DUE)
    """When the open session falls due (one cadence after it began): the pair is asked
    whether they met, and the grace period starts."""
    next_agenda_at: Mapped[datetime | None] = mapped_column(info=DUE)
    """When the open session passes unheard and the next agenda goes out, unless a meeting
    or a skip is logged first: armed when the session falls due, a grace period later.
    With ``session_due_at`` also empty, an active pair is waiting (see the lifecycle)."""
    nudge_at: Mapped[datetime | None] = mapped_column(info=DUE)
    next_pulse_at: Mapped[datetime | None] = mapped_column(info=DUE)
    pulses_sent: Mapped[int] = mapped_column(Integer, default=0)
    stall_at: Mapped[datetime | None] = mapped_column(info=DUE)
    inactive_at: Mapped[datetime | None] = mapped_column(info=DUE)
    auto_pause_at: Mapped[datetime | None] = mapped_column(info=DUE)

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id], lazy="joined")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id], lazy="joined")
    programme: Mapped[Programme] = relationship(lazy="joined")

    def other(self, person_id: int) -> Person:
        return self.mentee if person_id == self.mentor_id else self.mentor

    def includes(self, person_id: int) -> bool:
        return person_id in (self.mentor_id, self.mentee_id)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    session_index: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    logged_at: Mapped[datetime]


class CheckIn(Base):
    """A person's rating of one session, with a reflection nobody else ever sees."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("pair_id", "person_id", "session_index"),
        Index("ix_check_ins_created", "created_at"),  # the digest's recent weeks
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    session_index: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int] = mapped_column(Integer)
    reflection: Mapped[str | None] = mapped_column(Text)
    shareable_quote: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Concern(Base):
    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL")
    )
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="SET NULL"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    """How many times an unacknowledged urgent concern has been passed to the next contact."""
    escalate_at: Mapped[datetime | None] = mapped_column(index=True)
    """When an urgent concern not yet acknowledged goes to the next contact (NULL: never)."""


class OutboxMessage(Base):
    """One message to deliver. The idempotency key makes enqueueing twice a no-op."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(255))
    """A platform channel id, for announcements."""
    kind: Mapped[str] = mapped_column(String(40))
    ref_index: Mapped[int | None] = mapped_column(Integer)
    """What a planned message is about (a session index, a prompt id…): it is rendered when
    sent, so it says what is true then, and is skipped if no longer needed."""
    timing: Mapped[str] = mapped_column(String(8), default="working")
    """"working": wait for the recipients' working hours; "now": send at once."""
    expires_at: Mapped[datetime | None]
    """After this the message is stale and is skipped rather than sent late."""
    payload: Mapped[dict[str, Any]]
    """The message as written (``Message.to_json``); empty for a planned row."""
    planned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Rendered when sent by the renderer registered for ``kind``, from ``ref_index``."""
    holds: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    """What must still be true when it is sent (``conversations.holds``); checked just
    before sending, and a row whose hold no longer holds is skipped with the reason."""
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    lease_expires_at: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform_message_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    travels_with: Mapped[str | None] = mapped_column(String(255))
    """When it travels in a card grouping several notices (``conversations.grouping``), the
    key that card goes out under (the first row's), set just before the send; None when it
    goes alone, under its own. After a crash, the platform is asked about this key."""


class OutboxMention(Base):
    """Someone an outbox message names, by id: its recipient, the people of the pair it is
    about, and anyone else it mentions. ``my-data`` and ``forget-me`` find a person's
    messages through these rows, never by looking for their name in the text."""

    __tablename__ = "outbox_mentions"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DoNotPair(Base):
    """Two people who must never be proposed together. Confidential to coordinators."""

    __tablename__ = "do_not_pair"
    __table_args__ = (UniqueConstraint("workspace_id", "first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    first_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    """The lower person id of the two, so each pair of people is stored once."""
    second_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16), default="coordinator")
    """"coordinator" or "blocked" (a participant blocked the other)."""
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class OfferStatus(StrEnum):
    SUGGESTED = "suggested"
    OFFERED = "offered"
    ASKED = "asked"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class MatchOffer(Base):
    """Mentee-choice mode: a mentor suggested to a mentee, and what became of it."""

    __tablename__ = "match_offers"
    __table_args__ = (
        UniqueConstraint("programme_id", "mentee_id", "mentor_id"),
        Index("ix_match_offers_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=OfferStatus.SUGGESTED)
    created_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id], lazy="joined")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id], lazy="joined")


class Prompt(Base):
    """A question we asked someone (check-in, pulse, a coordinator's nudge) and whether
    they answered."""

    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("pair_id", "person_id", "kind", "ref_index"),
        Index("ix_prompts_reminder", "answered_at", "next_reminder_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    """"checkin" (ref: session index), "pulse" (ref: day of the programme) or
    "coordinator_nudge" (ref: the id of the coordinator who asked, whom replies reach)."""
    ref_index: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_reminder_at: Mapped[datetime | None]


class PulseResponse(Base):
    """A milestone pulse answer: how the mentoring is going, on the record for aggregates."""

    __tablename__ = "pulse_responses"
    __table_args__ = (UniqueConstraint("pair_id", "person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    """Private to its author, like a check-in reflection."""
    created_at: Mapped[datetime]


class HeldReply(Base):
    """Words someone wrote to the bot that wait for one more answer from them: which
    pairing they are about, or the rating of the check-in they are the note of. Private to
    their author, and kept for a few days at most."""

    __tablename__ = "held_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class InboundEvent(Base):
    """Platform event ids already handled, so a retried delivery has no second effect."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime]


class DigestSubscription(Base):
    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("person_id", "programme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE")
    )
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    local_time: Mapped[str] = mapped_column(String(5), default="08:00")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    last_period: Mapped[str | None] = mapped_column(String(16))
    next_at: Mapped[datetime | None] = mapped_column(index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class AuditPerson(Base):
    """Who an audit entry is about, by id. The entry's target and its before/after name
    them by position (``{0}``, ``{1}``…) and their names are filled in when it is read, so
    a rename or a forgotten person shows as they are now, and finding someone's records
    never depends on what anyone is called."""

    __tablename__ = "audit_people"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("audit_log.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)


# Slack installations (multi-workspace distribution), in the exact shape slack_sdk's
# AsyncSQLAlchemyInstallationStore and AsyncSQLAlchemyOAuthStateStore read and write.
# They are declared here so that Alembic creates them like every other table; a test
# checks they match the SDK's own definitions.
slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class TeamsConversation(Base):
    """A Teams conversation the bot can post in proactively: a team channel (for programme
    announcements) or a chat. Its stored ConversationReference survives restarts and serves
    every instance; the newest one in a tenant also says which service URL to use when the
    bot must start a chat with someone who never opened one."""

    __tablename__ = "teams_conversations"
    __table_args__ = (UniqueConstraint("workspace_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    """"channel", "personal" or "groupChat", as Teams calls them."""
    team_id: Mapped[str | None] = mapped_column(String(255))
    """The team a channel belongs to, so removing the app from the team forgets all of its
    channels (None for a chat, and for channels stored before it was kept)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(index=True)


class TeamsMessage(Base):
    """A message the bot posted in Teams.

    Teams cannot be asked afterwards whether a message arrived, and a pair's message goes
    to each person separately; so each recipient's copy of an outbox row is recorded here
    once sent, and a retry sends only the copies still missing. A card with buttons keeps
    its neutral message, so that when someone answers it the card can be redrawn in place
    without its buttons."""

    __tablename__ = "teams_messages"
    __table_args__ = (
        UniqueConstraint("outbox_key", "recipient"),
        Index("ix_teams_messages_activity", "conversation_id", "activity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(255))
    activity_id: Mapped[str] = mapped_column(String(255))
    outbox_key: Mapped[str | None] = mapped_column(String(255))
    """The outbox row's idempotency key (None for a direct reply to someone's message)."""
    recipient: Mapped[str] = mapped_column(String(255))
    """The person's Teams user id, or the channel id."""
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime]
