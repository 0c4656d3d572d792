"""Configuration from environment variables and an optional ``.env`` file.

A missing or invalid value stops start-up with one line per variable naming
it and saying what it expects, instead of a traceback deep in a driver.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters import plugins
from adapters.plugins import PlatformSettings
from conversations.logcontext import FIELDS as CONTEXT_FIELDS
from conversations.logcontext import ContextFilter
from storage.db import DatabaseUrlError, normalise_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/mentorbot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = Field(default=DEFAULT_DATABASE_URL)
    port: int = Field(default=3978)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    log_level: str = Field(default="INFO")
    log_format: str = Field(default="text")
    default_timezone: str = Field(default="UTC")
    tick_seconds: float = Field(default=60.0, ge=1, le=3600)
    dispatch_seconds: float = Field(default=2.0, ge=0.1, le=600)
    outbox_concurrency: int = Field(default=8, ge=1, le=256)
    outbox_lease_seconds: float = Field(default=60.0, ge=5, le=3600)
    digest_min_group: int = Field(default=5, ge=3, le=1000)
    concern_escalation_minutes: int = Field(default=15, ge=1, le=1440)
    retention_days: int = Field(default=180, ge=1, le=3650)
    _platforms: dict[str, PlatformSettings] = PrivateAttr(default_factory=dict)

    def platform(self, name: str) -> PlatformSettings:
        """The settings of the platform called ``name`` (its own variables, see
        :mod:`adapters.plugins`), read with these."""
        if name not in self._platforms:
            model = next(each.settings for each in plugins.discover() if each.name == name)
            self._platforms[name] = model()
        return self._platforms[name]

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            return normalise_url(value)
        except DatabaseUrlError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: object) -> int:
        try:
            port = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number between 1 and 65535") from None
        if not 1 <= port <= 65535:
            raise ValueError("must be a whole number between 1 and 65535")
        return port

    @field_validator("log_format")
    @classmethod
    def _format(cls, value: str) -> str:
        chosen = value.strip().lower()
        if chosen not in LOG_FORMATS:
            raise ValueError(f"must be one of {', '.join(LOG_FORMATS)}")
        return chosen

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/London") from None
        return value.strip()


class ConfigError(Exception):
    """Configuration is unusable; the message has one line per bad variable."""


def variable_names() -> set[str]:
    """Every environment variable mentorbot reads: the process's and every platform's."""
    models: list[type[BaseSettings]] = [Settings, *(each.settings for each in plugins.discover())]
    return {name.upper() for model in models for name in model.model_fields}


def load_settings(**overrides: object) -> Settings:
    """The process's settings and every platform's, from the environment (and ``.env``);
    ``overrides`` name any of their fields. Every bad variable is one line of the error."""
    models: dict[str, type[BaseSettings]] = {"": Settings}
    models.update({each.name: each.settings for each in plugins.discover()})
    given: dict[str, dict[str, Any]] = {key: {} for key in models}
    for field, value in overrides.items():
        owner = next((key for key, model in models.items() if field in model.model_fields), None)
        if owner is None:
            raise TypeError(f"no setting is called {field}")
        given[owner][field] = value
    built: dict[str, BaseSettings] = {}
    lines: list[str] = []
    for key, model in models.items():
        try:
            built[key] = model(**given[key])
        except ValidationError as exc:
            lines += _problems(exc)
    if lines:
        raise ConfigError("\n".join(lines))
    settings = built.pop("")
    assert isinstance(settings, Settings)
    settings._platforms = {
        key: value for key, value in built.items() if isinstance(value, PlatformSettings)
    }
    return settings


def _problems(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
        reason = reason.removeprefix("Value error, ")
        if not error["loc"]:  # a rule across variables names them itself
            lines.append(reason)
            continue
        given = error.get("input")
        shown = f" (got {given!r})" if isinstance(given, str | int) else ""
        lines.append(f"{str(error['loc'][0]).upper()} {reason}{shown}")
    return lines


class JsonLines(logging.Formatter):
    """One JSON object per line, for log collectors: time, level, logger, message, the
    context ids a call passed, and the exception's type and trace when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class OneLine(logging.Formatter):
    """Text logs where every record is one line: what a person typed (a file's name, a
    display name) can hold a newline or a control character that would otherwise start a
    forged line of its own. A trace, ours, follows on its own lines as usual."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(_escaped, super().formatMessage(record))


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())  # the ids bound to the task doing the logging
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, settings.log_level), handlers=[handler])
    if settings.log_level != "DEBUG":
        # Alembic narrates every migration step at INFO; only its problems matter here.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # APScheduler announces every run of the minute's tick; our own lines say what it did.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
