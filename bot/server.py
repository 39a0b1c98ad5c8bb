"""One HTTP server: Slack's events and OAuth pages, Teams' messages, the health check; what cannot be theirs gets a 4xx."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import signal
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import text

from bot.slack import payloads

if TYPE_CHECKING:  # a type only: bot/teams/app.py uses the helpers below, with no import cycle
    from bot.bootstrap import App

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
MAX_DEPTH = 64  # levels of JSON nesting: Slack's and Teams' deepest payloads use about 15
# What Bolt raises reading a body it cannot parse (a bad charset or encoding, nesting past Python's recursion
# limit) or reading the ids out of one with another shape than Slack's.
UNREADABLE = (ValueError, LookupError, TypeError, AttributeError, RecursionError)
BOLT_REFUSALS = {401: "the signature does not match or the timestamp is not recent", 404: "no listener takes it"}


def deeper_than(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether parsed JSON nests more than `limit` levels, found without recursion."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [c for node in level for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, dict | list)]
    return bool(level)


def read_json(raw: bytes | str) -> Any:
    """A JSON document nested at most MAX_DEPTH levels; ValueError for anything else, however deep."""
    try:
        found = json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if deeper_than(found):
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return found


def refused(platform: str, status: int, reason: str, *, detail: str = "") -> web.Response:
    """The answer to a refused request: its reason, logged as one line with any detail the sender is not told."""
    logged = " ".join((f"{reason} ({detail})" if detail else reason).split())[:300]
    log.warning("%s request refused (%d): %s", platform, status, logged)
    return web.json_response({"error": reason}, status=status)


def slack_headers_problem(request: web.Request) -> str | None:
    """Why the headers Bolt verifies cannot be Slack's; None if they may be (Bolt then checks the signature)."""
    stamps = request.headers.getall("X-Slack-Request-Timestamp", [])
    if len(stamps) != 1 or len(request.headers.getall("X-Slack-Signature", [])) != 1:
        return "not exactly one timestamp and one signature header"
    if not (stamps[0].isascii() and stamps[0].isdigit()):  # int() reads other scripts' digits too
        return "the timestamp is not a number"
    return None


def slack_body_problem(request: AsyncBoltRequest) -> str | None:
    """Why a body Bolt has read is not one Slack sends; None if it may be."""
    if deeper_than(request.body):
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    ids = (request.context.enterprise_id, request.context.team_id, request.context.user_id, request.context.channel_id)
    if not all(found is None or isinstance(found, str) for found in ids):
        return "an id that is not a string"
    return payloads.problem_of(request.body)


# The pages the Teams app package links to (its privacyUrl and termsOfUseUrl must answer).
PRIVACY = (
    "Preflight: privacy",
    "Preflight stores what your team enters in the readiness check: the project, the answers, who gave each "
    "answer and when, and every change. It stores the Slack or Teams conversation it posts in, the people "
    "named as sponsor or owner, and a sponsor's time zone, to send reminders and digests. It stores nothing "
    "else and shares nothing. The data of a workspace or tenant is kept apart from every other; removing the "
    "app deletes it. The operator of this server is responsible for it; ask them for an export or deletion.",
)
TERMS = (
    "Preflight: terms of use",
    "Preflight is provided by the operator of this server, as is, to run the AI execution readiness check "
    "with a team. Its scores and next steps are a guide for the team's own judgement, not advice. Use it only "
    "for your organisation's projects, and enter nothing you are not allowed to share with your colleagues.",
)


def _page(page: tuple[str, str]) -> web.Response:
    title, body = (html.escape(part) for part in page)
    return web.Response(
        text=f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title><h1>{title}</h1><p>{body}</p></html>",
        content_type="text/html",
    )


async def privacy(request: web.Request) -> web.Response:
    return _page(PRIVACY)


async def terms(request: web.Request) -> web.Response:
    return _page(TERMS)


def routes(core: App, *, workers: bool = True) -> web.Application:
    """The aiohttp application with every route that is configured; without `workers`, `preflight worker` does the work."""
    app = web.Application(client_max_size=MAX_BODY)

    async def healthz(request: web.Request) -> web.Response:
        try:
            await core.database.run(lambda conn: conn.execute(text("SELECT 1")).scalar())  # where the work's statements go
        except Exception as e:  # the database is down: say so, do not crash
            return web.json_response({"status": "unhealthy", "database": str(e)[:200]}, status=503)
        if not workers:
            return web.json_response({"status": "ok", "database": "ok", "workers": "separate"})
        if not core.workers.running:  # acknowledged work would wait: not ready
            return web.json_response({"status": "starting", "database": "ok", "workers": "stopped"}, status=503)
        return web.json_response({"status": "ok", "database": "ok", "workers": "running"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/privacy", privacy)
    app.router.add_get("/terms", terms)
    teams = core.teams
    if teams is not None:
        app.router.add_post("/api/messages", teams.handle)
    else:

        async def teams_refused(request: web.Request) -> web.Response:
            return refused("Teams", 401, "Teams is not configured on this server")

        app.router.add_post("/api/messages", teams_refused)

    slack = core.slack
    if slack is not None:

        async def slack_events(request: web.Request) -> web.Response:
            problem = slack_headers_problem(request)
            if problem:
                return refused("Slack", 401, problem)
            try:
                bolt_request = await to_bolt_request(request)  # the one parse: JSON, a form, or a form's JSON payload
            except web.HTTPRequestEntityTooLarge:
                return refused("Slack", 413, "body over 1 MiB")
            except UNREADABLE as e:
                return refused("Slack", 400, "body cannot be read", detail=f"{type(e).__name__}: {e}")
            problem = slack_body_problem(bolt_request)
            if problem:
                return refused("Slack", 400, problem)
            response = await slack.async_dispatch(bolt_request)
            if response.status in BOLT_REFUSALS:
                log.warning("Slack request refused (%d): %s", response.status, BOLT_REFUSALS[response.status])
            return await to_aiohttp_response(response)

        app.router.add_post("/slack/events", slack_events)
        flow = slack.oauth_flow
        if flow is not None:

            async def install(request: web.Request) -> web.Response:
                return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

            async def redirect(request: web.Request) -> web.Response:
                return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

            app.router.add_get(flow.install_path, install)
            app.router.add_get(flow.redirect_uri_path, redirect)
    return app


async def serve(app: web.Application, *, port: int, host: str = "0.0.0.0", ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT or SIGTERM."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port)
    await site.start()
    paths = ", ".join(
        sorted(f"{r.method} {r.resource.canonical}" for r in app.router.routes() if r.method != "HEAD" and r.resource is not None)
    )
    print(f"Preflight is listening on http://{host}:{port} ({paths}).", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
