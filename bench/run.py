"""make bench: what a person sees after a click, Slack's acknowledgement, CPU per assessment, scheduler passes.

Every server is a process of its own on loopback: Preflight's real `preflight serve` (it stores each
request in its inbox, acknowledges it, and works on it in the same process), and the baseline,
a bare Bolt app in Bolt's default mode whose action listener acks and makes one chat.update
(bench/bare_bolt.py). The loopback Slack Web API (bench/fake_slack_server.py) is a third process
that reports every call as it arrives, stamped with the machine's monotonic clock; this process
signs and sends the requests, and waits for the calls it expects, each with a deadline (no sleeps).

On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (`make bench` sets it):
  1. click → shown: from a signed block_actions click on a choice button of a question Preflight
     posted, to the first chat.update or chat.postMessage in that channel at the Web API; one click
     at a time, and ten channels at once (ten concurrent clicks, each in its own channel);
  2. Slack's acknowledgement at 20 concurrent clients: /readiness start, and the same clicks;
  3. CPU time of the server per whole assessment (start, eight answers, finish), from /proc;
     and SQL statements per request (a separate run, bench/counted_serve.py);
  4. click → shown again with two busy processes on the machine: was every acknowledged click shown?
  5. the reminder and digest passes (bench/reminder_passes.py).
1, 2 and 4 alternate rounds between the bare app and Preflight (ABBA), the two running side by side.

    python bench/run.py [--quick] [--only click,ack,busy,statements,cpu,passes] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import math
import os
import signal
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import reminder_passes  # noqa: E402
from tests.loopback import environment, free_port, until_healthy  # noqa: E402

CLOCK = time.monotonic_ns  # CLOCK_MONOTONIC: the same clock in the fake Web API's process
SECRET = "bench-secret"
TEAM = "TBENCH"
PREFLIGHT = Path(sys.executable).parent / "preflight"
TICK = os.sysconf("SC_CLK_TCK")
RESULTS = ROOT / "bench" / "results"
SHOWN = ("chat.update", "chat.postMessage")
DEADLINE = 30.0  # seconds an acknowledged request may take to show before it counts as unanswered
CHOICES = {"data": "ready", "process": "some", "governance": "parallel", "skills": "partly", "use_case": "real"}
FORMS: dict[str, dict[str, dict[str, Any]]] = {  # the answers given in a form, by question: Slack's view.state.values, block by block
    "roi": {
        "statement": {"type": "plain_text_input", "value": "Cut churn of SME customers"},
        "baseline": {"type": "plain_text_input", "value": "6.1% a month"},
        "target": {"type": "plain_text_input", "value": "below 4% a month"},
        "by_when": {"type": "datepicker", "selected_date": "2099-06-30"},
    },
    "ownership": {
        "owner": {"type": "users_select", "selected_user": "UDANA"},
        "budget": {"type": "plain_text_input", "value": "50000 EUR"},
        "time": {"type": "plain_text_input", "value": "1 day a week"},
    },
    "monitoring": {
        "checks": {"type": "checkboxes", "selected_options": [{"value": "accuracy_drift"}, {"value": "data_drift"}]},
    },
}


@dataclass(frozen=True)
class Sizes:
    rounds: int  # alternating rounds of each shape
    one: int  # clicks per round and server, one at a time
    ten: int  # bursts of ten concurrent clicks per round and server
    ack: int  # requests per round and server at 20 clients
    busy_rounds: int
    assessments: int  # whole assessments for the CPU figure
    statements: int  # clicks counted in the statements run
    passes: tuple[int, ...]


QUICK = Sizes(rounds=2, one=8, ten=1, ack=20, busy_rounds=1, assessments=12, statements=8, passes=(1000,))
FULL = Sizes(rounds=6, one=40, ten=6, ack=100, busy_rounds=2, assessments=200, statements=40, passes=(1000, 10000, 100000))


# -- the loopback Slack Web API ---------------------------------------------------------------------


class Slack:
    """The fake Web API process, and the calls it reports, by channel."""

    def __init__(self) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = {}
        self.counts: Counter[str] = Counter()
        self._waiting: dict[str, list[tuple[Callable[[list[dict[str, Any]]], bool], asyncio.Future]]] = {}

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "fake_slack_server.py"),
            "--port",
            str(free_port()),
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,
        )
        assert self.process.stdout is not None
        self.base = (await self.process.stdout.readline()).decode().strip()
        self.url = self.base + "/api/"
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        self.process.terminate()
        await self.process.wait()
        self._reader.cancel()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            call = json.loads(line)
            self.counts[call["m"]] += 1
            seen = self.seen(call["c"])
            seen.append(call)
            waiting = self._waiting.get(call["c"])
            if waiting:
                for entry in list(waiting):
                    check, future = entry
                    if future.done() or check(seen):
                        waiting.remove(entry)
                        if not future.done():
                            future.set_result(seen)

    def forget(self) -> None:
        """Drop the calls seen so far, and keep this process's garbage collector from walking what is left
        over and over: its pauses would count in the times measured here."""
        self.calls.clear()
        self._waiting.clear()
        gc.collect()
        gc.freeze()

    def seen(self, channel: str) -> list[dict[str, Any]]:
        return self.calls.setdefault(channel, [])

    async def until(self, channel: str, check: Callable[[list[dict[str, Any]]], bool], timeout: float = DEADLINE) -> list[dict[str, Any]]:
        """The channel's calls once `check` holds for them; TimeoutError after `timeout` seconds."""
        seen = self.seen(channel)
        if check(seen):
            return seen
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(channel, []).append((check, future))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            future.cancel()


