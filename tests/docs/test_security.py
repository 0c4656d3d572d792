"""SECURITY.md stays true: every module and test it cites exists (a test named with ``::``
is defined in that file), and every limit it quotes is the one the code enforces. A module
renamed, a test removed or a limit changed fails here rather than leaving the threat model
describing a bot that no longer exists."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from adapters import downloads, limits
from adapters.slack import store as slack_store
from adapters.teams import app as teams_app
from adapters.teams import inbound as teams_inbound
from adapters.teams import store as teams_store
from bot import limits as server_limits
from bot.config import Settings
from conversations.features.conversation import personal as held_words
from conversations.features.digest import digest
from conversations.features.outbox import personal as outbox_words

ROOT = Path(__file__).resolve().parents[2]
SECURITY = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
CITED = re.compile(
    r"`((?:adapters|bot|conversations|storage|tests)/[\w./-]+?)(?:::(test_\w+))?`", re.ASCII
)


def _size(n: int) -> str:
    """Bytes as the page writes them: "1 MiB", "256 KiB"."""
    return f"{n // 1024**2} MiB" if n % 1024**2 == 0 else f"{n // 1024} KiB"


def _days(period: timedelta) -> str:
    return f"{period.days} days"


def test_every_module_and_test_it_cites_exists() -> None:
    cited = CITED.findall(SECURITY)
    assert len(cited) > 60  # the citations were found at all
    missing = []
    for path, test in cited:
        where = ROOT / path
        if not where.exists():
            missing.append(path)
        elif test and not re.search(rf"^(?:async )?def {test}\(", where.read_text(), re.M):
            missing.append(f"{path}::{test}")
    assert missing == []


def test_every_limit_it_quotes_is_the_one_the_code_enforces() -> None:
    defaults = Settings.model_fields
    quoted = [
        f"at most {_size(limits.MAX_BODY)} to Slack and {_size(teams_app.MAX_BODY)} to Teams",
        f"within {limits.BODY_SECONDS:g} s of the handler",
        f"open {server_limits.REQUEST_SECONDS:g} s after",
        f"The {limits.BODY_SECONDS:g} s body deadline and the "
        f"{server_limits.REQUEST_SECONDS:g} s request deadline",
        f"nested deeper than {limits.MAX_DEPTH} levels",
        f"less than {slack_store.STATE_SECONDS // 60} minutes earlier",
        f"{teams_inbound.MAX_USER_ID} characters for a person or a tenant",
        f"{teams_inbound.MAX_RETRY_KEY} for a conversation and",
        f"over {_size(downloads.MAX_FILE_BYTES)}",
        f"taking over {downloads.TIMEOUT.total:g} s",
        f"At most {downloads.MAX_FILES} files",
        f"`RETENTION_DAYS` (default {defaults['retention_days'].default})",
        f"| {_days(outbox_words.KEPT_AFTER_DELIVERY)} after it was delivered or skipped |",
        f"| {_days(held_words.HELD_FOR)}, or `RETENTION_DAYS` if shorter |",
        f"| {_days(teams_store.KEPT_FOR)} |",
        f"(default {defaults['digest_min_group'].default}, never below {digest.MIN_GROUP_FLOOR})",
    ]
    assert [phrase for phrase in quoted if phrase not in SECURITY] == []
