from datetime import date
from decimal import Decimal

import pytest

from conversations.answers import Invalid, as_line, describe, kept, parse_answer, parse_field, split_line
from conversations.dates import read_date
from conversations.money import format_money, read_money, restored
from conversations.questions import BY_KEY, MAX_TEXT, Kind
from conversations.unreadable import Ambiguous

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "text, amount, currency",
    [
        ("120000 EUR", "120000", "EUR"),
        ("120k eur", "120000", "EUR"),
        ("€1.5M", "1500000", "EUR"),
        ("$50,000", "50000", "USD"),
        ("USD 250,000", "250000", "USD"),
        ("1.234.567 CHF", "1234567", "CHF"),
        ("CHF 120'000", "120000", "CHF"),
        ("1.234,50 EUR", "1234.5", "EUR"),
        ("250.000,50 €", "250000.5", "EUR"),
        ("£ 80 000", "80000", "GBP"),
        ("2500.75 usd", "2500.75", "USD"),
        ("€120k/year", "120000", "EUR"),
        ("1.2 million USD", "1200000", "USD"),
        ("about 100k EUR", "100000", "EUR"),
        ("1,2 Mio EUR", "1200000", "EUR"),
        ("50k EUR per year", "50000", "EUR"),
        ("0.1 EUR", "0.1", "EUR"),
    ],
)
def test_money_as_people_write_it(text, amount, currency):
    read = read_money(text)
    assert read == {"amount": Decimal(amount), "currency": currency}
    assert isinstance(read["amount"], Decimal)


@pytest.mark.parametrize(
    "text, readings",
    [
        ("120.000 €", ["120 000 EUR", "120 EUR"]),
        ("Marco Rossi; 120.000 €"[13:], ["120 000 EUR", "120 EUR"]),
        ("1.200 USD", ["1 200 USD", "1.20 USD"]),
        ("EUR 120,000", ["120 000 EUR", "120 EUR"]),
    ],
)
def test_an_amount_that_reads_two_ways_is_not_guessed(text, readings):
    with pytest.raises(Ambiguous) as caught:
        read_money(text)
    assert [r.label for r in caught.value.readings] == readings


@pytest.mark.parametrize(
    "text, message",
    [
        ("lots", "is not an amount"),
        ("120000", "add a currency, e.g. '120000 EUR'"),
        ("-5 EUR", "positive amount"),
        ("0.00 EUR", "positive amount"),
        ("12abc34 EUR", "could not read"),
        ("5 bananas EUR", "could not read"),
    ],
)
def test_bad_budgets_say_how_to_fix_them(text, message):
    with pytest.raises(Invalid, match=message):
        read_money(text)


@pytest.mark.parametrize("text", ["not allocated", "Not allocated.", "none", "0", "no budget"])
def test_not_allocated_is_no_budget(text):
    assert parse_field(BY_KEY["ownership"].field("budget"), text) is None


def test_shown_amounts_read_back_as_the_same_amount():
    for amount in ("120000", "1234.5", "1200000", "0.1"):
        value = {"amount": Decimal(amount), "currency": "EUR"}
        assert read_money(format_money(value)) == value


def test_stored_amounts_come_back_as_decimals_old_floats_included():
    assert restored({"amount": "120000", "currency": "EUR"}) == {"amount": Decimal("120000"), "currency": "EUR"}
    assert restored({"amount": 1234.5, "currency": "EUR"})["amount"] == Decimal("1234.5")
    assert restored({"amount": 50000, "currency": "USD"})["amount"] == Decimal("50000")
    assert restored("100k EUR") == "100k EUR"


NOW = date(2026, 11, 30)


@pytest.mark.parametrize(
    "text, expected, literal",
    [
        ("2027-06-30", date(2027, 6, 30), True),
        ("30/06/2027", date(2027, 6, 30), False),
        ("30.06.2027", date(2027, 6, 30), False),
        ("04.06.2027", date(2027, 6, 4), False),
        ("06/30/2027", date(2027, 6, 30), False),
        ("June 2027", date(2027, 6, 30), False),
        ("30 June 2027", date(2027, 6, 30), False),
        ("end of June", date(2027, 6, 30), False),
        ("2027-02", date(2027, 2, 28), False),
        ("Q3 2027", date(2027, 9, 30), False),
        ("q1-2028", date(2028, 3, 31), False),
        ("end of Q2", date(2027, 6, 30), False),
        ("Q4", date(2026, 12, 31), False),
        ("next quarter", date(2027, 3, 31), False),
        ("end of this quarter", date(2026, 12, 31), False),
        ("H1 2027", date(2027, 6, 30), False),
        ("H2", date(2026, 12, 31), False),
        ("in 6 months", date(2027, 5, 30), False),
        ("next year", date(2027, 12, 31), False),
        ("2027", date(2027, 12, 31), False),
        ("by 30 June 2027", date(2027, 6, 30), False),
    ],
)
def test_dates_as_people_say_them(text, expected, literal):
    read = read_date(text, today=NOW)
    assert (read.value, read.literal) == (expected, literal)