def shown_since(mark: int) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda seen: any(c["m"] in SHOWN for c in seen[mark:])


def updated_since(mark: int, ts: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda seen: any(c["m"] == "chat.update" and c.get("ts") == ts for c in seen[mark:])


def first_question_since(mark: int) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda seen: any(Prompt.read(c) is not None for c in seen[mark:])


# -- what Slack sends -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """A message with buttons that Preflight posted in a check's thread: what a person clicks on."""

    channel: str
    ts: str
    thread: str  # the check's card: its ts is the thread's
    text: str
    blocks: list[dict[str, Any]]

    @staticmethod
    def read(call: dict[str, Any]) -> Prompt | None:
        if call["m"] != "chat.postMessage" or not call.get("th") or not any(b.get("type") == "actions" for b in call.get("b") or ()):
            return None
        return Prompt(channel=call["c"], ts=call["ts"], thread=call["th"], text=call.get("x", ""), blocks=call["b"])

    def buttons(self) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(block_id, element, its value read) for each button."""
        found = []
        for block in self.blocks:
            for element in block.get("elements") or () if block.get("type") == "actions" else ():
                if element.get("type") == "button":
                    found.append((block.get("block_id", ""), element, json.loads(element["value"])))
        return found

    def choice(self) -> tuple[str, dict[str, Any]] | None:
        """The first choice button (pf_choose_0), if this is a question with choices."""
        for block_id, element, _ in self.buttons():
            if element["action_id"] == "pf_choose_0":
                return block_id, element
        return None


_serial = 0
CHANNELS = itertools.count(1)


def trigger() -> str:
    global _serial
    _serial += 1
    return f"{_serial}.{CLOCK()}.bench"


def user(n: int) -> dict[str, str]:
    return {"id": f"U{n % 50:04d}", "username": f"user{n % 50}", "name": f"user{n % 50}", "team_id": TEAM}


def start_body(channel: str, n: int, api: Slack) -> str:
    person = user(n)
    return urlencode(
        {
            "token": "bench-verification",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": channel,
            "channel_name": f"bench-{channel.lower()}",
            "user_id": person["id"],
            "user_name": person["name"],
            "command": "/readiness",
            "text": f"start Bench project {n}",
            "api_app_id": "ABENCH",
            "is_enterprise_install": "false",
            "response_url": f"{api.base}/respond/{channel}",
            "trigger_id": trigger(),
        }
    )


def click_body(
    prompt: Prompt, block_id: str, element: dict[str, Any], *, n: int, api: Slack, channel: str | None = None, trigger_id: str | None = None
) -> str:
    """A block_actions payload as Slack sends it for a button of `prompt` (in `channel`, for the bare app)."""
    channel = channel or prompt.channel
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user(n),
        "api_app_id": "ABENCH",
        "token": "bench-verification",
        "container": {"type": "message", "message_ts": prompt.ts, "channel_id": channel, "is_ephemeral": False, "thread_ts": prompt.thread},
        "trigger_id": trigger_id or trigger(),
        "team": {"id": TEAM, "domain": "bench"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": f"bench-{channel.lower()}"},
        "message": {
            "user": "UBOT",
            "type": "message",
            "ts": prompt.ts,
            "bot_id": "BBOT",
            "app_id": "ABENCH",
            "text": prompt.text,
            "team": TEAM,
            "blocks": prompt.blocks,
            "thread_ts": prompt.thread,
            "parent_user_id": "UBOT",
        },
        "state": {"values": {}},
        "response_url": f"{api.base}/respond/{channel}",
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block_id,
                "text": element["text"],
                "value": element["value"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def form_body(question: str, *, view_id: str, metadata: str, n: int) -> str:
    """A view_submission of the answer form Preflight opened (views.open), filled with FORMS[question]."""
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "bench"},
        "user": user(n),
        "api_app_id": "ABENCH",
        "token": "bench-verification",
        "trigger_id": trigger(),
        "view": {
            "id": view_id,
            "team_id": TEAM,
            "type": "modal",
            "private_metadata": metadata,
            "callback_id": "pf_answer_form",
            "state": {"values": {key: {"value": element} for key, element in FORMS[question].items()}},
            "hash": f"{view_id}.hash",
            "app_id": "ABENCH",
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or "",
    }


# -- servers ----------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    url: str
    pid: int
    http: aiohttp.ClientSession
    process: asyncio.subprocess.Process | None = None

    async def post(self, body: str) -> tuple[int, int, int, str]:
        """Send a signed request: (sent, acknowledged) on the monotonic clock, the status (0: no answer) and the body."""
        headers = signed(body)
        sent = CLOCK()
        try:
            async with self.http.post(self.url + "/slack/events", data=body, headers=headers) as response:
                text = await response.text()
                return sent, CLOCK(), response.status, text
        except (aiohttp.ClientError, TimeoutError):
            return sent, CLOCK(), 0, ""


@contextlib.asynccontextmanager
async def serving(name: str, command: list[str], *, env: dict[str, str], port: int, stdout: Any = asyncio.subprocess.DEVNULL):
    RESULTS.mkdir(exist_ok=True)
    log = os.open(RESULTS / f"{name.replace(' ', '-').lower()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=stdout, stderr=log)
    finally:
        os.close(log)
    url = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(url)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
            yield Server(name, url, process.pid, http, process)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


def preflight(api: Slack, database: str, *, counted: bool = False):
    port = free_port()
    env = environment(DATABASE_URL=database, SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=api.url)
    program = [sys.executable, str(ROOT / "bench" / "counted_serve.py")] if counted else [str(PREFLIGHT)]
    return serving(
        "Preflight",
        [*program, "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        port=port,
        stdout=asyncio.subprocess.PIPE if counted else asyncio.subprocess.DEVNULL,
    )


def bare(api: Slack):
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), "--port", str(port), "--secret", SECRET, "--api-url", api.url]
    return serving("bare Bolt", command, env=dict(os.environ), port=port)


def tree(pid: int) -> list[int]:
    """The process and its descendants, skipping any that end while they are listed."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found += tree(int(child))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system time of a process tree, from /proc: each live process's own time, and the time of
    the children it has reaped (cutime, cstime), such as a PostgreSQL backend whose connection was closed."""
    total = 0
    for each in tree(pid):
        with contextlib.suppress(OSError):  # gone in between
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])
    return total / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def postgres_server(url: str) -> int | None:
    """The postmaster of the PostgreSQL server at `url`'s port on this machine, to count its CPU time too."""
    port = url.rsplit(":", 1)[-1].split("/")[0]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                words = (entry / "cmdline").read_bytes().split(b"\0")
                if words[0].endswith(b"postgres") and f"-p {port}".encode() in b" ".join(words):
                    return int(entry.name)
    return None


# -- what is measured -------------------------------------------------------------------------------


@dataclass
class Sample:
    ack_ms: float | None = None  # None: not acknowledged (an error)
    shown_ms: float | None = None  # None: acknowledged but never shown (unanswered)
    right: bool = True  # the first call updated the clicked message


@dataclass
class Tally:
    samples: list[Sample] = field(default_factory=list)

    def add(self, samples: list[Sample]) -> None:
        self.samples += samples

    def summary(self) -> dict[str, Any]:
        acked = [s for s in self.samples if s.ack_ms is not None]
        shown = [s.shown_ms for s in acked if s.shown_ms is not None]
        out: dict[str, Any] = {
            "requests": len(self.samples),
            "errors": len(self.samples) - len(acked),
            "ack": percentiles([s.ack_ms for s in acked if s.ack_ms is not None]),
        }
        if any(s.shown_ms is not None for s in acked) or any(not s.right for s in acked):
            out["shown"] = percentiles(shown)
            out["unanswered"] = len(acked) - len(shown)
            out["wrong_first_call"] = sum(not s.right for s in acked)
        return out


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ranked = sorted(values)

    def rank(p: float) -> float:
        return round(ranked[max(0, math.ceil(p * len(ranked)) - 1)], 2)

    return {"n": len(ranked), "p50": rank(0.50), "p90": rank(0.90), "p99": rank(0.99), "max": round(ranked[-1], 2)}


def ms(start: int, end: int) -> float:
    return (end - start) / 1e6


class Bench:
    """One database's run: the two servers, the Web API, and the questions waiting to be clicked."""

    def __init__(self, api: Slack, pf: Server, base: Server) -> None:
        self.api = api
        self.pf = pf
        self.bare = base
        self.prompts: deque[Prompt] = deque()  # questions with choices that nobody has answered yet
        self.samples_for_bare: list[Prompt] = []
        self.started = 0
        self.id = next(CHANNELS)

    # Preflight's checks, and their first questions

    async def start(self, gate: asyncio.Semaphore | None = None, *, server: Server | None = None) -> Sample:
        """A /readiness start in a new channel; for Preflight, waits until its first question is posted."""
        server = server or self.pf
        self.started += 1
        n = next(CHANNELS)  # a channel no server of this run has seen
        channel = f"C{n}" if server is self.pf else f"BS{n}"
        async with gate or contextlib.nullcontext():
            sent, acked, status, _ = await server.post(start_body(channel, n, self.api))
        if status != 200:
            return Sample()
        sample = Sample(ack_ms=ms(sent, acked))
        if server is self.pf:
            try:
                seen = await self.api.until(channel, first_question_since(0))
            except TimeoutError:
                return sample
            sample.shown_ms = ms(sent, next(c["t"] for c in seen if c["m"] in SHOWN))
            self.prompts.append(next(p for p in map(Prompt.read, seen) if p is not None))
            if len(self.samples_for_bare) < 10:
                self.samples_for_bare.append(self.prompts[-1])
        return sample

    async def enough(self, clicks: int) -> None:
        """Start checks (not measured) until `clicks` questions are waiting."""
        gate = asyncio.Semaphore(10)
        missing = clicks - len(self.prompts)
        if missing > 0:
            await asyncio.gather(*(self.start(gate) for _ in range(missing)))

    # a click on a choice

    async def click(self, server: Server, *, slot: int, gate: asyncio.Semaphore | None = None) -> Sample:
        """Click the first choice of a waiting question: Preflight's own, or the same payload in a channel of its own for the bare app."""
        if server is self.pf:
            prompt = self.prompts.popleft()
            channel = prompt.channel
        else:
            prompt = self.samples_for_bare[slot % len(self.samples_for_bare)]
            channel = f"B{self.id}.{slot}"
        choice = prompt.choice()
        assert choice is not None
        body = click_body(prompt, *choice, n=slot, api=self.api, channel=channel)
        mark = len(self.api.seen(channel))
        async with gate or contextlib.nullcontext():
            sent, acked, status, _ = await server.post(body)
        if status != 200:
            return Sample()
        sample = Sample(ack_ms=ms(sent, acked))
        try:
            seen = await self.api.until(channel, shown_since(mark))
            first = next(c for c in seen[mark:] if c["m"] in SHOWN)
            sample.shown_ms = ms(sent, first["t"])
            sample.right = first["m"] == "chat.update" and first.get("ts") == prompt.ts
            if server is self.pf:  # the click's last call redraws the card; its next question is the next prompt
                seen = await self.api.until(channel, updated_since(mark, prompt.thread))
                following = [p for p in map(Prompt.read, seen[mark:]) if p is not None and p.choice() is not None]
                self.prompts.extend(following[:1])
        except TimeoutError:
            pass
        return sample

    async def clicks(self, server: Server, *, count: int, width: int) -> list[Sample]:
        """`count` clicks, `width` at a time, each of a burst in its own channel; a burst is over when all are shown."""
        out: list[Sample] = []
        for _ in range(count // width):
            out += await asyncio.gather(*(self.click(server, slot=k) for k in range(width)))
        return out

    async def alternate(self, rounds: int, run: Callable[[Server], Any]) -> dict[str, Tally]:
        """`rounds` rounds of `run` on each server, in the order bare, Preflight, Preflight, bare, bare, …"""
        tallies = {self.bare.name: Tally(), self.pf.name: Tally()}
        for r in range(rounds):
            for server in (self.bare, self.pf) if r % 2 == 0 else (self.pf, self.bare):
                tallies[server.name].add(await run(server))
        return tallies

    # the shapes

    async def click_to_shown(self, sizes: Sizes, *, rounds: int | None = None) -> dict[str, dict[str, Tally]]:
        rounds = rounds or sizes.rounds
        await self.enough(rounds * (sizes.one + 10 * sizes.ten) + 10)
        one = await self.alternate(rounds, lambda s: self.clicks(s, count=sizes.one, width=1))
        ten = await self.alternate(rounds, lambda s: self.clicks(s, count=10 * sizes.ten, width=10))
        return {"one at a time": one, "ten channels": ten}

    async def acks(self, sizes: Sizes) -> dict[str, dict[str, Tally]]:
        async def starts(server: Server) -> list[Sample]:
            gate = asyncio.Semaphore(20)
            return list(await asyncio.gather(*(self.start(gate, server=server) for _ in range(sizes.ack))))

        async def clicks(server: Server) -> list[Sample]:
            gate = asyncio.Semaphore(20)
            return list(await asyncio.gather(*(self.click(server, slot=k, gate=gate) for k in range(sizes.ack))))

        started = await self.alternate(sizes.rounds, starts)
        await self.enough(sizes.rounds * sizes.ack + 10)
        clicked = await self.alternate(sizes.rounds, clicks)
        return {"/readiness start": started, "click": clicked}


# -- whole assessments ------------------------------------------------------------------------------


async def whole_assessment(server: Server, api: Slack, n: int) -> int:
    """One person's check from start to finish, each step once the last one is shown; the requests it took."""
    channel = f"W{next(CHANNELS)}"
    requests = 1
    _, _, status, _ = await server.post(start_body(channel, n, api))
    assert status == 200, status
    seen = await api.until(channel, first_question_since(0))
    prompt = next(p for p in map(Prompt.read, seen) if p is not None)
    while True:
        step = next_step(prompt)
        if step is None:
            return requests
        question, block_id, element = step
        mark = len(api.seen(channel))
        trigger_id = trigger()
        body = click_body(prompt, block_id, element, n=n, api=api, trigger_id=trigger_id)
        if question in FORMS:  # "Answer…" opens the form; its submission is the answer
            _, _, status, _ = await server.post(body)
            assert status == 200, status
            opened = (await api.until(trigger_id, lambda s: any(c["m"] == "views.open" for c in s)))[0]
            body = form_body(question, view_id=opened["v"], metadata=opened["pm"], n=n)
            requests += 1
        _, _, status, text = await server.post(body)
        requests += 1
        assert status == 200 and not text.strip(), (status, text)
        seen = await api.until(channel, updated_since(mark, prompt.thread))
        following = [p for p in map(Prompt.read, seen[mark:]) if p is not None]
        if not following:
            return requests
        prompt = following[-1]


def next_step(prompt: Prompt) -> tuple[str, str, dict[str, Any]] | None:
    """What a person answers next: (question or verb, block_id, button); None once the check is finished."""
    buttons = prompt.buttons()
    for block_id, element, value in buttons:
        question = str(value.get("q"))
        if value.get("v") == "choose" and CHOICES.get(question) == value.get("c"):
            return question, block_id, element
        if value.get("v") == "answer" and question in FORMS:
            return question, block_id, element
    for block_id, element, value in buttons:
        if value.get("v") == "finish":
            return "finish", block_id, element
    return None


async def cpu_per_assessment(api: Slack, database: str, *, assessments: int, concurrency: int, pg: str | None) -> dict[str, Any]:
    async with preflight(api, database) as server:
        await whole_assessment(server, api, 0)  # warm: the first of everything is not what a check costs
        idle = rss_mib(server.pid)
        postmaster = postgres_server(pg) if pg else None
        db_before = cpu_seconds(postmaster) if postmaster else 0.0
        before = cpu_seconds(server.pid)
        began = time.perf_counter()
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> int:
            async with gate:
                return await whole_assessment(server, api, n)

        requests = await asyncio.gather(*(one(n) for n in range(1, assessments + 1)))
        wall = time.perf_counter() - began
        cpu = cpu_seconds(server.pid) - before
        db_cpu = cpu_seconds(postmaster) - db_before if postmaster else 0.0
        after = rss_mib(server.pid)
    out = {
        "assessments": assessments,
        "concurrency": concurrency,
        "requests_per_assessment": round(sum(requests) / assessments, 1),
        "wall_s": round(wall, 1),
        "assessments_per_s": round(assessments / wall, 1),
        "cpu_ms_per_assessment": round(1000 * cpu / assessments, 1),
        "rss_idle_mib": idle,
        "rss_after_mib": after,
    }
    if postmaster:
        out["postgres_cpu_ms_per_assessment"] = round(1000 * db_cpu / assessments, 1)
    return out


# -- statements per request -------------------------------------------------------------------------


async def statements_per_request(api: Slack, database: str, *, clicks: int) -> dict[str, Any]:
    """SQL statements and transactions per /readiness start and per click, counted inside a separate server."""
    async with preflight(api, database, counted=True) as server:
        assert server.process is not None and server.process.stdout is not None
        lines = server.process.stdout

        async def counts() -> Counter[str]:
            os.kill(server.pid, signal.SIGUSR1)
            while True:
                line = (await asyncio.wait_for(lines.readline(), DEADLINE)).decode()
                if line.startswith("COUNTS "):
                    return Counter(json.loads(line[7:]))

        bench = Bench(api, server, server)
        await bench.start()  # warm
        await bench.click(server, slot=0)
        before = await counts()
        await asyncio.gather(*(bench.start() for _ in range(clicks)))
        started = await counts()
        for k in range(clicks):
            await bench.click(server, slot=k)
        clicked = await counts()

    def per(a: Counter[str], b: Counter[str]) -> dict[str, float]:
        first = ("statements", "transactions", "compiled anew")
        return {
            k: round((b[k] - a[k]) / clicks, 2)
            for k in sorted(b, key=lambda k: (k not in first, first.index(k) if k in first else 0, k))
            if b[k] != a[k]
        }

    return {"requests": clicks, "per_start": per(before, started), "per_click": per(started, clicked)}


# -- busy machine -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def busy(processes: int = 2):
    spinners = [await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass") for _ in range(processes)]
    try:
        yield [p.pid for p in spinners]
    finally:
        for p in spinners:
            p.kill()
            await p.wait()


# -- report -----------------------------------------------------------------------------------------


def ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


LABELS = {"shown": "click → shown", "click ack": "ack of that click", "ack": "ack"}


def rows_of(shapes: dict[str, dict[str, Tally]], *, what: str, db: str) -> list[dict[str, Any]]:
    """Table rows comparing the bare app and Preflight; `what`: "shown" (click → shown), or an "ack" measure."""
    rows = []
    for shape, tallies in shapes.items():
        b, p = tallies["bare Bolt"].summary(), tallies["Preflight"].summary()
        key = "shown" if what == "shown" else "ack"
        row = {
            "db": db,
            "measure": f"{LABELS[what]}, {shape}",
            "n": f"{b[key].get('n', 0)}/{p[key].get('n', 0)}",
            "bare p50": b[key].get("p50"),
            "bare p99": b[key].get("p99"),
            "Preflight p50": p[key].get("p50"),
            "Preflight p99": p[key].get("p99"),
            "p50 ×": ratio(p[key].get("p50"), b[key].get("p50")),
            "p99 ×": ratio(p[key].get("p99"), b[key].get("p99")),
            "errors": f"{b['errors']}/{p['errors']}",
        }
        if what == "shown":
            row["unanswered"] = f"{b.get('unanswered', 0)}/{p.get('unanswered', 0)}"
            row["wrong"] = f"{b.get('wrong_first_call', 0)}/{p.get('wrong_first_call', 0)}"
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(c for r in rows for c in r))
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=True)) for r in rows]
    return "\n".join(out)


def verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'MISS'}  {text}"


def targets(db: str, run: dict[str, Any]) -> list[str]:
    out = []
    for shape in ("one at a time", "ten channels"):
        if "click" in run:
            b = run["click"][shape]["bare Bolt"]["shown"]
            p = run["click"][shape]["Preflight"]
            r = ratio(p["shown"].get("p50"), b.get("p50"))
            out.append(
                verdict(
                    r is not None and r <= 1.2,
                    f"{db}: click → shown, {shape}: p50 {p['shown'].get('p50')} ms = {r}× bare ({b.get('p50')} ms); target ≤ 1.2×",
                )
            )
            if shape == "ten channels":
                out.append(
                    verdict(
                        p["shown"].get("p99", 1e9) < 500,
                        f"{db}: click → shown, ten channels: p99 {p['shown'].get('p99')} ms; target < 500 ms",
                    )
                )
    if "ack" in run:
        for what in ("/readiness start", "click"):
            p = run["ack"][what]["Preflight"]
            out.append(
                verdict(
                    p["ack"].get("p99", 1e9) < 100 and p["errors"] == 0,
                    f"{db}: ack at 20 clients, {what}: p99 {p['ack'].get('p99')} ms, {p['errors']} errors; target < 100 ms, none",
                )
            )
    if "cpu" in run and db == "SQLite":
        c = run["cpu"]["cpu_ms_per_assessment"]
        out.append(verdict(c <= 60, f"{db}: CPU per whole assessment {c} ms; target ≤ 60 ms"))
    if "busy" in run:
        for shape in ("one at a time", "ten channels"):
            p = run["busy"][shape]["Preflight"]
            answered = p["shown"].get("n", 0)
            acked = p["requests"] - p["errors"]
            out.append(
                verdict(
                    p["unanswered"] == 0 and p["wrong_first_call"] == 0,
                    f"{db}: two busy processes, {shape}: {answered} of {acked} acknowledged clicks shown; "
                    f"p50 {p['shown'].get('p50')} ms, p99 {p['shown'].get('p99')} ms",
                )
            )
    return out


