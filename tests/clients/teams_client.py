"""A person in Teams: sees the latest version of every message, presses buttons on cards as drawn.

The bot's replies land at the fake connector (the network edge); a message updated in place shows
its newest card, as Teams shows it. A press goes through the real renderer (browser.Renderer) and
what its onExecuteAction hands over is posted back to /api/messages as Teams' `message` activity
with `value` and `replyToId`, the way Teams delivers an Action.Submit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

from tests.bot.teams.conftest import CHANNEL, Teams
from tests.bot.teams.fake_connector import FakeConnector
from tests.clients.browser import Drawn, Pressed, Renderer, clean

DATA = Path(__file__).with_name("data")


@dataclass
class Message:
    id: str
    conversation: str
    card: dict[str, Any] | None  # the newest Adaptive Card of this message, if it holds one
    text: str | None
    updates: int = 0


def screen(connector: FakeConnector, conversation: str | None = None) -> list[Message]:
    """Every message the bot posted, in order, each as it looks now."""
    found: dict[str, Message] = {}
    for verb, cid, activity in connector.calls:
        if verb not in ("send", "update"):
            continue
        cards = [a["content"] for a in activity.get("attachments") or [] if a.get("contentType", "").endswith("adaptive")]
        if verb == "send":
            found[activity["_id"]] = Message(activity["_id"], cid, cards[0] if cards else None, activity.get("text"))
        elif activity["_id"] in found:
            old = found[activity["_id"]]
            found[activity["_id"]] = Message(old.id, old.conversation, cards[0] if cards else None, activity.get("text"), old.updates + 1)
    return [m for m in found.values() if conversation is None or m.conversation == conversation]


# Teams reads one property of its own on a card, `msteams` (mention entities, full width), which
# the Adaptive Cards schema does not know of; it is allowed in the shape Teams documents, and only that.
MSTEAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "width": {"enum": ["Full"]},
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "text", "mentioned"],
                "properties": {
                    "type": {"enum": ["mention"]},
                    "text": {"type": "string", "pattern": "^<at>.+</at>$"},
                    "mentioned": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "name"],
                        "properties": {"id": {"type": "string", "minLength": 1}, "name": {"type": "string"}},
                    },
                },
            },
        },
    },
}


@cache
def _validator(version: str) -> Draft6Validator:
    schema = json.loads((DATA / f"adaptive-card-{version}.schema.json").read_text())
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = MSTEAMS
    return Draft6Validator(schema)


def schema_errors(card: dict[str, Any]) -> list[str]:
    """The card checked against the Adaptive Cards schema of the version it declares (plus `msteams`)."""
    body = clean(card)
    validator = _validator(str(body.get("version")))
    found = []
    for error in validator.iter_errors(body):
        deepest = best_match([error, *error.context]) if error.context else error
        found.append(f"/{'/'.join(str(p) for p in deepest.absolute_path)}: {deepest.message[:300]}")
    return found


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


@dataclass
class Person:
    """Someone in Teams who reads cards through the renderer and presses their buttons."""

    teams: Teams
    renderer: Renderer
    shots: Path | None = None
    user: dict[str, str] | None = None
    conversation: str = CHANNEL
    kind: str = "channel"
    seen: dict[str, Drawn] = field(default_factory=dict)  # screenshot name -> the card as drawn

    def messages(self) -> list[Message]:
        return screen(self.teams.connector, self.conversation)

    def cards(self) -> list[Message]:
        return [m for m in self.messages() if m.card is not None]

    def look(self, message: Message, name: str | None = None) -> Drawn:
        """Draw a message's card as it is now (and keep a screenshot when named)."""
        assert message.card is not None, message
        shot = self.shots / f"{slug(name)}.png" if name and self.shots else None
        drawn = self.renderer.render(message.card, screenshot=shot)
        if name:
            self.seen[name] = drawn
        return drawn

    def find(self, needle: str) -> Message:
        """The newest card whose drawn text contains `needle`."""
        words = [w.strip("*") for w in needle.split()]
        for message in reversed(self.cards()):
            assert message.card is not None
            raw = json.dumps(message.card, ensure_ascii=False)
            if all(w in raw for w in words) and needle in self.renderer.render(message.card).text:  # draw only the likely ones
                return message
        raise AssertionError(f"no card shows {needle!r}; cards: {[self.renderer.render(m.card).text[:80] for m in self.cards() if m.card]}")

    async def say(self, text: str, **kw: Any) -> int:
        return await self.teams.say(
            text, conversation=self.conversation, kind=self.kind, **({"user": self.user} if self.user else {}), **kw
        )

    async def press(self, message: Message, title: str, fill: dict[str, Any] | None = None, *, shot: str | None = None) -> Pressed:
        """Fill the card's inputs in the browser, click `title`, and send Teams' activity for it."""
        assert message.card is not None, message
        path = self.shots / f"{slug(shot)}.png" if shot and self.shots else None
        pressed = self.renderer.press(message.card, title, fill, screenshot=path)
        assert pressed.pressed, f"{pressed.reason}; the card's buttons: {pressed.drawn.buttons}"
        if len(pressed.executed) == 1:
            activity = self.teams.activity(
                value=pressed.data,
                reply_to=message.id,
                conversation=message.conversation,
                kind=self.kind,
                **({"user": self.user} if self.user else {}),
            )
            status = await self.teams.post(activity)
            assert status in (200, 201, 202), status
        return pressed
