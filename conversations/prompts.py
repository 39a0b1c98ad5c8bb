"""The replies the conversation sends: questions, confirmations, review and summary."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from conversations.answers import as_line, describe
from conversations.messages import Action, Choice, Progress, Reply, Tone, Verb
from conversations.questions import QUESTIONS, TOTAL, Field, Kind, Question
from conversations.scoring import GAP_FIELDS, GAP_LABELS, Scorecard, score

BLOCKING_FIELDS = frozenset(pair for pairs in GAP_FIELDS.values() for pair in pairs)

NOT_FOUND = "That assessment no longer exists here."  # also what another workspace's id finds
UNAVAILABLE = "Preflight cannot reach its database right now, so nothing was saved. Please try again in a minute."
SAVED_NOTE = "Everything answered so far is saved."


class Problem(str, Enum):
    """Why a platform did not show what Preflight sent; adapters map their error codes to these."""

    NOT_IN_CHANNEL = "not_in_channel"
    CHANNEL_GONE = "channel_not_found"
    ARCHIVED = "is_archived"
    RATE_LIMITED = "ratelimited"
    MESSAGE_GONE = "message_not_found"
    PLATFORM_DOWN = "platform_down"
    NO_ANSWER = "no_answer"
    REFUSED = "refused"


_PROBLEMS = {
    Problem.NOT_IN_CHANNEL: "I'm not a member of this channel. Invite me with /invite @Preflight, then {again}.",
    Problem.CHANNEL_GONE: "I can't reach this channel (it may be private or deleted). Invite me, or start the check in another channel.",
    Problem.ARCHIVED: "This channel is archived, so I can't post in it.",
    Problem.RATE_LIMITED: "{platform} is limiting how fast I can post right now. In a minute, {again}.",
    Problem.MESSAGE_GONE: "The message I wanted to update is gone.",
    Problem.PLATFORM_DOWN: "{platform} is having trouble right now ({detail}). In a minute, {again}.",
    Problem.NO_ANSWER: "{platform} did not answer in time. In a minute, {again}.",
    Problem.REFUSED: "{platform} refused my message ({detail}).",
}


def problem(kind: Problem, *, platform: str, detail: str = "", starting: bool = False) -> str:
    """What to tell the person when their platform did not show a reply; a new check was not kept."""
    again = "start the check again" if starting else "press Continue on the card"
    text = _PROBLEMS[kind].format(platform=platform, detail=detail, again=again)
    return f"I could not start the check here. {text}" if starting else f"{text} {SAVED_NOTE}"


HELP = (
    "Answer each question on one line; separate its parts with ';' (the question shows an example).\n"
    "Commands: back (previous question) · skip (leave it open as a gap) · edit N (change answer N) · "
    "review (all answers so far) · finish · reopen (change a finished assessment) · snooze N (pause reminders "
    "for N days) · status · help"
)


USAGE = (
    ("start <project>", "start the check for a project in this conversation"),
    ("status [project]", "where a check here stands"),
    ("list", "every check in this workspace"),
    ("owner @person [project]", "name the production owner"),
    ("sponsor @person [project]", "name the sponsor"),
    ("snooze <days> [project]", "pause a check's reminders"),
    ("rename <new name>", "give a check here another name"),
    ("archive [project]", "put a check away: no reminders or digests, kept in exports"),
    ("digest", "preview your weekly sponsor digest"),
    ("settings", "reminder and digest settings (workspace admins)"),
    ("help", "this help"),
)


def progress(*, position: int, answers: Mapping[str, Any]) -> Progress:
    return Progress(position=position, answered=len(answers), total=TOTAL)


def question_prompt(q: Question, *, answers: Mapping[str, Any], current: Mapping[str, Any] | None) -> Reply:
    first = q.fields[0]
    body = f"{q.text}\n{q.help}"
    if current is not None:
        body += f"\nCurrent answer: {describe(q, current)}"
    actions = [Action("Skip", Verb.SKIP, question=q.key)]
    if q.number > 1:
        actions.insert(0, Action("Back", Verb.BACK, question=q.key))
    return Reply(
        title=f"Question {q.number} of {TOTAL} · {q.pillar.value}",
        body=body,
        tone=Tone.QUESTION,
        question=q.key,
        choices=tuple(Choice(o.label, o.key) for o in first.options) if first.kind is Kind.CHOICE else (),
        actions=tuple(actions),
        progress=progress(position=q.number, answers=answers),
        hint=_typing_hint(q, current),
        current=current,
    )


def _typing_hint(q: Question, current: Mapping[str, Any] | None) -> str:
    hint = f"{shape(q)}\nExample: {q.example}"
    if any(not f.required and not f.scored for f in q.fields) and any(f.scored for f in q.fields):
        hint += "\nParts marked (optional) leave the score as it is; the others count toward it."
    if q.fields[0].kind is Kind.CHECKLIST:
        listed = "  ".join(f"{i}) {o.label}" for i, o in enumerate(q.fields[0].options, 1))
        hint = f"{listed}\n{hint}"
    if current is not None:
        hint += f"\nTo keep it as it is, type 'skip'; a part left empty keeps its answer. Now: {as_line(q, current)}"
    return hint


def waits(q: Question, f: Field) -> str:
    """What leaving a part for later costs: "" for a part that must be given, else a blocking gap, points, or nothing."""
    if f.required:
        return ""
    if (q.key, f.key) in BLOCKING_FIELDS:
        return "can wait, but a blocking gap until given"
    return "can wait, but counts toward the score" if f.scored else "optional"


def shape(q: Question) -> str:
    """The parts of a typed answer, in order, each saying whether it can wait and whether it counts."""
    parts = []
    for f in q.fields:
        what = "a number from the list" if f.kind is Kind.CHOICE else f.label.lower()
        if f.kind is Kind.CHECKLIST:
            what = "the checks in place, by number or name, e.g. 1,2,4 or 'accuracy drift, data drift' ('all' or 'none')"
        note = waits(q, f)
        parts.append(f"{what} ({note})" if note else what)
    return "Type: " + "; ".join(parts)


def retry(q: Question, message: str, *, errors: dict[str, str]) -> Reply:
    """A bad answer: what is wrong, and a one-line reminder of what works, not the whole question again."""
    reminder = (
        "Type: a number from the list" if q.fields[0].kind is Kind.CHOICE else f"Type: {'; '.join(f.label.lower() for f in q.fields)}"
    )
    return Reply(
        title=message,
        body=f"{reminder} (e.g. {q.example}), or skip.",
        tone=Tone.ERROR,
        question=q.key,
        errors=errors,
    )


def saved(q: Question, *, values: Mapping[str, Any], by: str, answers: Mapping[str, Any]) -> Reply:
    body = describe(q, values)
    actions: tuple[Action, ...] = ()
    hint = ""
    if q.key == "roi" and values.get("statement") and not (values.get("target") and values.get("by_when")):
        body += "\nSaved as a draft: it counts half until it has a measurable target and a date. What is the target, and by when?"
        actions = (Action("Add target and date", Verb.EDIT, number=q.number),)
        hint = f"Add them with 'edit {q.number}'."
    return Reply(
        title=f"Saved answer {q.number} ({by})",
        body=body,
        tone=Tone.SAVED,
        question=q.key,
        actions=actions,
        progress=progress(position=0, answers=answers),
        hint=hint,
    )


def confirm(q: Question, *, prompt: str) -> Reply:
    return Reply(
        title=prompt,
        tone=Tone.CONFIRM,
        hint="Type yes to keep it, or no to change it.",
        question=q.key,
        actions=(Action("Yes, keep it", Verb.YES), Action("No, change it", Verb.NO)),
    )


def pick(q: Question, *, prompt: str, labels: list[str], value: str) -> Reply:
    """An answer that reads more than one way: each reading is a button (a numbered choice when typed)."""
    return Reply(
        title=prompt,
        body="Pick one, or type no to change the answer.",
        tone=Tone.CONFIRM,
        question=q.key,
        choices=tuple(Choice(label, f"{value}{i}") for i, label in enumerate(labels, 1)),
        actions=(
            *(Action(label, Verb.CHOOSE, question=q.key, value=f"{value}{i}") for i, label in enumerate(labels, 1)),
            Action("Neither, change it", Verb.NO),
        ),
    )


def error(message: str, *, question: str | None = None, errors: dict[str, str] | None = None) -> Reply:
    return Reply(title=message, tone=Tone.ERROR, question=question, errors=errors or {})


def review(project: str, *, answers: Mapping[str, Any], skipped: frozenset[str], finished: bool) -> Reply:
    card = score(answers)
    lines = []
    for q in QUESTIONS:
        state = "skipped, open gap" if q.key in skipped and q.key not in answers else describe(q, answers.get(q.key))
        lines.append(f"{q.number}. {q.title}: {state}")
    lines.append("")
    lines.append("Score so far: " + summary_body(card))
    open_ = [q.number for q in QUESTIONS if q.key not in answers]
    title = f"Review · {project} · {len(answers)} of {TOTAL} answered"
    if open_ and not finished:
        lines.append(f"Still open: {', '.join(map(str, open_))}. Finishing now leaves them as gaps.")
    actions = [] if finished else [Action("Finish", Verb.FINISH)]
    actions += [Action(f"Edit {q.number}", Verb.EDIT, number=q.number) for q in QUESTIONS]
    return Reply(
        title=title,
        body="\n".join(lines),
        tone=Tone.REVIEW,
        actions=tuple(actions),
        progress=progress(position=0, answers=answers),
        scorecard=card,
    )


def summary(project: str, *, answers: Mapping[str, Any]) -> Reply:
    card = score(answers)
    return Reply(
        title=f"{project}: {card.percent}% · {card.level.value}",
        body=summary_body(card),
        tone=Tone.SUMMARY,
        actions=(Action("Reopen", Verb.REOPEN),),
        progress=progress(position=0, answers=answers),
        scorecard=card,
    )


def summary_body(card: Scorecard) -> str:
    lines = [card.explanation()]
    if card.gaps:
        lines.append("Blocking gaps: " + ", ".join(GAP_LABELS[g] for g in card.gaps) + ". Reminders continue until they are closed.")
    else:
        lines.append("No blocking gaps: owner, budget and success metric are in place.")
    if card.weaknesses:
        lines.append("Next steps:")
        lines += [f"- {w.number}. {w.title}: {w.recommendation}" for w in card.weaknesses]
    return "\n".join(lines)


def status(project: str, *, answers: Mapping[str, Any], position: int, finished: bool) -> Reply:
    card = score(answers)
    where = "finished" if finished else f"question {position} of {TOTAL}" if position else "in review"
    gaps = ", ".join(GAP_LABELS[g] for g in card.gaps) or "none"
    return Reply(
        title=f"{project} · {where} · {len(answers)} of {TOTAL} answered",
        body=f"{'Score' if finished else 'Score so far'}: {card.percent}% · {card.level.value}\nBlocking gaps: {gaps}",
        progress=progress(position=position, answers=answers),
        scorecard=card,
    )


def help_reply() -> Reply:
    return Reply(title="How this works", body=HELP)


def commands_help(prefix: str) -> Reply:
    """What can be asked of Preflight from a conversation, typed the way this platform types commands."""
    return Reply(
        title=(
            f"Preflight runs the AI execution readiness check with your team: {TOTAL} questions, a score, "
            "and reminders until owner, budget and ROI are in place."
        ),
        body="\n".join(f"{prefix}{usage}: {meaning}" for usage, meaning in USAGE),
    )
