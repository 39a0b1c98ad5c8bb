"""Workers for the inbox: every acknowledged request is worked on until it is done, here or in any replica.

A request stored by this process is leased to it and handed straight to a worker slot, so the
work starts at once; a request whose worker died (its lease ran out), or that arrived while every
slot was busy, is claimed by the next poll of any process. While a request is worked on, its
lease is extended; a failure is tried again after a back-off, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from conversations.ports import Claimed, Inbox, Incoming

log = logging.getLogger(__name__)
Handler = Callable[[Claimed], Awaitable[None]]
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
MAX_BATCH = 64  # requests stored, or marked done, in one transaction
ACK_FIRST = 0.05  # seconds a worker waits, at most, for requests being stored before it starts a turn
T = TypeVar("T")
R = TypeVar("R")


class Together(Generic[T, R]):
    """A group commit: calls that arrive while one is under way go together in the next, one alone goes at once.

    Under a burst, twenty acknowledgements share one transaction instead of queueing for the
    database one by one; each caller still waits for its own result (or the batch's error), so
    nothing is acknowledged before it is stored.
    """

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]], *, limit: int = MAX_BATCH) -> None:
        self.run = run
        self.limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._going: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        waiter: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, waiter))
        if self._going is None or self._going.done():
            self._going = asyncio.create_task(self._go())
        return await waiter

    async def settled(self, *, within: float) -> None:
        """Until nothing waits or goes (at most `within` seconds): work that can wait lets these calls go first."""
        if self._going is not None and not self._going.done():
            await asyncio.wait({self._going}, timeout=within)

    async def _go(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.limit], self._waiting[self.limit :]
            try:
                results = await self.run([item for item, _ in batch])
            except Exception as e:  # every caller of the batch gets the error
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(e)
                continue
            for (_, waiter), result in zip(batch, results, strict=True):
                if not waiter.done():
                    waiter.set_result(result)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Workers:
    def __init__(
        self,
        *,
        inbox: Inbox,
        handlers: Mapping[str, Handler],
        clock: Callable[[], datetime],
        slots: int = 4,
        lease: timedelta = LEASE,
        poll: float = 1.0,
        backlog: int = 256,
    ) -> None:
        self.inbox = inbox
        self.handlers = dict(handlers)
        self.clock = clock
        self.owner = worker_name()
        self.lease = lease
        self.poll = poll
        self.slots = slots
        self.backlog = backlog
        self.queue: asyncio.Queue[Claimed] = asyncio.Queue()
        self.held: dict[int, Claimed] = {}  # leased to this process: waiting for a slot or being worked on
        self._tasks: list[asyncio.Task] = []
        self._wake = asyncio.Event()
        self._backlog = False  # the last poll took all it could: more may be waiting
        self._store: Together[Incoming, None] = Together(self._store_all)
        self._mark_done: Together[int, None] = Together(self._done_all)

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not all(t.done() for t in self._tasks)

    def has_room(self, count: int = 1) -> bool:
        """Whether `count` requests stored now can be taken on at once (else they wait in the inbox for a poll)."""
        return self.running and self.queue.qsize() + count <= self.backlog

    async def accept(self, item: Incoming) -> None:
        """Store a request before it is acknowledged; with a free place here, lease it to this process and start on it.

        A retry of a stored request (same key) is recognised and stored nothing; if the inbox cannot be
        reached this raises, and the platform must be told to deliver the request again. Requests that
        arrive together are stored in one transaction.
        """
        await self._store(item)

    async def _store_all(self, items: list[Incoming]) -> list[None]:
        owner = self.owner if self.has_room(len(items)) else None
        claimed = await self.inbox.put_all(items=items, now=self.clock(), owner=owner, lease=self.lease)
        for stored in claimed:
            if stored is not None and owner is not None:
                self.hand(stored)
        return [None] * len(items)

    async def _done_all(self, ids: list[int]) -> list[None]:
        await self.inbox.done_all(ids=ids, owner=self.owner, now=self.clock())
        return [None] * len(ids)

    def hand(self, item: Claimed) -> None:
        """A request leased to this process: work on it as soon as a slot is free (its lease is kept meanwhile)."""
        if item.id not in self.held:
            self.held[item.id] = item
            self.queue.put_nowait(item)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._slot()) for _ in range(self.slots)]
        self._tasks.append(asyncio.create_task(self._poll()))
        self._tasks.append(asyncio.create_task(self._heartbeat()))

    async def stop(self, *, timeout: float = 25.0) -> None:
        """Finish what is in hand (what is left stays in the inbox for the next process), then stop."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout)
        except TimeoutError:
            log.warning("stopping with %d requests unfinished; they stay in the inbox", len(self.held))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def drain(self, *, timeout: float = 30.0) -> None:
        """Until nothing is waiting in the inbox or in hand (for tests and one-off commands)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.queue.join()
            if not self.held and await self.inbox.pending() == 0:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"{await self.inbox.pending()} requests still pending")
            self._wake.set()
            await asyncio.sleep(0.01)

    async def _slot(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                await self._store.settled(within=ACK_FIRST)  # acknowledgements first: they have Slack's three seconds
                await self.work(item)
            finally:
                self.queue.task_done()

    async def work(self, item: Claimed) -> None:
        """Run one request's handler and record how it ended."""
        try:
            handler = self.handlers.get(item.platform)
            if handler is None:
                await self.inbox.done(id=item.id, owner=self.owner, now=self.clock(), error=f"no handler for {item.platform}")
                return
            try:
                await handler(item)
            except Exception as e:
                await self._failed(item, e)
                return
            await self._mark_done(item.id)  # with the others that finish meanwhile
        except Exception:  # the inbox itself is unreachable: the lease runs out and the request is claimed again
            log.exception("could not record the end of request %s", item.key)
        finally:
            self.held.pop(item.id, None)
            if self._backlog:  # a slot is free and the last poll left requests waiting: claim more now
                self._wake.set()

    async def _failed(self, item: Claimed, error: Exception) -> None:
        if hasattr(error, "retry_after"):
            log.info("request %s: %s", item.key, error)
        else:
            log.error("request %s failed (attempt %d): %s", item.key, item.attempts, error, exc_info=error)
        if item.attempts >= MAX_ATTEMPTS:
            await self.inbox.done(id=item.id, owner=self.owner, now=self.clock(), error=f"gave up: {type(error).__name__}: {error}"[:300])
            return
        asked = getattr(error, "retry_after", None)  # the platform said when: a Retry-After
        retry = self.clock() + timedelta(seconds=min(300, asked if isinstance(asked, (int, float)) else 2**item.attempts))
        await self.inbox.extend(id=item.id, owner=self.owner, until=retry)  # claimable again after the back-off

    async def _poll(self) -> None:
        """Claim requests nobody holds: those of a worker that died, or that waited for a free slot."""
        while True:
            self._wake.clear()
            try:
                free = self.slots - len(self.held)
                if free > 0:
                    claimed = await self.inbox.claim(owner=self.owner, now=self.clock(), limit=free, lease=self.lease)
                    self._backlog = len(claimed) == free
                    for item in claimed:
                        self.hand(item)
            except Exception:
                log.exception("claiming inbox requests failed; trying again")
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll)
            except TimeoutError:
                pass

    async def _heartbeat(self) -> None:
        """Keep the leases of what this process holds, so no other worker (nor its own poll) takes them meanwhile."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            for item in list(self.held.values()):
                try:
                    await self.inbox.extend(id=item.id, owner=self.owner, until=self.clock() + self.lease)
                except Exception:
                    log.exception("extending the lease of %s failed", item.key)
