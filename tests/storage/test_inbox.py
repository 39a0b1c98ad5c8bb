"""The Inbox contract, on every backend: stored once per key, leased to one worker at a time, done by its owner."""

import asyncio
from datetime import timedelta

from conversations.ports import Claimed, Incoming

LEASE = timedelta(minutes=1)


def incoming(key: str, **payload: object) -> Incoming:
    return Incoming(key=key, platform="slack", workspace="T1", payload=payload or {"type": "event_callback"})


async def test_a_request_is_stored_once_per_key(repos, now):
    first = await repos.inbox.put(item=incoming("evt:1", text="hello", n=[1, 2]), now=now, lease=LEASE)
    assert first == Claimed(id=first.id, key="evt:1", platform="slack", workspace="T1", payload={"text": "hello", "n": [1, 2]}, attempts=0)
    assert await repos.inbox.put(item=incoming("evt:1", text="retried"), now=now, lease=LEASE) is None
    assert await repos.inbox.put(item=incoming("evt:1"), now=now, owner="w1", lease=LEASE) is None
    assert await repos.inbox.pending() == 1


async def test_keys_are_cut_to_200_characters_alike_everywhere(repos, now):
    long = "k" * 250
    stored = await repos.inbox.put(item=incoming(long), now=now, lease=LEASE)
    assert stored.key == long[:200]
    assert await repos.inbox.put(item=incoming(long[:200] + "other"), now=now, lease=LEASE) is None


async def test_a_request_put_with_an_owner_is_leased_to_it_at_once(repos, now):
    mine = await repos.inbox.put(item=incoming("evt:1"), now=now, owner="web-1", lease=LEASE)
    assert mine.attempts == 1
    row = await repos.inbox.get(id=mine.id)
    assert (row.lease_owner, row.lease_until, row.done_at) == ("web-1", now + LEASE, None)
    assert await repos.inbox.claim(owner="w2", now=now + LEASE - timedelta(seconds=1), limit=10, lease=LEASE) == []
    (taken,) = await repos.inbox.claim(owner="w2", now=now + LEASE, limit=10, lease=LEASE)  # its owner died: the lease ran out
    assert (taken.id, taken.attempts) == (mine.id, 2)


async def test_claim_takes_the_oldest_claimable_rows_skips_leased_ones_and_counts_attempts(repos, now):
    ids = [(await repos.inbox.put(item=incoming(f"evt:{i}"), now=now, lease=LEASE)).id for i in range(5)]
    first = await repos.inbox.claim(owner="w1", now=now, limit=2, lease=LEASE)
    assert [c.id for c in first] == ids[:2] and {c.attempts for c in first} == {1}
    second = await repos.inbox.claim(owner="w2", now=now, limit=10, lease=LEASE)
    assert [c.id for c in second] == ids[2:]
    assert await repos.inbox.claim(owner="w3", now=now + timedelta(seconds=30), limit=10, lease=LEASE) == []
    await repos.inbox.done(id=ids[0], owner="w1", now=now)
    expired = await repos.inbox.claim(owner="w3", now=now + LEASE, limit=10, lease=LEASE)
    assert [(c.id, c.attempts) for c in expired] == [(i, 2) for i in ids[1:]]
    assert (await repos.inbox.get(id=ids[1])).lease_owner == "w3"


async def test_only_the_owner_extends_its_lease(repos, now):
    claimed = await repos.inbox.put(item=incoming("evt:1"), now=now, owner="w1", lease=LEASE)
    assert await repos.inbox.extend(id=claimed.id, owner="w2", until=now + 10 * LEASE) is False
    assert await repos.inbox.extend(id=claimed.id, owner="w1", until=now + 10 * LEASE) is True
    assert await repos.inbox.claim(owner="w2", now=now + 5 * LEASE, limit=10, lease=LEASE) == []
    (taken,) = await repos.inbox.claim(owner="w2", now=now + 10 * LEASE, limit=10, lease=LEASE)
    assert await repos.inbox.extend(id=taken.id, owner="w1", until=now + 20 * LEASE) is False  # w2 has it now
    await repos.inbox.done(id=taken.id, owner="w2", now=now)
    assert await repos.inbox.extend(id=taken.id, owner="w2", until=now + 20 * LEASE) is False  # done: nothing to keep


