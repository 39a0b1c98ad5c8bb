"""People as the conversation knows them: a platform id (when there is one) and a name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAMED = "name:"  # the start of the key of someone known only by name (typed in a terminal or a form)


@dataclass(frozen=True)
class Person:
    name: str
    id: str | None = None  # the platform's user id; None for names typed in a terminal

    @property
    def key(self) -> str:
        """A stable identity: the platform id, or the name for people known only by name."""
        return self.id or NAMED + self.name.strip().lower()

    @classmethod
    def from_key(cls, key: str, *, name: str) -> Person:
        """The person a stored key stands for: no platform id for someone known only by name."""
        return cls(name=name, id=None if key.startswith(NAMED) else key)

    def as_value(self) -> dict[str, str | None]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_value(cls, value: Mapping[str, Any]) -> Person:
        return cls(name=str(value.get("name") or value.get("id")), id=value.get("id"))
