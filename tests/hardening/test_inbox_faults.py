"""The inbox under faults: a worker or a whole server killed mid-burst, a database that stops taking
connections, two replicas sharing one database.

Every test drives real `preflight` processes over loopback HTTP with signed Slack requests, against
the FakeSlack Web API in this process, and waits for the expected database state or Web API calls
with a deadline, never for a quiet period.

A killed worker's requests are claimed again once their lease runs out: 60 s by default, the
shortest allowed (PREFLIGHT_LEASE_SECONDS=5) here.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from storage.engine import database_url, make_engine
from tests.bot.slack.conftest import SECRET, text_of
from tests.bot.slack.fake_slack import FakeSlack
from tests.conftest import reset_postgres
from tests.hardening.test_faults import set_connections
from tests.loopback import environment, free_port

PREFLIGHT = Path(sys.executable).parent / "preflight"
LEASE_SECONDS = 5  # the shortest allowed: a killed worker's requests are claimed again within the test
TEAM = "T1"
RESPOND = "http://respond.invalid"  # response URLs point at the fake API; its address is filled in when sent
TOTAL = 8
CHOICES = {  # the choice questions and their options, in question order
    "data": ("ready", "partly", "legacy"),
    "process": ("defined", "some", "improvised"),
    "governance": ("parallel", "started", "later"),
    "skills": ("yes", "partly", "no"),
    "use_case": ("real", "mixed", "pressure"),
}
POSTGRES = os.environ.get("TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL (scripts/with-postgres.sh; CI always sets it)")


# -- requests, as Slack sends them ---------------------------------------------------------


@dataclass
class Request:
    """One signed Slack request and what became of it."""

    kind: str  # "start" or "click"
    form: dict[str, str]  # the urlencoded body's fields; sent again unchanged when retried (same delivery key)
    channel: str
    user: str
    assessment: int | None = None  # clicks: what they answer
    question: str | None = None
    choice: str | None = None
    statuses: list[int | None] = field(default_factory=list)  # every attempt's HTTP status; None when the call failed

    @property
    def acked(self) -> bool:
        return 200 in self.statuses

    @property
    def effect(self) -> tuple[int | None, str, str | None, str | None]:
        """How the click shows in the answer history: assessment, who, question, choice."""
        return (self.assessment, self.user, self.question, self.choice)


def start(channel: str, project: str, *, user: str = "UANA") -> Request:
    trigger = uuid.uuid4().hex
    form = {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "ai-projects",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/readiness",
        "text": f"start {project}",
        "api_app_id": "A1",
        "response_url": f"{RESPOND}/respond/{trigger}",  # the fake API's address, filled in when sent
        "trigger_id": f"start-{trigger}",
    }
    return Request("start", form, channel=channel, user=user)


def click(*, assessment: int, question: str, choice: str, channel: str, message_ts: str, user: str) -> Request:
    """A choice button pressed, shaped like Slack's block_actions payload."""
    index = CHOICES[question].index(choice)
    trigger = uuid.uuid4().hex
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "api_app_id": "A1",
        "token": "legacy",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "trigger_id": f"click-{trigger}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "ai-projects"},
        "message": {"ts": message_ts, "type": "message"},
        "response_url": f"{RESPOND}/respond/{trigger}",
        "actions": [
            {
                "type": "button",
                "action_id": f"pf_choose_{index}",
                "block_id": f"q:{question}",
                "value": json.dumps({"a": assessment, "v": "choose", "q": question, "c": choice}, separators=(",", ":")),
                "action_ts": str(time.time()),
            }
        ],
    }
    return Request(
        "click", {"payload": json.dumps(payload)}, channel=channel, user=user, assessment=assessment, question=question, choice=choice
    )


class Slack:
    """Sends requests the way Slack does: signed, to POST /slack/events."""

    def __init__(self, http: httpx.AsyncClient, api: FakeSlack) -> None:
        self.http = http
        self.api = api

    async def send(self, base: str, request: Request) -> int | None:
        form = dict(request.form)
        if "response_url" in form:
            form["response_url"] = form["response_url"].replace(RESPOND, self.api.base)
        if "payload" in form:
            form["payload"] = form["payload"].replace(RESPOND, self.api.base)
        body = urlencode(form)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
        }
        try:
            response = await self.http.post(base + "/slack/events", content=body.encode(), headers=headers)
            status: int | None = response.status_code
        except httpx.TransportError:  # the server died before it answered
            status = None
        request.statuses.append(status)
        return status

    async def send_all(self, to: str | Sequence[str], requests: Sequence[Request], *, spread: float = 0.0) -> list[int | None]:
        """All at once, to one server or each to its own (`to[n]`); with `spread`, started evenly over that many seconds."""
        bases = [to] * len(requests) if isinstance(to, str) else list(to)

        async def one(n: int, request: Request) -> int | None:
            if spread:
                await asyncio.sleep(spread * n / len(requests))
            return await self.send(bases[n], request)

        return list(await asyncio.gather(*(one(n, r) for n, r in enumerate(requests))))


