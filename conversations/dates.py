"""Dates as people say them: 'June 2027', '30/06/2027', 'end of Q2', 'next quarter', 'in 6 months', 'H1 2027'.

`dateparser` reads most of it, relative to the `today` the core is given (never the clock) and
preferring the future; small explicit rules cover what it lacks: quarters and halves, 'end of …',
and a month or year without a day (the deadline is its last day). A day and month that could be
either way round ('04/06/2027') come back as two readings to choose from, never a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from dateparser.date import DateDataParser

from conversations.text import clip
from conversations.unreadable import Ambiguous, Invalid, Reading

EXAMPLES = "dates like 2027-06-30, 30/06/2027, June 2027, Q2 2027, H1 2027, end of Q2, next quarter or in 6 months work"
ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})")
QUARTER = re.compile(r"(?:(?:the\s+)?end\s+of\s+)?(?:q([1-4])|h([12]))(?:\s*[/-]?\s*(\d{4}))?|(\d{4})\s*[/-]?\s*(?:q([1-4])|h([12]))")
RELATIVE_PERIOD = re.compile(
    r"(?:(?:the\s+)?end\s+of\s+)?(this|next)\s+(quarter|half|year)|(?:(?:the\s+)?end\s+of\s+)?(?:the\s+)?(quarter|year)"
)
LEADING = re.compile(r"^(?:by|before|until|no later than|due)\s+|^(?:by\s+)?(?:the\s+)?end\s+of\s+", re.IGNORECASE)


@dataclass(frozen=True)
class DateRead:
    """A date read from text, and whether the text said it outright (YYYY-MM-DD) or was interpreted."""

    value: date
    literal: bool


def read_date(text: str, *, today: date) -> DateRead:
    """One date; raises Ambiguous for a day/month order that reads both ways, Invalid for anything unreadable."""
    raw = " ".join(text.strip().split())
    low = raw.lower().rstrip(".")
    iso = ISO.fullmatch(low)
    if iso:
        return DateRead(_valid(raw, int(iso.group(1)), int(iso.group(2)), int(iso.group(3))), literal=True)
    numeric = NUMERIC.fullmatch(low)
    if numeric:
        return DateRead(_numeric(raw, numeric), literal=False)
    ruled = _period_end(low, today=today)
    if ruled is not None:
        return DateRead(ruled, literal=False)
    return DateRead(_parsed(raw, today=today), literal=False)


def _valid(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid(f"'{clip(raw, 40)}' is not a date on the calendar; {EXAMPLES}.") from None


def _numeric(raw: str, match: re.Match[str]) -> date:
    """'30/06/2027' is the 30th of June; '04/06/2027' could be April or June; '04.06.2027' is European."""
    first, separator, second, year_text = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if separator == "." or first > 12:
        return _valid(raw, year, second, first)
    if second > 12:
        return _valid(raw, year, first, second)
    day_first = _valid(raw, year, second, first)
    if first == second:
        return day_first
    month_first = _valid(raw, year, first, second)
    raise Ambiguous(raw, [Reading(day_first, spoken(day_first)), Reading(month_first, spoken(month_first))])


def _period_end(low: str, *, today: date) -> date | None:
    """Quarters and halves ('Q2 2027', 'end of Q2', 'H1', 'next quarter', 'end of the year'), which dateparser lacks."""
    q = QUARTER.fullmatch(low)
    if q:
        quarter, half, year = q.group(1) or q.group(5), q.group(2) or q.group(6), q.group(3) or q.group(4)
        last_month = int(quarter) * 3 if quarter else int(half) * 6
        if year:
            return _month_end(int(year), last_month)
        ends = _month_end(today.year, last_month)
        return ends if ends >= today else _month_end(today.year + 1, last_month)
    r = RELATIVE_PERIOD.fullmatch(low)
    if r:
        which, unit = r.group(1) or "this", r.group(2) or r.group(3)
        months = {"quarter": 3, "half": 6, "year": 12}[unit]
        last_month = ((today.month - 1) // months + 1) * months
        year = today.year
        if which == "next":
            last_month += months
            if last_month > 12:
                year, last_month = year + 1, last_month - 12
        return _month_end(year, last_month)
    return None


def _parsed(raw: str, *, today: date) -> date:
    """Everything else, through dateparser; a month or a year without a day means its last day."""
    stripped = LEADING.sub("", raw)
    base = datetime(today.year, today.month, today.day, 12)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "DMY", "RETURN_TIME_AS_PERIOD": True}
    found = DateDataParser(languages=["en"], settings=settings).get_date_data(stripped)
    if found.date_obj is None:
        if re.fullmatch(r"\d{4}", stripped):
            return date(int(stripped), 12, 31)
        raise Invalid(f"I could not read '{clip(raw, 40)}' as a date; {EXAMPLES}.")
    read = found.date_obj.date()
    duration = stripped.lower().startswith("in ")
    if found.period == "month" and not duration:
        return _month_end(read.year, read.month)
    if found.period == "year" and not duration:
        return date(read.year, 12, 31)
    return read


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def spoken(value: date) -> str:
    """A date as people say it, so a reading can be checked at a glance: '30 June 2027'."""
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"
