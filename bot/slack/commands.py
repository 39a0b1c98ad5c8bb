"""/readiness: start, status, list, owner, sponsor, help."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Awaitable, Callable

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.slack import blocks
from bot.slack import settings as slack_settings
from bot.slack.delivery import Cards, Delivery, explain, notify
from conversations import events
from conversations.digest import digest
from conversations.machine import validate_project
from conversations.people import Person
from conversations.questions import TOTAL
from conversations.scoring import GAP_LABELS
from conversations.service import Place

PLATFORM = "slack"
MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|([^>]*))?>$")
MAX_LISTED = 20
HELP = (
    "*Preflight runs the AI execution readiness check with your team: "
    f"{TOTAL} questions, a score, and reminders until owner, budget and ROI are in place.*\n"
    "`/readiness start <project>` start the check for a project in this channel\n"
    "`/readiness status` where this channel's check stands (only you see it)\n"
    "`/readiness list` every check in this workspace\n"
    "`/readiness owner @person` name the production owner\n"
    "`/readiness sponsor @person` name the sponsor\n"
    "`/readiness snooze <days>` pause this channel's reminders\n"
    "`/readiness digest` preview your weekly sponsor digest\n"
    "`/readiness settings` reminder and digest settings (workspace admins)\n"
    "`/readiness help` this help"
)

Once = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[bool]]


class SlashCommands:
    def __init__(self, *, core: App, once: Once, cards: Cards) -> None:
        self.core = core
        self.once = once
        self.cards = cards

    @staticmethod
    def parse(command: dict) -> tuple[str, str, str | None]:
        """(subcommand, argument, the reply to acknowledge with, if the command ends there)."""
        sub, _, arg = (command.get("text") or "").strip().partition(" ")
        sub, arg = sub.lower(), arg.strip()
        if sub in ("", "help"):
            return sub, arg, HELP
        if sub == "start":
            problem = "Name the project, e.g. `/readiness start Churn model`." if not arg else validate_project(arg)
            return sub, arg, f"{blocks.escape(problem)}\n\n{HELP}" if problem else None
        if sub in ("owner", "sponsor"):
            return sub, arg, None if MENTION.match(arg) else f"Name the person with @, e.g. `/readiness {sub} @dana`.\n\n{HELP}"
        if sub == "snooze":
            return sub, arg, None if arg.isdigit() else f"For how many days? e.g. `/readiness snooze 7`.\n\n{HELP}"
        if sub in ("status", "list", "digest", "settings"):
            return sub, arg, None
        return sub, arg, f"I don't know `/readiness {blocks.escape(blocks.clip(sub, 40))}`.\n\n{HELP}"

    async def ack(self, ack: AsyncAck, command: dict) -> None:
        """Answer at once: the help, or what is wrong with the command, or nothing while the work goes on."""
        _, _, reply = self.parse(command)
        await ack(text=reply) if reply else await ack()

    async def work(self, command: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        """What the command does, after the ack."""
        sub, arg, reply = self.parse(command)
        if reply is not None:
            return
        user = Person(name=command.get("user_name") or command["user_id"], id=command["user_id"])
        team, channel = command["team_id"], command["channel_id"]
        key = f"cmd:{team}:{command.get('trigger_id')}"
        if sub == "start":
            await self.once(key, lambda: self.start(client=client, respond=respond, team=team, channel=channel, user=user, project=arg))
        elif sub in ("owner", "sponsor"):
            mention = MENTION.match(arg)
            assert mention is not None
            person = Person(name=mention.group(2) or mention.group(1), id=mention.group(1))
            event = events.SetOwner(person=person, by=user) if sub == "owner" else events.SetSponsor(person=person, by=user)
            await self.once(key, lambda: self.in_channel(client=client, respond=respond, team=team, channel=channel, user=user, event=event))
        elif sub == "snooze":
            snooze = events.Snooze(days=int(arg), by=user)
            await self.once(key, lambda: self.in_channel(client=client, respond=respond, team=team, channel=channel, user=user, event=snooze))
        elif sub == "status":
            await self.in_channel(client=client, respond=respond, team=team, channel=channel, user=user, event=events.Status(by=user))
        elif sub == "list":
            await respond(text=await self.listing(team=team), response_type="ephemeral")
        elif sub == "digest":
            await respond(text=await self.digest_preview(team=team, user=user), response_type="ephemeral")
        elif sub == "settings":
            await self.open_settings(client=client, respond=respond, team=team, user=user, trigger=command.get("trigger_id", ""))

    async def start(self, *, client: AsyncWebClient, respond: AsyncRespond, team: str, channel: str, user: Person, project: str) -> None:
        place = Place(platform=PLATFORM, workspace=team, channel=channel)
        started = await self.core.assessments.start(place=place, project=project, by=user, now=self.core.clock())
        assessment_id, replies = started.id, started.replies
        assert assessment_id is not None and started.state is not None
        try:
            posted = await client.chat_postMessage(
                channel=channel,
                text=blocks.card_text(started.state),
                blocks=blocks.card_blocks(started.state, assessment_id=assessment_id),
            )
        except SlackApiError as e:
            await self.core.store.delete_assessment(assessment_id=assessment_id)  # nothing was answered yet
            text = explain(e).replace(" Everything answered so far is saved.", "")
            await notify(client=client, respond=respond, channel=channel, user=user, text=f"I could not start the check here. {text}")
            return
        await self.core.store.set_thread(assessment_id=assessment_id, thread=posted["ts"])
        delivery = Delivery(client=client, assessment_id=assessment_id, place=replace(place, thread=posted["ts"]), user=user, respond=respond)
        await delivery.show(replies)

    async def in_channel(
        self, *, client: AsyncWebClient, respond: AsyncRespond, team: str, channel: str, user: Person, event: events.Event
    ) -> None:
        """Apply an event to the channel's latest assessment."""
        found = await self.core.store.latest_in_channel(platform=PLATFORM, workspace=team, channel=channel)
        if found is None:
            await respond(text="There is no readiness check in this channel yet. Start one with `/readiness start <project>`.", response_type="ephemeral")
            return
        outcome = await self.core.assessments.run(assessment_id=found, event=event, now=self.core.clock(), workspace=team)
        if isinstance(event, events.Status):
            await respond(text="\n".join(blocks.escape(r.text) for r in outcome.replies), response_type="ephemeral")
            return
        delivery = Delivery(client=client, assessment_id=found, place=outcome.place, user=user, respond=respond, cards=self.cards)
        await delivery.show(outcome.replies, changed=outcome.changed, state=outcome.state, version=outcome.version)

    async def digest_preview(self, *, team: str, user: Person) -> str:
        person_id = await self.core.store.person_id(platform=PLATFORM, workspace=team, person=user.id or "")
        projects = (await self.core.store.sponsored(person_ids=[person_id])).get(person_id or 0, []) if person_id else []
        notice = digest(user, projects, now=self.core.clock())
        if notice is None:
            return "You sponsor no readiness checks yet, so there is no digest. `/readiness sponsor @you` in a channel makes you the sponsor of its check."
        return blocks.clip(blocks.escape("\n\n".join((notice.title, *notice.lines))), blocks.MAX_TEXT)

    async def open_settings(self, *, client: AsyncWebClient, respond: AsyncRespond, team: str, user: Person, trigger: str) -> None:
        if not await slack_settings.is_admin(client, user.id or ""):
            await respond(text="Only workspace admins can change Preflight's settings.", response_type="ephemeral")
            return
        current = await self.core.store.settings(platform=PLATFORM, workspace=team)
        try:
            await client.views_open(trigger_id=trigger, view=slack_settings.modal(current))
        except SlackApiError as e:
            await respond(text=explain(e), response_type="ephemeral")

    async def listing(self, *, team: str) -> str:
        listed = await self.core.store.listing(platform=PLATFORM, workspace=team)
        if not listed:
            return "No readiness checks in this workspace yet. Start one with `/readiness start <project>`."
        lines = [f"*Readiness checks in this workspace ({len(listed)})*"]
        for item in listed[:MAX_LISTED]:
            gaps = ", ".join(GAP_LABELS[g] for g in item.gaps) or "no blocking gaps"
            lines.append(f"• {blocks.escape(str(item))} · {item.level} · {gaps}")
        if len(listed) > MAX_LISTED:
            lines.append(f"…and {len(listed) - MAX_LISTED} more (`preflight export` has them all).")
        return blocks.clip("\n".join(lines), blocks.MAX_TEXT)
