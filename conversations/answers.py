"""Reading answers: raw text or form values in, validated values, readings to choose from, or a helpful error out.

A typed answer is one line, its fields separated by ';' in the order the question
lists them ("2; Kafka migration planned"). Forms send the fields by key. Money and dates
are read the way people write them (money.py, dates.py); a value that reads two ways is
not guessed: the answer comes back with both readings for the person to pick from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conversations.dates import read_date, spoken
from conversations.money import as_amount, format_money, read_money, restored
from conversations.questions import MAX_TEXT, NONE_WORDS, Field, Kind, Question
from conversations.text import clip
from conversations.unreadable import Ambiguous, Invalid, Reading

__all__ = ["Invalid", "Parsed", "format_money", "parse_answer", "parse_field"]

MAX_NAME = 120


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one answer."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str | None = None  # a question to ask before the answer is saved
    readings: tuple[Reading, ...] = ()  # a field read two ways: each reading's whole answer, to pick one

    @property
    def ok(self) -> bool:
        return not self.errors


def split_line(question: Question, text: str) -> dict[str, str]:
    """Turn a typed line into raw field values, by position."""
    parts = [p.strip() for p in text.split(";", maxsplit=len(question.fields) - 1)]
    return {f.key: parts[i] for i, f in enumerate(question.fields) if i < len(parts)}


def parse_answer(question: Question, raw: Mapping[str, Any], *, today: date) -> Parsed:
    """Validate every field of one answer; collect all errors rather than stop at the first."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    notes: list[str] = []
    ambiguous: tuple[Field, Ambiguous] | None = None
    for f in question.fields:
        given = raw.get(f.key)
        if _blank(given):
            if f.required:
                errors[f.key] = f"{f.label} is needed" + (f" ({f.hint})." if f.hint else ".")
            else:
                values[f.key] = None
            continue
        try:
            if f.kind is Kind.DATE and not _is_none_word(str(given)):
                values[f.key], note = _date_read(f, str(given).strip(), today=today)
                notes += [note] if note else []
            else:
                values[f.key] = parse_field(f, given)
        except Ambiguous as two_ways:
            values[f.key] = None
            ambiguous = ambiguous or (f, two_ways)
        except Invalid as e:
            errors[f.key] = f"{f.label}: {e}"
    unknown = set(raw) - {f.key for f in question.fields}
    if unknown:
        errors["_"] = f"Unknown fields: {', '.join(sorted(unknown))}."
    if errors:
        return Parsed(values=values, errors=errors)
    if ambiguous:
        which, read = ambiguous
        readings = tuple(Reading({**values, which.key: _stored(which, r.value)}, r.label) for r in read.readings)
        ask = f"{which.label}: '{clip(read.text, 40)}' can be read {len(readings)} ways. Which one did you mean?"
        return Parsed(values=values, confirm=ask, readings=readings)
    if not notes:
        return Parsed(values=values)
    interpreted = any("I read" in note for note in notes)
    return Parsed(values=values, confirm=" ".join(notes) + (" Is that right?" if interpreted else " Keep it anyway?"))


def _date_read(f: Field, text: str, *, today: date) -> tuple[str, str]:
    """An ISO date and, when the text had to be interpreted or lies in the past, what to check with the person."""
    if len(text) > MAX_TEXT:
        parse_field(f, text)  # raises the length error
    read = read_date(text, today=today)
    past = read.value < today
    if read.literal:
        return read.value.isoformat(), f"{f.label} {read.value.isoformat()} is in the past." if past else ""
    note = f"{f.label}: I read '{clip(text, 40)}' as {spoken(read.value)}" + (", which is in the past." if past else ".")
    return read.value.isoformat(), note


def _stored(f: Field, value: Any) -> Any:
    """A reading's value in the shape the answer stores."""
    return value.isoformat() if isinstance(value, date) else value


def parse_field(f: Field, given: Any) -> Any:
    """Read one field; raises Invalid with a message a user can act on, or Ambiguous with the readings."""
    if isinstance(given, str):
        given = given.strip()
        if len(given) > MAX_TEXT:
            raise Invalid(f"that is {len(given):,} characters; the limit is {MAX_TEXT:,}. Shorten it and send it again.")
    reader = _READERS[f.kind]
    return reader(f, given)


