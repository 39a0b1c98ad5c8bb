import json
from dataclasses import asdict, replace
from datetime import timedelta
from decimal import Decimal

import pytest

from conversations import commands as cmd
from conversations import events
from conversations.commands import read
from conversations.machine import Answer, Pending, Stage, step
from conversations.messages import Tone, Verb
from conversations.people import Person
from conversations.questions import QUESTIONS
from conversations.scoring import score
from storage.engine import to_json

LINES = [
    "1; streaming in place",
    "1",
    "Cut SME churn; 6.1%; below 4%; 2027-06-30",
    "1; Priya Shah",
    "Dana Lee; 120000 EUR; 20% of one engineer",
    "1,2,3,4",
    "1",
    "1; churn calls",
]


def start(now, who, project="Churn model"):
    result = step(None, events.Start(project=project, by=who), now)
    assert result.state is not None
    return result.state


def say(state, text, now, who):
    return step(state, read(text, by=who), now)


def answer_all(state, now, who, lines=LINES):
    for line in lines:
        state = say(state, line, now, who).state
    return state


@pytest.mark.parametrize(
    "project, message",
    [("", "needs a name"), ("   ", "needs a name"), ("x" * 500, "at most 80 characters; this one has 500")],
)
def test_start_refuses_bad_project_names(project, message, now, ana):
    result = step(None, events.Start(project=project, by=ana), now)
    assert result.state is None
    (reply,) = result.replies
    assert reply.tone is Tone.ERROR and message in reply.title


def test_start_asks_question_one_of_eight(now, ana):
    result = step(None, events.Start(project="  Churn model ", by=ana, sponsor=Person("Sam")), now)
    assert result.state.project == "Churn model" and result.state.sponsor == Person("Sam")
    intro, first = result.replies
    assert "Churn model" in intro.title
    assert first.tone is Tone.QUESTION and first.question == "data"
    assert first.title.startswith("Question 1 of 8") and str(first.progress) == "question 1 of 8"
    assert [c.value for c in first.choices] == ["ready", "partly", "legacy"]
    assert "Example:" in first.hint


def test_events_before_start_get_an_error(now, ana):
    result = step(None, events.Skip(by=ana), now)
    assert result.state is None and result.replies[0].tone is Tone.ERROR


def test_eight_answers_lead_to_review_and_record_who_and_when(now, ana, bo):
    state = start(now, ana)
    for i, line in enumerate(LINES):
        who = ana if i % 2 == 0 else bo
        result = say(state, line, now + timedelta(minutes=i), who)
        state = result.state
        saved = result.replies[0]
        assert saved.tone is Tone.SAVED and saved.question == QUESTIONS[i].key and who.name in saved.title
        if i < 7:
            assert result.replies[1].title.startswith(f"Question {i + 2} of 8")
    assert state.stage is Stage.REVIEW
    assert state.answers["skills"].by == ana and state.answers["process"].by == bo
    assert state.answers["use_case"].at == now + timedelta(minutes=7)
    review = result.replies[-1]
    assert review.tone is Tone.REVIEW and review.scorecard.percent == 100
    assert [a.words for a in review.actions][:2] == ["finish", "edit 1"]


def test_finish_shows_score_level_gaps_and_next_steps(now, ana):
    lines = list(LINES)
    lines[4] = "none; not allocated; none"
    lines[5] = "1"
    state = answer_all(start(now, ana), now, ana, lines)
    result = say(state, "finish", now, ana)
    assert result.state.stage is Stage.FINISHED and result.state.finished_at == now
    (summary,) = result.replies
    assert summary.tone is Tone.SUMMARY
    assert summary.title == "Churn model: 75% · Not ready"
    assert "Blocking gaps: no production owner, no production budget" in summary.body
    assert "Before go-live, name the person who owns the model" in summary.body
    assert "Add data drift, outlier alerts, threshold alerts and retraining trigger" in summary.body


