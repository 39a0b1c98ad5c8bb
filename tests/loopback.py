"""Serving and starting things on loopback, for the tests and the benchmarks."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import httpx
from aiohttp import web

PREFLIGHT_SETTINGS = ("SLACK_", "MICROSOFT_", "TEAMS_", "DATABASE_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def listen(app: web.Application, *, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve an aiohttp application on 127.0.0.1; returns its runner (to clean up) and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{bound}"


def descendants(pid: int) -> list[int]:
    """The process's children, their children and so on (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any Preflight setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFLIGHT_SETTINGS)}
    env.update(settings)
    return env


async def until_healthy(url: str, *, timeout: float = 30) -> None:
    """Wait until GET {url}/healthz answers 200."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not become healthy")
            await asyncio.sleep(0.05)
