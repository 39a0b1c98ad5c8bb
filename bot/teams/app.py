"""POST /api/messages: authenticated, stored in the inbox, acknowledged; then worked on by botbuilder's CloudAdapter.

The request path only authenticates (botbuilder's BotFrameworkAuthentication) and stores the
activity with the claims it carried. The inbox's worker rebuilds that authentication result and
hands the activity to `CloudAdapter.process_activity`, so the bot replies as it would inline.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity

from bot.config import Config
from bot.server import read_json, refused
from bot.teams.bot import PLATFORM, REQUEST, TeamsBot, tenant_of
from bot.teams.sender import TeamsSender
from bot.workers import Workers
from conversations.ports import Claimed, Incoming, TeamsReferences
from conversations.usecases import Preflight

log = logging.getLogger(__name__)
AUTH_TIMEOUT = 5.0  # seconds to check a token, fetching the signing keys included
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
        algorithm = jwt.get_unverified_header(token.strip()).get("alg")
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return "malformed token"
    if algorithm != "RS256":  # the only one botbuilder verifies with: refused here before the signing keys are fetched
        return "token not signed with RS256"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if app_id not in audiences:
        return "token for another app"
    return None


def _refused(status: int, reason: str, *, detail: str = "") -> web.Response:
    return refused("Teams", status, reason, detail=detail)


def activity_problem(body: Any) -> str | None:
    """Why a parsed body is not an activity Bot Framework sends; None if it may be."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return "not a Bot Framework activity"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        return "an activity without a conversation id"
    return None


@dataclass
class Teams:
    adapter: CloudAdapter
    auth: ConfigurationBotFrameworkAuthentication
    bot: TeamsBot
    references: TeamsReferences
    sender: TeamsSender
    workers: Workers
    app_id: str
    anonymous: bool
    checker: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="teams-auth"))

    async def handle(self, request: web.Request) -> web.Response:
        """Authenticate, store, acknowledge."""
        header = request.headers.get("Authorization")
        if not self.anonymous:
            problem = bearer_problem(header, app_id=self.app_id)
            if problem:
                return _refused(401, f"unauthorized: {problem}")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _refused(415, "expected application/json")
        try:
            body = read_json(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return _refused(413, "body over 1 MiB")
        except ValueError as e:
            return _refused(400, "not JSON", detail=str(e))
        problem = activity_problem(body)
        if problem:
            return _refused(400, problem)
        try:
            activity = Activity().deserialize(body)
        except (ValueError, TypeError, KeyError, AttributeError) as e:  # a field msrest cannot read
            return _refused(400, "not a Bot Framework activity", detail=str(e))
        try:
            result = await self.authenticate(activity, header or None)
        except TimeoutError:
            detail = f"not checked within {AUTH_TIMEOUT:.0f} s: the signing keys did not arrive"
            return _refused(503, "the token cannot be checked right now", detail=detail)
        except Exception as e:  # botbuilder refuses a bad token with PermissionError, or with a bare Exception
            return _refused(401, "unauthorized", detail=f"{type(e).__name__}: {e}")
        tenant = tenant_of(activity)
        if not tenant:
            log.info("activity without a tenant ignored")
            return web.Response(status=200)
        identity = result.claims_identity
        key = (
            f"teams:{tenant}:{activity.conversation.id}:{activity.id}"
            if activity.id
            else "teams:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        )
        payload = {
            "activity": body,
            "claims": identity.claims,
            "auth_type": identity.authentication_type,
            "audience": result.audience,
            "caller_id": result.caller_id,
        }
        try:
            await self.workers.accept(Incoming(key=key[:200], platform=PLATFORM, workspace=tenant, payload=payload))
        except Exception as e:  # the database is unreachable: Bot Framework retries a 5xx
            log.warning("activity not stored (%s): refused for a retry", e)
            return _refused(503, "unavailable, retry later")
        return web.Response(status=200)

    async def authenticate(self, activity: Activity, header: str | None) -> AuthenticateRequestResult:
        """botbuilder's token validation, in a thread of its own with a time-out.

        It fetches the Bot Framework signing keys with a blocking call that has no time-out; on the
        event loop, one request with a token to check while that endpoint hangs would stop every
        Slack acknowledgement and the health check with it. Here only Teams requests wait, and
        for at most AUTH_TIMEOUT.
        """
        loop = asyncio.get_running_loop()
        checking = loop.run_in_executor(self.checker, lambda: asyncio.run(self.auth.authenticate_request(activity, header)))
        return await asyncio.wait_for(checking, AUTH_TIMEOUT)

    async def work(self, item: Claimed) -> None:
        """The inbox handler for "teams": the stored activity through the adapter and the bot."""
        payload = item.payload
        identity = ClaimsIdentity(dict(payload.get("claims") or {}), True, payload.get("auth_type"))
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = payload.get("audience")
        result.caller_id = payload.get("caller_id")
        result.connector_factory = self.auth.create_connector_factory(identity)
        activity = Activity().deserialize(payload["activity"])

        async def logic(turn_context: TurnContext) -> None:
            turn_context.turn_state[REQUEST] = item.id
            await self.bot.on_turn(turn_context)

        await self.adapter.process_activity(result, activity, logic)


def build(config: Config, *, preflight: Preflight, references: TeamsReferences, workers: Workers, clock: Callable[[], datetime]) -> Teams:
    anonymous = config.teams_allow_anonymous and not config.microsoft_app_id
    auth = ConfigurationBotFrameworkAuthentication(SdkSettings(config))
    adapter = CloudAdapter(auth)

    async def on_error(turn_context: TurnContext, error: Exception) -> None:
        log.exception("Teams turn failed", exc_info=error)
        try:
            await turn_context.send_activity(MessageFactory.text("Something went wrong on my side. Everything answered so far is saved."))
        except Exception:  # the connector is unreachable too; the log has it
            pass

    adapter.on_turn_error = on_error
    app_id = config.microsoft_app_id or ""
    sender = TeamsSender(adapter=adapter, app_id=app_id, references=references, clock=clock)
    return Teams(
        adapter=adapter,
        auth=auth,
        bot=TeamsBot(preflight=preflight, references=references, clock=clock, elsewhere=sender.update),
        references=references,
        sender=sender,
        workers=workers,
        app_id=app_id,
        anonymous=anonymous,
    )
