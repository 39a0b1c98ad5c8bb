"""Microsoft's Adaptive Cards renderer in headless Chromium, driven from the tests.

One Node process (driver.cjs) holds one browser for the whole session; each request is one JSON
line and so is each answer. The renderer draws a card as Teams does (Teams' host config, markdown),
and a press fills the inputs through the DOM it drew and clicks the button, so what comes back is
exactly what the renderer's onExecuteAction hands to Teams.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.cjs")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing() -> str | None:
    """Why the real renderer cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed (scripts/with-browser.sh installs it)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (scripts/with-browser.sh installs it)"
    for package in ("adaptivecards", "puppeteer-core", "markdown-it", "@microsoft/app-manifest"):
        if not (ROOT / "node_modules" / package).is_dir():
            return f"npm package {package} is not installed (npm ci, or scripts/with-browser.sh)"
    return None


@dataclass
class Drawn:
    """A card as the renderer drew it."""

    text: str  # what a person reads, as the browser lays it out
    html: str
    problems: list[str]  # what the renderer's parser complained about
    inputs: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    page_errors: list[str] = field(default_factory=list)

    def input(self, input_id: str) -> dict[str, Any]:
        return next(i for i in self.inputs if i["id"] == input_id)

    @property
    def buttons(self) -> list[str]:
        return [a["title"] for a in self.actions]


@dataclass
class Pressed:
    pressed: bool
    drawn: Drawn
    executed: list[dict[str, Any]] = field(default_factory=list)  # what onExecuteAction received
    invalid: list[str] = field(default_factory=list)  # inputs the renderer refused to send
    reason: str = ""

    @property
    def data(self) -> dict[str, Any]:
        """What Teams would send as the activity's value: the one Action.Submit's data."""
        assert self.pressed, self.reason
        assert len(self.executed) == 1, f"the renderer executed {self.executed}; inputs it refused: {self.invalid}"
        data = self.executed[0]["data"]
        assert isinstance(data, dict), data
        return data


class Renderer:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", str(DRIVER)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "CHROMIUM": CHROMIUM},
        )

    def _ask(self, **request: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the renderer's process ended (exit {self.process.wait()})")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(answer.get("error"))
        return answer

    @staticmethod
    def _drawn(answer: dict[str, Any]) -> Drawn:
        return Drawn(
            text=answer["text"],
            html=answer["html"],
            problems=answer["problems"],
            inputs=answer["inputs"],
            actions=answer["actions"],
            page_errors=answer.get("pageErrors", []),
        )

    def render(self, card: dict[str, Any], *, screenshot: Path | None = None) -> Drawn:
        answer = self._ask(op="render", card=clean(card), screenshot=str(screenshot) if screenshot else None)
        return self._drawn(answer)

    def press(self, card: dict[str, Any], action: str, fill: dict[str, Any] | None = None, *, screenshot: Path | None = None) -> Pressed:
        """Draw the card, fill its inputs as a person does, click the button titled `action`."""
        answer = self._ask(op="press", card=clean(card), action=action, fill=fill or {}, screenshot=str(screenshot) if screenshot else None)
        return Pressed(
            pressed=answer["pressed"],
            drawn=self._drawn(answer["drawn"]),
            executed=answer.get("executed", []),
            invalid=answer.get("invalid", []),
            reason=answer.get("reason", ""),
        )

    def manifest_errors(self, manifest: dict[str, Any]) -> list[str]:
        """Microsoft's Teams manifest schema (from @microsoft/app-manifest, offline) on a manifest."""
        return list(self._ask(op="manifest", manifest=manifest)["errors"])

    def endpoint(self) -> str:
        """The browser's DevTools address, so other drivers share this one browser."""
        return str(self._ask(op="endpoint")["endpoint"])

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def clean(card: dict[str, Any]) -> dict[str, Any]:
    """A card as the bot sent it, without the ids the fake connector added for the tests."""
    return {k: v for k, v in card.items() if not k.startswith("_")}
