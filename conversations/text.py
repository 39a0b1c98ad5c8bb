"""Plain-text helpers every interface needs: shortening, and splitting into pieces that fit."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, size: int) -> list[str]:
    """Split text on line breaks into pieces of at most `size` characters (a longer line is clipped)."""
    pieces, current = [], ""
    for line in text.split("\n"):
        line = clip(line, size)
        if current and len(current) + len(line) + 1 > size:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return pieces + ([current] if current else [])
