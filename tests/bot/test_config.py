"""Configuration: defaults that work on a fresh clone, one clear line per bad variable."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("DATABASE_URL", "PORT", "LOG_LEVEL", "DEFAULT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_defaults_need_nothing_but_the_install() -> None:
    settings = load_settings()
    assert (
        settings.database_url,
        settings.port,
        settings.log_level,
        settings.default_timezone,
    ) == (DEFAULT_DATABASE_URL, 3978, "INFO", "UTC")


def test_hosting_style_postgres_urls_are_mapped_to_the_async_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://bot:secret@db.internal:5432/mentoring")
    assert load_settings().database_url == (
        "postgresql+asyncpg://bot:secret@db.internal:5432/mentoring"
    )


def test_a_dotenv_file_is_read(tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("PORT=8080\nDEFAULT_TIMEZONE=America/Halifax\n")
    settings = load_settings()
    assert (settings.port, settings.default_timezone) == (8080, "America/Halifax")


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("PORT", "abc", "PORT must be a whole number between 1 and 65535 (got 'abc')"),
        ("PORT", "70000", "PORT must be a whole number between 1 and 65535 (got '70000')"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE must be an IANA time zone"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL unsupported database 'mysql'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL not a database URL"),
    ],
)
def test_an_invalid_value_names_the_variable_and_what_it_expects(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, line: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)


def test_startup_stops_with_one_line_per_bad_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0] == (
        "mentorbot: configuration error: PORT must be a whole number between "
        "1 and 65535 (got 'abc')"
    )
    assert err[1].startswith("mentorbot: configuration error: LOG_LEVEL must be one of")


def test_json_logs_are_one_object_a_line_with_the_context_ids() -> None:
    import json
    import logging

    from bot.config import JsonLines

    formatter = JsonLines()
    record = logging.LogRecord(
        "mentorbot.delivery", logging.WARNING, __file__, 1, "sent %s", ("3",), None
    )
    record.__dict__.update(workspace="T1", programme="career", outbox_id=7)
    line = formatter.format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "WARNING" and parsed["logger"] == "mentorbot.delivery"
    assert parsed["message"] == "sent 3"
    assert (parsed["workspace"], parsed["programme"], parsed["outbox_id"]) == ("T1", "career", 7)
    assert parsed["time"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(formatter.format(failed))["exception"]


def test_the_log_format_is_text_or_json() -> None:
    assert load_settings(log_format="JSON").log_format == "json"
    with pytest.raises(ConfigError, match="LOG_FORMAT must be one of text, json"):
        load_settings(log_format="xml")
