"""The private "Report a concern" button, on every pair message and the home screen."""

from __future__ import annotations

from conversations import cards, codec
from conversations.messages import Button
from storage.models import Pair

REPORT_CONCERN = "concern.report"
"""The submit action of the form that reports a concern."""


REPORT_LABEL = "Report a concern"


def report_button(about: str, *, label: str = REPORT_LABEL) -> Button:
    """Opens the private concern form about ``about`` ("pair:<id>" or "programme:<id>")."""
    return cards.open_form_button(label, action=REPORT_CONCERN, value=about)


def pair_report_button(pair: Pair) -> Button:
    """The pair message's way to tell the programme team, privately, that something is wrong."""
    return report_button(codec.ConcernAbout("pair", pair.id).encode())
