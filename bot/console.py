"""The assessment in a terminal: the same core and database, typed or piped answers.

Typed at a terminal, lines are edited with readline (arrows, Ctrl-A/E, up-arrow history); Ctrl-C
and Ctrl-D leave at once, and nothing is lost because every answer is saved as it is given.
"""

from __future__ import annotations

import contextlib
import getpass
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TextIO

from conversations.commands import StartCheck, name_given
from conversations.machine import Stage
from conversations.messages import Action, Reply, Tone, Verb
from conversations.people import Person
from conversations.questions import TOTAL
from conversations.shown import Actor, Shown
from conversations.text import strip_controls
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
    def __init__(
        self, *, preflight: Preflight, stdin: TextIO, stdout: TextIO, user: Person | None = None, command: str = "preflight"
    ) -> None:
        self.preflight = preflight
        self.stdin = stdin
        self.stdout = stdout
        self.user = user or Person(name=_login_name())
        self.command = command  # how the person runs Preflight again from where they are, for the goodbyes
        self.echo = not stdin.isatty()  # a piped answer is printed so the transcript reads like a session
        self.editing = stdin is sys.stdin and stdin.isatty()  # input() reads sys.stdin, with readline's editing
        self.interrupted = False
        self._reading = False

    def say(self, text: str) -> None:
        # Text from the database is shown as text: a control character stored before it was refused
        # on the way in must not move the cursor or retitle the terminal on the way out.
        print(strip_controls(text), file=self.stdout, flush=True)

    @property
    def actor(self) -> Actor:
        return Actor(person=self.user, platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL)

    def show(self, shown: Shown) -> None:
        for reply in (*shown.private, *((shown.replace,) if shown.replace else ()), *shown.thread):
            self.say(render(reply))

    def ask(self, prompt: str = "> ") -> str | None:
        """The next line, or None at the end of input or on Ctrl-C (then `interrupted` is set).

        It blocks the event loop on purpose: nothing else runs in the terminal chat while a person
        types, and reading on the main thread is what lets readline edit the line and Ctrl-C end
        the read at once (a reading thread cannot be interrupted, and waiting for it hangs).
        """
        if self.interrupted:
            return None
        self._reading = True
        try:
            line = self._read(prompt)
        except KeyboardInterrupt:
            self.interrupted = True
            self.say("")
            return None
        finally:
            self._reading = False
        if line is None:
            self.say("")
            return None
        if self.echo:
            self.say(line)
        return line

    def _read(self, prompt: str) -> str | None:
        if self.editing:
            try:
                return input(prompt)
            except EOFError:
                return None
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        return line.rstrip("\r\n") if line else None

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        """Ctrl-C ends a read at once; during a turn it waits for the turn's answer to be saved (a second one does not)."""
        if self._reading or self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True

    @contextlib.contextmanager
    def _interrupts(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        previous = signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    async def run(self, *, project: str | None = None, sponsor: str | None = None) -> int:
        """The session, until quit, the end of input or Ctrl-C; the exit status."""
        if self.editing:
            import readline  # noqa: F401  # importing it is what gives input() line editing and history

        with self._interrupts():
            assessment_id = await self._open(project=project, sponsor=sponsor)
            if assessment_id is None:
                self.say("Nothing started.")
                return 0 if project is None or self.interrupted else 2
            while True:
                line = self.ask()
                if line is None or strip_controls(line).strip().lower() in QUIT:
                    await self._goodbye(assessment_id)
                    # Ctrl-C is a way out like any other, nothing failed and nothing is lost: status 0. (130 would
                    # have `make run` end the session with "make: *** [run] Error 130", as if something broke.)
                    return 0
                self.show(await self.preflight.say(self.actor, assessment_id=assessment_id, text=line))

    async def _goodbye(self, assessment_id: int) -> None:
        loaded = await self.preflight.assessments.load(assessment_id=assessment_id)
        again = f"{self.command} console"
        if loaded is not None and loaded.state.stage is Stage.FINISHED:
            self.say(f"Finished and saved. '{self.command} export' writes the results; '{again}' opens it again.")
        elif loaded is not None and loaded.state.stage is Stage.ASKING:
            self.say(f"Saved at question {loaded.state.cursor + 1} of {TOTAL}. Run '{again}' to carry on.")
        else:
            self.say(f"Saved. Run '{again}' to carry on and finish.")

    async def _open(self, *, project: str | None, sponsor: str | None) -> int | None:
        """Start the named project, or open a known one, or ask for a name."""
        # Names typed here do not pass through the core's command grammar, so they are cleaned as it cleans.
        sponsor = strip_controls(sponsor or "", multiline=False).strip()
        sponsor_person = Person(name=sponsor) if sponsor else None
        if project is not None:
            project = strip_controls(project, multiline=False)
        else:
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
                line = self.ask()
                text = strip_controls(line, multiline=False).strip() if line is not None else ""
                if line is None or text.lower() in QUIT:
                    return None
                if known and text.isdigit() and 1 <= int(text) <= len(known):
                    chosen = known[int(text) - 1].id
                    self.show(await self.preflight.act(self.actor, assessment_id=chosen, action=Action("", Verb.RESUME)))
                    return chosen
                given = name_given(text)
                if isinstance(given, StartCheck):
                    project = given.project
                    break
                self.say(f"! {given.problem}")
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
