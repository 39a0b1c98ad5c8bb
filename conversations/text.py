"""Plain-text helpers every interface needs: cleaning what people type, shortening, splitting into pieces that fit."""

from __future__ import annotations

import re


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


# Terminal escape sequences (ECMA-48), in their 7-bit (ESC …) and 8-bit (C1) forms: an arrow key
# arrives as ESC [ A, or ESC O A in a terminal's application mode; pasting may wrap the text in
# ESC [ 200~ … ESC [ 201~; OSC, DCS, SOS, PM and APC carry a string up to BEL or ST. A string that
# never ends stops at the end of its line, so it cannot swallow the rest of a multi-line answer.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                 # CSI: parameters, intermediates, final
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c\r\n]* (?:\x07|\x1b\\|\x9c)?  # strings
    | \x1b[NO][ -~]?                                      # SS2, SS3 and the character they shift
    | \x1b [ -/]* [0-~]?                                  # every other escape (ESC ( B, ESC 7, Alt-x…)
    """,
    re.VERBOSE,
)
_BREAKS = re.compile(r"\r\n?|[\n\x0b\x0c\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str, *, multiline: bool = True) -> str:
    """What a person typed, without terminal escape sequences and C0/C1 control characters.

    Text reaches the core from terminals, Slack and Teams; a control character in it would be
    stored, then garble every later line that shows it (or drive the terminal that prints it).
    Line breaks (any of CR LF, CR, LF, VT, FF, NEL, LS, PS) become LF and tabs stay when the text
    may span lines; otherwise each becomes a space, so the words either side stay apart.
    """
    text = _CONTROLS.sub("", _BREAKS.sub("\n", _ESCAPES.sub("", text)))
    return text if multiline else text.replace("\n", " ").replace("\t", " ")
