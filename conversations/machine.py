"""The assessment as a state machine: step(state, event, now) -> (state, replies).

    start ──> ASKING (question 1..8) ──(last answered or skipped)──> REVIEW ──finish──> FINISHED
                 │  ▲  answer / skip / back / edit N          ▲  │ edit N                │
                 │  └────────────────────────────────────────┘  └──> ASKING            │
                 └── a past date waits in `pending` for yes / no     reopen / edit N <──┘

A step never raises on bad input: it returns the state unchanged and an error reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from conversations import prompts
from conversations.answers import kept, merged, parse_answer, split_line
from conversations.events import (
    Archive,
    Back,
    Confirm,
    Edit,
    Event,
    Fill,
    Finish,
    Help,
    Rename,
    Reopen,
    Resume,
    Review,
    Say,
    SetOwner,
    SetSponsor,
    Skip,
    Snooze,
    Start,
    Status,
    Submit,
    Unknown,
)
from conversations.messages import Reply, Tone
from conversations.money import restored
from conversations.people import Person
from conversations.questions import BY_KEY, MAX_PROJECT_NAME, QUESTIONS, TOTAL, Question


class Stage(str, Enum):
    ASKING = "asking"
    REVIEW = "review"
    FINISHED = "finished"
    ARCHIVED = "archived"  # put away: no reminders, digests or listing; kept for exports


READING = "reading-"  # the value of a button that picks one reading of an ambiguous answer: reading-1, reading-2


@dataclass(frozen=True)
class Answer:
    values: Mapping[str, Any]
    by: Person
    at: datetime

    def __post_init__(self) -> None:
        # Stored JSON holds amounts as strings (or, in older answers, numbers): the core works with Decimals.
        object.__setattr__(self, "values", {k: restored(v) for k, v in self.values.items()})


@dataclass(frozen=True)
class Pending:
    """An answer that waits for the user: to confirm it (a date read from words, or in the past), or to pick a reading.

    `readings` is empty for a yes/no confirmation; otherwise each is {"label": ..., "values": the whole answer}
    and the person picks one (120.000 € as 120 000 EUR or 120 EUR), by button or by its number.
    """

    question: str
    values: Mapping[str, Any]
    prompt: str
    readings: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", {k: restored(v) for k, v in self.values.items()})
        readings = tuple({"label": str(r["label"]), "values": {k: restored(v) for k, v in r["values"].items()}} for r in self.readings)
        object.__setattr__(self, "readings", readings)

    def reading(self, picked: str) -> Mapping[str, Any] | None:
        """The answer a typed number ('2'), label or button value ('reading-2') picks; None when it picks none."""
        text = picked.strip().lower().removeprefix(READING)
        if text.isdigit() and 1 <= int(text) <= len(self.readings):
            return self.readings[int(text) - 1]["values"]
        return next((r["values"] for r in self.readings if r["label"].lower() == text), None)


@dataclass(frozen=True)
class State:
    project: str
    started_by: Person
    started_at: datetime
    stage: Stage = Stage.ASKING
    cursor: int = 0  # index of the question being asked
    answers: Mapping[str, Answer] = field(default_factory=dict)
    skipped: frozenset[str] = frozenset()
    pending: Pending | None = None
    sponsor: Person | None = None
    finished_at: datetime | None = None
    snoozed_until: datetime | None = None

    @property
    def current(self) -> Question:
        return QUESTIONS[self.cursor]

    @property
    def values(self) -> dict[str, Mapping[str, Any]]:
        return {k: a.values for k, a in self.answers.items()}

    @property
    def owner(self) -> Person | None:
        ownership = self.answers.get("ownership")
        owner = ownership.values.get("owner") if ownership else None
        return Person.from_value(owner) if owner else None


@dataclass(frozen=True)
class Step:
    state: State | None
    replies: tuple[Reply, ...]


def step(state: State | None, event: Event, now: datetime) -> Step:
    """Apply one event; time is passed in, never read."""
    if isinstance(event, Start):
        return _start(event, now)
    if state is None:
        return Step(None, (prompts.error("There is no assessment here yet. Start one with a project name."),))
    if state.stage is Stage.ARCHIVED and not isinstance(event, Status):
        return Step(state, (prompts.error(f"{state.project} is archived: it stays in exports, and nothing more can change."),))
    handler = _HANDLERS[type(event)]
    new, replies = handler(state, event, now)
    return Step(new, tuple(replies))


def validate_project(name: str) -> str | None:
    """An error message for a bad project name, or None."""
    name = name.strip()
    if not name:
        return "A project needs a name, e.g. 'Churn model'."
    if len(name) > MAX_PROJECT_NAME:
        return f"Project names can have at most {MAX_PROJECT_NAME} characters; this one has {len(name)}."
    return None


def _start(event: Start, now: datetime) -> Step:
    problem = validate_project(event.project)
    if problem:
        return Step(None, (prompts.error(problem),))
    state = State(project=event.project.strip(), started_by=event.by, started_at=now, sponsor=event.sponsor)
    intro = prompts.Reply(
        title=f"Readiness check for {state.project}",
        body=f"{TOTAL} questions, a few minutes. Anyone here can answer.",
        hint="Type help for the commands.",  # where typing reaches Preflight; elsewhere the buttons say it
    )
    return Step(state, (intro, _ask(state)))


def _ask(state: State) -> Reply:
    q = state.current
    current = state.answers.get(q.key)
    return prompts.question_prompt(q, answers=state.answers, current=current.values if current else None)


def _here(state: State) -> Reply:
    """What the user should see to carry on from where the assessment stands."""
    if state.pending:
        return _pending_prompt(state.pending)
    if state.stage is Stage.ASKING:
        return _ask(state)
    if state.stage is Stage.REVIEW:
        return _review(state)
    return prompts.summary(state.project, answers=state.values)


def _review(state: State) -> Reply:
    return prompts.review(state.project, answers=state.values, skipped=state.skipped, finished=state.stage is Stage.FINISHED)


def _next_open(state: State) -> int | None:
    """The first question after the cursor (then from the top) that is neither answered nor skipped."""
    order = list(range(state.cursor + 1, TOTAL)) + list(range(0, state.cursor + 1))
    return next((i for i in order if QUESTIONS[i].key not in state.answers and QUESTIONS[i].key not in state.skipped), None)


def _advance(state: State, now: datetime) -> tuple[State, list[Reply]]:
    nxt = _next_open(state)
    if nxt is not None:
        moved = replace(state, stage=Stage.ASKING, cursor=nxt)
        return moved, [_ask(moved)]
    if state.finished_at is not None:
        done = replace(state, stage=Stage.FINISHED, finished_at=now)
        return done, [prompts.summary(done.project, answers=done.values)]
    reviewing = replace(state, stage=Stage.REVIEW)
    return reviewing, [_review(reviewing)]


def _commit(state: State, q: Question, values: Mapping[str, Any], by: Person, now: datetime) -> tuple[State, list[Reply]]:
    answers = dict(state.answers)
    answers[q.key] = Answer(values=dict(values), by=by, at=now)
    new = replace(state, answers=answers, skipped=state.skipped - {q.key}, pending=None)
    replies = [prompts.saved(q, values=values, by=by.name, answers=answers)]
    if new.stage is Stage.ASKING and new.current.key == q.key:
        new, more = _advance(new, now)
        return new, replies + more
    if new.stage is Stage.FINISHED:
        replies.append(prompts.summary(new.project, answers=new.values))
    elif new.stage is Stage.REVIEW:
        replies.append(_review(new))
    return new, replies


def _pending_prompt(pending: Pending) -> Reply:
    q = BY_KEY[pending.question]
    if pending.readings:
        return prompts.pick(q, prompt=pending.prompt, labels=[r["label"] for r in pending.readings], value=READING)
    return prompts.confirm(q, prompt=pending.prompt)


def _accept(state: State, q: Question, raw: Mapping[str, Any], by: Person, now: datetime) -> tuple[State, list[Reply]]:
    parsed = parse_answer(q, raw, today=now.date())
    if not parsed.ok:
        first = next(iter(parsed.errors.values()))
        return state, [prompts.retry(q, first, errors=parsed.errors)]
    if parsed.confirm:
        readings = tuple({"label": r.label, "values": r.value} for r in parsed.readings)
        pending = Pending(question=q.key, values=parsed.values, prompt=parsed.confirm, readings=readings)
        return replace(state, pending=pending), [_pending_prompt(pending)]
    return _commit(state, q, parsed.values, by, now)


def _say(state: State, event: Say, now: datetime) -> tuple[State, list[Reply]]:
    if state.pending and state.pending.readings:
        picked = state.pending.reading(event.text)
        if picked is not None:
            return _commit(state, BY_KEY[state.pending.question], picked, event.by, now)
        count = len(state.pending.readings)
        return state, [prompts.error(f"Pick one of the {count} readings by its number, or type no to change the answer."), _here(state)]
    if state.pending:
        return state, [prompts.error("Please answer yes or no first (no lets you change the answer)."), _here(state)]
    text = event.text.strip()
    if not text:
        return state, [prompts.error("Type an answer, or 'skip' to leave this question open."), _here(state)]
    q = BY_KEY.get(event.question) if event.question else None
    if q is None:
        if state.stage is not Stage.ASKING:
            return state, [prompts.error(_nothing_asked(state)), _here(state)]
        q = state.current
    stored = state.answers.get(q.key)
    return _accept(state, q, kept(q, stored.values if stored else None, split_line(q, text)), event.by, now)


def _nothing_asked(state: State) -> str:
    """Why a typed line is not an answer: no question is being asked."""
    open_ = [q.number for q in QUESTIONS if q.key not in state.answers]
    if not open_:
        return "All questions are answered. Type finish, review, or edit N to change answer N."
    listed = ", ".join(map(str, open_))
    return f"No question is being asked now; {listed} {'is' if len(open_) == 1 else 'are'} still open. Type edit N to answer one, review, or finish."


def _confirm(state: State, event: Confirm, now: datetime) -> tuple[State, list[Reply]]:
    if state.pending is None:
        return _say(state, Say(text=event.text, by=event.by, question=None), now)
    q = BY_KEY[state.pending.question]
    if event.yes and state.pending.readings:
        return state, [prompts.error("Which one? Pick a reading by its number, or type no to change the answer."), _here(state)]
    if event.yes:
        return _commit(state, q, state.pending.values, event.by, now)
    cleared = replace(state, pending=None)
    return cleared, [prompts.Reply(title=f"Not saved: question {q.number} is asked again.", question=q.key), _here(cleared)]


def _submit(state: State, event: Submit, now: datetime) -> tuple[State, list[Reply]]:
    q = BY_KEY.get(event.question)
    if q is None:
        return state, [prompts.error(f"There is no question '{event.question}'.")]
    values = event.values
    picked = str(values.get("choice", "")) if event.partial and set(values) == {"choice"} else ""
    if picked.startswith(READING):  # a button of a reading to pick
        pending = state.pending
        chosen = pending.reading(picked) if pending and pending.question == q.key else None
        if chosen is None:
            return state, [prompts.Reply(title="That choice is no longer open; this is where things stand."), _here(state)]
        return _commit(state, q, chosen, event.by, now)
    if event.partial:
        stored = state.answers.get(q.key)
        values = merged(q, stored.values if stored else None, values)
    return _accept(replace(state, pending=None), q, values, event.by, now)


def _fill(state: State, event: Fill, now: datetime) -> tuple[State, list[Reply]]:
    """Each question's fields merged into its stored answer, in question order; the first error stops all.

    An answer that waits for the person (a reading to pick, a date to confirm) waits after the others are
    saved; only one can wait at a time, so a second one is left out and said so.
    """
    replies: list[Reply] = []
    current = state
    waiting: Pending | None = None
    for q in QUESTIONS:
        if q.key not in event.values:
            continue
        current, more = _submit(current, Submit(question=q.key, values=event.values[q.key], by=event.by, partial=True), now)
        if more and more[0].tone is Tone.ERROR:
            return state, more
        if current.pending and waiting:
            more = [prompts.Reply(title=f"Answer {q.number} was not saved: {current.pending.prompt} Please answer it again.")]
        waiting = waiting or current.pending
        current = replace(current, pending=None)
        replies += more
    if not replies:
        return state, [prompts.error("Fill in at least one field.")]
    return replace(current, pending=waiting), replies


def _moved_on(state: State, question: str | None) -> list[Reply] | None:
    """Someone else already moved past the question this button belonged to."""
    if question is None or (state.stage is Stage.ASKING and state.current.key == question):
        return None
    number = BY_KEY[question].number if question in BY_KEY else "?"
    return [prompts.Reply(title=f"Question {number} was already answered or skipped; this is where things stand."), _here(state)]


def _skip(state: State, event: Skip, now: datetime) -> tuple[State, list[Reply]]:
    stale = _moved_on(state, event.question)
    if stale:
        return state, stale
    if state.stage is not Stage.ASKING:
        return state, [prompts.error("Nothing to skip: all questions are answered or skipped."), _here(state)]
    q = state.current
    state = replace(state, pending=None)
    if q.key in state.answers:
        note = prompts.Reply(title=f"Kept answer {q.number} as it was.", question=q.key)
    else:
        state = replace(state, skipped=state.skipped | {q.key})
        note = prompts.Reply(
            title=f"Skipped question {q.number}: it stays open as a gap until it is answered.",
            question=q.key,
            hint=f"Come back to it with 'edit {q.number}'.",
        )
    state, replies = _advance(state, now)
    return state, [note, *replies]


def _back(state: State, event: Back, now: datetime) -> tuple[State, list[Reply]]:
    stale = _moved_on(state, event.question)
    if stale:
        return state, stale
    if state.stage is Stage.FINISHED:
        return state, [prompts.error("This assessment is finished. Type 'edit N' to change answer N, or 'reopen'.")]
    if state.stage is Stage.REVIEW:
        moved = replace(state, stage=Stage.ASKING, cursor=TOTAL - 1, pending=None)
        return moved, [_ask(moved)]
    if state.cursor == 0:
        return state, [prompts.error("This is the first question."), _ask(state)]
    moved = replace(state, cursor=state.cursor - 1, pending=None)
    left = prompts.Reply(title=f"Went back to question {state.cursor}.", question=QUESTIONS[state.cursor].key)
    return moved, [left, _ask(moved)]


def _edit(state: State, event: Edit, now: datetime) -> tuple[State, list[Reply]]:
    if event.number is None or not 1 <= event.number <= TOTAL:
        return state, [prompts.error(f"Which answer? Type edit and a number from 1 to {TOTAL}, e.g. 'edit 3'."), _here(state)]
    moved = replace(state, stage=Stage.ASKING, cursor=event.number - 1, pending=None)
    return moved, [_ask(moved)]


def _review_event(state: State, event: Review, now: datetime) -> tuple[State, list[Reply]]:
    return state, [_review(state)]


def _finish(state: State, event: Finish, now: datetime) -> tuple[State, list[Reply]]:
    if state.stage is Stage.FINISHED:
        return state, [prompts.summary(state.project, answers=state.values)]
    if state.stage is Stage.ASKING:
        reviewing = replace(state, stage=Stage.REVIEW, pending=None)
        return reviewing, [_review(reviewing)]
    done = replace(state, stage=Stage.FINISHED, finished_at=now, pending=None)
    return done, [prompts.summary(done.project, answers=done.values)]


def _reopen(state: State, event: Reopen, now: datetime) -> tuple[State, list[Reply]]:
    if state.stage is not Stage.FINISHED:
        return state, [prompts.Reply(title="This assessment is still open."), _here(state)]
    reopened = replace(state, stage=Stage.REVIEW)
    reply = prompts.Reply(title=f"Reopened {state.project}: change any answer, then finish again.", hint="Type edit N to change answer N.")
    return reopened, [reply, _review(reopened)]


def _status(state: State, event: Status, now: datetime) -> tuple[State, list[Reply]]:
    position = state.cursor + 1 if state.stage is Stage.ASKING else 0
    reply = prompts.status(state.project, answers=state.values, position=position, finished=state.stage is Stage.FINISHED)
    return state, [reply]


def _help(state: State, event: Help, now: datetime) -> tuple[State, list[Reply]]:
    return state, [prompts.help_reply(), _here(state)]


def where(state: State) -> str:
    """Where a check stands, in words: "at question 3 of 8", "in review", "(finished)"."""
    if state.stage is Stage.ASKING:
        return f"at question {state.cursor + 1} of {TOTAL}"
    if state.stage is Stage.ARCHIVED:
        return "(archived)"
    return "in review" if state.stage is Stage.REVIEW else "(finished)"


def _resume(state: State, event: Resume, now: datetime) -> tuple[State, list[Reply]]:
    if state.stage is Stage.FINISHED:  # nothing to carry on with: where it ended, and what can be done
        return state, [prompts.Reply(title=f"{state.project} is finished; this is its result."), _here(state)]
    return state, [prompts.Reply(title=f"Resuming {state.project} {where(state)}."), _here(state)]


def _set_owner(state: State, event: SetOwner, now: datetime) -> tuple[State, list[Reply]]:
    q = BY_KEY["ownership"]
    current: dict[str, Any] = dict(state.answers["ownership"].values) if "ownership" in state.answers else {f.key: None for f in q.fields}
    current["owner"] = event.person.as_value()
    answers = dict(state.answers)
    answers[q.key] = Answer(values=current, by=event.by, at=now)
    new = replace(state, answers=answers, skipped=state.skipped - {q.key})
    return new, [prompts.Reply(title=f"{event.person.name} is now the production owner of {state.project}.")]


def _set_sponsor(state: State, event: SetSponsor, now: datetime) -> tuple[State, list[Reply]]:
    new = replace(state, sponsor=event.person)
    return new, [prompts.Reply(title=f"{event.person.name} is now the sponsor of {state.project}.")]


def _unknown(state: State, event: Unknown, now: datetime) -> tuple[State, list[Reply]]:
    command = event.text.strip().split()[0][:40]
    return state, [prompts.error(f"'{command}' is not a command I know."), prompts.help_reply(), _here(state)]


MAX_SNOOZE_DAYS = 90


def _snooze(state: State, event: Snooze, now: datetime) -> tuple[State, list[Reply]]:
    if event.days is None or not 1 <= event.days <= MAX_SNOOZE_DAYS:
        return state, [prompts.error(f"Snooze for how many days? A number from 1 to {MAX_SNOOZE_DAYS}, e.g. 'snooze 7'.")]
    until = now + timedelta(days=event.days)
    snoozed = replace(state, snoozed_until=until)
    return snoozed, [prompts.Reply(title=f"Reminders for {state.project} are paused until {until:%a %d %b %Y}.")]


def _rename(state: State, event: Rename, now: datetime) -> tuple[State, list[Reply]]:
    problem = validate_project(event.project)
    if problem:
        return state, [prompts.error(problem)]
    renamed = replace(state, project=event.project.strip())
    return renamed, [prompts.Reply(title=f"{state.project} is now called {renamed.project}.")]


def _archive(state: State, event: Archive, now: datetime) -> tuple[State, list[Reply]]:
    archived = replace(state, stage=Stage.ARCHIVED, pending=None)
    title = f"{state.project} is archived: no more reminders or digests, and it leaves the list. It stays in exports."
    return archived, [prompts.Reply(title=title)]


_HANDLERS: dict[type, Callable[[State, Any, datetime], tuple[State, list[Reply]]]] = {
    Unknown: _unknown,
    Snooze: _snooze,
    Say: _say,
    Submit: _submit,
    Fill: _fill,
    Confirm: _confirm,
    Skip: _skip,
    Back: _back,
    Edit: _edit,
    Review: _review_event,
    Finish: _finish,
    Reopen: _reopen,
    Status: _status,
    Help: _help,
    Resume: _resume,
    SetOwner: _set_owner,
    SetSponsor: _set_sponsor,
    Rename: _rename,
    Archive: _archive,
}