@pytest.mark.parametrize("line, message", [("9", "pick a number from 1 to 3"), ("maybe", "not one of the choices")])
def test_bad_answers_reprompt_with_a_one_line_reminder_and_change_nothing(line, message, now, ana):
    state = start(now, ana)
    result = say(state, line, now, ana)
    assert result.state == state
    (error,) = result.replies  # the reason and what works, not the whole question again
    assert error.tone is Tone.ERROR and message in error.title and error.question == "data"
    assert error.body == "Type: a number from the list (e.g. 2; nightly batch today, streaming planned for Q2), or skip."


def test_an_empty_line_asks_for_an_answer(now, ana):
    state = start(now, ana)
    result = say(state, "", now, ana)
    assert result.state == state and "Type an answer" in result.replies[0].title


@pytest.mark.parametrize(
    "position, line, message",
    [
        (4, "Dana; lots; none", "is not an amount"),
        (4, "Dana; 5000", "add a currency"),
        (2, "Cut churn; 6%; lower; 2027-01-01", "needs a number"),
        (2, "Cut churn; 6%; 4%; someday", "dates like 2027-06-30, 30/06/2027, June 2027, Q2 2027"),
        (5, "1,7", "not on the list"),
        (0, "1; " + "x" * 3001, "the limit is 3,000"),
    ],
)
def test_every_shape_reprompts_with_a_reason(position, line, message, now, ana):
    state = replace(start(now, ana), cursor=position)
    result = say(state, line, now, ana)
    assert result.state == state
    (error,) = result.replies
    assert message in error.title and error.question == QUESTIONS[position].key
    assert error.body.startswith("Type: ") and "\n" not in error.body


def test_an_roi_without_target_is_a_draft_that_asks_for_target_and_date(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:2])
    result = say(state, "Reduce churn", now, ana)
    saved = result.replies[0]
    assert result.state.answers["roi"].values["statement"] == "Reduce churn"
    assert "Saved as a draft" in saved.body and "What is the target, and by when?" in saved.body
    assert [a.words for a in saved.actions] == ["edit 3"]
    assert result.state.current.key == "governance"


def test_a_past_date_is_questioned_then_kept_on_yes(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:2])
    asked = say(state, "Cut churn; 6%; 4%; 2025-01-01", now, ana)
    assert "roi" not in asked.state.answers and asked.state.pending is not None
    (confirm,) = asked.replies
    assert confirm.tone is Tone.CONFIRM and "2025-01-01 is in the past" in confirm.title
    nagged = say(asked.state, "2; Priya", now, ana)
    assert nagged.state == asked.state and "yes or no" in nagged.replies[0].title
    kept = say(asked.state, "yes", now, ana)
    assert kept.state.answers["roi"].values["by_when"] == "2025-01-01" and kept.state.pending is None
    assert kept.state.current.key == "governance"


def test_a_past_date_refused_with_no_asks_again(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:2])
    asked = say(state, "Cut churn; 6%; 4%; 2025-01-01", now, ana)
    refused = say(asked.state, "no", now, ana)
    assert refused.state.pending is None and "roi" not in refused.state.answers
    note, again = refused.replies
    assert note.title == "Not saved: question 3 is asked again." and note.question == "roi"  # in place of the question to confirm
    assert again.question == "roi" and again.tone is Tone.QUESTION


def test_yes_and_no_are_answers_when_nothing_waits_for_confirmation(now, ana):
    state = replace(start(now, ana), cursor=6)  # skills: Yes / Partly / No
    result = say(state, "no", now, ana)
    assert result.state.answers["skills"].values["choice"] == "no"


def test_skip_leaves_a_gap_and_moves_on(now, ana):
    state = start(now, ana)
    result = say(state, "skip", now, ana)
    assert result.state.skipped == {"data"} and result.state.current.key == "process"
    assert "stays open as a gap" in result.replies[0].title


