"""The two ways reading a typed value can fail to settle on one value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class Invalid(ValueError):
    """A value that cannot be read; the message tells the user how to fix it."""


@dataclass(frozen=True)
class Reading:
    """One way to read what someone typed: the value, and how to say it back."""

    value: Any
    label: str


class Ambiguous(ValueError):
    """A value that reads two ways (120.000 €: 120 or 120 000?); the person picks, nothing is guessed."""

    def __init__(self, text: str, readings: Sequence[Reading]) -> None:
        super().__init__(f"'{text}' can be read {len(readings)} ways")
        self.text = text
        self.readings = tuple(readings)