async def test_only_the_owner_marks_a_request_done_and_done_is_never_claimed_again(repos, now):
    claimed = await repos.inbox.put(item=incoming("evt:1"), now=now, owner="w1", lease=LEASE)
    await repos.inbox.done(id=claimed.id, owner="w2", now=now, error="not mine")
    assert (await repos.inbox.get(id=claimed.id)).done_at is None and await repos.inbox.pending() == 1
    await repos.inbox.done(id=claimed.id, owner="w1", now=now + timedelta(seconds=1), error="x" * 400)
    row = await repos.inbox.get(id=claimed.id)
    assert (row.done_at, row.error) == (now + timedelta(seconds=1), "x" * 300)
    await repos.inbox.done(id=claimed.id, owner="w1", now=now + timedelta(seconds=2))  # a second done changes nothing
    assert (await repos.inbox.get(id=claimed.id)).done_at == now + timedelta(seconds=1)
    assert await repos.inbox.pending() == 0
    assert await repos.inbox.claim(owner="w2", now=now + timedelta(days=1), limit=10, lease=LEASE) == []


async def test_pruning_forgets_requests_done_before_a_time(repos, now):
    old = await repos.inbox.put(item=incoming("evt:old"), now=now, owner="w1", lease=LEASE)
    new = await repos.inbox.put(item=incoming("evt:new"), now=now, owner="w1", lease=LEASE)
    await repos.inbox.put(item=incoming("evt:open"), now=now, lease=LEASE)
    await repos.inbox.done(id=old.id, owner="w1", now=now)
    await repos.inbox.done(id=new.id, owner="w1", now=now + timedelta(days=2))
    assert await repos.inbox.prune(before=now + timedelta(days=1)) == 1
    assert await repos.inbox.get(id=old.id) is None and await repos.inbox.get(id=new.id) is not None
    assert await repos.inbox.pending() == 1
    assert await repos.inbox.put(item=incoming("evt:old"), now=now + timedelta(days=3), lease=LEASE) is not None  # forgotten
    assert await repos.inbox.put(item=incoming("evt:new"), now=now + timedelta(days=3), lease=LEASE) is None  # still known


async def test_claimers_at_the_same_moment_never_take_the_same_request(repos, now):
    ids = {(await repos.inbox.put(item=incoming(f"evt:{i}"), now=now, lease=LEASE)).id for i in range(120)}
    taken: list[int] = []
    for _ in range(10):
        rounds = await asyncio.gather(*[repos.inbox.claim(owner=f"w{n}", now=now, limit=7, lease=LEASE) for n in range(4)])
        taken += [c.id for claimed in rounds for c in claimed]
        if not any(rounds):
            break
    assert len(taken) == len(set(taken))  # nobody got a row twice
    assert set(taken) == ids
    for claimed_id in taken[:5]:
        assert (await repos.inbox.get(id=claimed_id)).attempts == 1


async def test_requests_stored_together_are_each_answered_in_order(repos, now):
    await repos.inbox.put(item=incoming("evt:old"), now=now, lease=LEASE)
    keys = ["evt:1", "evt:old", "evt:2", "evt:1"]  # a retry stored before, and one arriving twice in the batch
    stored = await repos.inbox.put_all(items=[incoming(k, n=i) for i, k in enumerate(keys)], now=now, owner="w1", lease=LEASE)
    assert [s.key if s else None for s in stored] == ["evt:1", None, "evt:2", None]
    assert [(s.payload, s.attempts) for s in stored if s] == [({"n": 0}, 1), ({"n": 2}, 1)]
    assert await repos.inbox.pending() == 3
    await repos.inbox.done_all(ids=[s.id for s in stored if s], owner="w1", now=now)
    assert await repos.inbox.pending() == 1  # only the one stored before, which nobody held
    await repos.inbox.done_all(ids=[s.id for s in stored if s], owner="w2", now=now + LEASE)  # not theirs: nothing
    assert {(await repos.inbox.get(id=s.id)).done_at for s in stored if s} == {now}