def test_skip_on_an_answered_question_keeps_the_answer(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:3])
    state = say(state, "edit 1", now, ana).state
    result = say(state, "skip", now, ana)
    assert "data" in result.state.answers and "data" not in result.state.skipped
    assert "Kept answer 1" in result.replies[0].title
    assert result.state.current.key == "governance"  # back to the first open question


def test_skipping_everything_reaches_review_with_all_gaps(now, ana):
    state = start(now, ana)
    for _ in QUESTIONS:
        state = say(state, "skip", now, ana).state
    assert state.stage is Stage.REVIEW and len(state.skipped) == 8
    result = say(state, "skip", now, ana)
    assert result.replies[0].tone is Tone.ERROR
    done = say(state, "finish", now, ana)
    assert done.state.stage is Stage.FINISHED and done.replies[0].scorecard.gaps == ("owner", "budget", "roi")


def test_back_goes_to_the_previous_question_and_not_before_the_first(now, ana):
    state = start(now, ana)
    first = say(state, "back", now, ana)
    assert first.state == state and "first question" in first.replies[0].title
    state = answer_all(state, now, ana, LINES[:2])
    back = say(state, "back", now, ana)
    assert back.state.current.key == "process"
    left, asked = back.replies
    assert (left.title, left.question) == ("Went back to question 2.", "roi")  # takes the place of question 3's message
    assert "Current answer: Defined stages" in asked.body


def test_back_from_review_goes_to_the_last_question(now, ana):
    state = answer_all(start(now, ana), now, ana)
    result = say(state, "back", now, ana)
    assert result.state.stage is Stage.ASKING and result.state.current.key == "use_case"


@pytest.mark.parametrize("line", ["edit", "edit 0", "edit 9", "edit x"])
def test_edit_needs_a_question_number(line, now, ana):
    state = start(now, ana)
    result = say(state, line, now, ana)
    assert result.state == state and "number from 1 to 8" in result.replies[0].title


def test_edit_changes_an_earlier_answer_and_returns_to_the_open_question(now, ana, bo):
    state = answer_all(start(now, ana), now, ana, LINES[:5])
    state = say(state, "edit 2", now, bo).state
    assert state.current.key == "process"
    result = say(state, "3", now, bo)
    assert result.state.answers["process"].values["choice"] == "improvised"
    assert result.state.answers["process"].by == bo
    assert result.state.current.key == "monitoring"


def test_edit_after_finishing_reopens_and_finishes_again(now, ana):
    state = say(answer_all(start(now, ana), now, ana), "finish", now, ana).state
    later = now + timedelta(days=3)
    state = say(state, "edit 6", later, ana).state
    assert state.stage is Stage.ASKING
    result = say(state, "1", later, ana)
    assert result.state.stage is Stage.FINISHED and result.state.finished_at == later
    assert result.replies[-1].tone is Tone.SUMMARY and result.replies[-1].scorecard.scores["monitoring"] == 0


def test_finish_while_asking_goes_to_review_first(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:3])
    review = say(state, "finish", now, ana)
    assert review.state.stage is Stage.REVIEW
    assert "Still open: 4, 5, 6, 7, 8" in review.replies[0].body
    done = say(review.state, "finish", now, ana)
    assert done.state.stage is Stage.FINISHED
    again = say(done.state, "finish", now, ana)
    assert again.state == done.state and again.replies[0].tone is Tone.SUMMARY


def test_reopen_a_finished_assessment(now, ana):
    state = answer_all(start(now, ana), now, ana)
    not_finished = say(state, "reopen", now, ana)
    assert not_finished.state == state and "still open" in not_finished.replies[0].title
    done = say(state, "finish", now, ana).state
    reopened = say(done, "reopen", now, ana)
    assert reopened.state.stage is Stage.REVIEW
    back_blocked = say(done, "back", now, ana)
    assert back_blocked.replies[0].tone is Tone.ERROR


def test_answers_in_review_are_pointed_to_the_commands(now, ana):
    state = answer_all(start(now, ana), now, ana)
    result = say(state, "1", now, ana)
    assert result.state == state and "All questions are answered. Type finish, review, or edit N" in result.replies[0].title


