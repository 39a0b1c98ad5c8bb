from datetime import date

import pytest

from conversations.answers import Invalid, as_line, describe, parse_answer, parse_date, parse_field, parse_money, split_line
from conversations.questions import BY_KEY, MAX_TEXT, Kind

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "text, amount, currency",
    [
        ("120000 EUR", 120000, "EUR"),
        ("EUR 120,000", 120000, "EUR"),
        ("120k eur", 120000, "EUR"),
        ("€1.5M", 1500000, "EUR"),
        ("$50,000", 50000, "USD"),
        ("1.234.567 CHF", 1234567, "CHF"),
        ("1.234,50 EUR", 1234.5, "EUR"),
        ("£ 80 000", 80000, "GBP"),
        ("2500.75 usd", 2500.75, "USD"),
    ],
)
def test_money_amounts_and_currencies(text, amount, currency):
    assert parse_money(text) == {"amount": amount, "currency": currency}


@pytest.mark.parametrize(
    "text, message",
    [
        ("lots", "is not an amount"),
        ("120000", "add a currency"),
        ("-5 EUR", "positive amount"),
        ("0.00 EUR", "positive amount"),
        ("12abc34 EUR", "could not read"),
    ],
)
def test_bad_budgets_say_how_to_fix_them(text, message):
    with pytest.raises(Invalid, match=message):
        parse_money(text)


@pytest.mark.parametrize("text", ["not allocated", "Not allocated.", "none", "0", "no budget"])
def test_not_allocated_is_no_budget(text):
    assert parse_field(BY_KEY["ownership"].field("budget"), text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2027-06-30", date(2027, 6, 30)),
        ("30.06.2027", date(2027, 6, 30)),
        ("2027-02", date(2027, 2, 28)),
        ("Q3 2027", date(2027, 9, 30)),
        ("q1-2028", date(2028, 3, 31)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["next year", "2027-13-01", "31/31/2027", "soon"])
def test_unreadable_dates_show_the_format(text):
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        parse_date(text)


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
    ],
)
def test_checklist(text, expected):
    assert parse_field(BY_KEY["monitoring"].field("checks"), text) == expected


@pytest.mark.parametrize("text", ["6", "1,9", "drift"])
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
