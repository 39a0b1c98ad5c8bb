"""The worker process of `preflight serve`: the work after each Slack acknowledgement, and the reminders.

Started by `preflight serve` (bot/slack/handoff.py), never by hand: it reads the acknowledged
requests from its standard input and stops when that input ends, after finishing what it was
given. Its only input is its parent's pipe, whose requests were signature-checked on the way
in, so its Bolt app does not check them again (a queue longer than Slack's five-minute
signature window would otherwise drop work).

    python -m bot.worker [--no-scheduler]
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys

from bot.bootstrap import bootstrap
from bot.config import Config
from bot.slack import handoff
from bot.slack.app import build

NICENESS = 19
FINISH_TIMEOUT = 25.0  # seconds to finish the work in hand once the input has ended


async def stdin_reader() -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2**24)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def work(*, scheduler: bool) -> int:
    config = Config.from_env()
    core = await bootstrap(config, migrate=False)  # the web process has migrated the database
    slack = build(core, config, worker=True)
    reader = await stdin_reader()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, reader.feed_eof)  # finish what is in hand, then stop
    gc.collect()
    gc.freeze()  # as in serve: long-lived objects stay out of the full collections
    stop = asyncio.Event()
    reminders = asyncio.create_task(core.scheduler().run_forever(clock=core.clock, stop=stop)) if scheduler else None
    in_hand: set[asyncio.Task] = set()
    try:
        while (request := await handoff.read(reader)) is not None:
            task = asyncio.create_task(slack.async_dispatch(request))
            in_hand.add(task)
            task.add_done_callback(in_hand.discard)
        if in_hand:
            await asyncio.wait(in_hand, timeout=FINISH_TIMEOUT)
    finally:
        stop.set()
        if reminders is not None:
            await reminders
        await core.close()
    return 0


def yield_to_acknowledgements() -> None:
    """Acknowledgements come first: the worker runs on CPU time the web process does not want.

    Under Linux's idle scheduling policy the web process, waking for a request, takes the CPU from
    the worker at once; at nice 19 alone the scheduler lets the worker finish its time slice first,
    which doubled the acknowledgement's median under load. In a cgroup of its own (a systemd
    service, a container) Preflight keeps its share of the machine, so only its web process holds
    the worker back; on a host saturated by other programs the worker waits, as it nearly would at
    nice 19. Where there is no idle policy, nice 19 is what there is.
    """
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    if hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # before any thread starts: they inherit it
        except OSError:
            pass


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="worker %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the web process stops us
    yield_to_acknowledgements()
    return asyncio.run(work(scheduler="--no-scheduler" not in sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