def summarize(shapes: dict[str, dict[str, Tally]]) -> dict[str, dict[str, Any]]:
    return {shape: {name: t.summary() for name, t in tallies.items()} for shape, tallies in shapes.items()}


# -- main -------------------------------------------------------------------------------------------


async def run_backend(api: Slack, db: str, fresh: Callable[[str], Any], sizes: Sizes, only: set[str], pg: str | None) -> tuple[dict, list]:
    run: dict[str, Any] = {"seconds": {}}
    rows: list[dict[str, Any]] = []
    clock = time.perf_counter()

    def took(part: str) -> None:
        nonlocal clock
        run["seconds"][part] = round(time.perf_counter() - clock, 1)
        clock = time.perf_counter()

    api.forget()  # what the last backend's run left in this process is not carried (nor collected) during this one's
    if only & {"click", "ack", "busy"}:
        async with bare(api) as base, preflight(api, await fresh("latency")) as pf:
            bench = Bench(api, pf, base)
            await bench.enough(20)  # warm up both: Preflight's first requests, Bolt's auth.test
            await bench.clicks(base, count=10, width=10)
            await bench.clicks(pf, count=10, width=10)
            if "click" in only:
                shapes = await bench.click_to_shown(sizes)
                run["click"] = summarize(shapes)
                rows += rows_of(shapes, what="shown", db=db)
                rows += rows_of(shapes, what="click ack", db=db)
                print(table(rows[-4:]), flush=True)
                took("click")
            if "ack" in only:
                shapes = await bench.acks(sizes)
                run["ack"] = summarize(shapes)
                rows += rows_of({f"{k}, 20 clients": v for k, v in shapes.items()}, what="ack", db=db)
                print(table(rows[-2:]), flush=True)
                took("ack")
            if "busy" in only:
                await bench.enough(sizes.busy_rounds * (sizes.one + 10 * sizes.ten) + 10)
                async with busy() as spinners:
                    shapes = await bench.click_to_shown(sizes, rounds=sizes.busy_rounds)
                run["busy"] = {"busy_processes": len(spinners), **summarize(shapes)}
                rows += rows_of({f"{k}, 2 busy processes": v for k, v in shapes.items()}, what="shown", db=db)
                print(table(rows[-2:]), flush=True)
                took("busy")
            run["preflight_rss_mib"] = rss_mib(pf.pid)
            run["assessments_started"] = bench.started
    if "statements" in only:
        run["statements"] = await statements_per_request(api, await fresh("statements"), clicks=sizes.statements)
        print(f"SQL per start: {run['statements']['per_start']}\nSQL per click: {run['statements']['per_click']}", flush=True)
        took("statements")
    if "cpu" in only:
        run["cpu"] = await cpu_per_assessment(api, await fresh("cpu"), assessments=sizes.assessments, concurrency=10, pg=pg)
        print(table([{"db": db, **run["cpu"]}]), flush=True)
        took("cpu")
    if "passes" in only:
        run["scheduler_passes"] = []
        for size in sizes.passes:
            url = await fresh(f"passes-{size}")
            run["scheduler_passes"].append(await reminder_passes.measure(url, size))
        print("\n".join(run["scheduler_passes"]), flush=True)
        took("passes")
    return run, rows


