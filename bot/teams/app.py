"""POST /api/messages: authentication in front, botbuilder's CloudAdapter behind, the bot on top."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import jwt
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.bootstrap import App
from bot.config import Config
from bot.teams.bot import TeamsBot
from bot.teams.sender import TeamsSender
from storage.teams_references import TeamsReferences

log = logging.getLogger(__name__)
NOT_CONFIGURED = (
    "Teams: MICROSOFT_APP_ID is not set, so POST /api/messages refuses every request "
    "(TEAMS_ALLOW_ANONYMOUS=1 accepts unauthenticated activities, for the local emulator and tests only)."
)


class SdkSettings:
    """The settings object botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, config: Config) -> None:
        anonymous = config.teams_allow_anonymous and not config.microsoft_app_id
        self.APP_ID = "" if anonymous else (config.microsoft_app_id or "")
        self.APP_PASSWORD = "" if anonymous else (config.microsoft_app_password or "")
        self.APP_TYPE = config.microsoft_app_type or ("SingleTenant" if config.microsoft_app_tenant_id else "MultiTenant")
        self.APP_TENANTID = config.microsoft_app_tenant_id or ""


def bearer_problem(header: str | None, *, app_id: str) -> str | None:
    """Why an Authorization header cannot be for this bot, without any network call; None if it may be.

    botbuilder then checks the signature, issuer and expiry; this stops the obviously wrong
    before they reach it (and keeps a malformed token from ever becoming a 500).
    """
    if not header:
        return "no Authorization header"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "not a bearer token"
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return "malformed token"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if app_id not in audiences:
        return "token for another app"
    return None


@dataclass
class Teams:
    adapter: CloudAdapter
    bot: TeamsBot
    references: TeamsReferences
    app_id: str
    anonymous: bool
    configured: bool

    def sender(self, core: App) -> TeamsSender:
        return TeamsSender(adapter=self.adapter, app_id=self.app_id, references=self.references, clock=core.clock)

    async def handle(self, request: web.Request) -> web.Response:
        if not self.configured:
            return web.json_response({"error": "Teams is not configured on this server"}, status=401)
        if not self.anonymous:
            problem = bearer_problem(request.headers.get("Authorization"), app_id=self.app_id)
            if problem:
                return web.json_response({"error": f"unauthorized: {problem}"}, status=401)
        try:
            response = await self.adapter.process(request, self.bot)
        except web.HTTPException as e:  # 401, 415, 405 from the adapter
            return web.json_response({"error": e.reason}, status=e.status)
        except PermissionError:
            return web.json_response({"error": "unauthorized"}, status=401)
        except (json.JSONDecodeError, KeyError, ValueError, TypeError):
            return web.json_response({"error": "not a Bot Framework activity"}, status=400)
        return response or web.Response(status=201)


def build(core: App, config: Config) -> Teams:
    anonymous = config.teams_allow_anonymous and not config.microsoft_app_id
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(SdkSettings(config)))
    references = TeamsReferences(engine=core.engine, store=core.store)

    async def on_error(turn_context: TurnContext, error: Exception) -> None:
        log.exception("Teams turn failed", exc_info=error)
        try:
            await turn_context.send_activity(MessageFactory.text("Something went wrong on my side. Everything answered so far is saved."))
        except Exception:  # the connector is unreachable too; the log has it
            pass

    adapter.on_turn_error = on_error
    return Teams(
        adapter=adapter,
        bot=TeamsBot(core=core, references=references),
        references=references,
        app_id=config.microsoft_app_id or "",
        anonymous=anonymous,
        configured=bool(config.microsoft_app_id) or anonymous,
    )
