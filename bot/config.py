"""Configuration from the environment: the names in the operator's contract."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from storage.engine import database_url

CONNECT_HINT = (
    "To connect Slack, set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_APP_TOKEN for Socket Mode); "
    "for Teams, set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD. See the README."
)


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Config:
    database_url: str
    port: int
    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str | None = None
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: str | None = None
    teams_allow_anonymous: bool = False
    encryption_key: str | None = None
    slack_timeout: float = 10.0  # seconds per Web API call
    lease_seconds: int = 60  # how long a worker holds a request before another may take it over

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        lease_text = get("PREFLIGHT_LEASE_SECONDS") or "60"
        if not lease_text.isdigit() or not 5 <= int(lease_text) <= 3600:
            raise ConfigError(f"PREFLIGHT_LEASE_SECONDS must be a number of seconds from 5 to 3600, not '{lease_text}'.")
        port_text = get("PORT") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a number from 1 to 65535, not '{port_text}'.")
        return cls(
            database_url=database_url(env),
            port=int(port_text),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_client_id=get("SLACK_CLIENT_ID"),
            slack_client_secret=get("SLACK_CLIENT_SECRET"),
            slack_api_url=get("SLACK_API_URL"),
            microsoft_app_id=get("MICROSOFT_APP_ID"),
            microsoft_app_password=get("MICROSOFT_APP_PASSWORD"),
            microsoft_app_tenant_id=get("MICROSOFT_APP_TENANT_ID"),
            microsoft_app_type=get("MICROSOFT_APP_TYPE"),
            teams_allow_anonymous=get("TEAMS_ALLOW_ANONYMOUS") == "1",
            encryption_key=get("PREFLIGHT_ENCRYPTION_KEY"),
            lease_seconds=int(lease_text),
        )

    def check(self) -> None:
        """Refuse settings that cannot work, with the fix in the message."""
        if self.slack_oauth and not self.encryption_key:
            raise ConfigError(
                "SLACK_CLIENT_ID is set, so Slack tokens will be stored: set PREFLIGHT_ENCRYPTION_KEY to a long random "
                "secret (e.g. the output of 'openssl rand -base64 32') so they are stored encrypted."
            )
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ConfigError("Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for installs over OAuth, or neither.")
        if (self.slack_bot_token or self.slack_client_id) and not self.slack_app_token and not self.slack_signing_secret:
            raise ConfigError("Slack over HTTP needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode).")
        if self.slack_app_token and not self.slack_bot_token:
            raise ConfigError("Socket Mode (SLACK_APP_TOKEN) also needs SLACK_BOT_TOKEN.")

    @property
    def slack_oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_app_token or self.slack_bot_token or self.slack_client_id)

    @property
    def teams_configured(self) -> bool:
        return bool(self.microsoft_app_id or self.teams_allow_anonymous)
