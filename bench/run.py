"""make bench: Slack acknowledgement against a bare Bolt app, throughput, memory and scheduler passes.

Servers run as their own processes on loopback (Preflight's real `preflight serve`, and the
bare Bolt baseline in bench/bare_bolt.py in both of Bolt's modes); this process generates
the load and plays the Slack Web API. Results are printed as a table and written to
bench/results/latest.json. With TEST_DATABASE_URL set, Preflight also runs on PostgreSQL.

    python bench/run.py [--quick] [--ack-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import reminder_passes  # noqa: E402
from tests.loopback import descendants, environment, free_port, until_healthy  # noqa: E402

SECRET = "bench-secret"
PREFLIGHT = Path(sys.executable).parent / "preflight"
TICK = os.sysconf("SC_CLK_TCK")
CHOICES = {
    "data": "ready",
    "process": "some",
    "roi": None,
    "governance": "parallel",
    "ownership": None,
    "monitoring": None,
    "skills": "partly",
    "use_case": "real",
}
FORMS = {
    "roi": {
        "statement": {"type": "plain_text_input", "value": "Cut churn"},
        "target": {"type": "plain_text_input", "value": "below 4%"},
        "by_when": {"type": "datepicker", "selected_date": "2099-06-30"},
    },
    "ownership": {
        "owner": {"type": "users_select", "selected_user": "UDANA"},
        "budget": {"type": "plain_text_input", "value": "50k EUR"},
        "time": {"type": "plain_text_input", "value": "1 day a week"},
    },
    "monitoring": {"checks": {"type": "checkboxes", "selected_options": [{"value": "accuracy_drift"}, {"value": "data_drift"}]}},
}


class RemoteSlack:
    """The fake Slack Web API, running in its own process."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/api/"

    async def count(self, method: str) -> int:
        async with aiohttp.ClientSession() as http, http.get(f"{self.base}/_count/{method}") as r:
            return (await r.json())["count"]

    async def wait_for(self, method: str, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while await self.count(method) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method}: fewer than {count} calls")
            await asyncio.sleep(0.1)

    async def settle(self, quiet: float = 0.5) -> None:
        """Wait until the server has stopped posting (its work after the acks is done)."""
        seen = -1
        while True:
            now = await self.count("chat.postMessage") + await self.count("chat.update")
            if now == seen:
                return
            seen = now
            await asyncio.sleep(quiet)


def tree(pid: int) -> list[int]:
    """The process and its descendants (preflight serve and its worker)."""
    return [pid, *descendants(pid)]


def cpu_seconds(pid: int) -> float:
    total = 0
    for each in tree(pid):
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def rss_mib(pid: int) -> list[float]:
    """Resident memory of the process and of each descendant, in that order."""
    found = []
    for each in tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found.append(round(int(line.split()[1]) / 1024, 1))
    return found


@asynccontextmanager
async def server(command: list[str], *, env: dict[str, str], port: int):
    process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(url)
    except AssertionError:
        process.kill()
        raise
    try:
        yield url, process.pid
    finally:
        process.terminate()
        await process.wait()


def preflight_server(api: RemoteSlack, database: str):
    port = free_port()
    env = environment(DATABASE_URL=database, SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=api.url)
    return server([str(PREFLIGHT), "serve", "--port", str(port), "--no-scheduler"], env=env, port=port)


def bare_server(api: RemoteSlack, *, process_before_response: bool):
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), "--port", str(port), "--secret", SECRET, "--api-url", api.url]
    if process_before_response:
        command.append("--process-before-response")
    return server(command, env=dict(os.environ), port=port)


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
    }


def start_body(n: int, api: RemoteSlack) -> str:
    return urlencode(
        {
            "team_id": "TBENCH",
            "channel_id": f"C{n}",
            "user_id": f"U{n % 50}",
            "user_name": f"user{n % 50}",
            "command": "/readiness",
            "text": f"start Bench project {n}",
            "trigger_id": f"start-{n}-{time.monotonic_ns()}",
            "response_url": f"{api.base}/respond/{n}",
        }
    )


