import pytest

from conversations.questions import Pillar
from conversations.scoring import Level, blocking_gaps, score

FULL = {
    "data": {"choice": "ready", "notes": None},
    "process": {"choice": "defined", "link": None},
    "roi": {"statement": "Cut churn", "baseline": "6%", "target": "4%", "by_when": "2027-06-30"},
    "governance": {"choice": "parallel", "reviewer": None},
    "ownership": {"owner": {"id": None, "name": "Dana"}, "budget": {"amount": 1, "currency": "EUR"}, "time": "20%"},
    "monitoring": {"checks": ["accuracy_drift", "data_drift", "outlier_alerts", "threshold_alerts"]},
    "skills": {"choice": "yes", "notes": None},
    "use_case": {"choice": "real", "problem": None},
}


def with_(**changes):
    answers = dict(FULL)
    for key, value in changes.items():
        if value is None:
            answers.pop(key)
        else:
            answers[key] = {**FULL[key], **value}
    return answers


def test_a_full_answer_set_is_ready_with_no_gaps():
    card = score(FULL)
    assert card.total == 8 and card.percent == 100
    assert card.level is Level.READY and card.gaps == () and card.weaknesses == ()


@pytest.mark.parametrize(
    "key, change, expected",
    [
        ("data", {"choice": "partly"}, 0.5),
        ("data", {"choice": "legacy"}, 0.0),
        ("process", {"choice": "some"}, 0.5),
        ("process", {"choice": "improvised"}, 0.0),
        ("governance", {"choice": "started"}, 0.5),
        ("governance", {"choice": "later"}, 0.0),
        ("skills", {"choice": "partly"}, 0.5),
        ("skills", {"choice": "no"}, 0.0),
        ("use_case", {"choice": "mixed"}, 0.5),
        ("use_case", {"choice": "pressure"}, 0.0),
        ("roi", {"target": None}, 0.5),
        ("roi", {"by_when": None}, 0.5),
        ("roi", {"statement": None, "target": None, "by_when": None}, 0.0),
        ("ownership", {"owner": None}, 0.5),
        ("ownership", {"budget": None, "time": None}, 0.5),
        ("ownership", {"owner": None, "budget": None, "time": None}, 0.0),
        ("monitoring", {"checks": ["accuracy_drift", "data_drift", "outlier_alerts", "threshold_alerts", "retraining_trigger"]}, 1.0),
        ("monitoring", {"checks": ["accuracy_drift", "data_drift", "outlier_alerts"]}, 0.5),
        ("monitoring", {"checks": ["accuracy_drift", "data_drift"]}, 0.5),
        ("monitoring", {"checks": ["accuracy_drift"]}, 0.0),
        ("monitoring", {"checks": []}, 0.0),
    ],
)
def test_each_answer_scores_by_its_rubric(key, change, expected):
    card = score(with_(**{key: change}))
    assert card.scores[key] == expected
    assert card.total == 7 + expected
    weak = [w for w in card.weaknesses if w.question == key]
    assert bool(weak) == (expected < 1)
    if weak:
        assert weak[0].recommendation and weak[0].why


def test_unanswered_questions_count_zero_and_say_so():
    card = score(with_(monitoring=None))
    assert card.scores["monitoring"] == 0 and card.answered == 7
    (weak,) = card.weaknesses
    assert weak.why == "not answered" and weak.recommendation.startswith("Answer question 6.")


def test_the_weakest_pillar_sets_the_level():
    # Operations is one question: no monitoring makes the whole project not ready, however good the rest.
    card = score(with_(monitoring={"checks": []}))
    assert card.percent == 88
    assert card.weakest is Pillar.OPERATIONS
    assert card.level is Level.NOT_READY
    assert "weakest pillar, Operations (0%)" in card.explanation()


@pytest.mark.parametrize(
    "pillar_score, level",
    [(1.0, Level.READY), (0.75, Level.READY), (0.5, Level.NEEDS_WORK), (0.25, Level.AT_RISK), (0.0, Level.NOT_READY)],
)
def test_level_thresholds(pillar_score, level):
    assert Level.for_pillar_score(pillar_score) is level


@pytest.mark.parametrize(
    "answers, gaps",
    [
        (FULL, ()),
        (with_(ownership={"owner": None}), ("owner",)),
        (with_(ownership={"budget": None}), ("budget",)),
        (with_(roi={"target": None}), ("roi",)),
        (with_(ownership=None), ("owner", "budget")),
        (with_(ownership=None, roi=None), ("owner", "budget", "roi")),
        ({}, ("owner", "budget", "roi")),
    ],
)
def test_blocking_gaps(answers, gaps):
    assert blocking_gaps(answers) == gaps
    assert score(answers).gaps == gaps


def test_recommendations_name_what_is_missing():
    card = score(with_(ownership={"budget": None}, monitoring={"checks": ["data_drift"]}))
    recs = {w.question: w.recommendation for w in card.weaknesses}
    assert "secure a production budget" in recs["ownership"] and "name the person" not in recs["ownership"]
    assert "accuracy drift" in recs["monitoring"] and "data drift" not in recs["monitoring"]


def test_the_explanation_lists_what_pulled_the_score_down():
    text = score(with_(roi={"target": None}, governance={"choice": "later"})).explanation()
    assert text.startswith("6.5 of 8 (81%).")
    assert "ROI in business terms (0.5 of 1: no target)" in text
    assert "Governance (0 of 1: planned for later)" in text
