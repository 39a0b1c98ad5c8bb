"""One HTTP server: Slack's events and OAuth pages, the health check (and, later, Teams)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text

from bot.bootstrap import App
from bot.slack.handoff import LAZY_ONLY, Handoff

log = logging.getLogger(__name__)


def _timestamp_is_malformed(request: web.Request) -> bool:
    stamp = request.headers.get("X-Slack-Request-Timestamp", "")
    return not stamp.isdigit()


def routes(core: App, *, slack: AsyncApp | None, teams: Any = None, handoff: Handoff | None = None) -> web.Application:
    """The aiohttp application with every route that is configured."""
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with core.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as e:  # the database is down: say so, do not crash
            return web.json_response({"status": "unhealthy", "database": str(e)[:200]}, status=503)
        health = {"status": "ok", "database": "ok"}
        if handoff is not None:  # a stopped worker is restarted, and the work waits for it meanwhile
            health["worker"] = "running" if handoff.running else "restarting"
        return web.json_response(health)

    app.router.add_get("/healthz", healthz)
    if teams is not None:
        app.router.add_post("/api/messages", teams.handle)

    if slack is not None:

        async def slack_events(request: web.Request) -> web.Response:
            # Bolt checks the signature and its age; a timestamp that is not a number would make it answer 500.
            if _timestamp_is_malformed(request):
                return web.Response(status=401, text="invalid request")
            if LAZY_ONLY in request.headers:  # only the worker's own requests are marked for lazy work
                return web.Response(status=400, text="malformed request")
            try:
                response = await slack.async_dispatch(await to_bolt_request(request))
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                # A signed but malformed payload that Bolt's own parsing trips over.
                log.warning("malformed Slack request refused: %r", e)
                return web.Response(status=400, text="malformed request")
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
    paths = ", ".join(sorted(f"{r.method} {r.resource.canonical}" for r in app.router.routes() if r.method != "HEAD"))
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