def click_body(
    n: int, api: RemoteSlack, *, assessment: int, question: str = "data", value: str = "ready", command: str | None = None
) -> str:
    action = {
        "type": "button",
        "action_id": "pf_choice_0",
        "block_id": f"q:{question}",
        "value": json.dumps({"a": assessment, "q": question, "v": value}),
    }
    if command:
        action = {"type": "button", "action_id": f"pf_cmd_{command}", "block_id": "b", "value": json.dumps({"a": assessment, "c": command})}
    payload = {
        "type": "block_actions",
        "team": {"id": "TBENCH"},
        "user": {"id": f"U{n % 50}", "name": f"user{n % 50}", "team_id": "TBENCH"},
        "trigger_id": f"click-{n}-{time.monotonic_ns()}",
        "container": {"message_ts": "1.0", "channel_id": f"C{assessment}"},
        "channel": {"id": f"C{assessment}"},
        "response_url": f"{api.base}/respond/{n}",
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def form_body(n: int, *, assessment: int, question: str) -> str:
    state = {key: {"value": element} for key, element in FORMS[question].items()}
    payload = {
        "type": "view_submission",
        "team": {"id": "TBENCH"},
        "user": {"id": f"U{n % 50}", "name": f"user{n % 50}", "team_id": "TBENCH"},
        "trigger_id": f"form-{n}-{time.monotonic_ns()}",
        "view": {
            "id": f"V{assessment}{question}",
            "type": "modal",
            "hash": "h",
            "callback_id": "pf_answer_form",
            "private_metadata": json.dumps({"a": assessment, "q": question, "m": None}),
            "state": {"values": state},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class Run:
    timings: list[float] = field(default_factory=list)  # seconds per request
    errors: int = 0
    wall: float = 0.0

    def summary(self) -> dict:
        ms = sorted(t * 1000 for t in self.timings)
        return {
            "requests": len(ms),
            "errors": self.errors,
            "p50_ms": round(statistics.median(ms), 2),
            "p99_ms": round(ms[max(0, int(len(ms) * 0.99) - 1)], 2),
            "rps": round(len(ms) / self.wall, 1),
        }


async def shoot(url: str, bodies: list[str], *, concurrency: int, into: Run | None = None) -> Run:
    """Post the signed bodies, `concurrency` at a time; timings and errors are added to `into`."""
    run = into or Run()
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def one(body: str) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    async with http.post(url + "/slack/events", data=body, headers=signed(body)) as response:
                        await response.read()
                        if response.status != 200:
                            run.errors += 1
                except aiohttp.ClientError:
                    run.errors += 1
                run.timings.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        run.wall += time.perf_counter() - began
    return run


async def fire(url: str, bodies: list[str], *, concurrency: int) -> dict:
    return (await shoot(url, bodies, concurrency=concurrency)).summary()


async def ack_benchmark(api: RemoteSlack, database: str, *, n: int, rounds: int) -> list[dict]:
    """/readiness start and an answer click, sequential and 20 at a time: `rounds` rounds of `n` requests
    (2n at 20 clients) per server, the three servers taking turns, each server's timings pooled.

    Between rounds the loopback Slack API goes quiet: Preflight's work for one round (done after
    its acks) is not left to load the next round of the bare apps, or its own."""
    rows = []
    async with (
        bare_server(api, process_before_response=False) as (bare, _),
        bare_server(api, process_before_response=True) as (pbr, _),
        preflight_server(api, database) as (ours, _),
    ):
        servers = (("bare Bolt", bare), ("bare Bolt, process_before_response", pbr), ("Preflight", ours))
        for _, url in servers:  # warm up all three
            await fire(url, [start_body(i, api) for i in range(20)], concurrency=5)
        created = 20
        await api.settle(0.3)
        for scenario in ("start", "click"):
            for concurrency in (1, 20):
                count = n if concurrency == 1 else 2 * n
                runs = {name: Run() for name, _ in servers}
                for _ in range(rounds):
                    for name, url in servers:
                        if scenario == "start":
                            bodies = [start_body(created + i, api) for i in range(count)]
                        else:  # each click answers question 1 of a different assessment, which posts question 2
                            bodies = [click_body(i, api, assessment=1 + i % created) for i in range(count)]
                        await shoot(url, bodies, concurrency=concurrency, into=runs[name])
                        await asyncio.sleep(0.1)
                    if scenario == "start":
                        created += count
                    await api.settle(0.3)
                for name, run in runs.items():
                    rows.append({"scenario": scenario, "concurrency": concurrency, "server": name, **run.summary()})
    return rows


async def throughput_benchmark(api: RemoteSlack, database: str, *, assessments: int, concurrency: int = 20) -> dict:
    """Whole assessments (start, eight answers, finish) through /slack/events; CPU time and memory of the server."""
    async with preflight_server(api, database) as (url, pid):
        await asyncio.sleep(1.0)
        idle = rss_mib(pid)
        cpu_before = cpu_seconds(pid)
        began = time.perf_counter()
        posted = await api.count("chat.postMessage")
        await fire(url, [start_body(i, api) for i in range(assessments)], concurrency=concurrency)
        await api.wait_for("chat.postMessage", posted + 3 * assessments, timeout=600)
        bodies = []
        for a in range(1, assessments + 1):
            for question, value in CHOICES.items():
                bodies.append(
                    form_body(len(bodies), assessment=a, question=question)
                    if value is None
                    else click_body(len(bodies), api, assessment=a, question=question, value=value)
                )
        answers = await fire(url, bodies, concurrency=concurrency)
        await api.settle(0.5)
        finishes = [click_body(i, api, assessment=a, command="finish") for i, a in enumerate(range(1, assessments + 1))]
        await fire(url, finishes, concurrency=concurrency)  # to the review
        await api.settle(0.5)
        await fire(
            url,
            [click_body(i + assessments, api, assessment=a, command="finish") for i, a in enumerate(range(1, assessments + 1))],
            concurrency=concurrency,
        )
        await api.settle(0.5)
        wall = time.perf_counter() - began
        cpu = cpu_seconds(pid) - cpu_before
        after = rss_mib(pid)
    return {
        "assessments": assessments,
        "errors": answers["errors"],
        "wall_s": round(wall, 1),
        "assessments_per_s": round(assessments / wall, 1),
        "cpu_ms_per_assessment": round(1000 * cpu / assessments, 1),
        "assessments_per_cpu_second": round(assessments / cpu, 1) if cpu else None,
        "rss_idle_mib": round(sum(idle), 1),
        "rss_after_mib": round(sum(after), 1),
        "rss_idle_by_process": idle,
        "rss_after_by_process": after,  # preflight serve, then its worker
    }


def table(rows: list[dict], columns: list[str]) -> str:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=False))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=False)) for r in rows]
    return "\n".join(out)


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for scenario in ("start", "click"):
        for concurrency in (1, 20):
            group = {r["server"]: r for r in rows if r["scenario"] == scenario and r["concurrency"] == concurrency}
            ours, bare, pbr = group["Preflight"], group["bare Bolt"], group["bare Bolt, process_before_response"]
            ratio_default = ours["p50_ms"] / bare["p50_ms"]
            ratio_pbr = ours["p50_ms"] / pbr["p50_ms"]
            checks = [ours["errors"] == 0, ratio_default <= 1.05, ratio_pbr <= 2.0]
            if concurrency == 20:
                checks.append(ours["p99_ms"] < 100)
            out.append(
                f"{'PASS' if all(checks) else 'MISS'}  {scenario:<5} x{concurrency:<2}  p50 {ours['p50_ms']} ms = {ratio_default:.2f}x bare Bolt, "
                f"{ratio_pbr:.2f}x bare Bolt with process_before_response; p99 {ours['p99_ms']} ms; errors {ours['errors']}"
            )
    return out