# -- processes ----------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    base: str = ""

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no finishing what is in hand."""
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Processes:
    """The `preflight` processes a test starts; whatever is left running is stopped at the end."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.started: list[Proc] = []

    async def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        log = self.tmp_path / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                str(PREFLIGHT), *args, env={**self.env, **(env or {})}, cwd=self.tmp_path, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
        proc = Proc(name, process, log)
        self.started.append(proc)
        return proc

    async def serve(self, *flags: str, port: int | None = None, env: dict[str, str] | None = None) -> Proc:
        port = port or free_port()
        proc = await self._spawn("serve", "serve", "--port", str(port), *flags, env=env)
        proc.base = f"http://127.0.0.1:{port}"
        await until(lambda: _healthy(proc), what=f"{proc.name} to answer /healthz", timeout=30)
        return proc

    async def worker(self) -> Proc:
        proc = await self._spawn("worker", "worker", "--no-scheduler")
        await until(lambda: _ready(proc), what=f"{proc.name} to start", timeout=30)
        return proc

    async def close(self) -> None:
        for proc in self.started:
            if proc.process.returncode is None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                await asyncio.wait_for(proc.process.wait(), 15)
            except TimeoutError:
                proc.process.send_signal(signal.SIGKILL)
                await proc.process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name} ---\n{p.output()[-4000:]}" for p in self.started)


async def _healthy(proc: Proc) -> bool:
    _running(proc)
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(proc.base + "/healthz")).status_code == 200
    except httpx.TransportError:
        return False


def _running(proc: Proc) -> None:
    if proc.process.returncode is not None:
        raise AssertionError(f"{proc.name} exited with {proc.process.returncode}:\n{proc.output()}")


async def _ready(proc: Proc) -> bool:
    _running(proc)
    return "Working on acknowledged requests" in proc.output()


def settings(api: FakeSlack, database: str) -> dict[str, str]:
    return environment(
        DATABASE_URL=database,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_API_URL=api.url,
        PREFLIGHT_LEASE_SECONDS=str(LEASE_SECONDS),
    )


@pytest.fixture
async def http():
    # No connections kept alive: one to a killed server would fail the next request sent on it.
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200, max_keepalive_connections=0)) as client:
        yield client


@pytest.fixture
async def procs_of(tmp_path):
    made: list[Processes] = []

    def make(env: dict[str, str]) -> Processes:
        made.append(Processes(tmp_path, env))
        return made[-1]

    yield make
    for processes in made:
        await processes.close()
        print(processes.logs())  # shown by pytest when the test failed


# -- the database, as the test reads it ---------------------------------------------------------


class Db:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(database_url({"DATABASE_URL": url}))

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar_one()

    async def history(self) -> Counter[tuple[int, str, str, str]]:
        """Every stored answer change, as (assessment, who, question, choice)."""
        rows = await self.rows(
            "SELECT c.assessment_id, p.external_id, c.question, c.new_value FROM answer_change c JOIN person p ON p.id = c.changed_by_id"
        )
        return Counter((a, who, q, _json(new)["choice"]) for a, who, q, new in rows)

    async def pending(self) -> int:
        return await self.scalar("SELECT count(*) FROM inbox WHERE done_at IS NULL")

    async def dispose(self) -> None:
        await self.engine.dispose()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'preflight.db'}"


@pytest.fixture
async def postgres_url():
    assert POSTGRES
    await reset_postgres(database_url({"DATABASE_URL": POSTGRES}))
    return POSTGRES


@pytest.fixture
async def db_of():
    made: list[Db] = []

    def make(url: str) -> Db:
        made.append(Db(url))
        return made[-1]

    yield make
    for db in made:
        await db.dispose()


# -- waiting, with a deadline -------------------------------------------------------------------


