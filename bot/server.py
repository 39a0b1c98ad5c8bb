"""One HTTP server: Slack's events and OAuth pages, the health check (and, later, Teams)."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from sqlalchemy import text

from bot.bootstrap import App

log = logging.getLogger(__name__)


def _timestamp_is_malformed(request: web.Request) -> bool:
    stamp = request.headers.get("X-Slack-Request-Timestamp", "")
    return not (stamp.isascii() and stamp.isdigit())


def routes(core: App, *, workers: bool = True) -> web.Application:
    """The aiohttp application with every route that is configured; without `workers`, `preflight worker` does the work."""
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with core.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as e:  # the database is down: say so, do not crash
            return web.json_response({"status": "unhealthy", "database": str(e)[:200]}, status=503)
        if not workers:
            return web.json_response({"status": "ok", "database": "ok", "workers": "separate"})
        if not core.workers.running:  # acknowledged work would wait: not ready
            return web.json_response({"status": "starting", "database": "ok", "workers": "stopped"}, status=503)
        return web.json_response({"status": "ok", "database": "ok", "workers": "running"})

    app.router.add_get("/healthz", healthz)
    teams = core.teams
    if teams is not None:
        app.router.add_post("/api/messages", teams.handle)
    else:

        async def teams_refused(request: web.Request) -> web.Response:
            return web.json_response({"error": "Teams is not configured on this server"}, status=401)

        app.router.add_post("/api/messages", teams_refused)

    slack = core.slack
    if slack is not None:

        async def slack_events(request: web.Request) -> web.Response:
            # Bolt checks the signature and its age; a timestamp that is not a number would make it answer 500.
            if _timestamp_is_malformed(request):
                return web.Response(status=401, text="invalid request")
            try:
                response = await slack.async_dispatch(await to_bolt_request(request))
            except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as e:
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
