"""The App Home tab: the checks a person started, owns or sponsors."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks
from conversations.messages import Action, Verb
from conversations.ports import Listing
from conversations.scoring import GAP_LABELS

MAX_SHOWN = 15  # three blocks each, within Slack's limit for a Home tab


def view(listed: list[Listing]) -> dict[str, Any]:
    made: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your AI readiness checks"}},
        blocks.context("Checks you started, own or sponsor. Start one in any channel with `/readiness start <project>`."),
    ]
    if not listed:
        made.append(blocks.section("Nothing yet."))
    for item in listed[:MAX_SHOWN]:
        gaps = ", ".join(GAP_LABELS[g] for g in item.gaps) or "none"
        made.append({"type": "divider"})
        made.append(
            {
                "type": "section",
                "text": blocks.mrkdwn(f"*{blocks.escape(item.project)}*\n{blocks.escape(str(item))} · {item.level}\nOpen gaps: {gaps}"),
                "accessory": blocks.button(Action("Continue", Verb.RESUME), assessment_id=item.id, style="primary"),
            }
        )
    return {"type": "home", "blocks": blocks.limit_blocks(made)}
