"""The Bolt app: one workspace with a bot token, or many over OAuth; listeners wired to the handlers."""

from __future__ import annotations

import re
from typing import Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.bootstrap import App
from bot.config import Config
from bot.slack.authorize import BotToken
from bot.slack.client import web_client
from bot.slack.forms import CALLBACK, GAPS_CALLBACK
from bot.slack.handoff import Handoff, WorkerRunner
from bot.slack.settings import CALLBACK as SETTINGS_CALLBACK
from bot.slack.handlers import ClaimEvents, Handlers
from bot.slack.tokens import EncryptedInstallationStore, TokenCipher

# Only what Preflight uses; manifest.json asks for the same.
BOT_SCOPES = ["commands", "chat:write", "users:read"]


def installations(core: App, config: Config) -> EncryptedInstallationStore | None:
    """The store of OAuth installs (tokens encrypted), when Slack runs multi-workspace."""
    if not config.slack_oauth:
        return None
    if core.slack_installations is None:
        cipher = TokenCipher(config.encryption_key or "")
        core.slack_installations = EncryptedInstallationStore(cipher=cipher, client_id=config.slack_client_id or "", engine=core.engine)
    return core.slack_installations


def build(core: App, config: Config, *, handoff: Handoff | None = None, worker: bool = False) -> AsyncApp:
    """The Bolt app for the configured install mode.

    Each listener acknowledges and then does its work: in this process (Bolt's lazy listeners),
    or, given a `handoff`, in the worker process, whose app is built with `worker=True`.
    """
    verify = not worker  # the worker's requests come from the web process, which checked them
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
            request_verification_enabled=verify,
            process_before_response=True,  # listeners ack at once and work afterwards (lazy listeners)
        )
    else:
        client = web_client(config, token=config.slack_bot_token)
        bolt = AsyncApp(
            name="preflight",
            signing_secret=config.slack_signing_secret or "",
            client=client,
            authorize=BotToken(client),
            request_verification_enabled=verify,
            process_before_response=True,  # listeners ack at once and work afterwards (lazy listeners)
        )
    if worker:
        bolt.listener_runner.lazy_listener_runner = WorkerRunner(logger=bolt.logger)
    wire(bolt, Handlers(core=core), handoff=handoff)
    return bolt


async def connect_socket_mode(bolt: AsyncApp, *, app_token: str) -> AsyncSocketModeHandler:
    """Receive Slack's requests over a WebSocket (no public URL); the same listeners answer them."""
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()
    return handler


async def just_ack(ack: AsyncAck) -> None:
    await ack()


def wire(bolt: AsyncApp, handlers: Handlers, *, handoff: Handoff | None = None) -> None:
    """Each listener acknowledges at once (checking only what a form must show as errors) and does its
    work after the response has gone: as a Bolt lazy listener, or in the worker process."""
    bolt.use(ClaimEvents(handlers.core))
    bolt.error(handlers.on_error)

    def listen(route: Callable, *, ack: Callable, work: Callable) -> None:
        if handoff is None:
            route(ack=ack, lazy=[work])
        else:
            route(ack=handoff.acknowledging(ack, work), lazy=[])

    later = handlers.guarded

    def opens_a_form(kwargs: dict) -> bool:
        return True

    def settings_command(kwargs: dict) -> bool:
        return (kwargs.get("command") or {}).get("text", "").strip().lower().startswith("settings")

    listen(bolt.command("/readiness"), ack=handlers.commands.ack, work=later(handlers.commands.work, urgent=settings_command))
    listen(bolt.action(re.compile(r"^pf_choice_\d+$")), ack=just_ack, work=later(handlers.choice))
    listen(bolt.action("pf_form"), ack=just_ack, work=later(handlers.open_form, urgent=opens_a_form))
    listen(bolt.action(re.compile(r"^pf_cmd_")), ack=just_ack, work=later(handlers.command_button))
    listen(bolt.action("pf_edit"), ack=just_ack, work=later(handlers.command_button))
    listen(bolt.action("pf_fill"), ack=just_ack, work=later(handlers.fill, urgent=opens_a_form))
    listen(bolt.view(CALLBACK), ack=handlers.check_form, work=later(handlers.form_submitted))
    listen(bolt.view(GAPS_CALLBACK), ack=handlers.check_gaps, work=later(handlers.gaps_submitted))
    listen(bolt.view(SETTINGS_CALLBACK), ack=handlers.check_settings, work=later(handlers.settings_submitted))
    listen(bolt.event("app_home_opened"), ack=just_ack, work=later(handlers.home_opened))
    listen(bolt.event("app_uninstalled"), ack=just_ack, work=later(handlers.uninstalled))
    listen(bolt.event("tokens_revoked"), ack=just_ack, work=later(handlers.tokens_revoked))
