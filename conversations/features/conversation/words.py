"""Reading a person's words: a greeting, an obvious yes or no to "did you meet?", a rating.

Each reader answers only when the words leave no doubt, and None otherwise: a message
that is not obviously a yes is never logged as a meeting, and one that is not obviously a
greeting is never waved away as one.
"""

from __future__ import annotations

import re
from enum import StrEnum

from storage.models import MeetingOutcome

_STRAIGHT = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    """The words of ``text`` in lower case, without punctuation or emoji ("it's" kept)."""
    return _TOKEN.findall(text.lower().translate(_STRAIGHT))


class Greeting(StrEnum):
    HELLO = "hello"
    THANKS = "thanks"
    BYE = "bye"


_HELLO = (
    r"hi|hello|hey|heya|hiya|howdy|hallo|hola|greetings|yo"
    r"|(?:good )?(?:morning|afternoon|evening)|good day"
)
_THANKS = (
    r"thanks|thank you|thankyou|thank u|thx|ty|cheers|ta|many thanks|much appreciated"
    r"|appreciated|appreciate it"
)
_BYE = (
    r"bye|bye bye|goodbye|see you|see ya|cya|later"
    r"|have a (?:good|nice|great) (?:day|weekend|evening)"
)
_BEFORE = r"(?:(?:ok|okay|oh|great|perfect|cool|brilliant|lovely|awesome|nice|and|well) )*"
_AFTER = (
    r"(?: (?:there|all|everyone|again|bot|mentorbot|team|friend|folks|so much|very much|a lot"
    r"|a million|you too|to you))*"
)
_GREETING = re.compile(rf"^(?:{_BEFORE}(?:{_HELLO}|{_THANKS}|{_BYE}){_AFTER} ?)+(?: [a-z]+)?$")


def greeting(text: str) -> Greeting | None:
    """A hello, a thank-you or a goodbye and nothing more ("hi there", "Thanks Maya!",
    "good morning"); None for anything that says something else too."""
    words = tokens(text)
    if not words or len(words) > 8:
        return None
    said = " ".join(words)
    if not _GREETING.match(said) or meeting_answer(text) is not None:
        return None  # "thanks, done" answers a question: it is no mere greeting
    if re.search(rf"\b(?:{_THANKS})\b", said):
        return Greeting.THANKS
    if re.search(rf"\b(?:{_HELLO})\b", said):
        return Greeting.HELLO
    return Greeting.BYE


_POLITE = re.compile(r"\b(?:no worries|no problem|no bother|thanks|thank you|sorry|please)\b")
_UNSURE = re.compile(
    r"\b(?:maybe|not sure|unsure|perhaps|kind of|sort of|partly|almost|nearly|i think|"
    r"don't know|dont know|no idea|not really)\b"
)
_LATER = re.compile(
    r"\b(?:will|we'll|i'll|going to|gonna|tomorrow|next|later|soon|planning|plan to|plan|"
    r"booked|scheduled|hope|hopefully|trying|try)\b"
)
_MOVED = re.compile(r"\b(?:rescheduled|reschedule|postponed|moved it|pushed it|pushed back)\b")
_NO = re.compile(
    r"\b(?:not yet|no|nope|nah|not|haven't|havent|have not|didn't|didnt|did not|hasn't|"
    r"hasnt|never|yet to)\b"
)
_YES_WORD = re.compile(r"\b(?:yes|yep|yeah|yup|yea|ya)\b")
_YES = re.compile(
    r"\b(?:yes|yep|yeah|yup|yea|ya|indeed|absolutely|definitely|certainly|done|met|"
    r"(?:we|i|sure|yes|yeah|yep) did|spoke|talked)\b|^did$"
)
MAX_ANSWER_WORDS = 10
"""An obvious answer is short; anything longer is read as words to pass on or ask about."""


def meeting_answer(text: str) -> MeetingOutcome | None:
    """An obvious answer to "have you met for this session?" in words: "yes we met",
    "we did!" (met); "not yet", "no, sorry" (not yet); "we rescheduled" (rescheduled).
    None when it is not obvious: a hedge, a plan ("yes, we'll meet Friday"), a question,
    both a yes and a no, or more than a short sentence."""
    if "?" in text:
        return None
    words = tokens(text)
    if not words or len(words) > MAX_ANSWER_WORDS:
        return None
    said = _POLITE.sub(" ", " ".join(words))
    if _UNSURE.search(said):
        return None
    if _MOVED.search(said):
        return MeetingOutcome.RESCHEDULED
    if _NO.search(said):
        return None if _YES_WORD.search(said) else MeetingOutcome.NOT_YET
    if _YES.search(said.strip()) and not _LATER.search(said):
        return MeetingOutcome.MET
    return None


_RATED = re.compile(r"^\s*([1-5])\s*(?:/\s*5|out\s+of\s+5|stars?)(?![0-9a-z])", re.IGNORECASE)
_ONLY = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")
_SEPARATORS = " \t\n,.;:!-–—"


def rating(text: str) -> tuple[int, str] | None:
    """A check-in written in words with its rating first ("4/5, we talked about…",
    "5 out of 5", "3 stars", or just "4"): the rating and the rest (maybe empty)."""
    rated = _RATED.match(text)
    if rated is not None:
        return int(rated.group(1)), text[rated.end() :].strip(_SEPARATORS)
    alone = _ONLY.match(text)
    if alone is not None:
        return int(alone.group(1)), ""
    return None
