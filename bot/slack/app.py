"""The Bolt app: one workspace with a bot token, or many over OAuth; listeners wired to the handlers."""

from __future__ import annotations

import re

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.config import Config
from bot.slack.forms import CALLBACK, GAPS_CALLBACK
from bot.slack.settings import CALLBACK as SETTINGS_CALLBACK
from bot.slack.handlers import Handlers
from bot.slack.tokens import EncryptedInstallationStore, TokenCipher

# Only what Preflight uses; manifest.json asks for the same.
BOT_SCOPES = ["commands", "chat:write", "users:read"]
DEFAULT_API_URL = "https://slack.com/api/"


def web_client(config: Config, *, token: str | None = None) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL that waits out 429s (Retry-After) and retries 5xx."""
    base_url = config.slack_api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=config.slack_timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def installations(core: App, config: Config) -> EncryptedInstallationStore | None:
    """The store of OAuth installs (tokens encrypted), when Slack runs multi-workspace."""
    if not config.slack_oauth:
        return None
    if core.slack_installations is None:
        cipher = TokenCipher(config.encryption_key or "")
        core.slack_installations = EncryptedInstallationStore(cipher=cipher, client_id=config.slack_client_id or "", engine=core.engine)
    return core.slack_installations


def build(core: App, config: Config) -> AsyncApp:
    """The Bolt app for the configured install mode."""
    if config.slack_oauth:
        installs = installations(core, config)
        settings = AsyncOAuthSettings(
            client_id=config.slack_client_id,
            client_secret=config.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=installs,
            state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=core.engine),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
        )
        bolt = AsyncApp(
            name="preflight",
            signing_secret=config.slack_signing_secret or "",
            client=web_client(config),
            installation_store=installs,
            oauth_flow=AsyncOAuthFlow(client=web_client(config), settings=settings),
        )
    else:
        bolt = AsyncApp(
            name="preflight",
            signing_secret=config.slack_signing_secret or "",
            client=web_client(config, token=config.slack_bot_token),
        )
    wire(bolt, Handlers(core=core))
    return bolt


async def connect_socket_mode(bolt: AsyncApp, *, app_token: str) -> AsyncSocketModeHandler:
    """Receive Slack's requests over a WebSocket (no public URL); the same listeners answer them."""
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()
    return handler


def wire(bolt: AsyncApp, handlers: Handlers) -> None:
    bolt.middleware(handlers.claim_events)
    bolt.error(handlers.on_error)
    bolt.command("/readiness")(handlers.commands)
    bolt.action(re.compile(r"^pf_choice_\d+$"))(handlers.choice)
    bolt.action("pf_form")(handlers.open_form)
    bolt.action(re.compile(r"^pf_cmd_"))(handlers.command_button)
    bolt.action("pf_edit")(handlers.command_button)
    bolt.view(CALLBACK)(handlers.form_submitted)
    bolt.action("pf_fill")(handlers.fill)
    bolt.view(GAPS_CALLBACK)(handlers.gaps_submitted)
    bolt.view(SETTINGS_CALLBACK)(handlers.settings_submitted)
    bolt.event("app_home_opened")(handlers.home_opened)
    bolt.event("app_uninstalled")(handlers.uninstalled)
    bolt.event("tokens_revoked")(handlers.tokens_revoked)
