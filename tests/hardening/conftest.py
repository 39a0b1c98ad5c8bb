"""The hardening suite drives the same real servers as the Slack and Teams suites."""

from tests.bot.conftest import api, preflight  # noqa: F401  (fixtures)
from tests.bot.slack.conftest import slack  # noqa: F401
from tests.bot.teams.conftest import connector, teams  # noqa: F401
