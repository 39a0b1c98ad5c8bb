"""The Slack edge: the Bolt app (one workspace with a bot token, or many over OAuth) and the Web API clients."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.slack.authorize import BotToken
from bot.slack.receive import Receive, wire
from bot.slack.tokens import REFRESH_MINUTES, EncryptedInstallationStore, TokenCipher

DEFAULT_API_URL = "https://slack.com/api/"
# Only what Preflight uses; manifest.json asks for the same.
BOT_SCOPES = ["commands", "chat:write", "users:read"]


def web_client(config: Config, *, token: str | None = None, session: Any = None) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL that retries a dropped connection and 5xx once or twice.

    A 429 is not waited out here, in a worker's slot: a request or reminder that Slack slows down is
    tried again after its Retry-After, while other work goes on."""
    base_url = config.slack_api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=config.slack_timeout,  # type: ignore[arg-type]  # seconds, handed to aiohttp, which takes a float
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass
class Clients:
    """A Web API client for a workspace: the one bot token, or the workspace's installation."""

    config: Config
    installations: EncryptedInstallationStore | None
    session: Any = None

    def __post_init__(self) -> None:
        self._single = (
            None if self.installations is not None else web_client(self.config, token=self.config.slack_bot_token, session=self.session)
        )

    async def __call__(self, *, enterprise_id: str | None = None, team_id: str | None = None) -> AsyncWebClient | None:
        if self.installations is None:
            return self._single
        token = await self.installations.async_bot_token(enterprise_id=enterprise_id, team_id=team_id)
        return web_client(self.config, token=token, session=self.session) if token else None

    async def forget(self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None) -> None:
        """The workspace's tokens (or one person's) were revoked or the app uninstalled."""
        if self.installations is None:
            return
        if user_id is not None:
            await self.installations.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        else:
            await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)


def installations(config: Config, *, engine: AsyncEngine) -> EncryptedInstallationStore | None:
    """The store of OAuth installs (tokens encrypted), when Slack runs multi-workspace."""
    if not config.slack_oauth:
        return None
    rotator = AsyncTokenRotator(
        client_id=config.slack_client_id or "", client_secret=config.slack_client_secret or "", client=web_client(config)
    )
    return EncryptedInstallationStore(
        cipher=TokenCipher(config.encryption_key or ""), rotator=rotator, client_id=config.slack_client_id or "", engine=engine
    )


def build(config: Config, *, receive: Receive, clients: Clients, engine: AsyncEngine) -> AsyncApp:
    """The Bolt app for the configured install mode; every listener stores, then acknowledges (bot/slack/receive.py)."""
    installs = clients.installations
    if installs is not None:
        settings = AsyncOAuthSettings(
            client_id=config.slack_client_id,
            client_secret=config.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=installs,
            state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
        )
        bolt = AsyncApp(
            name="preflight",
            signing_secret=config.slack_signing_secret or "",
            client=web_client(config),
            installation_store=installs,
            # Bolt's own authorizer, remembering each token's auth.test answer: auth.test is asked once per
            # token and process, not once per request; it refreshes rotating tokens as they near expiry.
            authorize=AsyncInstallationStoreAuthorize(  # type: ignore[arg-type]  # an AsyncAuthorize, which AsyncApp takes as is
                logger=logging.getLogger("slack_bolt.authorize"),
                installation_store=installs,
                client_id=config.slack_client_id,
                client_secret=config.slack_client_secret,
                token_rotation_expiration_minutes=REFRESH_MINUTES,
                cache_enabled=True,
                client=web_client(config),
            ),
            oauth_flow=AsyncOAuthFlow(client=web_client(config), settings=settings),
            process_before_response=True,  # the listener's ack is the response: it is sent once the request is stored
        )
    else:
        client = web_client(config, token=config.slack_bot_token)
        bolt = AsyncApp(
            name="preflight",
            signing_secret=config.slack_signing_secret or "",
            client=client,
            authorize=BotToken(client),
            process_before_response=True,
        )
    wire(bolt, receive)
    return bolt


async def connect_socket_mode(bolt: AsyncApp, *, app_token: str) -> AsyncSocketModeHandler:
    """Receive Slack's requests over a WebSocket (no public URL); the same listeners answer them."""
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()
    return handler