def test_relative_dates_count_from_the_day_given_not_the_clock():
    assert read_date("in 6 months", today=date(2030, 1, 15)).value == date(2030, 7, 15)
    assert read_date("next quarter", today=date(2030, 1, 15)).value == date(2030, 6, 30)


@pytest.mark.parametrize(
    "text, readings", [("04/06/2027", ["4 June 2027", "6 April 2027"]), ("1/2/28", ["1 February 2028", "2 January 2028"])]
)
def test_a_day_and_month_that_read_both_ways_are_asked(text, readings):
    with pytest.raises(Ambiguous) as caught:
        read_date(text, today=NOW)
    assert [r.label for r in caught.value.readings] == readings


@pytest.mark.parametrize("text", ["2027-13-01", "31/31/2027", "soon", "whenever"])
def test_unreadable_dates_show_examples_of_what_works(text):
    with pytest.raises(Invalid, match="2027-06-30, 30/06/2027, June 2027, Q2 2027, H1 2027, end of Q2, next quarter or in 6 months"):
        read_date(text, today=NOW)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Dana Lee", {"id": None, "name": "Dana Lee"}),
        ("@dana", {"id": None, "name": "dana"}),
        ("@Dana Lee", {"id": None, "name": "Dana Lee"}),
        ("nobody", None),
        ("TBD", None),
    ],
)
def test_people(text, expected):
    assert parse_field(BY_KEY["ownership"].field("owner"), text) == expected


def test_person_from_a_form_keeps_the_platform_id():
    assert parse_field(BY_KEY["ownership"].field("owner"), {"id": "U9", "name": "Kim"}) == {"id": "U9", "name": "Kim"}


def test_a_name_over_the_limit_is_refused():
    with pytest.raises(Invalid, match="at most 120"):
        parse_field(BY_KEY["ownership"].field("owner"), "x" * 121)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,2,4", ["accuracy_drift", "data_drift", "threshold_alerts"]),
        ("4 1", ["accuracy_drift", "threshold_alerts"]),
        ("all", ["accuracy_drift", "data_drift", "outlier_alerts", "threshold_alerts", "retraining_trigger"]),
        ("none", []),
        ("2, 2", ["data_drift"]),
        ("accuracy drift and data drift", ["accuracy_drift", "data_drift"]),
        ("accuracy, data drift, alerts on thresholds", ["accuracy_drift", "data_drift", "threshold_alerts"]),
        ("Outlier alerts + retraining trigger", ["outlier_alerts", "retraining_trigger"]),
        ("data_drift accuracy_drift", ["accuracy_drift", "data_drift"]),
    ],
)
def test_checklist(text, expected):
    assert parse_field(BY_KEY["monitoring"].field("checks"), text) == expected


@pytest.mark.parametrize("text", ["6", "1,9", "drift", "alerts", "vibes and data drift"])
def test_checklist_refuses_items_not_on_the_list(text):
    with pytest.raises(Invalid, match="not on the list"):
        parse_field(BY_KEY["monitoring"].field("checks"), text)


def test_checklist_from_a_form():
    field = BY_KEY["monitoring"].field("checks")
    assert parse_field(field, ["data_drift", "accuracy_drift"]) == ["accuracy_drift", "data_drift"]
    with pytest.raises(Invalid, match="unknown"):
        parse_field(field, ["vibes"])


@pytest.mark.parametrize(
    "text, expected",
    [("1", "ready"), ("2", "partly"), ("legacy", "legacy"), ("Partly", "partly"), ("built", "ready")],
)
def test_choices_by_number_key_or_label(text, expected):
    assert parse_field(BY_KEY["data"].field("choice"), text) == expected


@pytest.mark.parametrize("text, message", [("7", "pick a number from 1 to 3"), ("0", "from 1 to 3"), ("maybe", "not one of the choices")])
def test_a_wrong_choice_lists_the_choices(text, message):
    with pytest.raises(Invalid, match=message) as caught:
        parse_field(BY_KEY["data"].field("choice"), text)
    assert "1) Built for AI workloads" in str(caught.value)


def test_a_target_must_be_measurable():
    field = BY_KEY["roi"].field("target")
    assert parse_field(field, "below 4%") == "below 4%"
    with pytest.raises(Invalid, match="needs a number"):
        parse_field(field, "much lower")