async def until(check: Callable[[], Awaitable[Any]], *, what: str, timeout: float = 30) -> Any:
    """Poll `check` until it returns something true; fail after `timeout` seconds, saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {found!r})")
        await asyncio.sleep(0.05)


async def converged(db: Db, *, expected: Iterable[Request], timeout: float = 45) -> None:
    """Until the inbox is worked off and every given click shows in the history."""
    wanted = Counter(r.effect for r in expected if r.kind == "click")

    async def check() -> bool:
        if await db.pending():
            return False
        history = await db.history()
        return all(history[k] >= n for k, n in wanted.items())

    await until(check, what="the inbox to be worked off and every acknowledged click stored", timeout=timeout)


# -- what Slack was asked to do -----------------------------------------------------------------


def posts(api: FakeSlack) -> list[dict[str, Any]]:
    return api.of("chat.postMessage")


def cards_by_channel(api: FakeSlack) -> Counter[str]:
    """chat.postMessage calls outside any thread: a check's card."""
    return Counter(p["channel"] for p in posts(api) if not p.get("thread_ts"))


def repeated_posts(api: FakeSlack) -> list[tuple[str, str, str]]:
    """Messages posted more than once to the same place with the same text."""
    seen = Counter((p["channel"], p.get("thread_ts") or "", p.get("text") or "") for p in posts(api))
    return [k for k, n in seen.items() if n > 1]


SHOWING = ("chat.postMessage", "chat.update")  # the Web API calls that show a request's result


def effects(api: FakeSlack) -> int:
    return sum(1 for method, _ in api.calls if method in SHOWING)


def hold_results(api: FakeSlack, seconds: float = 0.5) -> int:
    """From now on Slack takes `seconds` to answer each message post or update; how many have arrived so far."""
    api.hold = lambda method, params: seconds if method in SHOWING else 0
    return effects(api)


async def kill_mid_work(api: FakeSlack, proc: Proc, *, before: int) -> None:
    """SIGKILL `proc` once a few of its messages have reached Slack, while it waits for Slack's answers:
    the requests they belong to are being worked on, not done."""

    async def arrived() -> bool:
        return effects(api) > before + 2

    await until(arrived, what="a few effects of the burst at Slack", timeout=30)
    await proc.kill()
    api.hold = None


async def first_questions(api: FakeSlack, channels: Sequence[str], *, timeout: float = 30) -> dict[str, dict[str, Any]]:
    """Each channel's "Question 1 of 8" message, once posted: ts, channel, assessment id."""

    async def check() -> dict[str, dict[str, Any]] | None:
        found: dict[str, dict[str, Any]] = {}
        for p in posts(api):
            if p.get("thread_ts") and p["channel"] in channels and "Question 1 of 8" in text_of(p):
                value = json.loads(next(e["value"] for b in p["blocks"] for e in b.get("elements", []) if e.get("type") == "button"))
                found[p["channel"]] = {"ts": p["_ts"], "channel": p["channel"], "assessment": value["a"], "thread": p["thread_ts"]}
        return found if len(found) == len(channels) else None

    return await until(check, what=f"question 1 posted in {len(channels)} channels", timeout=timeout)


