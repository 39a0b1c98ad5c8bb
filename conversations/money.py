"""Amounts of money as people type them: '120.000 €', '€120k/year', '1.2 million USD', 'USD 250,000'.

Numbers are read with Babel's locale rules (`parse_decimal`, strict), once with a decimal point
(en_US) and once with a decimal comma (de_DE). When the two disagree ('120.000' is 120 in one and
120 000 in the other) both readings are returned and the person is asked; a budget is never
silently off by a factor of a thousand. Amounts are `Decimal` in the core and a string in stored
JSON; older answers stored the amount as a JSON number, and `as_amount` reads both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import NumberFormatError, list_currencies, parse_decimal

from conversations.text import clip
from conversations.unreadable import Ambiguous, Invalid, Reading

NOT_ALLOCATED = frozenset({"not allocated", "unallocated", "no budget", "none", "0", "nothing", "tbd", "not yet", "n/a"})
EXAMPLE = "write an amount with a currency, e.g. '120000 EUR', '€120k', '1.2 million USD', or 'not allocated'"
SYMBOLS = {"€": "EUR", "us$": "USD", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₪": "ILS", "₺": "TRY", "zł": "PLN"}
# Currencies written with a decimal point everywhere they are used: a comma in their amounts groups thousands.
POINT_CURRENCIES = frozenset("USD GBP JPY CNY INR AUD NZD HKD SGD KRW ILS MXN".split())
MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
# Words around an amount that do not change it: 'about 100k EUR', '€120k/year', 'EUR 50k per year'.
FILLER = re.compile(
    r"\b(?:about|around|approx(?:imately)?|roughly|circa|ca|some|up to|per|a|an|each|every|/)\s*"
    r"|\b(?:year|yr|annum|annually|yearly|p\.?a\.?|month|monthly|mo)\b\.?"
    r"|[~≈/]",
    re.IGNORECASE,
)
NUMBER = re.compile(r"(?P<number>\d[\d.,'’\s\u00a0\u202f]*?)\s*(?P<multiplier>[a-z]+)?", re.IGNORECASE)
LOCALES = ("en_US", "de_DE")


def _iso_codes() -> frozenset[str]:
    return frozenset(list_currencies())


ISO_CODES = _iso_codes()


def read_money(text: str) -> dict[str, Any] | None:
    """An amount and currency, or None for 'not allocated'; raises Ambiguous or Invalid."""
    text = text.strip()
    if text.lower().rstrip(".") in NOT_ALLOCATED:
        return None
    currency, rest = _currency(text)
    rest = FILLER.sub(" ", rest).strip(" .")
    if rest.startswith(("-", "−")) and NUMBER.fullmatch(rest[1:].strip()):
        raise Invalid(f"a budget must be a positive amount; {EXAMPLE}.")
    match = NUMBER.fullmatch(rest)
    if not match:
        if not re.search(r"\d", text):
            raise Invalid(f"'{clip(text, 40)}' is not an amount; {EXAMPLE}.")
        raise Invalid(f"I could not read '{clip(text, 40)}'; {EXAMPLE}.")
    word = (match.group("multiplier") or "").lower()
    if word and word not in MULTIPLIERS:
        raise Invalid(f"I could not read '{clip(text, 40)}'; {EXAMPLE}.")
    factor = MULTIPLIERS.get(word, 1)
    amounts = [_exact(a * factor) for a in _readings(match.group("number"), currency=currency)]
    if not amounts:
        raise Invalid(f"I could not read the number in '{clip(text, 40)}'; {EXAMPLE}.")
    if any(a <= 0 for a in amounts):
        raise Invalid(f"a budget must be a positive amount; {EXAMPLE}.")
    if currency is None:
        raise Invalid(f"add a currency, e.g. '{amounts[-1]} EUR'.")
    values = [{"amount": a, "currency": currency} for a in amounts]
    if len(values) > 1:
        raise Ambiguous(text, [Reading(v, format_money(v)) for v in values])
    return values[0]


def _currency(text: str) -> tuple[str | None, str]:
    """The ISO code written or symbolised in the text, and the text without it."""
    found: str | None = None
    rest = text
    for symbol, code in SYMBOLS.items():
        if symbol in rest.lower():
            found = found or code
            rest = re.sub(re.escape(symbol), " ", rest, flags=re.IGNORECASE)
    for word in re.findall(r"(?<![A-Za-z])[A-Za-z]{3}(?![A-Za-z])", rest):
        if word.upper() in ISO_CODES and word.lower() not in MULTIPLIERS:
            found = found or word.upper()
            rest = re.sub(rf"(?<![A-Za-z]){word}(?![A-Za-z])", " ", rest)
            break
    return found, rest


def _readings(number: str, *, currency: str | None) -> list[Decimal]:
    """Every value the number has under the locales that could have written it, smallest last."""
    compact = re.sub(r"[\s'’\u00a0\u202f]", "", number)
    locales: tuple[str, ...] = LOCALES
    if currency in POINT_CURRENCIES and "," in compact:
        locales = ("en_US",)
    found: list[Decimal] = []
    for locale in locales:
        try:
            value = parse_decimal(compact, locale=locale, strict=True)
        except (NumberFormatError, InvalidOperation):
            continue
        if value not in found:
            found.append(value)
    return sorted(found, reverse=True)


def _exact(amount: Decimal) -> Decimal:
    """The amount without trailing zeros or an exponent: Decimal('1.2E+6') -> Decimal('1200000')."""
    normal = amount.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def as_amount(value: Any) -> Decimal:
    """A stored amount (a string, or a number from older answers) as a Decimal."""
    if isinstance(value, Decimal):
        return value
    return _exact(Decimal(str(value)))


def restored(value: Any) -> Any:
    """A stored money value with its amount a Decimal again; anything else unchanged."""
    if isinstance(value, Mapping) and set(value) == {"amount", "currency"} and not isinstance(value["amount"], Decimal):
        try:
            return {"amount": as_amount(value["amount"]), "currency": value["currency"]}
        except (InvalidOperation, ValueError):
            return value
    return value


def format_amount(amount: Any) -> str:
    """120000 -> '120 000'; 1234.5 -> '1 234.50'.

    Thousands are grouped with spaces (as ISO 80000 does), so what is shown reads back the same
    anywhere: '120,000' would be 120 to half of Europe, and a form filled with it would ask again.
    """
    exact = as_amount(amount)
    decimals = max(0, -int(exact.as_tuple().exponent))
    text = f"{exact:,.0f}" if decimals == 0 else f"{exact:,.{max(2, decimals)}f}"
    return text.replace(",", " ")


def format_money(value: Mapping[str, Any]) -> str:
    return f"{format_amount(value['amount'])} {value['currency']}"
