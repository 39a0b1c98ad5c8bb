"""What people type reaches the core without terminal escapes or control characters, from any interface."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations import events
from conversations.commands import StartCheck, Unknown, parse, read
from conversations.people import Person
from conversations.text import strip_controls

ANA = Person(name="ana")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("2; nightly\x1b[A", "2; nightly"),  # an arrow key, as a terminal without line editing sends it
        ("2; night\x1bOBly", "2; nightly"),  # the same in the terminal's application mode (SS3)
        ("\x1b[1;5Cnotes", "notes"),  # Ctrl-→, with parameters
        ("\x1b[200~pasted\x1b[201~", "pasted"),  # bracketed paste
        ("\x1b[31mred\x1b[0m", "red"),  # colours
        ("\x1b]0;a title\x07text", "text"),  # OSC ended by BEL
        ("\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # a hyperlink, OSC ended by ST
        ("\x9b31mC1\x9b0m", "C1"),  # the 8-bit CSI
        ("bell\x07 nul\x00 del\x7f bs\x08", "bell nul del bs"),
        ("alt\x1bb", "alt"),  # Alt-b as ESC b
        ("dangling\x1b", "dangling"),
        ("\x1b]0;never ended\nnext line", "\nnext line"),  # an unended string stops at its line
        ("Déjà vu — 中文 😀", "Déjà vu — 中文 😀"),  # text itself is never touched
    ],
)
def test_escape_sequences_and_control_characters_are_removed(typed, kept):
    assert strip_controls(typed) == kept


def test_line_breaks_and_tabs_stay_in_text_that_may_span_lines_and_are_spaces_in_one_line():
    typed = "first\r\nsecond\rthird\x0bfourth\u2028fifth\tcolumn"
    assert strip_controls(typed) == "first\nsecond\nthird\nfourth\nfifth\tcolumn"
    assert strip_controls(typed, multiline=False) == "first second third fourth fifth column"


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))))
def test_nothing_control_survives_and_cleaning_twice_changes_nothing(text):
    once = strip_controls(text)
    assert not CONTROL.search(once)
    assert strip_controls(once) == once
    assert "\n" not in strip_controls(text, multiline=False) and "\t" not in strip_controls(text, multiline=False)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_text_without_controls_is_left_as_it_is(text):
    assert strip_controls(text) == text


def test_an_answer_keeps_its_line_breaks_and_loses_its_escapes():
    event = read("2; nightly batch\x1b[A\r\nstreaming planned\x1b[D", by=ANA, question="data")
    assert event == events.Say(text="2; nightly batch\nstreaming planned", by=ANA, question="data")


def test_a_command_word_is_recognised_through_escapes():
    assert read("skip\x1b[A", by=ANA, question="data") == events.Skip(by=ANA, question="data")
    assert read("\x1b[3~edit 2", by=ANA) == events.Edit(number=2, by=ANA)


def test_a_project_name_is_one_clean_line():
    assert parse("start Churn\x1b[D\x1b[D model\x07") == StartCheck(project="Churn model")
    assert parse("start\tChurn\nmodel") == StartCheck(project="Churn model")


def test_words_that_are_not_a_command_reach_the_check_cleaned():
    assert parse("2; nightly\x1b[A\nand more") == Unknown(word="2;", text="2; nightly\nand more")
