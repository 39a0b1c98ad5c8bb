"""The eight readiness questions, as data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """The shape of one answer field."""

    CHOICE = "choice"
    TEXT = "text"
    MEASURE = "measure"  # free text that must contain a number (a target)
    PERSON = "person"
    MONEY = "money"
    DATE = "date"
    CHECKLIST = "checklist"


class Rule(str, Enum):
    """How a whole answer turns into 0, 0.5 or 1."""

    CHOICE = "choice"  # the chosen option carries the score
    ROI = "roi"  # statement + measurable target + date
    OWNERSHIP = "ownership"  # owner + budget + time
    CHECKLIST = "checklist"  # how many boxes are ticked


class Pillar(str, Enum):
    FOUNDATIONS = "Foundations"
    PROCESS = "Process & governance"
    VALUE = "Value & ownership"
    OPERATIONS = "Operations"


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    score: float = 0.0


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: Kind
    required: bool = True
    hint: str = ""
    options: tuple[Option, ...] = ()
    scored: bool = False  # counts toward the score even when it may be left for later


@dataclass(frozen=True)
class Question:
    number: int
    key: str
    title: str  # a short name for lists and cards
    text: str
    help: str
    pillar: Pillar
    rule: Rule
    fields: tuple[Field, ...]
    rubric: tuple[str, str, str]  # what scores 1, 0.5 and 0
    example: str = ""  # a typed answer, fields separated by ';'

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


MAX_TEXT = 3000
MAX_PROJECT_NAME = 80
NONE_WORDS = frozenset({"none", "no", "nobody", "no one", "n/a", "na", "-", "tbd", "not yet", "unknown", "not defined", "not defined yet"})

_MONITORING = (
    Option("accuracy_drift", "Accuracy drift"),
    Option("data_drift", "Data drift"),
    Option("outlier_alerts", "Outlier alerts"),
    Option("threshold_alerts", "Threshold alerts"),
    Option("retraining_trigger", "Retraining trigger"),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        number=1,
        key="data",
        title="Data architecture",
        text="Is our core data architecture actually AI-ready?",
        help=(
            "Pilots run on curated extracts; production runs on live pipelines. Are yours built "
            "for real-time inference and production volume?"
        ),
        pillar=Pillar.FOUNDATIONS,
        rule=Rule.CHOICE,
        fields=(
            Field(
                "choice",
                "Data architecture",
                Kind.CHOICE,
                options=(
                    Option("ready", "Built for AI workloads (real-time inference, volume)", 1.0),
                    Option("partly", "Partly, workarounds planned", 0.5),
                    Option("legacy", "Legacy systems", 0.0),
                ),
            ),
            Field("notes", "Notes", Kind.TEXT, required=False, hint="Anything worth knowing, or 'skip'"),
        ),
        rubric=("built for AI workloads", "partly, workarounds planned", "legacy systems"),
        example="2; nightly batch today, streaming planned for Q2",
    ),
    Question(
        number=2,
        key="process",
        title="Deployment process",
        text="Do we have a structured evaluation and deployment process?",
        help=(
            "Defined stages, gate criteria and sign-offs: teams that have them reach production far more often than teams that improvise."
        ),
        pillar=Pillar.PROCESS,
        rule=Rule.CHOICE,
        fields=(
            Field(
                "choice",
                "Process",
                Kind.CHOICE,
                options=(
                    Option("defined", "Defined stages, gate criteria, sign-offs", 1.0),
                    Option("some", "Some stages, informal gates", 0.5),
                    Option("improvised", "Improvised", 0.0),
                ),
            ),
            Field("link", "Link to the process", Kind.TEXT, required=False, hint="A URL or document name, or 'skip'"),
        ),
        rubric=("defined stages, gate criteria, sign-offs", "some stages, informal gates", "improvised"),
        example="1; https://wiki.example.com/ml-release-process",
    ),
    Question(
        number=3,
        key="roi",
        title="ROI in business terms",
        text="What does production success look like, in business terms?",
        help=(
            "A business outcome a CFO would recognise (revenue, cost, cycle time), with a baseline, "
            "a target and a date. 'Build something that works' is not a success metric."
        ),
        pillar=Pillar.VALUE,
        rule=Rule.ROI,
        fields=(
            Field(
                "statement",
                "Success metric",
                Kind.TEXT,
                hint="e.g. 'Cut monthly churn of SME customers', or 'not defined yet'",
            ),
            Field("baseline", "Baseline today", Kind.TEXT, required=False, hint="e.g. '6.1% a month', or 'skip'"),
            Field("target", "Target", Kind.MEASURE, required=False, scored=True, hint="a number, e.g. 'below 4% a month', or 'skip'"),
            Field(
                "by_when",
                "By when",
                Kind.DATE,
                required=False,
                scored=True,
                hint="a date, e.g. 2027-06-30, June 2027, end of Q2 or in 6 months, or 'skip'",
            ),
        ),
        rubric=(
            "a business metric with a measurable target and a date",
            "a statement without a number or date",
            "not defined yet",
        ),
        example="Cut monthly churn of SME customers; 6.1%; below 4%; 2027-06-30",
    ),
    Question(
        number=4,
        key="governance",
        title="Governance",
        text="Is governance (privacy, access control, audit) built in parallel with the model?",
        help=("Privacy, access control and audit requirements found at the production gate cost months. Who reviews them, and when?"),
        pillar=Pillar.PROCESS,
        rule=Rule.CHOICE,
        fields=(
            Field(
                "choice",
                "Governance",
                Kind.CHOICE,
                options=(
                    Option("parallel", "Reviewed in parallel with the model", 1.0),
                    Option("started", "Started", 0.5),
                    Option("later", "Planned for later", 0.0),
                ),
            ),
            Field("reviewer", "Reviewer", Kind.PERSON, required=False, hint="a person, or 'skip'"),
        ),
        rubric=("reviewed in parallel", "started", "planned for later"),
        example="2; Priya Shah",
    ),
    Question(
        number=5,
        key="ownership",
        title="Production owner and budget",
        text="Who owns the model in production, with budget and time to maintain it?",
        help=(
            "Development is usually funded; running the model is not. Name the owner, the "
            "production budget and the time set aside to maintain it."
        ),
        pillar=Pillar.VALUE,
        rule=Rule.OWNERSHIP,
        fields=(
            Field("owner", "Production owner", Kind.PERSON, required=False, scored=True, hint="a person, or 'none'"),
            Field(
                "budget",
                "Production budget",
                Kind.MONEY,
                required=False,
                scored=True,
                hint="an amount with a currency, e.g. '120000 EUR', '€120k' or '1.2 million USD', or 'not allocated'",
            ),
            Field("time", "Time allocated", Kind.TEXT, required=False, scored=True, hint="e.g. '20% of one engineer', or 'none'"),
        ),
        rubric=("owner + budget + time", "some of the three", "none"),
        example="Dana Lee; 120000 EUR; 20% of one engineer",
    ),
    Question(
        number=6,
        key="monitoring",
        title="Drift monitoring",
        text="Can we monitor model performance in production?",
        help="Models degrade as data changes. Which of these will alert someone?",
        pillar=Pillar.OPERATIONS,
        rule=Rule.CHECKLIST,
        fields=(
            Field(
                "checks",
                "In place",
                Kind.CHECKLIST,
                hint="numbers or names separated by commas, e.g. '1,2,4' or 'accuracy drift, data drift', 'all' or 'none'",
                options=_MONITORING,
            ),
        ),
        rubric=("4–5 ticked", "2–3 ticked", "0–1 ticked"),
        example="accuracy drift, data drift, threshold alerts",
    ),
    Question(
        number=7,
        key="skills",
        title="Skills gap",
        text="Have we accounted for the skills gap in timeline and budget?",
        help=(
            "Building a model and running one are different skills: monitoring, retraining, debugging in production. Are they in the plan?"
        ),
        pillar=Pillar.FOUNDATIONS,
        rule=Rule.CHOICE,
        fields=(
            Field(
                "choice",
                "Skills gap",
                Kind.CHOICE,
                options=(
                    Option("yes", "Yes", 1.0),
                    Option("partly", "Partly", 0.5),
                    Option("no", "No", 0.0),
                ),
            ),
            Field("notes", "Notes", Kind.TEXT, required=False, hint="Anything worth knowing, or 'skip'"),
        ),
        rubric=("yes", "partly", "no"),
        example="2; MLOps training booked for March",
    ),
    Question(
        number=8,
        key="use_case",
        title="Real use case",
        text="Is this a real use case, or are we following a competitor?",
        help="A real operational problem with measurable ROI survives budget reviews; a me-too project does not.",
        pillar=Pillar.VALUE,
        rule=Rule.CHOICE,
        fields=(
            Field(
                "choice",
                "Use case",
                Kind.CHOICE,
                options=(
                    Option("real", "A real operational problem with measurable ROI", 1.0),
                    Option("mixed", "Mixed", 0.5),
                    Option("pressure", "Competitive pressure", 0.0),
                ),
            ),
            Field("problem", "Problem statement", Kind.TEXT, required=False, hint="One or two sentences, or 'skip'"),
        ),
        rubric=("real operational problem with measurable ROI", "mixed", "competitive pressure"),
        example="1; agents spend a third of their week on churn-risk calls",
    ),
)

TOTAL = len(QUESTIONS)
BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}