def _blank(given: Any) -> bool:
    return given is None or (isinstance(given, str) and given.strip().lower() in ("", "skip"))


def _is_none_word(text: str) -> bool:
    return text.strip().lower().rstrip(".") in NONE_WORDS


def _choice(f: Field, given: Any) -> str:
    text = str(given).strip()
    numbered = ", ".join(f"{i}) {o.label}" for i, o in enumerate(f.options, 1))
    if text.isdigit():
        n = int(text)
        if 1 <= n <= len(f.options):
            return f.options[n - 1].key
        raise Invalid(f"pick a number from 1 to {len(f.options)}: {numbered}.")
    low = text.lower()
    for o in f.options:
        if low == o.key or low == o.label.lower():
            return o.key
    matches = [o for o in f.options if o.label.lower().startswith(low)]
    if len(matches) == 1:
        return matches[0].key
    raise Invalid(f"'{_clip(text)}' is not one of the choices. Pick one: {numbered}.")


def _text(f: Field, given: Any) -> str | None:
    text = str(given).strip()
    return None if _is_none_word(text) else text


def _measure(f: Field, given: Any) -> str | None:
    text = str(given).strip()
    if _is_none_word(text):
        return None
    if not re.search(r"\d", text):
        raise Invalid(f"a target needs a number to be measurable, e.g. 'below 4% a month' (you wrote '{_clip(text)}').")
    return text


def _person(f: Field, given: Any) -> dict[str, str | None] | None:
    if isinstance(given, Mapping):
        name = str(given.get("name") or given.get("id") or "").strip()
        pid = given.get("id")
        if not name:
            return None
        return {"id": str(pid) if pid else None, "name": name[:MAX_NAME]}
    text = str(given).strip()
    if _is_none_word(text):
        return None
    name = text.lstrip("@").strip()
    if not name:
        raise Invalid("name a person, e.g. 'Dana Lee', or 'none'.")
    if len(name) > MAX_NAME:
        raise Invalid(f"that is {len(name)} characters; a name can have at most {MAX_NAME}.")
    return {"id": None, "name": name}


def _money(f: Field, given: Any) -> dict[str, Any] | None:
    if isinstance(given, Mapping):  # a stored answer merged with a partial edit
        try:
            return {"amount": as_amount(given["amount"]), "currency": str(given["currency"])}
        except (KeyError, ArithmeticError, ValueError):
            raise Invalid("that is not an amount with a currency.") from None
    return read_money(str(given))


def _date(f: Field, given: Any) -> str | None:
    text = str(given).strip()
    if _is_none_word(text):
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # a stored answer or a date picker
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise Invalid(f"'{_clip(text)}' needs reading against today's date.")


# Words that name each monitoring check, so 'accuracy drift and data drift' or 'alerts on thresholds' read as the list.
CHECK_WORDS = {
    "accuracy_drift": ("accuracy", "performance"),
    "data_drift": ("data", "input", "feature"),
    "outlier_alerts": ("outlier", "anomal"),
    "threshold_alerts": ("threshold",),
    "retraining_trigger": ("retrain",),
}


def _checklist(f: Field, given: Any) -> list[str]:
    keys = [o.key for o in f.options]
    if isinstance(given, (list, tuple)):
        unknown = [g for g in given if g not in keys]
        if unknown:
            raise Invalid(f"unknown item(s): {', '.join(map(str, unknown))}.")
        return [k for k in keys if k in given]
    text = str(given).strip().lower()
    if text in ("all", "everything", "all of them", "all five"):
        return keys
    if _is_none_word(text) or text in ("0", "nothing"):
        return []
    picked: set[str] = set()
    for part in re.split(r"\s*(?:,|;|&|\+|\band\b|\bplus\b)\s*", text):
        part = part.strip(" .")
        if part:
            picked |= _checks_in(part, f)
    return [k for k in keys if k in picked]