def test_a_skipped_question_is_not_called_answered(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:3])
    state = say(state, "skip", now, ana).state
    state = answer_all(state, now, ana, LINES[4:])
    assert state.stage is Stage.REVIEW
    result = say(state, "1", now, ana)
    assert result.state == state
    assert result.replies[0].title == "No question is being asked now; 4 is still open. Type edit N to answer one, review, or finish."


def test_status_help_resume_and_review_change_nothing(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES[:2])
    status = say(state, "status", now, ana)
    assert status.state == state
    assert status.replies[0].title == "Churn model · question 3 of 8 · 2 of 8 answered"
    assert "Blocking gaps: no production owner, no production budget, no measurable success metric" in status.replies[0].body
    help_ = say(state, "help", now, ana)
    assert "edit N" in help_.replies[0].body and help_.replies[1].question == "roi"
    resume = step(state, events.Resume(by=ana), now)
    assert resume.state == state and resume.replies[0].title == "Resuming Churn model at question 3 of 8."
    review = say(state, "review", now, ana)
    assert review.state == state and review.replies[0].tone is Tone.REVIEW


def test_continuing_a_finished_check_shows_its_result(now, ana):
    state = say(answer_all(start(now, ana), now, ana), "finish", now, ana).state
    resume = step(state, events.Resume(by=ana), now)
    assert resume.state == state
    assert resume.replies[0].title == "Churn model is finished; this is its result."  # not "Resuming … at finished"
    assert resume.replies[1].tone is Tone.SUMMARY


def test_unknown_commands_get_the_help_text(now, ana):
    state = start(now, ana)
    result = say(state, "/frobnicate now", now, ana)
    assert result.state == state
    assert "'/frobnicate' is not a command" in result.replies[0].title
    assert result.replies[1].title == "How this works"


def test_a_form_submits_every_field_at_once(now, ana):
    state = start(now, ana)
    result = step(
        state,
        events.Submit(
            question="ownership", values={"owner": {"id": "U7", "name": "Kim"}, "budget": "50k USD", "time": "1 day a week"}, by=ana
        ),
        now,
    )
    assert result.state.answers["ownership"].values["budget"] == {"amount": 50000, "currency": "USD"}
    assert result.state.owner == Person(name="Kim", id="U7")
    assert result.state.current.key == "data"  # answering another question does not move the cursor


def test_a_form_with_errors_reports_each_field(now, ana):
    state = start(now, ana)
    result = step(state, events.Submit(question="roi", values={"statement": "", "target": "lower"}, by=ana), now)
    assert result.state == state
    assert set(result.replies[0].errors) == {"statement", "target"}


def test_a_form_for_an_unknown_question_is_refused(now, ana):
    state = start(now, ana)
    result = step(state, events.Submit(question="vibes", values={}, by=ana), now)
    assert result.state == state and result.replies[0].tone is Tone.ERROR


def test_set_owner_and_sponsor(now, ana, bo):
    state = answer_all(start(now, ana), now, ana, LINES[:5])
    result = step(state, events.SetOwner(person=bo, by=ana), now)
    values = result.state.answers["ownership"].values
    assert values["owner"] == {"id": "U0BO", "name": "Bo Chen"} and values["budget"]["amount"] == 120000
    assert result.state.owner == bo
    fresh = step(start(now, ana), events.SetOwner(person=bo, by=ana), now).state
    assert fresh.answers["ownership"].values == {"owner": {"id": "U0BO", "name": "Bo Chen"}, "budget": None, "time": None}
    sponsored = step(state, events.SetSponsor(person=bo, by=ana), now)
    assert sponsored.state.sponsor == bo and "sponsor" in sponsored.replies[0].title


