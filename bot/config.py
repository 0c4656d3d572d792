"""Configuration from environment variables and an optional ``.env`` file.

A missing or invalid value stops start-up with one line per variable naming
it and saying what it expects, instead of a traceback deep in a driver.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conversations.logcontext import FIELDS as CONTEXT_FIELDS
from conversations.logcontext import ContextFilter
from storage.db import DatabaseUrlError, normalise_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/mentorbot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


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
    slack_workspace_rate: float = Field(default=20.0, gt=0, le=10000)
    teams_tenant_rate: float = Field(default=20.0, gt=0, le=10000)
    outbox_webhook_url: str | None = Field(default=None)
    slack_bot_token: str | None = Field(default=None)
    slack_signing_secret: str | None = Field(default=None)
    slack_api_url: str | None = Field(default=None)
    slack_client_id: str | None = Field(default=None)
    slack_client_secret: str | None = Field(default=None)
    slack_app_token: str | None = Field(default=None)
    microsoft_app_id: str | None = Field(default=None)
    microsoft_app_password: str | None = Field(default=None)
    microsoft_app_type: str = Field(default="MultiTenant")
    microsoft_app_tenant_id: str | None = Field(default=None)
    teams_enabled: bool = Field(default=False)
    teams_file_url: str | None = Field(default=None)
    digest_min_group: int = Field(default=5, ge=3, le=1000)
    concern_escalation_minutes: int = Field(default=15, ge=1, le=1440)
    retention_days: int = Field(default=180, ge=1, le=3650)

    @property
    def slack_enabled(self) -> bool:
        """A signing secret and either a bot token or an app's client id and secret."""
        return bool(
            self.slack_signing_secret
            and (self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))
        )

    @property
    def teams_active(self) -> bool:
        """Teams is served when the bot has an app id, or when asked to without one (local
        development with the Bot Framework Emulator: no authentication)."""
        return bool(self.microsoft_app_id) or self.teams_enabled

    @field_validator("microsoft_app_id", "microsoft_app_password", "microsoft_app_tenant_id")
    @classmethod
    def _blank(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("microsoft_app_type")
    @classmethod
    def _app_type(cls, value: str) -> str:
        for known in APP_TYPES:
            if value.strip().lower() == known.lower():
                return known
        raise ValueError(f"must be one of {', '.join(APP_TYPES)}")

    @model_validator(mode="after")
    def _teams_credentials(self) -> Settings:
        """An app id needs what its app type signs in with, or every reply would fail later."""
        if not self.microsoft_app_id:
            return self
        kind = self.microsoft_app_type
        if kind in ("MultiTenant", "SingleTenant") and not self.microsoft_app_password:
            raise ValueError(
                f"MICROSOFT_APP_PASSWORD is needed with MICROSOFT_APP_ID for a {kind} bot"
            )
        if kind in ("SingleTenant", "UserAssignedMSI") and not self.microsoft_app_tenant_id:
            raise ValueError(
                f"MICROSOFT_APP_TENANT_ID is needed with MICROSOFT_APP_ID for a {kind} bot"
            )
        return self

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

    @field_validator("slack_api_url", "teams_file_url")
    @classmethod
    def _api(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/") + "/"

    @field_validator("outbox_webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/")

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


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
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
        raise ConfigError("\n".join(lines)) from None


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


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())  # the ids bound to the task doing the logging
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, settings.log_level), handlers=[handler])
    if settings.log_level != "DEBUG":
        # Alembic narrates every migration step at INFO; only its problems matter here.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # APScheduler announces every run of the minute's tick; our own lines say what it did.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
