"""Slack's own installation and OAuth-state tables (slack_sdk's SQLAlchemy stores), in our schema.

slack_sdk builds these tables itself; registering them here lets Alembic create and
migrate them with the rest of the database.
"""

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, String, Table
from sqlmodel import SQLModel

INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, "slack_installations")
BOTS = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, "slack_bots")
OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(SQLModel.metadata, "slack_oauth_states")

# Tokens are stored encrypted, which makes them longer than slack_sdk's 200 characters.
for _table in (INSTALLATIONS, BOTS):
    for _column in ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"):
        if _column in _table.c:
            _table.c[_column].type = String(1000)

# Which Enterprise Grid organisation a workspace belongs to. Reminders and digests know only the
# workspace (team id), while an installation inside an org is stored under the enterprise id too
# (and an org-wide one under the enterprise id alone), so the sender looks the enterprise up here.
TEAMS = Table(
    "slack_teams",
    SQLModel.metadata,
    Column("team_id", String(32), primary_key=True),
    Column("enterprise_id", String(32), nullable=False),
)