def test_a_skip_or_back_pressed_on_an_old_question_changes_nothing(now, ana, bo):
    state = start(now, ana)
    moved = say(state, "1", now, ana).state  # question 1 answered: question 2 is current
    for event in (events.Skip(by=bo, question="data"), events.Back(by=bo, question="data")):
        result = step(moved, event, now)
        assert result.state == moved
        assert result.replies[0].title == "Question 1 was already answered or skipped; this is where things stand."
        assert result.replies[1].question == "process"
    assert step(moved, events.Skip(by=bo, question="process"), now).state.skipped == {"process"}


def test_status_in_review_and_when_finished_says_so_once(now, ana):
    state = answer_all(start(now, ana), now, ana, LINES)
    reviewing = say(state, "status", now, ana).replies[0]
    assert reviewing.title == "Churn model · in review · 8 of 8 answered"  # not "8 of 8 answered" twice
    assert reviewing.body.startswith("Score so far: ")
    done = say(state, "finish", now, ana).state
    finished = say(done, "status", now, ana).replies[0]
    assert finished.title == "Churn model · finished · 8 of 8 answered" and finished.body.startswith("Score: ")


def at(state, number):
    return replace(state, cursor=number - 1)


def test_an_amount_that_reads_two_ways_is_asked_with_both_readings(now, ana):
    state = at(start(now, ana), 5)
    asked = say(state, "Marco Rossi; 120.000 €; 20%", now, ana)
    assert "ownership" not in asked.state.answers and asked.state.pending is not None
    (pick,) = asked.replies
    assert pick.tone is Tone.CONFIRM and pick.title == "Production budget: '120.000 €' can be read 2 ways. Which one did you mean?"
    assert [c.label for c in pick.choices] == ["120 000 EUR", "120 EUR"]
    assert [(a.verb, a.value) for a in pick.actions] == [
        (Verb.CHOOSE, "reading-1"),
        (Verb.CHOOSE, "reading-2"),
        (Verb.NO, None),
    ]
    nagged = say(asked.state, "yes", now, ana)
    assert nagged.state == asked.state and "Pick a reading by its number" in nagged.replies[0].title
    typed = say(asked.state, "1", now, ana)
    assert typed.state.answers["ownership"].values["budget"] == {"amount": Decimal(120000), "currency": "EUR"}
    assert typed.state.pending is None and typed.state.current.key == "monitoring"
    assert "Production budget: 120 000 EUR" in typed.replies[0].body
    assert score(typed.state.values).gaps == ("roi",)


def test_a_reading_is_picked_by_its_button(now, ana):
    asked = say(at(start(now, ana), 5), "Marco Rossi; 120.000 €; 20%", now, ana).state
    pressed = step(asked, events.Submit(question="ownership", values={"choice": "reading-2"}, by=ana, partial=True), now)
    assert pressed.state.answers["ownership"].values["budget"]["amount"] == Decimal(120)
    again = step(pressed.state, events.Submit(question="ownership", values={"choice": "reading-1"}, by=ana, partial=True), now)
    assert again.state == pressed.state and again.replies[0].title == "That choice is no longer open; this is where things stand."


def test_no_to_both_readings_asks_the_question_again(now, ana):
    asked = say(at(start(now, ana), 5), "Marco Rossi; 120.000 €; 20%", now, ana).state
    refused = say(asked, "no", now, ana)
    assert refused.state.pending is None and "ownership" not in refused.state.answers
    assert [(r.tone, r.question) for r in refused.replies] == [(Tone.INFO, "ownership"), (Tone.QUESTION, "ownership")]


def test_a_pending_reading_survives_being_stored_as_json(now, ana):
    asked = say(at(start(now, ana), 5), "Marco Rossi; 120.000 €; 20%", now, ana).state
    stored = json.loads(to_json({"pending": asdict(asked.pending)}))["pending"]
    assert stored["readings"][0]["values"]["budget"] == {"amount": "120000", "currency": "EUR"}
    loaded = replace(asked, pending=Pending(**stored))
    picked = say(loaded, "120 EUR", now, ana)
    assert picked.state.answers["ownership"].values["budget"] == {"amount": Decimal(120), "currency": "EUR"}


