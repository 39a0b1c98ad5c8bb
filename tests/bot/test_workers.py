"""The inbox's workers: requests that arrive together are stored together, and each is worked on once."""

import asyncio

import pytest

from bot.workers import Together, Workers
from conversations.ports import Claimed, Incoming
from storage.memory.inbox import MemoryInbox
from tests.conftest import NOW


class CountingInbox(MemoryInbox):
    """The in-memory inbox, counting the transactions a real one would make."""

    def __init__(self) -> None:
        super().__init__()
        self.puts: list[int] = []
        self.dones: list[int] = []
        self.down = False

    async def put_all(self, *, items, now, owner=None, lease):
        if self.down:
            raise ConnectionError("the database is down")
        self.puts.append(len(items))
        return await super().put_all(items=items, now=now, owner=owner, lease=lease)

    async def done_all(self, *, ids, owner, now):
        self.dones.append(len(ids))
        await super().done_all(ids=ids, owner=owner, now=now)


def incoming(n: int) -> Incoming:
    return Incoming(key=f"evt:{n}", platform="slack", workspace="T1", payload={"n": n})


@pytest.fixture
async def worked():
    inbox = CountingInbox()
    seen: list[int] = []

    async def handler(item: Claimed) -> None:
        await asyncio.sleep(0)
        seen.append(item.payload["n"])

    workers = Workers(inbox=inbox, handlers={"slack": handler}, clock=lambda: NOW, slots=4, poll=0.05)
    await workers.start()
    yield workers, inbox, seen
    await workers.stop()


async def test_a_burst_is_stored_in_a_few_transactions_and_each_request_worked_on_once(worked):
    workers, inbox, seen = worked
    await asyncio.gather(*(workers.accept(incoming(n)) for n in range(20)))
    assert sum(inbox.puts) == 20 and len(inbox.puts) < 5  # the first alone, the rest together
    await workers.drain()
    assert sorted(seen) == list(range(20))
    assert sum(inbox.dones) == 20 and len(inbox.dones) < 20


async def test_one_request_alone_is_stored_at_once(worked):
    workers, inbox, seen = worked
    await workers.accept(incoming(1))
    assert inbox.puts == [1]  # stored when accept returns: it may be acknowledged
    await workers.drain()
    assert seen == [1]


async def test_when_the_store_fails_every_request_of_the_batch_hears_it(worked):
    workers, inbox, _ = worked
    inbox.down = True
    outcomes = await asyncio.gather(*(workers.accept(incoming(n)) for n in range(5)), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)  # each refused, for the platform to deliver again
    inbox.down = False
    await workers.accept(incoming(9))  # and the next request is stored as usual
    await workers.drain()
    assert await inbox.pending() == 0


async def test_work_lets_acknowledgements_go_first_but_never_waits_long_for_them():
    release = asyncio.Event()

    async def store(items):
        await release.wait()
        return [None] * len(items)

    together = Together(store)
    storing = asyncio.create_task(together("a request"))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await together.settled(within=0.05)  # a store is under way: wait, but not beyond the bound
    assert 0.04 <= loop.time() - began < 0.5 and not storing.done()
    release.set()
    await together.settled(within=5)
    assert storing.done() and loop.time() - began < 1
    began = loop.time()
    await together.settled(within=5)  # nothing going: no wait at all
    assert loop.time() - began < 0.01
