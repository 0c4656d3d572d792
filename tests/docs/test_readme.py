"""README tells the truth: every command and environment variable is documented."""

from __future__ import annotations

from bot.config import Settings
from conversations.commands import VERBS, load_all
from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text()


def test_every_command_is_in_the_readme_table() -> None:
    load_all()
    missing = [
        v.usage for v in VERBS.values() if f"`{v.usage.replace('|', chr(92) + '|')}`" not in README
    ]
    assert missing == []


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in README


def test_the_quick_start_has_exactly_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    assert [line for line in block.splitlines() if line.strip()] == [
        "python3 dev.py demo",
        "python3 dev.py test",
    ]