def clicks_on(questions: dict[str, dict[str, Any]], count: int, *, per_check: Sequence[str] = tuple(CHOICES)) -> list[Request]:
    """`count` clicks spread over the checks: the n-th on check n % checks, question `per_check[n // checks]`.

    Each presses a choice button of the check's question with the question message in `container`:
    question 1's, the only question message on screen before the burst. Every click has its own
    user, so each shows as one entry of the answer history.
    """
    checks = list(questions.values())
    made = []
    for n in range(count):
        q1 = checks[n % len(checks)]
        question = per_check[(n // len(checks)) % len(per_check)]
        made.append(
            click(
                assessment=q1["assessment"],
                question=question,
                choice=CHOICES[question][n % 3],
                channel=q1["channel"],
                message_ts=q1["ts"],
                user=f"U{n:03d}{uuid.uuid4().hex[:4].upper()}",
            )
        )
    return made


def interleave(*groups: Sequence[Request]) -> list[Request]:
    return [r for batch in itertools.zip_longest(*groups) for r in batch if r is not None]


# -- what every test checks at the end ----------------------------------------------------------


async def redone_channels(db: Db) -> set[str]:
    """The channels of requests worked on again after a kill: a message in flight at the kill may be repeated there."""
    found = set()
    for (payload,) in await db.rows("SELECT payload FROM inbox WHERE attempts > 1"):
        body = _json(payload).get("body") or {}
        found.add(body.get("channel_id") or (body.get("channel") or {}).get("id"))
    return found


async def check_consistent(db: Db, api: FakeSlack) -> dict[int, Any]:
    """Nothing half-applied or repeated: each assessment's version, answers and card agree with its
    history, the inbox is done, and no message went out twice, but where a request was being worked on
    when its worker was killed (Slack cannot say whether a post in flight arrived, so that one post may
    be repeated there). Every problem found is reported at once."""
    assessments = {r.id: r for r in await db.rows("SELECT id, channel, thread, version, answered, total FROM assessment ORDER BY id")}
    changes = await db.rows("SELECT assessment_id, question, new_value FROM answer_change ORDER BY id")
    answers = {(a, q): _json(v) for a, q, v in await db.rows("SELECT assessment_id, question, value FROM answer")}
    last: dict[tuple[int, str], Any] = {}
    saves: Counter[int] = Counter()
    for a, q, new in changes:
        last[(a, q)] = _json(new)
        saves[a] += 1
    problems = []
    if differ := {k: (answers.get(k), last.get(k)) for k in answers.keys() | last.keys() if answers.get(k) != last.get(k)}:
        problems.append(f"answers that are not the last change in their history (answer, last change): {differ}")
    for a, row in assessments.items():
        if row.version != 1 + saves[a]:
            problems.append(f"assessment {a} is at version {row.version} after {saves[a]} changes")
        if row.answered != len({q for (b, q) in answers if b == a}):
            problems.append(f"assessment {a} counts {row.answered} answers")
        if not row.thread:
            problems.append(f"assessment {a} ({row.channel}) has no card thread")
    redone = await redone_channels(db)
    cards = cards_by_channel(api)
    if twice := {c: n for c, n in cards.items() if n > (2 if c in redone else 1)}:
        problems.append(f"cards posted more than once, by channel: {twice}")
    channels = Counter(r.channel for r in assessments.values())
    if set(channels) != set(cards):
        problems.append(f"checks without a card: {set(channels) - set(cards)}; cards without a check: {set(cards) - set(channels)}")
    if repeated := [r for r in repeated_posts(api) if r[0] not in redone]:
        problems.append(f"messages posted more than once (channel, thread, text): {repeated}")
    inbox = await db.rows("SELECT key, attempts, applied_at, done_at, error FROM inbox")
    if undone := [r.key for r in inbox if r.done_at is None]:
        problems.append(f"inbox rows not done: {undone}")
    if failed := [(r.key, r.error) for r in inbox if r.error]:
        problems.append(f"inbox rows that failed: {failed}")
    if unapplied := [r.key for r in inbox if r.applied_at is None]:
        problems.append(f"stored requests that changed nothing: {unapplied}")
    assert not problems, "\n".join(problems)
    return assessments


# -- the tests ----------------------------------------------------------------------------------


async def test_a_worker_killed_mid_burst_loses_nothing_and_repeats_nothing(sqlite_url, api, http, procs_of, db_of):
    procs, db, slack = procs_of(settings(api, sqlite_url)), db_of(sqlite_url), Slack(http, api)
    web = await procs.serve("--no-workers", "--no-scheduler")
    worker = await procs.worker()

    first = [start(f"CA{n:02d}", f"Project A{n}") for n in range(20)]
    assert await slack.send_all(web.base, first) == [200] * 20
    questions = await first_questions(api, [r.channel for r in first])

    clicks = clicks_on(questions, 50)
    second = [start(f"CB{n:02d}", f"Project B{n}") for n in range(20)]
    before = hold_results(api)
    burst = asyncio.create_task(slack.send_all(web.base, interleave(clicks, second)))
    await kill_mid_work(api, worker, before=before)
    statuses = await burst
    assert statuses == [200] * 70  # the web process stored and acknowledged them all

    await procs.worker()
    await converged(db, expected=clicks, timeout=60)

    assert await db.scalar("SELECT count(*) FROM assessment") == 40
    assert await db.history() == Counter(c.effect for c in clicks), "each click stored exactly once"
    assessments = await check_consistent(db, api)
    assert sorted(r.channel for r in assessments.values()) == sorted(r.channel for r in [*first, *second])
    assert await db.pending() == 0
    assert await db.scalar("SELECT count(*) FROM inbox") == 90
    # The kill interrupted work: the new worker claimed again what the old one held.
    assert await db.scalar("SELECT count(*) FROM inbox WHERE attempts > 1") >= 1


async def test_a_server_killed_mid_burst_applies_what_it_acknowledged_once(sqlite_url, api, http, procs_of, db_of):
    procs, db, slack = procs_of(settings(api, sqlite_url)), db_of(sqlite_url), Slack(http, api)
    port = free_port()
    server = await procs.serve("--no-scheduler", port=port)

    first = [start(f"CA{n:02d}", f"Project A{n}") for n in range(20)]
    assert await slack.send_all(server.base, first) == [200] * 20
    questions = await first_questions(api, [r.channel for r in first])

    clicks = clicks_on(questions, 50)
    second = [start(f"CB{n:02d}", f"Project B{n}") for n in range(20)]
    requests = interleave(clicks, second)
    before = hold_results(api)
    burst = asyncio.create_task(slack.send_all(server.base, requests, spread=1.0))
    await kill_mid_work(api, server, before=before)
    await burst
    acked = [r for r in requests if r.acked]
    failed = [r for r in requests if not r.acked]
    assert {s for r in requests for s in r.statuses} <= {200, None}
    assert acked and failed, f"the kill should land mid-burst: {len(acked)} acknowledged, {len(failed)} failed"

    await procs.serve("--no-scheduler", port=port)
    await converged(db, expected=acked)

    # Every acknowledged request took effect exactly once; one that failed at most once, never half.
    history = await db.history()
    assert {c.effect: history[c.effect] for c in clicks if c.acked} == {c.effect: 1 for c in clicks if c.acked}
    assert {c.effect: history[c.effect] for c in clicks if not c.acked if history[c.effect] > 1} == {}
    assert sum(history.values()) <= len(clicks)
    assessments = await check_consistent(db, api)
    in_channels = Counter(r.channel for r in assessments.values())
    assert all(in_channels[s.channel] == 1 for s in [*first, *second] if s.acked)
    assert all(in_channels[s.channel] <= 1 for s in second)
    assert await db.scalar("SELECT count(*) FROM inbox WHERE attempts > 1") >= 1  # the restarted server redelivered

    # Slack retries what it got no answer to (the same delivery key): now everything applies exactly once.
    assert await slack.send_all(server.base, failed) == [200] * len(failed)
    await converged(db, expected=requests)
    assert await db.history() == Counter(c.effect for c in clicks)
    assessments = await check_consistent(db, api)
    assert sorted(r.channel for r in assessments.values()) == sorted(r.channel for r in [*first, *second])


async def test_requests_killed_between_their_slack_calls_are_finished_once_when_worked_on_again(sqlite_url, api, http, procs_of, db_of):
    """Three requests, each caught by the kill at another point of its work, after it was saved:
    a start posting its card, a start whose card is posted and whose thread is next, and a click
    whose answer is saved and whose message is being replaced. Worked on again after the lease,
    each must finish what it had not done, and repeat nothing it had."""
    procs, db, slack = procs_of(settings(api, sqlite_url)), db_of(sqlite_url), Slack(http, api)
    server = await procs.serve("--no-scheduler")
    assert await slack.send(server.base, start("CZ", "Project Z")) == 200
    q1 = (await first_questions(api, ["CZ"]))["CZ"]

    def held(method: str, params: dict[str, Any]) -> bool:
        threaded = bool(params.get("thread_ts"))
        return (
            (method == "chat.postMessage" and params["channel"] == "CX" and not threaded)  # CX's card
            or (method == "chat.postMessage" and params["channel"] == "CY" and threaded)  # the first message in CY's thread
            or (method == "chat.update" and params["channel"] == "CZ")  # the question CZ's click answered
        )

    api.hold = lambda method, params: 3.0 if held(method, params) else 0
    answer = click(**_on(q1, "legacy", "UZED"))
    assert await slack.send_all(server.base, [start("CX", "Project X"), start("CY", "Project Y"), answer]) == [200] * 3

    async def all_held() -> bool:
        return sum(1 for m, p in api.calls if held(m, p)) >= 3

    await until(all_held, what="the three held calls to reach Slack")
    await server.kill()
    api.hold = None
    await procs.serve("--no-scheduler")
    await converged(db, expected=[answer])

    assert await db.history() == Counter([answer.effect])
    assert await db.scalar("SELECT count(*) FROM assessment") == 3
    problems = []
    cards = cards_by_channel(api)
    # CX's card was in flight at the kill: Slack got it, Preflight never heard back, so it is posted again.
    for channel, expected in (("CX", 2), ("CY", 1), ("CZ", 1)):
        if cards[channel] != expected:
            problems.append(f"{channel}: {cards[channel]} cards posted")
    # Each thread shows where its check stands, once: worked on again, a request says it resumes there.
    for channel, question in (("CX", "Question 1 of 8"), ("CY", "Question 1 of 8"), ("CZ", "Question 2 of 8")):
        asked = [p for p in posts(api) if p["channel"] == channel and p.get("thread_ts") and question in text_of(p)]
        if len(asked) != 1:
            problems.append(f"{channel}: '{question}' posted {len(asked)} times in the thread")
    if repeated := [r for r in repeated_posts(api) if r[:2] != ("CX", "")]:
        problems.append(f"messages posted more than once: {repeated}")
    assert not problems, "\n".join(problems)


async def test_a_separate_worker_keeps_up_with_a_burst(sqlite_url, api, http, procs_of, db_of):
    """`serve --no-workers` stores, `preflight worker` works: a worker with free slots takes the next
    waiting request as soon as one is free, not only once a second (4 requests a second at most)."""
    procs, db, slack = procs_of(settings(api, sqlite_url)), db_of(sqlite_url), Slack(http, api)
    web = await procs.serve("--no-workers", "--no-scheduler")
    await procs.worker()
    starts = [start(f"CW{n:02d}", f"Project W{n}") for n in range(24)]
    began = time.monotonic()
    assert await slack.send_all(web.base, starts) == [200] * 24

    async def worked_off() -> bool:
        return await db.pending() == 0 and len(posts(api)) >= 3 * 24  # card, intro and question 1 each

    await until(worked_off, what="the 24 starts to be worked off", timeout=30)
    took = time.monotonic() - began
    # `preflight serve` (workers in the same process) works off the same in well under a second.
    assert took < 3, f"24 starts took {took:.1f} s to work off"


@needs_postgres
async def test_a_database_outage_refuses_what_it_cannot_store_and_loses_nothing_acknowledged(postgres_url, api, http, procs_of, db_of):
    procs, db, slack = procs_of(settings(api, postgres_url)), db_of(postgres_url), Slack(http, api)
    server = await procs.serve("--no-scheduler")
    starts = [start(f"CP{n}", f"Project P{n}") for n in range(5)]
    assert await slack.send_all(server.base, starts) == [200] * 5
    questions = await first_questions(api, [r.channel for r in starts])

    clicks = clicks_on(questions, 120)  # 16 a second for 7.5 s; connections refused from 1.5 s to 6.5 s
    burst = asyncio.create_task(slack.send_all(server.base, clicks, spread=7.5))
    await asyncio.sleep(1.0)
    hold_results(api, 1.0)  # the clicks acknowledged just before the outage are still being worked on when it begins
    await asyncio.sleep(0.5)
    await set_connections(postgres_url, allowed=False)
    try:
        api.hold = None
        await asyncio.sleep(5)
    finally:
        await set_connections(postgres_url, allowed=True)
    await burst

    statuses = Counter(s for c in clicks for s in c.statuses)
    assert set(statuses) <= {200, 503}, statuses  # refused, never an error page or a dropped connection
    assert statuses[503] >= 10 and statuses[200] >= 30, statuses
    acked = [c for c in clicks if c.acked]
    assert clicks[0].acked and clicks[-1].acked  # before and after the outage

    await converged(db, expected=acked)
    history = await db.history()
    assert {c.effect: history[c.effect] for c in acked} == {c.effect: 1 for c in acked}, "every acknowledged click, exactly once"
    assert [c.effect for c in clicks if history[c.effect] > 1] == []
    await check_consistent(db, api)
    # Some were in hand when the database went away: they were worked on again after their lease.
    assert await db.scalar("SELECT count(*) FROM inbox WHERE attempts > 1") >= 1

    # Delivered again (the same delivery keys, as a retry would be), the refused ones are stored and applied once too.
    refused = [c for c in clicks if not c.acked]
    assert await slack.send_all(server.base, refused) == [200] * len(refused)
    await converged(db, expected=clicks)
    assert await db.history() == Counter(c.effect for c in clicks)
    await check_consistent(db, api)


@needs_postgres
async def test_two_replicas_apply_every_click_once_and_keep_each_card_current(postgres_url, api, http, procs_of, db_of):
    procs, db, slack = procs_of(settings(api, postgres_url)), db_of(postgres_url), Slack(http, api)
    # One after the other (the first migrates the database), each with its own bot token, so that
    # Slack can tell their calls apart.
    one = await procs.serve("--no-scheduler", env={"SLACK_BOT_TOKEN": "xoxb-one"})
    two = await procs.serve("--no-scheduler", env={"SLACK_BOT_TOKEN": "xoxb-two"})

    starts = [start(f"CR{n}", f"Project R{n}") for n in range(6)]
    assert await slack.send_all([(one, two)[n % 2].base for n in range(6)], starts) == [200] * 6
    questions = await first_questions(api, [r.channel for r in starts])

    # Every check gets all five choice questions and a second answer to question 1, all at once,
    # its clicks alternately through each replica.
    clicks = clicks_on(questions, 36, per_check=(*CHOICES, "data"))
    via = [(one, two)[(n // len(questions)) % 2].base for n in range(36)]
    assert await slack.send_all(via, clicks) == [200] * 36
    assert {(c.channel, v) for c, v in zip(clicks, via, strict=True)} == {(q, b) for q in questions for b in (one.base, two.base)}
    await converged(db, expected=clicks)
    assert await db.history() == Counter(c.effect for c in clicks)
    assert await db.scalar("SELECT count(*) FROM answer_change") == 36
    assert {r.answered for r in await db.rows("SELECT answered FROM assessment")} == {5}
    await check_cards(db, api)


@needs_postgres
async def test_a_replica_slow_to_reach_slack_does_not_leave_an_older_card_on_screen(postgres_url, api, http, procs_of, db_of):
    procs, db, slack = procs_of(settings(api, postgres_url)), db_of(postgres_url), Slack(http, api)
    one = await procs.serve("--no-scheduler", env={"SLACK_BOT_TOKEN": "xoxb-one"})
    two = await procs.serve("--no-scheduler", env={"SLACK_BOT_TOKEN": "xoxb-two"})
    starts = [start(f"CS{n}", f"Project S{n}") for n in range(4)]
    assert await slack.send_all([(one, two)[n % 2].base for n in range(4)], starts) == [200] * 4
    questions = await first_questions(api, [r.channel for r in starts])

    # Two answers to question 1 of each check, a moment apart, one through each replica. Slack
    # answers the first replica a second late, so it is still drawing its result when the second
    # replica has saved and drawn the newer one.
    api.hold = lambda method, params: 1.0 if method in SHOWING and params["_token"] == "xoxb-one" else 0
    slow = [click(**_on(q, "legacy", "USLOW")) for q in questions.values()]
    fast = [click(**_on(q, "ready", "UFAST")) for q in questions.values()]
    assert await slack.send_all(one.base, slow) == [200] * 4
    await until(lambda: _stored(db, slow), what="the first replica to save its answers")
    assert await slack.send_all(two.base, fast) == [200] * 4
    await converged(db, expected=[*slow, *fast])  # worked off: every Web API call made and answered
    assert await db.history() == Counter(c.effect for c in [*slow, *fast])
    await check_cards(db, api)


async def _stored(db: Db, clicks: Sequence[Request]) -> bool:
    history = await db.history()
    return all(history[c.effect] for c in clicks)


def _on(q1: dict[str, Any], choice: str, user: str) -> dict[str, Any]:
    return {
        "assessment": q1["assessment"],
        "question": "data",
        "choice": choice,
        "channel": q1["channel"],
        "message_ts": q1["ts"],
        "user": user,
    }


async def check_cards(db: Db, api: FakeSlack) -> None:
    """Each check's card, as last updated in Slack, shows what is stored: the answered count and the score."""
    assessments = await check_consistent(db, api)
    stale = {}
    for a in assessments.values():
        updates = [u for u in api.of("chat.update") if u.get("ts") == a.thread]
        stored = f"{a.answered} of {TOTAL} answered · {round(100 * a.total / TOTAL)}%"
        if not updates or stored not in updates[-1]["text"]:
            stale[a.id] = f"stored {stored!r}; its last updates: {[(u['_token'], u['text']) for u in updates[-3:]]}"
    assert not stale, "cards that do not show what is stored:\n" + "\n".join(f"assessment {a}: {s}" for a, s in stale.items())
