"""Reading answers: raw text or form values in, validated values or a helpful error out.

A typed answer is one line, its fields separated by ';' in the order the question
lists them ("2; Kafka migration planned"). Forms send the fields by key.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from conversations.questions import MAX_TEXT, NONE_WORDS, Field, Kind, Question
from conversations.text import clip

MAX_NAME = 120
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₣": "CHF"}
CURRENCIES = frozenset(
    "EUR USD GBP CHF JPY CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN INR CNY HKD SGD BRL MXN ZAR KRW TRY ILS AED SAR".split()
)
NOT_ALLOCATED = frozenset({"not allocated", "unallocated", "no budget", "none", "0", "nothing", "tbd"})


class Invalid(ValueError):
    """A value that cannot be read; the message tells the user how to fix it."""


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one answer."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str | None = None  # a question to ask before the answer is saved

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
    confirm = None
    for f in question.fields:
        given = raw.get(f.key)
        if _blank(given):
            if f.required:
                errors[f.key] = f"{f.label} is needed" + (f" ({f.hint})." if f.hint else ".")
            else:
                values[f.key] = None
            continue
        try:
            values[f.key] = parse_field(f, given)
        except Invalid as e:
            errors[f.key] = f"{f.label}: {e}"
            continue
        if f.kind is Kind.DATE and values[f.key] is not None and values[f.key] < today.isoformat():
            confirm = f"{f.label} {values[f.key]} is in the past. Keep it anyway?"
    unknown = set(raw) - {f.key for f in question.fields}
    if unknown:
        errors["_"] = f"Unknown fields: {', '.join(sorted(unknown))}."
    return Parsed(values=values, errors=errors, confirm=None if errors else confirm)


def parse_field(f: Field, given: Any) -> Any:
    """Read one field; raises Invalid with a message a user can act on."""
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
    text = str(given).strip()
    if text.lower().rstrip(".") in NOT_ALLOCATED:
        return None
    return parse_money(text)


def parse_money(text: str) -> dict[str, Any]:
    """'120k EUR', 'EUR 120,000', '€1.5M' -> {'amount': ..., 'currency': ...}."""
    example = "write an amount with a currency, e.g. '120000 EUR', or 'not allocated'"
    currency = None
    rest = text
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in rest:
            currency, rest = code, rest.replace(symbol, " ")
    words = re.findall(r"[A-Za-z]{3}\b", rest)
    codes = [w.upper() for w in words if w.upper() in CURRENCIES]
    if codes:
        currency = codes[0]
        rest = re.sub(rf"\b{codes[0]}\b", " ", rest, flags=re.IGNORECASE)
    number = rest.strip().replace(" ", "").replace("'", "").replace("\u00a0", "")
    match = re.fullmatch(r"([+-]?[\d.,]+)([kKmM]?)", number)
    if not match:
        if not re.search(r"\d", text):
            raise Invalid(f"'{_clip(text)}' is not an amount; {example}.")
        raise Invalid(f"I could not read '{_clip(text)}'; {example}.")
    amount = _decimal(match.group(1))
    if amount is None:
        raise Invalid(f"I could not read '{_clip(text)}'; {example}.")
    amount *= {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if amount <= 0:
        raise Invalid(f"a budget must be a positive amount; {example}.")
    if currency is None:
        raise Invalid(f"add a currency, e.g. '{_plain(amount)} EUR'.")
    return {"amount": _plain(amount), "currency": currency}


def _decimal(number: str) -> Decimal | None:
    if "," in number and "." in number:
        thousands = "," if number.rfind(",") < number.rfind(".") else "."
        number = number.replace(thousands, "").replace(",", ".")
    elif "," in number:
        number = number.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", number) else number.replace(",", ".")
    elif number.count(".") > 1:
        if not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", number):
            return None
        number = number.replace(".", "")
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def _plain(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _date(f: Field, given: Any) -> str | None:
    text = str(given).strip()
    if _is_none_word(text):
        return None
    return parse_date(text).isoformat()


def parse_date(text: str) -> date:
    """YYYY-MM-DD, DD.MM.YYYY, YYYY-MM (end of month) or 'Q3 2027' (end of quarter)."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if month and 1 <= int(month.group(2)) <= 12:
        y, m = int(month.group(1)), int(month.group(2))
        return date(y, m, calendar.monthrange(y, m)[1])
    quarter = re.fullmatch(r"[Qq]([1-4])\s*[/-]?\s*(\d{4})", text)
    if quarter:
        y, m = int(quarter.group(2)), int(quarter.group(1)) * 3
        return date(y, m, calendar.monthrange(y, m)[1])
    raise Invalid(f"'{_clip(text)}' is not a date I can read; write it as YYYY-MM-DD, e.g. 2027-06-30.")


def _checklist(f: Field, given: Any) -> list[str]:
    keys = [o.key for o in f.options]
    if isinstance(given, (list, tuple)):
        unknown = [g for g in given if g not in keys]
        if unknown:
            raise Invalid(f"unknown item(s): {', '.join(map(str, unknown))}.")
        return [k for k in keys if k in given]
    text = str(given).strip().lower()
    if text in ("all", "everything"):
        return keys
    if _is_none_word(text) or text == "0":
        return []
    picked: set[str] = set()
    for part in re.split(r"[,\s]+", text):
        if not part:
            continue
        if part.isdigit() and 1 <= int(part) <= len(keys):
            picked.add(keys[int(part) - 1])
            continue
        if part in keys:  # a form that sends the ticked options as one text (Teams' multi-select)
            picked.add(part)
            continue
        raise Invalid(f"'{_clip(part)}' is not on the list; use numbers from 1 to {len(keys)} separated by commas, 'all' or 'none'.")
    return [k for k in keys if k in picked]


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
    """Stored values in the shapes parse_answer reads, so an answer can be merged with a partial form."""
    raw: dict[str, Any] = {}
    for f in question.fields:
        v = (values or {}).get(f.key)
        raw[f.key] = format_money(v) if f.kind is Kind.MONEY and v else v
    return raw


def merged(question: Question, stored: Mapping[str, Any] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answer with the given fields replaced, in the shapes parse_answer reads."""
    return {**as_raw(question, stored), **given}


def partial_errors(question: Question, stored: Mapping[str, Any] | None, given: Mapping[str, Any], *, today: date) -> dict[str, str]:
    """What is wrong with the given fields, read together with the rest of the stored answer."""
    parsed = parse_answer(question, merged(question, stored, given), today=today)
    return {key: message for key, message in parsed.errors.items() if key in given}


def format_money(v: Mapping[str, Any]) -> str:
    amount = v["amount"]
    text = f"{amount:,}" if isinstance(amount, int) else f"{amount:,.2f}"
    return f"{text} {v['currency']}"