def test_text_over_the_limit_names_the_limit():
    with pytest.raises(Invalid, match="the limit is 3,000"):
        parse_field(BY_KEY["data"].field("notes"), "x" * (MAX_TEXT + 1))
    assert parse_field(BY_KEY["data"].field("notes"), "x" * MAX_TEXT) == "x" * MAX_TEXT


def test_a_line_splits_into_fields_and_the_last_keeps_semicolons():
    q = BY_KEY["data"]
    assert split_line(q, "2; a; b") == {"choice": "2", "notes": "a; b"}
    assert split_line(BY_KEY["roi"], "Cut churn") == {"statement": "Cut churn"}


def test_parse_answer_collects_every_error():
    parsed = parse_answer(BY_KEY["roi"], {"statement": "", "target": "lower", "by_when": "soon"}, today=TODAY)
    assert not parsed.ok
    assert set(parsed.errors) == {"statement", "target", "by_when"}


def test_a_date_in_the_past_asks_for_confirmation():
    parsed = parse_answer(BY_KEY["roi"], {"statement": "Cut churn", "target": "4%", "by_when": "2025-01-31"}, today=TODAY)
    assert parsed.ok and parsed.confirm == "By when 2025-01-31 is in the past. Keep it anyway?"


def test_a_date_read_from_words_is_said_back_to_be_confirmed():
    parsed = parse_answer(BY_KEY["roi"], {"statement": "Cut churn", "target": "4%", "by_when": "end of Q2"}, today=TODAY)
    assert parsed.ok and parsed.values["by_when"] == "2027-06-30"
    assert parsed.confirm == "By when: I read 'end of Q2' as 30 June 2027. Is that right?"


def test_a_date_written_out_is_saved_without_a_question():
    parsed = parse_answer(BY_KEY["roi"], {"statement": "Cut churn", "target": "4%", "by_when": "2027-06-30"}, today=TODAY)
    assert parsed.ok and parsed.confirm is None and not parsed.readings


def test_an_answer_that_reads_two_ways_comes_back_with_each_whole_reading():
    q = BY_KEY["ownership"]
    parsed = parse_answer(q, split_line(q, "Marco Rossi; 120.000 €; 20%"), today=TODAY)
    assert parsed.ok and parsed.confirm == "Production budget: '120.000 €' can be read 2 ways. Which one did you mean?"
    owner = {"id": None, "name": "Marco Rossi"}
    assert [r.value for r in parsed.readings] == [
        {"owner": owner, "budget": {"amount": Decimal(120000), "currency": "EUR"}, "time": "20%"},
        {"owner": owner, "budget": {"amount": Decimal(120), "currency": "EUR"}, "time": "20%"},
    ]


def test_an_error_elsewhere_comes_before_any_reading():
    q = BY_KEY["ownership"]
    parsed = parse_answer(q, {"owner": "x" * 200, "budget": "120.000 €"}, today=TODAY)
    assert not parsed.ok and not parsed.readings


def test_a_typed_line_over_a_stored_answer_keeps_the_parts_left_empty():
    q = BY_KEY["roi"]
    stored = {"statement": "Cut churn", "baseline": "6.1%", "target": "below 4%", "by_when": "2027-06-30"}
    raw = kept(q, stored, split_line(q, "; 6%; 4%; Q2 2027"))
    parsed = parse_answer(q, raw, today=TODAY)
    assert parsed.ok and parsed.values == {"statement": "Cut churn", "baseline": "6%", "target": "4%", "by_when": "2027-06-30"}
    assert kept(q, None, {"statement": ""}) == {"statement": ""}
    shorter = parse_answer(q, kept(q, stored, split_line(q, "Cut churn; 6%")), today=TODAY)
    assert shorter.values == {"statement": "Cut churn", "baseline": "6%", "target": None, "by_when": None}


def test_unknown_form_fields_are_refused():
    parsed = parse_answer(BY_KEY["data"], {"choice": "1", "secret": "x"}, today=TODAY)
    assert "_" in parsed.errors


@pytest.mark.parametrize("key", list(BY_KEY))
def test_answers_written_back_as_a_line_read_the_same(key):
    q = BY_KEY[key]
    parsed = parse_answer(q, split_line(q, q.example), today=TODAY)
    assert parsed.ok, parsed.errors
    again = parse_answer(q, split_line(q, as_line(q, parsed.values)), today=TODAY)
    assert again.values == parsed.values
    assert describe(q, parsed.values) != "not answered"


def test_every_field_kind_is_used_by_the_catalogue():
    kinds = {f.kind for q in BY_KEY.values() for f in q.fields}
    assert kinds == set(Kind)
