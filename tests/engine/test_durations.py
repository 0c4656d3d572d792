"""Time words mean what people mean: one grammar for every duration, one way of saying them.

``m`` is minutes and ``mo`` months, whatever place reads them; places counted in days
refuse minutes and hours in a sentence rather than rounding them away; and a duration
said back reads the way a person would say it ("2 weeks", never "20160 minutes").
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import durations
from conversations.durations import describe, describe_days, elapsed, parse_days, parse_delta

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

ACCEPTED_SPANS = [
    ("30m", 30 * MINUTE),
    ("30 m", 30 * MINUTE),
    ("1min", MINUTE),
    ("5 mins", 5 * MINUTE),
    ("1 minute", MINUTE),
    ("30 minutes", 30 * MINUTE),
    ("30 Minutes", 30 * MINUTE),
    ("12h", 12 * HOUR),
    ("1 hr", HOUR),
    ("2 hours", 2 * HOUR),
    ("an hour", HOUR),
    ("3d", 3 * DAY),
    ("1 day", DAY),
    ("10 days", 10 * DAY),
    ("1w", 7 * DAY),
    ("2 weeks", 14 * DAY),
    ("  2   WEEKS ", 14 * DAY),
    ("a week", 7 * DAY),
    ("two weeks", 14 * DAY),
    ("week", 7 * DAY),
    ("1mo", 30 * DAY),
    ("2mo", 60 * DAY),
    ("1 month", 30 * DAY),
    ("6 months", 180 * DAY),
]


@pytest.mark.parametrize(("written", "meant"), ACCEPTED_SPANS)
def test_a_span_is_read_the_way_people_mean_it(written: str, meant: timedelta) -> None:
    assert parse_delta(written) == meant


REFUSED_SPANS = [
    ("", "Say how long"),
    ("soon", "is not a duration I understand"),
    ("30", "30 what?"),
    ("1.5 weeks", "whole number"),
    ("1.5 hours", "'90 minutes'"),
    ("0 days", "no time at all"),
    ("-3d", "can't go back"),
    ("10 fortnights", "'20 weeks'"),
    ("5 m o", "is not a duration I understand"),
    ("1 year", "'12 months'"),
    ("45 seconds", "minutes"),
    ("2 weeks 3 days", "one unit"),
    ("1h30m", "one unit"),
    ("every 2 weeks", "how long"),
    ("99999999999d", "longer than I can plan for"),
    ("123 months", "longer than I can plan for"),
]


@pytest.mark.parametrize(("written", "said"), REFUSED_SPANS)
def test_an_ambiguous_or_impossible_span_is_refused_with_examples(written: str, said: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. '") as refused:
        parse_delta(written)
    assert said in str(refused.value)


ACCEPTED_RHYTHMS = [
    ("every 2 weeks", 14),
    ("every week", 7),
    ("weekly", 7),
    ("fortnightly", 14),
    ("every month", 30),
    ("monthly", 30),
    ("1 month", 30),
    ("2mo", 60),
    ("3 months", 90),
    ("10 days", 10),
    ("every 3d", 3),
    ("2w", 14),
]


@pytest.mark.parametrize(("written", "days"), ACCEPTED_RHYTHMS)
def test_a_rhythm_is_read_in_days(written: str, days: int) -> None:
    assert parse_days(written) == days


REFUSED_RHYTHMS = [
    ("every 30 minutes", "counted in days"),
    ("30m", "counted in days"),
    ("12 hours", "counted in days"),
    ("every 0 weeks", "no time at all"),
    ("now and then", "is not a duration I understand"),
    ("every 1.5 weeks", "whole number"),
]


@pytest.mark.parametrize(("written", "said"), REFUSED_RHYTHMS)
def test_a_rhythm_shorter_than_a_day_or_unclear_is_refused(written: str, said: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_days(written)
    assert said in str(refused.value)
    assert "every 2 weeks" in str(refused.value)  # an example of what would do


def test_a_day_counted_place_names_itself_in_its_refusal() -> None:
    with pytest.raises(ValueError) as refused:
        durations.parse_whole_days("5 minutes", what="The choice window")
    assert str(refused.value).startswith("The choice window is counted in whole days")
    assert durations.parse_whole_days("1 week", what="The choice window") == 7


DESCRIBED = [
    (30 * MINUTE, "30 minutes"),
    (MINUTE, "1 minute"),
    (90 * MINUTE, "90 minutes"),
    (HOUR, "1 hour"),
    (36 * HOUR, "36 hours"),
    (DAY, "1 day"),
    (10 * DAY, "10 days"),
    (14 * DAY, "2 weeks"),
    (30 * DAY, "1 month"),
    (90 * DAY, "3 months"),
    (600 * DAY, "20 months"),
    (timedelta(minutes=864000), "20 months"),
    (timedelta(minutes=43200), "1 month"),
]


@pytest.mark.parametrize(("span", "said"), DESCRIBED)
def test_a_span_is_said_in_the_largest_unit_that_says_it_exactly(
    span: timedelta, said: str
) -> None:
    assert describe(span) == said


@pytest.mark.parametrize(("written", "_meant"), ACCEPTED_SPANS)
def test_what_is_said_back_reads_back_as_the_same_span(written: str, _meant: timedelta) -> None:
    span = parse_delta(written)
    assert parse_delta(describe(span)) == span


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (1, "every day"),
        (7, "every week"),
        (10, "every 10 days"),
        (14, "every 2 weeks"),
        (30, "every month"),
        (60, "every 2 months"),
    ],
)
def test_a_rhythm_is_said_the_way_people_say_it(days: int, said: str) -> None:
    assert describe_days(days) == said
    assert parse_days(said) == days


@pytest.mark.parametrize(
    ("passed", "said"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (15 * MINUTE, "15 minutes"),
        (119 * MINUTE, "119 minutes"),
        (3 * HOUR + 20 * MINUTE, "3 hours"),
        (47 * HOUR, "47 hours"),
        (3 * DAY, "3 days"),
        (21 * DAY, "3 weeks"),
        (45 * DAY, "6 weeks"),
        (timedelta(minutes=43200), "4 weeks"),
        (timedelta(minutes=864000), "20 months"),
    ],
)
def test_time_that_has_passed_is_said_in_a_unit_a_person_would_use(
    passed: timedelta, said: str
) -> None:
    assert elapsed(passed) == said
