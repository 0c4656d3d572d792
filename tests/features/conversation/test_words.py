"""Reading words: only an obvious greeting, yes, no or rating counts; anything in doubt is
None, so nothing is logged or waved away on a guess."""

from __future__ import annotations

import pytest

from conversations.features.conversation.words import (
    Greeting,
    greeting,
    meeting_answer,
    rating,
)
from storage.models import MeetingOutcome

MET, NOT_YET, MOVED = MeetingOutcome.MET, MeetingOutcome.NOT_YET, MeetingOutcome.RESCHEDULED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes we met!", MET),
        ("we did!", MET),
        ("Yep", MET),
        ("done", MET),
        ("No worries, we met on Tuesday", MET),
        ("We met last week but forgot to log it", MET),
        ("Not yet, sorry!", NOT_YET),
        ("nope", NOT_YET),
        ("haven't met yet", NOT_YET),
        ("no we didn’t", NOT_YET),
        ("we rescheduled", MOVED),
        ("postponed to next week", MOVED),
        ("yes, we'll meet on Friday", None),  # a plan, not a meeting
        ("we will meet tomorrow", None),
        ("yeah, not yet", None),  # both
        ("not sure", None),
        ("maybe?", None),
        ("did you get my message?", None),
        ("We've swapped a few emails about it", None),
        ("hi", None),
        ("yes " + "and then we talked about many other things " * 2, None),  # too long
        ("", None),
        ("🙂", None),
    ],
)
def test_only_an_obvious_answer_to_did_you_meet_counts(
    text: str, expected: MeetingOutcome | None
) -> None:
    assert meeting_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", Greeting.HELLO),
        ("Hello!", Greeting.HELLO),
        ("hey there 👋", Greeting.HELLO),
        ("Good morning", Greeting.HELLO),
        ("hi Maya", Greeting.HELLO),
        ("thanks", Greeting.THANKS),
        ("Thank you so much!", Greeting.THANKS),
        ("ok thanks", Greeting.THANKS),
        ("cheers", Greeting.THANKS),
        ("bye", Greeting.BYE),
        ("have a nice weekend", Greeting.BYE),
        ("hi, can you help me?", None),
        ("thanks, done", None),  # answers a question
        ("Thanks Maya, we'll meet Thursday", None),
        ("good", None),
        ("no thanks", None),
        ("👋", None),
        ("", None),
    ],
)
def test_only_a_greeting_and_nothing_more_is_a_greeting(
    text: str, expected: Greeting | None
) -> None:
    assert greeting(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4/5, we talked about my first project", (4, "we talked about my first project")),
        ("5 out of 5 - brilliant", (5, "brilliant")),
        ("3 stars", (3, "")),
        ("4", (4, "")),
        ("2.", (2, "")),
        ("1 / 5", (1, "")),
        ("10/10 would recommend", None),
        ("3pm works", None),
        ("2 weeks ago we met", None),
        ("6/5", None),
        ("great, 4/5", None),  # the rating comes first
    ],
)
def test_a_rating_counts_only_when_written_first(
    text: str, expected: tuple[int, str] | None
) -> None:
    assert rating(text) == expected
