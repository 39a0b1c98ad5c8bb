"""What Teams' markdown would read into people's text, escaped once."""

from bot.teams.cards import escape


def test_lines_that_teams_would_draw_as_lists_are_shown_as_typed():
    assert escape("1. Data architecture: partly") == "1\\. Data architecture: partly"  # not an ordered list, clipped
    assert escape("- 1. Data architecture: next step") == "\\- 1. Data architecture: next step"  # not a bullet holding a list
    assert escape("a - b 2. c") == "a - b 2. c"  # only at the start of a line
    assert escape("R&D <new> *churn*") == "R&D &lt;new&gt; \\*churn\\*"
