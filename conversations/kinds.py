"""What each message is: one enum, so code branches on members, never on free strings.

A message's kind names it for logs, tests and the outbox (``outbox.kind``), picks the
renderer of a planned message, and says whether a reply is a refusal. Values are the
plain strings stored in the outbox, so rows written before this enum read back the same.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    AGENDA = "agenda"
    ANNOUNCED = "announced"
    ANNOUNCEMENT = "announcement"
    AUDIT = "audit"
    AUTO_PAUSED = "auto_paused"
    BLOCKED = "blocked"
    CHECKED_IN = "checked_in"
    CHECKIN = "checkin"
    CHECKIN_REMINDER = "checkin_reminder"
    CHECKIN_RATING = "checkin_rating"
    CLEARANCE = "clearance"
    CLEARANCE_LAPSED = "clearance_lapsed"
    CLOSING = "closing"
    CONCERN = "concern"
    CONCERN_ACKNOWLEDGED = "concern_acknowledged"
    CONCERN_DETAIL = "concern_detail"
    CONCERN_ESCALATION = "concern_escalation"
    CONCERN_FORM = "concern_form"
    CONCERN_LIST = "concern_list"
    CONCERN_OFFER = "concern_offer"
    CONCERN_PAUSED = "concern_paused"
    CONCERN_REPORTED = "concern_reported"
    CONCERN_RESOLVED = "concern_resolved"
    CONCERN_UNCHANGED = "concern_unchanged"
    CONDUCT = "conduct"
    CONDUCT_ACCEPTED = "conduct_accepted"
    CONDUCT_CHANGED = "conduct_changed"
    COORDINATOR_BLOCK_NOTICE = "coordinator_block_notice"
    COORDINATOR_LEFT_NOTICE = "coordinator_left_notice"
    COORDINATOR_NUDGE = "coordinator_nudge"
    COORDINATOR_PAIRING_ENDED = "coordinator_pairing_ended"
    COORDINATOR_UNMATCHED = "coordinator_unmatched"
    DELIVERY_PROBLEM = "delivery_problem"
    DIGEST = "digest"
    DIGEST_SUBSCRIBED = "digest_subscribed"
    DIGEST_UNSUBSCRIBED = "digest_unsubscribed"
    DO_NOT_PAIR = "do_not_pair"
    ENROLLED = "enrolled"
    ERROR = "error"
    EXPORTED = "exported"
    FILE = "file"
    FORGET_CONFIRM = "forget_confirm"
    FORGET_KEPT = "forget_kept"
    FORGOTTEN = "forgotten"
    GREETING = "greeting"
    HELLO = "hello"
    HELP = "help"
    IMPORTED = "imported"
    INACTIVITY_NOTICE = "inactivity_notice"
    INTRODUCTION = "introduction"
    JOIN_FORM = "join_form"
    JOINED = "joined"
    KEPT_GOING = "kept_going"
    LEFT = "left"
    MEET_DUE = "meet_due"
    MEET_NUDGE = "meet_nudge"
    MEETING_LOGGED = "meeting_logged"
    MEETING_UNCLEAR = "meeting_unclear"
    MENTOR_CHOICE = "mentor_choice"
    MENTOR_REQUEST = "mentor_request"
    MY_DATA = "my_data"
    NOT_ALLOWED = "not_allowed"
    NOT_UNDERSTOOD = "not_understood"
    OFFER_ANSWERED = "offer_answered"
    OFFER_CHOSEN = "offer_chosen"
    OFFER_UPDATE = "offer_update"
    OUTBOX = "outbox"
    OUTBOX_RETRIED = "outbox_retried"
    PAIR_REFUSED = "pair_refused"
    PAIR_REPLY = "pair_reply"
    PAIR_RESUMED = "pair_resumed"
    PAIRED = "paired"
    PAIRING_ENDED = "pairing_ended"
    PARTNER_LEFT = "partner_left"
    PAUSE_NOTICE = "pause_notice"
    PAUSED = "paused"
    PAUSED_BY_TEAM = "paused_by_team"
    PROGRAM_CLOSE = "program_close"
    PROGRAM_CREATED = "program_created"
    PROGRAM_LAUNCH = "program_launch"
    PROGRAM_OPEN = "program_open"
    PROGRAM_PAUSE = "program_pause"
    PROGRAM_RESUME = "program_resume"
    PROGRAM_SET = "program_set"
    PROGRAMME_STATUS = "programme_status"
    PROGRAMMES = "programmes"
    PROPOSAL = "proposal"
    PROPOSAL_CHANGED = "proposal_changed"
    PUBLISHED = "published"
    PULSE = "pulse"
    PULSE_REMINDER = "pulse_reminder"
    PULSE_DONE = "pulse_done"
    QUIET_DAYS = "quiet_days"
    REMINDER = "reminder"
    REPLY = "reply"
    REPLY_PASSED = "reply_passed"
    RESUMED = "resumed"
    RESUME_NOTICE = "resume_notice"
    RESUMED_BY_TEAM = "resumed_by_team"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    SAFEGUARDING = "safeguarding"
    SAFEGUARDING_NOTICE = "safeguarding_notice"
    SNOOZED = "snoozed"
    STALL = "stall"
    STALL_HANDLED = "stall_handled"
    STATUS = "status"
    UNPAIRED = "unpaired"
    WELCOME = "welcome"
    WHICH = "which"
    """A refusal that asks which one was meant, with a button per answer."""
    WHICH_PAIR = "which_pair"

    @property
    def words(self) -> str:
        """What a person calls a message of this kind ("a did-you-meet nudge"), for the few
        places that must name one: a delivery problem, the outbox list."""
        return _WORDS.get(self, self.value.replace("_", " "))

    @property
    def refusal(self) -> bool:
        """A reply saying no: nothing was changed (platforms keep the card as it was)."""
        return self in (Kind.ERROR, Kind.NOT_ALLOWED, Kind.WHICH)


_WORDS = {
    Kind.AGENDA: "session agenda",
    Kind.AUTO_PAUSED: "pause after a quiet spell",
    Kind.CHECKIN: "check-in",
    Kind.CHECKIN_REMINDER: "check-in reminder",
    Kind.CLOSING: "closing message",
    Kind.CONDUCT: "code of conduct",
    Kind.INACTIVITY_NOTICE: "still-meeting check",
    Kind.INTRODUCTION: "introduction",
    Kind.MEET_NUDGE: "did-you-meet nudge",
    Kind.PULSE: "how-is-it-going check",
    Kind.STALL: "stalled-pair notice",
}