async def main(sizes: Sizes, only: set[str], sqlite_only: bool) -> None:
    began = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    for log in RESULTS.glob("*.log"):  # the servers' standard error, for when something goes wrong
        log.unlink()
    api = Slack()
    await api.start()
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0], "load_at_start": [round(x, 2) for x in os.getloadavg()]},
        "sizes": sizes.__dict__,
        "runs": {},
    }
    from storage.engine import database_url

    pg = os.environ.get("TEST_DATABASE_URL")
    backends = [("SQLite", None)] + ([("PostgreSQL", pg)] if pg and not sqlite_only else [])
    all_rows: list[dict[str, Any]] = []
    checks: list[str] = []
    try:
        for db, url in backends:
            print(f"\n=== {db} (load {' '.join(f'{x:.2f}' for x in os.getloadavg())}) ===", flush=True)
            with tempfile.TemporaryDirectory() as folder:

                async def fresh(name: str, url: str | None = url, folder: str = folder) -> str:
                    if url is None:
                        return database_url({"DATABASE_URL": f"sqlite:///{folder}/{name}.db"})
                    from tests.conftest import reset_postgres

                    await reset_postgres(database_url({"DATABASE_URL": url}))
                    return database_url({"DATABASE_URL": url})

                run, rows = await run_backend(api, db, fresh, sizes, only, url)
            results["runs"][db] = run
            all_rows += rows
            checks += targets(db, run)
    finally:
        await api.stop()
    results["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.perf_counter() - began, 1)
    results["targets"] = checks
    results["web_api_calls"] = dict(api.counts)
    print("\nMilliseconds. click → shown: from sending the click to Preflight's (or the bare app's) first chat.update or")
    print("chat.postMessage in that channel at the Web API; ack: to Slack's acknowledgement. Pairs are bare/Preflight.\n")
    if all_rows:
        print(table(all_rows))
    cpu_rows = [{"db": db, **r["cpu"]} for db, r in results["runs"].items() if "cpu" in r]
    if cpu_rows:
        print("\n" + table(cpu_rows))
    print("\n" + "\n".join(checks))
    print(
        f"\nLoad average at start {results['machine']['load_at_start']}, at end {results['machine']['load_at_end']}; took {results['duration_s']} s."
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"Written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of under a minute")
    parser.add_argument("--only", default="click,ack,busy,statements,cpu,passes", help="which parts, comma-separated")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when TEST_DATABASE_URL is set")
    arguments = parser.parse_args()
    asyncio.run(main(QUICK if arguments.quick else FULL, set(arguments.only.split(",")), arguments.sqlite_only))
