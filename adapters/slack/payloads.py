"""What a signed Slack request must hold before the adapter acts on it.

The signature proves a request came from Slack, not that its fields have the shapes
the listeners read; a missing ``user_id`` would otherwise make a person with no id,
and a ``user`` that is a string would fail half-way through a listener, after the
acknowledgement, leaving the person with no answer. So the body is parsed once, here,
and checked field by field for every kind of request a listener handles. Slack's URL
verification and SSL check go on to bolt, which answers them; any other kind is a clear
404 here, since bolt reads the fields of every kind without checking them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from adapters import limits
from conversations import inbound

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_EVENT_ID = 255
"""The length of the column a Slack retry is recognised by."""


class Malformed(ValueError):
    """The body is not a request Slack would send; the message says what is wrong."""


def parse(text: str, content_type: str) -> dict[str, Any]:
    """The body as Slack means it: Events API JSON; an interactivity form whose
    ``payload`` field is JSON; or a slash command's form, every value a string.

    Bolt guesses the kind from the text (any form body with the word "payload" in it,
    such as ``/mentor help payload``, would be read as an empty interactivity payload);
    here the content type and the form's own fields decide. NULs and lone surrogates
    (which JSON can carry) are cleaned out of every string, so an event id is storable.
    """
    if content_type == JSON_TYPE:
        try:
            body = limits.json_value(text)
        except limits.TooDeep as exc:
            raise Malformed(str(exc)) from None
        except ValueError:
            raise Malformed("the body is not valid JSON") from None
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            try:
                body = limits.json_value(form["payload"])
            except limits.TooDeep as exc:
                raise Malformed(str(exc)) from None
            except ValueError:
                raise Malformed("the payload field is not valid JSON") from None
        else:
            body = form
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    return dict(inbound.cleaned(body))


UNHANDLED = (
    "unhandled request: this app takes slash commands, button presses, form submissions and events"
)


def check(body: Mapping[str, Any]) -> tuple[int, str] | None:
    """Why this body cannot be handed on, as a status and a sentence; None when it can.

    Only the kinds of request this app handles go on to bolt (slack-bolt reads fields
    of every kind without checking them, and would fail on a malformed kind it does
    not even handle): a slash command, a button press, a form submission, an event,
    and Slack's own URL verification and SSL check, which bolt answers itself.
    """
    if isinstance(body.get("command"), str):
        found = _command(body)
    elif body.get("ssl_check") == "1" and "type" not in body:
        found = None
    elif body.get("type") == "url_verification":
        found = _required(body, "", challenge=_text)
    elif body.get("type") == "block_actions":
        found = _interaction(body) or _actions(body)
    elif body.get("type") == "view_submission":
        found = _interaction(body) or _view(body)
    elif body.get("type") == "event_callback":
        found = _event(body)
    else:
        return 404, UNHANDLED
    return None if found is None else (400, found)


# -- field checks ------------------------------------------------------------------------

Check = Callable[[Any], bool]


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _named(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional(body: Mapping[str, Any], where: str, **checks: Check) -> str | None:
    """The first field present (and not null) that fails its check, as a sentence."""
    for name, check in checks.items():
        value = body.get(name)
        if value is not None and not check(value):
            return f"{where}{name} is not what Slack sends"
    return None


def _required(body: Mapping[str, Any], where: str, **checks: Check) -> str | None:
    for name, check in checks.items():
        if not check(body.get(name)):
            return f"the request has no usable {where}{name}"
    return None


# -- kinds of request --------------------------------------------------------------------


def _command(body: Mapping[str, Any]) -> str | None:
    return _required(body, "", user_id=_named, team_id=_named)


def _interaction(body: Mapping[str, Any]) -> str | None:
    """What every button press and form submission carries: who, where, how to answer."""
    found = _required(body, "", user=_object) or _optional(
        body, "", team=_object, trigger_id=_text, response_url=_url
    )
    if found:
        return found
    user: Mapping[str, Any] = body["user"]
    found = _required(user, "user.", id=_named) or _optional(
        user, "user.", username=_text, name=_text, team_id=_text
    )
    if found:
        return found
    team = (body.get("team") or {}).get("id") or user.get("team_id")
    if not _named(team):
        return "the request has no usable team"
    return _optional(body.get("team") or {}, "team.", id=_text)


def _actions(body: Mapping[str, Any]) -> str | None:
    found = _required(body, "", actions=lambda v: _objects(v) and bool(v))
    found = found or _optional(body, "", container=_object, message=_object, channel=_object)
    if found:
        return found
    for action in body.get("actions") or []:
        found = _optional(action, "actions[].", action_id=_text, value=_text, text=_object)
        if found:
            return found
    found = _optional(body.get("container") or {}, "container.", channel_id=_text)
    found = found or _optional(body.get("container") or {}, "container.", message_ts=_text)
    return found or _optional(body.get("message") or {}, "message.", blocks=_objects, text=_text)


def _view(body: Mapping[str, Any]) -> str | None:
    found = _required(body, "", view=_object)
    if found:
        return found
    view: Mapping[str, Any] = body["view"]
    found = _required(view, "view.", callback_id=_text) or _optional(
        view, "view.", type=lambda v: v == "modal", private_metadata=_text, state=_object
    )
    if found:
        return found
    values = (view.get("state") or {}).get("values")
    if values is not None and not (_object(values) and all(map(_object, values.values()))):
        return "view.state.values is not what Slack sends"
    return None


def _event(body: Mapping[str, Any]) -> str | None:
    found = _required(body, "", team_id=_named, event=_object)
    found = found or _optional(body, "", event_id=_text)
    if found:
        return found
    if len(str(body.get("event_id") or "")) > MAX_EVENT_ID:
        return "event_id is longer than Slack makes them"
    event: Mapping[str, Any] = body["event"]
    found = _required(event, "event.", type=_named)
    if found:
        return found
    if event["type"] == "app_home_opened":
        return _required(event, "event.", user=_named)
    if event["type"] == "message":
        return _message(event)
    if event["type"] == "tokens_revoked":
        return _revoked(event)
    return None


def _revoked(event: Mapping[str, Any]) -> str | None:
    """``tokens_revoked``: which user tokens (``oauth``) and bot tokens (``bot``) went, each
    a list of user ids."""
    found = _required(event, "event.", tokens=_object)
    if found:
        return found
    tokens: Mapping[str, Any] = event["tokens"]

    def ids(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)

    return _optional(tokens, "event.tokens.", oauth=ids, bot=ids)


def _message(event: Mapping[str, Any]) -> str | None:
    """A message event; only one typed to the bot by a person goes on to the engine."""
    found = _optional(event, "event.", user=_text, text=_text, channel=_text, files=_objects)
    found = found or _optional(event, "event.", message=_object, previous_message=_object)
    if found:
        return found
    for shared in event.get("files") or []:
        found = _optional(
            shared,
            "event.files[].",
            url_private=_url,
            url_private_download=_url,
            size=_count,
            name=_text,
            mimetype=_text,
        )
        if found:
            return found
    personal = event.get("channel_type") == "im" and not event.get("bot_id")
    if personal and event.get("subtype") in (None, "file_share"):
        return _required(event, "event.", user=_named)
    return None
