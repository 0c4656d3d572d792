"""The Slack app manifest we ship is one Slack accepts, pointing at the right server."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from adapters.slack.app import BOT_SCOPES
from adapters.slack.manifest import manifest, manifest_yaml
from bot.cli import main
from tests.support.paths import SCHEMAS

URL = "https://mentor.example.org"


def schema() -> dict[str, Any]:
    path = SCHEMAS / "slack-manifest-1.0.0.json"
    if not path.is_file():
        pytest.fail(
            f"The Slack manifest schema is missing: expected {path}. "
            "CI lays shared/schemas/ beside the checkout; put it there to run this test."
        )
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def problems(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def urls(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [u for value in node.values() for u in urls(value)]
    if isinstance(node, list):
        return [u for value in node for u in urls(value)]
    return [node] if isinstance(node, str) and node.startswith("http") else []


def test_the_manifest_validates_against_slacks_schema() -> None:
    assert problems(manifest(URL)) == []


def test_the_schema_would_catch_a_mistake() -> None:
    broken = manifest(URL)
    broken["features"]["slash_commands"][0]["command"] = "mentor"  # no leading slash
    broken["settings"]["socket_mode"] = True  # not a field
    assert len(problems(broken)) == 2


def test_every_url_points_at_the_given_server() -> None:
    found = manifest("https://mentor.example.org:8443/")
    assert sorted(set(urls(found))) == [
        "https://mentor.example.org:8443/slack/events",
        "https://mentor.example.org:8443/slack/oauth_redirect",
    ]
    assert "HOST" not in manifest_yaml(URL)


def test_the_manifest_says_what_the_app_is_and_asks_for_little() -> None:
    found = manifest(URL)
    assert found["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert found["display_information"]["name"] == "Mentorbot"
    assert found["features"]["bot_user"] == {"display_name": "mentorbot", "always_online": True}
    assert found["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    (command,) = found["features"]["slash_commands"]
    assert command["command"] == "/mentor" and command["should_escape"] is True
    assert command["usage_hint"].startswith("help | status | join <program> | met | checkin")
    # The manifest asks for exactly the scopes the OAuth install requests.
    assert sorted(found["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    settings = found["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert "member_joined_channel" not in settings["event_subscriptions"]["bot_events"]


def test_every_scope_is_explained_in_the_shipped_file() -> None:
    text = manifest_yaml(URL)
    for scope in manifest(URL)["oauth_config"]["scopes"]["bot"]:
        (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(f"- {scope} ")]
        assert "#" in line, f"{scope} has no comment saying why it is needed"


@pytest.mark.parametrize(
    "bad",
    [
        "http://mentor.example.org",
        "mentor.example.org",
        "https://",
        "https://mentor.example.org/slack/events",
        "https://mentor.example.org?x=1",
        "https://user:secret@mentor.example.org",
        "https://mentor example.org",
        "https://mentor.example.org:99999",
        "https://mentor.example.org:abc",
    ],
)
def test_a_url_that_is_not_a_bare_https_server_is_refused(bad: str) -> None:
    with pytest.raises(ValueError) as refused:
        manifest(bad)
    assert "\n" not in str(refused.value)


def test_the_cli_prints_the_manifest_with_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--url", URL]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == manifest_yaml(URL)
    assert "url: https://mentor.example.org/slack/events" in out
    assert "# the /mentor slash command" in out  # the comments travel with it
    assert yaml.safe_load(out) == manifest(URL)


def test_the_cli_refuses_a_bad_url_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--url", "http://mentor.example.org/slack"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("mentorbot: ") and "https://" in err
