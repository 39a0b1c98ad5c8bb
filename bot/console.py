"""The assessment in a terminal: the same core and database, typed or piped answers."""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from conversations.machine import Stage, validate_project
from conversations.messages import Action, Reply, Tone, Verb
from conversations.people import Person
from conversations.questions import TOTAL
from conversations.shown import Actor, Shown
from conversations.usecases import Preflight

PLATFORM, WORKSPACE, CHANNEL = "console", "local", "terminal"
QUIT = frozenset({"quit", "exit", "pause", "q"})


def render(reply: Reply) -> str:
    """A reply as terminal text: numbered choices, and the commands a button would offer."""
    lines: list[str] = []
    if reply.tone in (Tone.QUESTION, Tone.REVIEW, Tone.SUMMARY):
        lines += ["", f"── {reply.title} ──"]
    elif reply.tone is Tone.ERROR:
        lines.append(f"! {reply.title}")
    else:
        lines.append(reply.title)
    if reply.body:
        lines.append(reply.body)
    lines += [f"  {i}) {c.label}" for i, c in enumerate(reply.choices, 1)]
    if reply.hint:
        lines.append(reply.hint)
    commands = []
    for action in reply.actions:
        if action.verb is Verb.CHOOSE:  # already listed as a numbered choice
            continue
        command = "edit N" if action.verb is Verb.EDIT and reply.tone is Tone.REVIEW else action.words
        if command not in commands:
            commands.append(command)
    if commands:
        lines.append("Commands: " + " · ".join(commands) + " · help · quit")
    return "\n".join(lines)


class Console:
    def __init__(self, *, preflight: Preflight, stdin: TextIO, stdout: TextIO, user: Person | None = None) -> None:
        self.preflight = preflight
        self.stdin = stdin
        self.stdout = stdout
        self.user = user or Person(name=_login_name())
        self.echo = not stdin.isatty()  # a piped answer is printed so the transcript reads like a session

    def say(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    @property
    def actor(self) -> Actor:
        return Actor(person=self.user, platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL)

    def show(self, shown: Shown) -> None:
        for reply in (*shown.private, *((shown.replace,) if shown.replace else ()), *shown.thread):
            self.say(render(reply))

    async def ask(self, prompt: str = "> ") -> str | None:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        if not line:
            self.say("")
            return None
        line = line.rstrip("\r\n")
        if self.echo:
            self.say(line)
        return line

    async def run(self, *, project: str | None = None, sponsor: str | None = None) -> int:
        assessment_id = await self._open(project=project, sponsor=sponsor)
        if assessment_id is None:
            self.say("Nothing started.")
            return 0 if project is None else 2
        while True:
            line = await self.ask()
            if line is None or line.strip().lower() in QUIT:
                await self._goodbye(assessment_id)
                return 0
            self.show(await self.preflight.say(self.actor, assessment_id=assessment_id, text=line))

    async def _goodbye(self, assessment_id: int) -> None:
        loaded = await self.preflight.assessments.load(assessment_id=assessment_id)
        if loaded is not None and loaded.state.stage is Stage.FINISHED:
            self.say("Finished and saved. 'preflight export' writes the results; 'preflight console' opens it again.")
        elif loaded is not None and loaded.state.stage is Stage.ASKING:
            self.say(f"Saved at question {loaded.state.cursor + 1} of {TOTAL}. Run 'preflight console' to carry on.")
        else:
            self.say("Saved. Run 'preflight console' to carry on and finish.")

    async def _open(self, *, project: str | None, sponsor: str | None) -> int | None:
        """Start the named project, or open a known one, or ask for a name."""
        sponsor_person = Person(name=sponsor.strip()) if sponsor and sponsor.strip() else None
        if project is None:
            known = await self.preflight.assessments.listing(platform=PLATFORM, workspace=WORKSPACE)
            if known:
                self.say("Assessments on this machine:")
                self.say("\n".join(f"  {i}) {item}" for i, item in enumerate(known, 1)))
                question = "Type a number to open one, or a project name to start a new one:"
            else:
                self.say("Preflight: the AI execution readiness check, 8 questions.")
                question = "Name the project to assess (e.g. Churn model):"
            while True:
                self.say(question)
                line = await self.ask()
                if line is None or line.strip().lower() in QUIT:
                    return None
                text = line.strip()
                if known and text.isdigit() and 1 <= int(text) <= len(known):
                    chosen = known[int(text) - 1].id
                    self.show(await self.preflight.act(self.actor, assessment_id=chosen, action=Action("", Verb.RESUME)))
                    return chosen
                problem = validate_project(text)
                if problem is None:
                    project = text
                    break
                self.say(f"! {problem}")
        shown = await self.preflight.start(self.actor, project=project, sponsor=sponsor_person)
        self.show(shown)
        if shown.assessment_id is not None and not shown.new:  # that name was taken here: open the check it names
            self.show(await self.preflight.act(self.actor, assessment_id=shown.assessment_id, action=Action("", Verb.RESUME)))
        return shown.assessment_id


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"
