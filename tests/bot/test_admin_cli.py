"""``mentorbot admin grant``: the server's operator sets who coordinates a workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.admin_cli import grant
from bot.cli import main
from bot.config import load_settings
from storage.models import AuditEntry, Person, RoleGrant, Workspace
from tests.support.harness import Chat, open_chat


async def _coordinators(chat: Chat) -> list[str]:
    async with chat.app.sessions() as session:
        rows = await session.scalars(
            select(Person.platform_user_id)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(RoleGrant.role == "coordinator")
            .order_by(Person.platform_user_id)
        )
        return list(rows.all())


async def test_an_operator_names_the_first_coordinator_before_anyone_speaks(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(database_url=database_url)
    assert (
        await grant(settings, workspace="acme", user="zed", role="coordinator", platform="slack")
        == 0
    )
    assert capsys.readouterr().out == "zed is now a coordinator in slack workspace acme.\n"
    async with open_chat(database_url) as opened:
        chat = Chat(opened.app, opened.clock, platform="slack")
        await chat.hello("maya")  # the first to speak, but the workspace has its coordinator
        assert "You're a coordinator here" in await chat.hello("zed")
        assert await _coordinators(chat) == ["zed"]
        async with chat.app.sessions() as session:
            zed = await session.scalar(select(Person).where(Person.platform_user_id == "zed"))
            assert zed is not None and zed.display_name == "Zed"  # named once they spoke
            [entry] = (
                await session.scalars(select(AuditEntry).where(AuditEntry.action == "role.grant"))
            ).all()
        assert entry.actor_id is None and entry.after == {
            "role": "coordinator",
            "by": "the server's operator",
        }
        again = await grant(
            settings, workspace="acme", user="zed", role="coordinator", platform=None
        )
        assert again == 0
        assert capsys.readouterr().out == "zed is already a coordinator in slack workspace acme.\n"


async def test_a_workspace_nobody_used_needs_its_platform_and_changes_nothing_without(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(database_url=database_url)
    status = await grant(settings, workspace="T404", user="U1", role="coordinator", platform=None)
    assert status == 2
    assert capsys.readouterr().err == (
        "mentorbot: nobody in workspace T404 has used the bot yet; add --platform "
        "(e.g. --platform slack) to set it up now\n"
    )
    async with open_chat(database_url) as chat, chat.app.sessions() as session:
        assert (await session.scalars(select(Workspace))).all() == []


def test_the_command_line_reads_ids_and_a_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    argv = ["admin", "grant", "--workspace", "T1", "--user", "U1", "--platform", "teams"]
    assert main([*argv, "executive"]) == 0
    assert capsys.readouterr().out == "U1 is now an executive in teams workspace T1.\n"
    with pytest.raises(SystemExit):
        main([*argv, "boss"])
    assert "invalid choice: 'boss'" in capsys.readouterr().err
