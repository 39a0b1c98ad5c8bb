"""The web process acknowledges; the worker process does the work.

`preflight serve` answers Slack from one process and hands every acknowledged request to a
worker process (bot/worker.py) over the worker's standard input. The worker runs the same
Bolt listeners in Bolt's own lazy-only mode, the mechanism Bolt uses to run lazy listeners
in another AWS Lambda invocation: the request is dispatched again with the
`x-slack-bolt-lazy-only` and `x-slack-bolt-lazy-function-name` headers, and Bolt runs just
that listener's named work. So acknowledgements never wait behind the database and Web API
work of earlier requests, and the work gets the other core.

A frame is a 4-byte big-endian length and a JSON object: the request's raw body (or, in Socket
Mode, its parsed body), its headers and mode, and the name of the work to run.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import struct
import sys
from typing import Any, Awaitable, Callable

from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)
LENGTH = struct.Struct(">I")
LAZY_ONLY = "x-slack-bolt-lazy-only"
LAZY_FUNCTION = "x-slack-bolt-lazy-function-name"
FORWARDED = ("content-type", "x-slack-retry-num", "x-slack-retry-reason")  # the headers the work reads
RESTART_DELAY = 1.0  # seconds before a stopped worker is started again
STOP_TIMEOUT = 30.0  # seconds the worker gets to finish its queue when the server stops


def encode(request: AsyncBoltRequest, work: str) -> bytes:
    body: Any = request.raw_body if request.mode == "http" else request.body
    headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
    data = json.dumps({"body": body, "headers": headers, "mode": request.mode, "work": work}).encode()
    return LENGTH.pack(len(data)) + data


async def read(reader: asyncio.StreamReader) -> AsyncBoltRequest | None:
    """The next request to work on, marked lazy-only for its named work; None at the end of input."""
    try:
        size = LENGTH.unpack(await reader.readexactly(LENGTH.size))[0]
        frame = json.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None
    headers = dict(frame["headers"])
    headers[LAZY_ONLY] = ["1"]
    headers[LAZY_FUNCTION] = [frame["work"]]
    return AsyncBoltRequest(body=frame["body"], headers=headers, mode=frame["mode"])


class WorkerRunner(AsyncioLazyListenerRunner):
    """The worker's lazy listener runner: runs the named work of a lazy-only request.

    Bolt 1.30's asynchronous runner awaits the coroutine of `to_runnable_function` as if it were a
    function (only its synchronous twin is exercised, by the AWS Lambda adapter); this awaits it."""

    async def run(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        await to_runnable_function(internal_func=function, logger=self.logger, request=request)


class Handoff:
    """The web process's end: starts the worker, sends it each acknowledged request, restarts it if it stops.

    Requests sent while no worker runs wait in memory for the next one. A request already written
    to a worker that then dies is lost, as it would be in a single process that dies.
    """

    def __init__(self, command: list[str], *, env: dict[str, str] | None = None) -> None:
        self.command = command
        self.env = env  # the worker's environment (default: this process's)
        self.process: asyncio.subprocess.Process | None = None
        self.waiting: list[bytes] = []  # frames for the next worker, while none runs
        self.outbox: list[bytes] = []  # frames for this turn of the event loop
        self.closing = False
        self.watcher: asyncio.Task | None = None

    @classmethod
    def for_worker(cls, *, scheduler: bool) -> "Handoff":
        return cls([sys.executable, "-m", "bot.worker"] + ([] if scheduler else ["--no-scheduler"]))

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        await self._spawn()
        self.watcher = asyncio.create_task(self._watch())

    async def _spawn(self) -> None:
        self.process = await asyncio.create_subprocess_exec(*self.command, stdin=asyncio.subprocess.PIPE, env=self.env)
        for frame in self.waiting:
            self.process.stdin.write(frame)  # type: ignore[union-attr]
        self.waiting.clear()

    async def _watch(self) -> None:
        while True:
            assert self.process is not None
            code = await self.process.wait()
            if self.closing:
                return
            log.error("the worker process stopped (exit code %s); starting another in %.0f s", code, RESTART_DELAY)
            await asyncio.sleep(RESTART_DELAY)
            if self.closing:
                return
            await self._spawn()

    def send(self, request: AsyncBoltRequest, work: str) -> None:
        """Queue the request for the worker; the frames of one turn of the event loop go in one write."""
        self.outbox.append(encode(request, work))
        if len(self.outbox) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        frames, self.outbox = b"".join(self.outbox), []
        stdin = self.process.stdin if self.running else None  # type: ignore[union-attr]
        if stdin is not None and not stdin.is_closing():
            stdin.write(frames)
        else:
            self.waiting.append(frames)

    def acknowledging(self, ack: Callable[..., Awaitable[None]], work: Callable[..., Awaitable[None]]) -> Callable[[AsyncArgs], Awaitable[None]]:
        """A listener that runs `ack` and then hands the request to the worker for `work`."""
        wanted = list(inspect.signature(ack).parameters)
        name = work.__name__

        async def ack_then_hand_off(args: AsyncArgs) -> None:
            await ack(**{parameter: getattr(args, parameter) for parameter in wanted})
            self.send(args.request, name)

        return ack_then_hand_off

    async def close(self) -> None:
        """Let the worker finish what it was given, then stop it."""
        self.closing = True
        if self.outbox:
            self._flush()
        process = self.process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            log.error("the worker process did not stop within %.0f s; killing it", STOP_TIMEOUT)
            process.kill()
            await process.wait()
        if self.watcher is not None:
            await self.watcher
