"""Microsoft 365 Agents Playground, headless, against the real `preflight serve` with anonymous auth.

The Playground is Microsoft's own Teams emulator: its web client draws the cards with Teams'
Fluent UI renderer and its server plays the Bot Framework connector. A whole assessment is
answered in its personal chat, and another in a team channel (by @mentioning the bot), pressing
the cards' buttons; what the server stored is read back with `preflight export`.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from datetime import date, timedelta
from pathlib import Path

from tests.clients.browser import ROOT
from tests.loopback import environment, free_port, until_healthy

PREFLIGHT = Path(sys.executable).parent / "preflight"
PLAYGROUND = ROOT / "node_modules" / ".bin" / "agentsplayground"
DRIVER = Path(__file__).with_name("playground.cjs")
BOT = "Test Bot"  # the name the Playground gives the bot it emulates
BY_WHEN = (date.today() + timedelta(days=75)).isoformat()  # the server runs on the real clock: a date ahead of it


def assessment(project: str, *, mention: str | None = None) -> list[dict]:
    """The steps of one whole assessment, as a person clicks through it in the Playground."""
    say = {"mention": mention} if mention else {}
    answers = [
        {"Data architecture": "Partly, workarounds planned", "Notes": "nightly batch today"},
        {"Process": "Defined stages, gate criteria, sign-offs"},
        {"Success metric": "Cut churn", "Baseline today": "6.1%", "Target": "below 4%", "By when": BY_WHEN},  # picked in the calendar
        {"Governance": "Reviewed in parallel with the model", "Reviewer": "Priya"},
        {"Production owner": "Dana Lee", "Production budget": "120000 EUR", "Time allocated": "20%"},
        {"In place": ["Accuracy drift", "Data drift", "Threshold alerts", "Retraining trigger"]},
        {"Skills gap": "Yes"},
        {"Use case": "A real operational problem with measurable ROI"},
    ]
    steps: list[dict] = [{"say": f"start {project}", **say}]
    for number, fill in enumerate(answers, 1):
        after = f"Question {number + 1} of 8" if number < 8 else f"Review · {project} · 8 of 8 answered"
        steps.append({"card": f"Question {number} of 8", "fill": fill, "press": "Save", "then": after})
    steps.append({"card": f"Review · {project}", "press": "Finish", "then": f"{project}: 94% · Ready for production"})
    return steps


async def started(*command: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_whole_assessments_in_the_playground_in_a_personal_chat_and_a_channel(tmp_path, renderer, artifacts):
    env = environment(DATABASE_URL=f"sqlite:///{tmp_path / 'preflight.db'}", TEAMS_ALLOW_ANONYMOUS="1")
    port = free_port()
    serve = await started(str(PREFLIGHT), "serve", "--port", str(port), "--no-scheduler", env=env, cwd=tmp_path)
    # --dt turns its telemetry off, but its Application Insights SDK still probes the Azure instance
    # metadata address (169.254.169.254) and resolves westus-0.in.applicationinsights.azure.com for
    # "statsbeat" unless told not to: with this it reaches nothing beyond loopback (checked with strace).
    quiet = {**env, "APPLICATION_INSIGHTS_NO_STATSBEAT": "true"}
    endpoint = f"http://127.0.0.1:{port}/api/messages"
    playground = await started(str(PLAYGROUND), "-e", endpoint, "-c", "msteams", "--dt", "-p", str(free_port()), env=quiet, cwd=tmp_path)
    try:
        await until_healthy(f"http://127.0.0.1:{port}")
        assert playground.stdout is not None
        line = (await asyncio.wait_for(playground.stdout.readline(), 30)).decode()
        listening = re.search(r"Listening on (\d+)", line)
        assert listening, line
        script = tmp_path / "script.json"
        steps = [*assessment("Churn model"), {"shot": "playground-personal"}]
        steps += [{"chat": "General"}, *assessment("Pricing model", mention=BOT), {"shot": "playground-channel"}]
        script.write_text(json.dumps(steps))
        shared = {**env, "BROWSER_WS_ENDPOINT": renderer.endpoint()}  # the session's one browser
        driver = await started("node", str(DRIVER), f"http://127.0.0.1:{listening[1]}/", str(script), str(artifacts), env=shared, cwd=ROOT)
        out, _ = await asyncio.wait_for(driver.communicate(), 240)
        result = json.loads(out.decode().strip().splitlines()[-1])
        assert result["ok"], result
        print("Playground steps (ms):", result["timings"])
        # Nothing but the Office font CDN was asked for, and that was answered on this machine.
        assert all(url.startswith("https://res-1.cdn.office.net/") for url in result["outside"]), result["outside"]
    finally:
        await stop(playground)
        await stop(serve)

    export = await started(str(PREFLIGHT), "export", "--format", "json", env=env, cwd=tmp_path)
    out, _ = await export.communicate()
    assert export.returncode == 0, out
    done = {a["project"]: a for a in json.loads(out)}
    assert set(done) == {"Churn model", "Pricing model"}
    for project in done.values():
        assert project["stage"] == "finished" and project["answered"] == 8, project
        assert project["answers"]["roi"]["values"]["by_when"] == BY_WHEN
        assert project["answers"]["monitoring"]["values"]["checks"] == [
            "accuracy_drift",
            "data_drift",
            "threshold_alerts",
            "retraining_trigger",
        ]
        assert project["answers"]["data"]["by"] == "Alex Wilber"  # the Playground's user
    assert done["Churn model"]["channel"] != done["Pricing model"]["channel"]
