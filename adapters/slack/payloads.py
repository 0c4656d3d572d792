"""What a signed Slack request must hold before the adapter acts on it.

The signature proves a request came from Slack, not that its fields have the shapes
the listeners read; a missing ``user_id`` would otherwise make a person with no id,
and a ``user`` that is a string would fail half-way through a listener, after the
acknowledgement, leaving the person with no answer. So the body is parsed once, here,
and checked field by field for every kind of request a listener handles; anything
else is left to bolt (the URL verification challenge, the SSL check, and a clear 404
for kinds this app does not handle).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

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
    here the content type and the form's own fields decide.
    """
    if content_type == JSON_TYPE:
        try:
            body = json.loads(text)
        except ValueError:
            raise Malformed("the body is not valid JSON") from None
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            try:
                body = json.loads(form["payload"])
            except ValueError:
                raise Malformed("the payload field is not valid JSON") from None
        else:
            body = form
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    return body


def problem(body: Mapping[str, Any]) -> str | None:
    """Why a listener could not act on this body, in a sentence; None when it can."""
    if isinstance(body.get("command"), str):
        return _command(body)
    kind = body.get("type")
    if kind == "block_actions":
        return _interaction(body) or _actions(body)
    if kind == "view_submission":
        return _interaction(body) or _view(body)
    if kind == "event_callback":
        return _event(body)
    return None


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
    found = _optional(body, "", actions=_objects, container=_object, message=_object)
    found = found or _optional(body, "", channel=_object)
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
    found = _optional(view, "view.", private_metadata=_text, state=_object, callback_id=_text)
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
    return None


def _message(event: Mapping[str, Any]) -> str | None:
    """A message event; only one typed to the bot by a person goes on to the engine."""
    found = _optional(event, "event.", user=_text, text=_text, channel=_text, files=_objects)
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
