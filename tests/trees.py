"""Walking the nested dicts and lists of a message or card, as the platforms send and receive them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def dicts_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in `node`, itself included, depth first in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from dicts_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from dicts_in(value)