def test_old_answers_with_float_amounts_read_as_decimals(now, ana):
    answer = Answer(values={"owner": None, "budget": {"amount": 1234.5, "currency": "EUR"}, "time": None}, by=ana, at=now)
    assert answer.values["budget"]["amount"] == Decimal("1234.5")


def test_a_date_in_words_is_read_back_and_saved_on_yes(now, ana):
    state = at(start(now, ana), 3)
    asked = say(state, "Cut churn; 6%; 4%; end of Q2", now, ana)
    (confirm,) = asked.replies
    assert confirm.tone is Tone.CONFIRM and confirm.title == "By when: I read 'end of Q2' as 30 June 2027. Is that right?"
    kept = say(asked.state, "yes", now, ana)
    assert kept.state.answers["roi"].values["by_when"] == "2027-06-30"
    assert "By when: 30 June 2027" in kept.replies[0].body


def test_a_day_and_month_that_read_both_ways_are_asked(now, ana):
    asked = say(at(start(now, ana), 3), "Cut churn; 6%; 4%; 04/06/2027", now, ana)
    assert [c.label for c in asked.replies[0].choices] == ["4 June 2027", "6 April 2027"]
    picked = say(asked.state, "2", now, ana)
    assert picked.state.answers["roi"].values["by_when"] == "2027-04-06"


def test_an_unambiguous_day_first_date_is_not_asked_which(now, ana):
    asked = say(at(start(now, ana), 3), "Cut churn; 6%; 4%; 30/06/2027", now, ana)
    assert asked.replies[0].title == "By when: I read '30/06/2027' as 30 June 2027. Is that right?"
    assert not asked.replies[0].choices


def test_an_edit_keeps_the_parts_left_empty(now, ana):
    state = answer_all(start(now, ana), now, ana)
    editing = say(state, "edit 3", now, ana).state
    result = say(editing, "; 6%; 4%; 2027-03-31", now, ana)
    assert result.replies[0].tone is Tone.SAVED
    assert result.state.answers["roi"].values == {"statement": "Cut SME churn", "baseline": "6%", "target": "4%", "by_when": "2027-03-31"}


def test_monitoring_in_words(now, ana):
    result = say(at(start(now, ana), 6), "accuracy, data drift, alerts on thresholds", now, ana)
    assert result.state.answers["monitoring"].values["checks"] == ["accuracy_drift", "data_drift", "threshold_alerts"]


def test_the_gaps_form_keeps_one_answer_waiting_and_saves_the_rest(now, ana):
    state = start(now, ana)
    values = {"roi": {"statement": "Cut churn", "target": "4%", "by_when": "end of Q2"}, "ownership": {"budget": "120.000 €"}}
    result = step(state, events.Fill(values=values, by=ana), now)
    assert result.state.pending is not None and result.state.pending.question == "roi"
    assert "ownership" not in result.state.answers
    assert result.replies[-1].title.startswith("Answer 5 was not saved: Production budget: '120.000 €' can be read 2 ways.")
    one = step(state, events.Fill(values={"ownership": {"owner": "Dana", "budget": "120.000 €"}}, by=ana), now)
    assert one.state.pending is not None and one.state.pending.question == "ownership"
    chosen = step(one.state, events.Submit(question="ownership", values={"choice": "reading-1"}, by=ana, partial=True), now)
    assert chosen.state.answers["ownership"].values["budget"]["amount"] == 120000


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("Churn model", "Churn model"),
        ("start Churn model", "Churn model"),
        ("START  Churn model ", "Churn model"),
        ("Startup radar", "Startup radar"),
    ],
)
def test_a_name_typed_where_one_is_asked_may_be_the_start_command(typed, named):
    assert cmd.name_given(typed) == cmd.StartCheck(project=named)


@pytest.mark.parametrize("typed", ["", "start", "   ", "x" * 500])
def test_a_name_that_cannot_be_used_says_why(typed):
    assert isinstance(cmd.name_given(typed), cmd.Invalid)