async def main(quick: bool, ack_only: bool = False) -> None:
    port = free_port()
    fake = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench" / "fake_slack_server.py"), "--port", str(port), stdout=asyncio.subprocess.PIPE
    )
    await fake.stdout.readline()  # its URL, once it listens
    api = RemoteSlack(port)
    results: dict = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]}, "runs": {}}
    backends = [("SQLite", None)] + ([("PostgreSQL", os.environ["TEST_DATABASE_URL"])] if os.environ.get("TEST_DATABASE_URL") else [])
    for backend, url in backends:
        with tempfile.TemporaryDirectory() as folder:
            fresh = lambda name: f"sqlite:///{folder}/{name}.db"  # noqa: E731
            if url:
                from storage.engine import database_url
                from tests.conftest import reset_postgres

                async def fresh_pg(name: str, url: str = url) -> str:
                    await reset_postgres(database_url({"DATABASE_URL": url}))
                    return url

            print(f"\n=== {backend} ===")
            database = await fresh_pg("ack") if url else fresh("ack")
            rows = await ack_benchmark(api, database, n=50 if quick else 200, rounds=2 if quick else 5)
            print(table(rows, ["scenario", "concurrency", "server", "requests", "errors", "p50_ms", "p99_ms", "rps"]))
            checks = verdicts(rows)
            print("\n".join(checks))
            if ack_only:
                results["runs"][backend] = {"ack": rows, "targets": checks}
                continue
            database = await fresh_pg("throughput") if url else fresh("throughput")
            throughput = await throughput_benchmark(api, database, assessments=100 if quick else 1000)
            print("\n" + table([throughput], list(throughput)))
            sizes = [1000, 10000] if quick else [1000, 10000, 100000]
            passes = []
            for size in sizes:
                if url:
                    await reset_postgres(database_url({"DATABASE_URL": url}))
                    passes.append(await reminder_passes.measure(database_url({"DATABASE_URL": url}), size))
                else:
                    passes.append(await reminder_passes.measure(f"sqlite+aiosqlite:///{folder}/passes-{size}.db", size))
            print("\n" + "\n".join(passes))
            results["runs"][backend] = {"ack": rows, "targets": checks, "throughput": throughput, "scheduler_passes": passes}
    fake.terminate()
    await fake.wait()
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nWritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests and smaller passes")
    parser.add_argument("--ack-only", action="store_true", help="only the acknowledgement benchmark")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.quick, arguments.ack_only))