def _checks_in(part: str, f: Field) -> set[str]:
    """The checks one piece of the list names: numbers ('1 2 4'), keys (Teams' multi-select) or words ('data drift')."""
    keys = [o.key for o in f.options]
    words = part.split()
    if all(w.isdigit() for w in words):
        if all(1 <= int(w) <= len(keys) for w in words):
            return {keys[int(w) - 1] for w in words}
    elif all(w in keys for w in words):
        return set(words)
    else:
        named = {key for key, stems in CHECK_WORDS.items() if any(stem in part for stem in stems)}
        if named:
            return named
    listed = ", ".join(f"{i}) {o.label.lower()}" for i, o in enumerate(f.options, 1))
    raise Invalid(f"'{_clip(part)}' is not on the list ({listed}); name them or use their numbers, e.g. '1, 2, 4', 'all' or 'none'.")


_READERS = {
    Kind.CHOICE: _choice,
    Kind.TEXT: _text,
    Kind.MEASURE: _measure,
    Kind.PERSON: _person,
    Kind.MONEY: _money,
    Kind.DATE: _date,
    Kind.CHECKLIST: _checklist,
}


def _clip(text: str) -> str:
    """User text quoted back in an error message: short."""
    return clip(text, 40)


def describe(question: Question, values: Mapping[str, Any] | None) -> str:
    """A one-line, human rendering of an answer ("Partly, workarounds planned · Notes: …")."""
    if values is None:
        return "not answered"
    every_field = question.rule.value in ("roi", "ownership")
    parts = []
    for f in question.fields:
        v = values.get(f.key)
        if f.kind is Kind.CHOICE:
            parts.append(next((o.label for o in f.options if o.key == v), str(v)))
        elif f.kind is Kind.CHECKLIST:
            ticked = [o.label for o in f.options if o.key in (v or [])]
            parts.append(", ".join(ticked) + f" ({len(ticked)} of {len(f.options)})" if ticked else "none in place")
        elif v is not None or every_field:
            parts.append(f"{f.label}: {_show(f, v)}")
    return " · ".join(parts)


def _show(f: Field, v: Any) -> str:
    if f.kind is Kind.MONEY:
        return format_money(v) if v else "not allocated"
    if f.kind is Kind.PERSON:
        return v["name"] if v else "none"
    if f.kind is Kind.DATE and v:
        return spoken(date.fromisoformat(v))
    return "none" if v is None else str(v)


def as_line(question: Question, values: Mapping[str, Any] | None) -> str:
    """An answer written back in the typed format, so it can be copied and changed."""
    if values is None:
        return ""
    out = []
    for f in question.fields:
        v = values.get(f.key)
        if v is None:
            out.append("")
        elif f.kind is Kind.CHOICE:
            out.append(str(next(i for i, o in enumerate(f.options, 1) if o.key == v)))
        elif f.kind is Kind.CHECKLIST:
            keys = [o.key for o in f.options]
            out.append(",".join(str(keys.index(k) + 1) for k in v) or "none")
        elif f.kind is Kind.MONEY:
            out.append(format_money(v))
        elif f.kind is Kind.PERSON:
            out.append(v["name"])
        else:
            out.append(str(v))
    while out and out[-1] == "":
        out.pop()
    return "; ".join(out)


def as_raw(question: Question, values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored values in the shapes parse_answer reads, so an answer can be merged with a partial form or line."""
    return {f.key: restored((values or {}).get(f.key)) for f in question.fields}


def merged(question: Question, stored: Mapping[str, Any] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answer with the given fields replaced, in the shapes parse_answer reads."""
    return {**as_raw(question, stored), **given}


def kept(question: Question, stored: Mapping[str, Any] | None, given: Mapping[str, str]) -> dict[str, Any]:
    """A typed line over a stored answer: a part left empty between ';' (or 'skip') keeps what is stored.

    Parts the line does not reach ('2' for '2; notes') are not kept: the new answer is the line as typed.
    """
    if stored is None:
        return dict(given)
    before = as_raw(question, stored)
    return {k: before[k] if _blank(v) else v for k, v in given.items()}


def partial_errors(question: Question, stored: Mapping[str, Any] | None, given: Mapping[str, Any], *, today: date) -> dict[str, str]:
    """What is wrong with the given fields, read together with the rest of the stored answer."""
    parsed = parse_answer(question, merged(question, stored, given), today=today)
    return {key: message for key, message in parsed.errors.items() if key in given}
