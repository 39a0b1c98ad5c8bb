"""Score, level, blocking gaps and recommendations, from the answers alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from conversations.questions import QUESTIONS, TOTAL, Pillar, Question, Rule

BLOCKING = ("owner", "budget", "roi")
# The answer fields, as (question, field), that close each blocking gap.
GAP_FIELDS = {
    "owner": (("ownership", "owner"),),
    "budget": (("ownership", "budget"),),
    "roi": (("roi", "statement"), ("roi", "target"), ("roi", "by_when")),
}
GAP_LABELS = {
    "owner": "no production owner",
    "budget": "no production budget",
    "roi": "no measurable success metric (ROI)",
}


class Level(str, Enum):
    """Set by the weakest pillar: the weakest area decides whether a project survives production."""

    READY = "Ready for production"
    NEEDS_WORK = "Needs work"
    AT_RISK = "At risk"
    NOT_READY = "Not ready"

    @classmethod
    def for_pillar_score(cls, score: float) -> Level:
        if score >= 0.75:
            return cls.READY
        if score >= 0.5:
            return cls.NEEDS_WORK
        if score >= 0.25:
            return cls.AT_RISK
        return cls.NOT_READY


@dataclass(frozen=True)
class Weakness:
    question: str
    number: int
    title: str
    score: float
    why: str
    recommendation: str


@dataclass(frozen=True)
class Scorecard:
    scores: dict[str, float]
    answered: int
    pillars: dict[Pillar, float]
    total: float
    level: Level
    weakest: Pillar
    gaps: tuple[str, ...]
    weaknesses: tuple[Weakness, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.total / TOTAL)

    def explanation(self) -> str:
        """Why the score is what it is, in one paragraph."""
        text = (
            f"{_num(self.total)} of {TOTAL} ({self.percent}%). Level: {self.level.value}, set by the weakest "
            f"pillar, {self.weakest.value} ({round(100 * self.pillars[self.weakest])}%)."
        )
        if self.weaknesses:
            pulled = "; ".join(f"{w.title} ({_num(w.score)} of 1: {w.why})" for w in self.weaknesses)
            text += f" Pulled down by: {pulled}."
        return text


def score(answers: Mapping[str, Mapping[str, Any] | None]) -> Scorecard:
    """Score the answers given so far; unanswered questions count 0 and are listed."""
    scores: dict[str, float] = {}
    weaknesses = []
    for q in QUESTIONS:
        values = answers.get(q.key)
        s, why = (0.0, "not answered") if values is None else _score_one(q, values)
        scores[q.key] = s
        if s < 1:
            weaknesses.append(Weakness(q.key, q.number, q.title, s, why, recommend(q, values, s)))
    pillars = {}
    for p in Pillar:
        members = [scores[q.key] for q in QUESTIONS if q.pillar is p]
        pillars[p] = sum(members) / len(members)
    weakest = min(Pillar, key=lambda p: pillars[p])
    return Scorecard(
        scores=scores,
        answered=sum(1 for q in QUESTIONS if answers.get(q.key) is not None),
        pillars=pillars,
        total=sum(scores.values()),
        level=Level.for_pillar_score(pillars[weakest]),
        weakest=weakest,
        gaps=blocking_gaps(answers),
        weaknesses=tuple(weaknesses),
    )


def blocking_gaps(answers: Mapping[str, Mapping[str, Any] | None]) -> tuple[str, ...]:
    """The gaps that drive reminders: owner, budget, roi."""
    ownership = answers.get("ownership") or {}
    roi = answers.get("roi")
    gaps = []
    if not ownership.get("owner"):
        gaps.append("owner")
    if not ownership.get("budget"):
        gaps.append("budget")
    if roi is None or _score_one(QUESTIONS[2], roi)[0] < 1:
        gaps.append("roi")
    return tuple(gaps)


def _score_one(q: Question, values: Mapping[str, Any]) -> tuple[float, str]:
    if q.rule is Rule.CHOICE:
        field = q.fields[0]
        option = next(o for o in field.options if o.key == values.get(field.key))
        return option.score, option.label.lower()
    if q.rule is Rule.ROI:
        if not values.get("statement"):
            return 0.0, "not defined yet"
        missing = [name for name, key in (("target", "target"), ("date", "by_when")) if not values.get(key)]
        if missing:
            return 0.5, "no " + " or ".join(missing)
        return 1.0, "measurable target and date"
    if q.rule is Rule.OWNERSHIP:
        missing = [label for key, label in (("owner", "owner"), ("budget", "budget"), ("time", "time")) if not values.get(key)]
        if not missing:
            return 1.0, "owner, budget and time"
        return (0.0 if len(missing) == 3 else 0.5), "no " + ", no ".join(missing)
    ticked = len(values.get("checks") or [])
    return (1.0 if ticked >= 4 else 0.5 if ticked >= 2 else 0.0), f"{ticked} of 5 checks in place"


def recommend(q: Question, values: Mapping[str, Any] | None, s: float) -> str:
    """One concrete next step for a weak answer."""
    if values is None:
        return f"Answer question {q.number}. " + _ADVICE[q.key][0]
    if q.key == "ownership":
        todo = []
        if not values.get("owner"):
            todo.append("name the person who owns the model in production")
        if not values.get("budget"):
            todo.append("secure a production budget for deployment and maintenance")
        if not values.get("time"):
            todo.append("set aside time to maintain it")
        return (
            "Before go-live, " + _join(todo) + ". Development budgets rarely cover running the model, "
            "and projects without one wait six to twelve months."
        )
    if q.key == "monitoring":
        checks = q.fields[0].options
        missing = [o.label.lower() for o in checks if o.key not in (values.get("checks") or [])]
        return f"Add {_join(missing)} before launch: models degrade as data changes, and without alerts nobody notices for weeks."
    low, partial = _ADVICE[q.key]
    return low if s == 0 else partial


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.1f}"


# For each question: advice when it scores 0, and when it scores 0.5.
_ADVICE = {
    "data": (
        "Plan the data work before the model work: production pipelines for real-time inference and "
        "volume are the long pole, and few enterprises have modernised them. Expect data preparation "
        "to take most of the effort.",
        "Turn the workarounds into a dated plan (which pipelines must carry production volume, and who "
        "builds them), and test the model on raw production data, not the curated pilot extract.",
    ),
    "process": (
        "Write down the path to production: the stages, the criteria to pass each gate and who signs "
        "off. Projects with a defined process reach production far more often.",
        "Make the informal gates explicit: for each stage, write the pass criteria and name who signs off.",
    ),
    "roi": (
        "Define success as a business outcome a CFO would recognise (revenue, cost, cycle time), with "
        "today's baseline, a target and a date.",
        "Put a number and a date on the success metric, e.g. 'cut churn from 6.1% to 4% by 2027-06-30'. "
        "Without them nobody can say whether the project worked.",
    ),
    "governance": (
        "Start the privacy, access-control and audit review now, in parallel with the model: found at "
        "the production gate, these requirements cost months.",
        "Finish the governance review before the production gate, and name the reviewer who signs it off.",
    ),
    "ownership": (
        "Name the production owner and secure a budget and time to run the model.",
        "Name the production owner and secure a budget and time to run the model.",
    ),
    "monitoring": (
        "Set up drift monitoring and alerts before launch: models degrade as data changes.",
        "Set up drift monitoring and alerts before launch: models degrade as data changes.",
    ),
    "skills": (
        "Plan for the skills to run the model, not only build it: monitoring, retraining and debugging "
        "in production, in both the timeline and the budget.",
        "Close the rest of the skills gap in the plan: who monitors, retrains and debugs the model in "
        "production, and when are they trained or hired?",
    ),
    "use_case": (
        "Tie the project to a real operational problem with a measurable return: a project started "
        "because a competitor has one rarely survives its first budget review.",
        "Write down the operational problem this solves in one sentence, and the number it will move.",
    ),
}
