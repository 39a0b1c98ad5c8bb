"""The `preflight` command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot import export
from bot.bootstrap import bootstrap
from bot.config import CONNECT_HINT, Config, ConfigError
from bot.console import Console
from storage import DatabaseError
from storage.engine import upgrade_database


class Failure(Exception):
    """An error to print as one line before exiting non-zero."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="preflight", description="The AI execution readiness check, in chat.")
    sub = p.add_subparsers(dest="command", metavar="command")
    sub.add_parser("run", help="the main job: every configured platform, or the terminal chat when none is")
    serve = sub.add_parser("serve", help="the HTTP server: Slack (POST /slack/events), Teams (POST /api/messages), the health check")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, or 3000)")
    serve.add_argument("--no-scheduler", action="store_true", help="do not send reminders and digests from this server")
    serve.add_argument(
        "--no-workers", action="store_true", help="only store and acknowledge requests; 'preflight worker' processes work on them"
    )
    worker = sub.add_parser(
        "worker", help="work on acknowledged requests and send reminders, without serving HTTP (beside 'serve --no-workers')"
    )
    worker.add_argument("--no-scheduler", action="store_true", help="do not send reminders and digests from this process")
    for name, what in (
        ("nudge", "one pass of reminders (gap nudges, unfinished checks, escalations), then exit"),
        ("digest", "one pass of weekly sponsor digests, then exit"),
    ):
        one = sub.add_parser(name, help=what)
        one.add_argument("--now", type=_instant, help="the time to run the pass for, ISO 8601 (default: now); no zone means UTC")
        one.add_argument("--dry-run", action="store_true", help="print what the pass would send, to whom and why; send and record nothing")
    console = sub.add_parser("console", help="the assessment in the terminal (answers may be piped, one per line)")
    console.add_argument("--project", help="start a new assessment of this project straight away")
    console.add_argument("--sponsor", help="the sponsor of the new assessment")
    exp = sub.add_parser("export", help="all assessments and answers")
    exp.add_argument("--format", choices=export.FORMATS, default="json")
    exp.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")
    teams = sub.add_parser("teams", help="Microsoft Teams tools")
    teams_sub = teams.add_subparsers(dest="teams_command", metavar="action")
    package = teams_sub.add_parser("package", help="build the Teams app package (a zip to sideload), bot id from MICROSOFT_APP_ID")
    package.add_argument("--output", "-o", type=Path, default=Path("preflight-teams.zip"))
    package.add_argument("--url", help="the public https address of this server, for the package's links (required)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="action")
    db_sub.add_parser(
        "upgrade",
        help="apply database migrations, each atomically (safe to run again after an interruption); the other commands "
        "migrate only a brand-new database and refuse one that is not at the latest schema",
    )
    return p


def _instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 time, e.g. 2026-11-23T10:00:00+01:00") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def _pass(config: Config, *, kind: str, now: datetime | None, dry_run: bool = False) -> int:
    app = await bootstrap(config)
    try:
        scheduler = app.scheduler
        if dry_run:
            from bot.dry_run import describe

            when = now or app.clock()
            run = scheduler.nudge_pass if kind == "nudge" else scheduler.digest_pass
            print(describe(await run(now=when, dry_run=True), kind=kind, now=when))
            return 0
        if not scheduler.senders:
            raise Failure(f"Nothing to send to: no Slack or Teams credentials are set. {CONNECT_HINT}")
        when = now or app.clock()
        report = await (scheduler.nudge_pass(now=when) if kind == "nudge" else scheduler.digest_pass(now=when))
    finally:
        await app.close()
    print(f"{kind} pass at {when.isoformat()}: {report}")
    return 0


def _teams_package(config: Config, *, output: Path, url: str | None) -> int:
    from bot.teams.package import build

    if not config.microsoft_app_id:
        raise Failure("Set MICROSOFT_APP_ID to the bot's app id (from its Azure registration); the package needs it.")
    if not url:
        raise Failure("Pass --url with the server's public https address (e.g. https://preflight.example.com): the package links to it.")
    try:
        build(app_id=config.microsoft_app_id, output=output, base_url=url)
    except ValueError as e:
        raise Failure(str(e)) from None
    except OSError as e:
        raise Failure(f"Cannot write {output}: {e.strerror or e}.") from None
    print(f"Wrote {output}: upload it in Teams under Apps → Manage your apps → Upload an app.")
    return 0


def invocation(program: str | None = None) -> str:
    """How the person runs this program again from where they are: `preflight` when that name finds it, else its path.

    `make run` starts `.venv/bin/preflight`, which is on no PATH: a goodbye saying 'preflight export'
    would send them to "command not found".
    """
    program = program or sys.argv[0]
    if Path(program).name != "preflight":  # python -m bot.cli
        return f"{shlex.quote(sys.executable)} -m bot.cli"
    path = os.path.abspath(program)
    found = shutil.which("preflight")
    if found is not None and os.path.samefile(found, path):
        return "preflight"
    relative = os.path.relpath(path)
    if relative.startswith(os.pardir):
        return shlex.quote(path)
    return shlex.quote(relative if os.sep in relative else os.path.join(os.curdir, relative))


async def _console(config: Config, *, project: str | None = None, sponsor: str | None = None) -> int:
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a stray byte that is not UTF-8 is one odd character, not a crash
    app = await bootstrap(config)
    try:
        console = Console(preflight=app.preflight, stdin=sys.stdin, stdout=sys.stdout, command=invocation())
        return await console.run(project=project, sponsor=sponsor)
    finally:
        await app.close()


async def _run(config: Config) -> int:
    if config.slack_configured or config.teams_configured:
        return await _serve(config, port=config.port)
    print(f"No Slack or Teams credentials set: opening the terminal chat. {CONNECT_HINT}", flush=True)
    return await _console(config)


async def _serve(config: Config, *, port: int, scheduler: bool = True, workers: bool = True) -> int:
    from bot.server import routes, serve
    from bot.teams.app import NOT_CONFIGURED

    config.check()
    app = await bootstrap(config)
    try:
        if app.teams is None:
            print(NOT_CONFIGURED, flush=True)
        elif app.teams.anonymous:
            print("Teams: TEAMS_ALLOW_ANONYMOUS=1, so /api/messages accepts unauthenticated activities. Never in production.", flush=True)
        if workers:
            await app.start(scheduler=scheduler)
            if scheduler:
                print("Reminders and digests are sent from this server (--no-scheduler turns that off).", flush=True)
        else:
            print("Requests are stored and acknowledged here; run 'preflight worker' to work on them.", flush=True)
        socket = None
        if app.slack is not None and config.slack_app_token:
            from bot.slack.app import connect_socket_mode

            socket = await connect_socket_mode(app.slack, app_token=config.slack_app_token)
            print("Connected to Slack over Socket Mode.", flush=True)
        # Everything built so far lives as long as the process: keep it out of the garbage collector's
        # full passes, which otherwise grow with it and pause request handling.
        gc.collect()
        gc.freeze()
        try:
            await serve(routes(app, workers=workers), port=port)
        finally:
            if socket is not None:
                await socket.close_async()
    finally:
        await app.close()
    return 0


async def _worker(config: Config, *, scheduler: bool) -> int:
    """The inbox's workers and the scheduler, until SIGINT or SIGTERM; no HTTP."""
    import signal

    config.check()
    app = await bootstrap(config, poll=0.25)  # everything it works on comes through the inbox's poll
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.start(scheduler=scheduler)
        print(f"Working on acknowledged requests{' and sending reminders' if scheduler else ''}.", flush=True)
        await stop.wait()
    finally:
        await app.close()
    return 0


async def _export(config: Config, *, fmt: str, output: Path | None) -> int:
    app = await bootstrap(config)
    try:
        checks = await app.repos.assessments.load_all()
        histories = {c.id: await app.repos.assessments.history(assessment_id=c.id) for c in checks}
        text = export.render(export.records(checks, histories=histories), fmt=fmt)
    finally:
        await app.close()
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
    except OSError as e:
        raise Failure(f"Cannot write {output}: {e.strerror or e}.") from None
    print(f"Wrote {output}.", file=sys.stderr)
    return 0


async def _db_upgrade(config: Config) -> int:
    revision = await upgrade_database(config.database_url)
    print(f"The database is up to date (schema revision {revision}).")
    return 0


async def dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "run":
        return await _run(config)
    if args.command == "serve":
        return await _serve(config, port=args.port or config.port, scheduler=not args.no_scheduler, workers=not args.no_workers)
    if args.command == "worker":
        return await _worker(config, scheduler=not args.no_scheduler)
    if args.command in ("nudge", "digest"):
        return await _pass(config, kind=args.command, now=args.now, dry_run=args.dry_run)
    if args.command == "console":
        return await _console(config, project=args.project, sponsor=args.sponsor)
    if args.command == "export":
        return await _export(config, fmt=args.format, output=args.output)
    if args.command == "teams" and args.teams_command == "package":
        return _teams_package(config, output=args.output, url=args.url)
    if args.command == "db" and args.db_command == "upgrade":
        return await _db_upgrade(config)
    raise Failure("Unknown command; 'preflight --help' lists them.")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if (
        args.command is None
        or (args.command == "db" and args.db_command is None)
        or (args.command == "teams" and args.teams_command is None)
    ):
        p.print_help()
        return 2
    try:
        config = Config.from_env()
        return asyncio.run(dispatch(args, config))
    except (Failure, DatabaseError, ConfigError) as e:
        print(f"preflight: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
