"""Our migrations create the Slack installation tables exactly as slack_sdk's stores use them."""

from __future__ import annotations

import sqlalchemy
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from storage.models import Base


def _shape(table: sqlalchemy.Table) -> dict[str, tuple[str, bool]]:
    return {c.name: (type(c.type).__name__, bool(c.nullable)) for c in table.columns}


def test_installation_bot_and_state_tables_match_the_sdk() -> None:
    theirs = sqlalchemy.MetaData()
    expected = {
        "slack_installations": SQLAlchemyInstallationStore.build_installations_table(
            theirs, "slack_installations"
        ),
        "slack_bots": SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots"),
        "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table(
            theirs, "slack_oauth_states"
        ),
    }
    for name, table in expected.items():
        assert _shape(Base.metadata.tables[name]) == _shape(table), name
