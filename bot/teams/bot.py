"""The Teams bot: activities in, neutral events to the core, Adaptive Cards out."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.bootstrap import App
from bot.teams import cards
from conversations import events
from conversations.answers import partial_errors
from conversations.commands import read
from conversations.digest import digest
from conversations.machine import State, validate_project
from conversations.messages import Reply, Tone
from conversations.people import Person
from conversations.prompts import NOT_FOUND
from conversations.questions import BY_KEY, TOTAL
from conversations.scoring import GAP_FIELDS, GAP_LABELS, score
from conversations.service import NotFound, Place
from storage.teams_references import TeamsReferences

log = logging.getLogger(__name__)
PLATFORM = "teams"
HELP = (
    f"**Preflight runs the AI execution readiness check with your team: {TOTAL} questions, a score, and reminders "
    "until owner, budget and ROI are in place.** Mention me with:\n\n"
    "- **start** *project*: start the check in this conversation\n"
    "- **status**: where this conversation's check stands\n"
    "- **list**: every check in this organisation\n"
    "- **owner** @person / **sponsor** @person: name the production owner or the sponsor\n"
    "- **snooze** *days*: pause this conversation's reminders\n"
    "- **digest**: preview your weekly sponsor digest\n"
    "- **help**: this help"
)


def tenant_of(activity: Activity) -> str:
    """The tenant is the workspace: from the conversation, else from Teams' channel data."""
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return tenant or ""


def person_of(activity: Activity) -> Person:
    sender = activity.from_property
    return Person(name=(sender.name or sender.id or "someone") if sender else "someone", id=sender.id if sender else None)


def mentions(activity: Activity) -> list[Person]:
    """The people @mentioned in a message, the bot left out."""
    found = []
    for entity in activity.entities or []:
        data = {**(getattr(entity, "additional_properties", None) or {}), **entity.serialize()}
        mentioned = data.get("mentioned") or {}
        if data.get("type") == "mention" and mentioned.get("id") and mentioned["id"] != activity.recipient.id:
            found.append(Person(name=mentioned.get("name") or mentioned["id"], id=mentioned["id"]))
    return found


def attachment(card: dict[str, Any]) -> Any:
    return CardFactory.adaptive_card(card)


def _id(value: dict[str, Any]) -> int:
    raw = value.get("a")
    return raw if isinstance(raw, int) and 0 < raw < 2**31 else 0


class TeamsBot(ActivityHandler):
    def __init__(self, *, core: App, references: TeamsReferences) -> None:
        self.core = core
        self.references = references

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not tenant_of(activity):
            log.info("activity without a tenant ignored")
            return
        await self._remember(turn_context)
        if activity.type == ActivityTypes.message and activity.id:
            key = f"teams:{tenant_of(activity)}:{activity.conversation.id}:{activity.id}"[:200]
            if not await self.core.store.claim(key=key, now=self.core.clock()):
                return  # a redelivery of a message already handled
            try:
                await super().on_turn(turn_context)
            except BaseException:
                await self.core.store.release(key=key)
                raise
            return
        await super().on_turn(turn_context)

    async def _remember(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        reference = TurnContext.get_conversation_reference(activity)
        kind = getattr(activity.conversation, "conversation_type", None) or "personal"
        user = activity.from_property.id if kind == "personal" and activity.from_property else None
        await self.references.remember(
            tenant=tenant_of(activity), conversation_id=activity.conversation.id, kind=kind,
            reference=reference.serialize(), now=self.core.clock(), user_id=user,
        )
        zone = getattr(activity, "local_timezone", None)
        if zone and activity.from_property and activity.from_property.id:
            await self.core.store.set_time_zone(
                platform=PLATFORM, workspace=tenant_of(activity), person=person_of(activity), tz=zone, now=self.core.clock()
            )

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        """The app was removed: that tenant's data goes with it (an upgrade keeps it)."""
        if turn_context.activity.action == "remove":
            await self.core.store.delete_workspace(platform=PLATFORM, workspace=tenant_of(turn_context.activity))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("pf"):
            await self._submitted(turn_context, activity.value)
            return
        text = (TurnContext.remove_recipient_mention(activity) or "").strip()
        word, _, rest = text.partition(" ")
        await self._command(turn_context, word.lower(), rest.strip())

    # -- typed commands ----------------------------------------------------------------

    async def _command(self, turn_context: TurnContext, word: str, rest: str) -> None:
        activity = turn_context.activity
        user, tenant = person_of(activity), tenant_of(activity)
        if word in ("", "help"):
            await turn_context.send_activity(MessageFactory.text(HELP))
            return
        if word == "start":
            problem = "Name the project, e.g. **start Churn model**." if not rest else validate_project(rest)
            if problem:
                await turn_context.send_activity(MessageFactory.text(f"{cards.escape(problem)}\n\n{HELP}"))
                return
            await self._start(turn_context, project=rest, user=user, tenant=tenant)
            return
        if word == "list":
            listed = await self.core.store.listing(platform=PLATFORM, workspace=tenant)
            lines = [f"- {cards.escape(str(i))} · {i.level} · " + (", ".join(GAP_LABELS[g] for g in i.gaps) or "no blocking gaps") for i in listed[:20]]
            await turn_context.send_activity(MessageFactory.text("\n".join(lines) or "No readiness checks here yet. Mention me with **start** *project*."))
            return
        if word == "digest":
            person_id = await self.core.store.person_id(platform=PLATFORM, workspace=tenant, person=user.id or "")
            projects = (await self.core.store.sponsored(person_ids=[person_id])).get(person_id, []) if person_id else []
            notice = digest(user, projects, now=self.core.clock())
            if notice is None:
                await turn_context.send_activity(MessageFactory.text("You sponsor no readiness checks yet, so there is no digest."))
            else:
                await turn_context.send_activity(MessageFactory.attachment(attachment(cards.notice_card(notice))))
            return
        found = await self.core.store.latest_in_channel(platform=PLATFORM, workspace=tenant, channel=activity.conversation.id)
        if word in ("owner", "sponsor"):
            mentioned = mentions(activity)
            if not mentioned:
                await turn_context.send_activity(MessageFactory.text(f"Name the person with @, e.g. **{word}** @Dana.\n\n{HELP}"))
                return
            person = mentioned[0]
            event: events.Event = events.SetOwner(person=person, by=user) if word == "owner" else events.SetSponsor(person=person, by=user)
        elif word == "snooze":
            event = events.Snooze(days=int(rest) if rest.isdigit() else None, by=user)
        elif word == "status":
            event = events.Status(by=user)
        elif found is not None:
            event = read(f"{word} {rest}".strip(), by=user)  # a typed answer or command for the check here
        else:
            await turn_context.send_activity(MessageFactory.text(f"I don't know **{cards.escape(word[:40])}**.\n\n{HELP}"))
            return
        if found is None:
            await turn_context.send_activity(MessageFactory.text("There is no readiness check in this conversation yet. Mention me with **start** *project*."))
            return
        await self._turn(turn_context, assessment_id=found, event=event, tenant=tenant)

    async def _start(self, turn_context: TurnContext, *, project: str, user: Person, tenant: str) -> None:
        place = Place(platform=PLATFORM, workspace=tenant, channel=turn_context.activity.conversation.id)
        started = await self.core.assessments.start(place=place, project=project, by=user, now=self.core.clock())
        assessment_id, state = started.id, started.state
        assert assessment_id is not None and state is not None
        posted = await turn_context.send_activity(MessageFactory.attachment(attachment(cards.assessment_card(state, assessment_id=assessment_id))))
        if posted is not None and posted.id:
            await self.core.store.set_thread(assessment_id=assessment_id, thread=posted.id)
            place = replace(place, thread=posted.id)
        await self._show(turn_context, started.replies, assessment_id=assessment_id, place=place, user=user, changed=False, state=state)

    # -- card submissions ----------------------------------------------------------

    async def _submitted(self, turn_context: TurnContext, value: dict[str, Any]) -> None:
        activity = turn_context.activity
        user, tenant = person_of(activity), tenant_of(activity)
        kind, assessment_id = value.get("pf"), _id(value)
        if kind == "answer" and str(value.get("q")) in BY_KEY:
            q = BY_KEY[str(value["q"])]
            event: events.Event = events.Submit(question=q.key, values=cards.fields_from(q, value), by=user)
        elif kind == "cmd":
            event = read(str(value.get("c", "")), by=user, question=value.get("q"))
        elif kind == "edit":
            event = read(f"edit {value.get('edit', '')}", by=user)
        elif kind == "fill":
            await self._fill(turn_context, assessment_id=assessment_id, tenant=tenant)
            return
        elif kind == "gaps":
            await self._gaps(turn_context, assessment_id=assessment_id, value=value, user=user, tenant=tenant)
            return
        else:
            return
        await self._turn(turn_context, assessment_id=assessment_id, event=event, tenant=tenant, source=activity.reply_to_id)

    async def _fill(self, turn_context: TurnContext, *, assessment_id: int, tenant: str) -> None:
        loaded = await self.core.store.load(assessment_id=assessment_id, workspace=tenant)
        if loaded is None:
            await turn_context.send_activity(MessageFactory.text(NOT_FOUND))
            return
        gaps = score(loaded.state.values).gaps
        if not gaps:
            await turn_context.send_activity(MessageFactory.text(f"{cards.escape(loaded.state.project)} has no blocking gaps any more."))
            return
        card = cards.gaps_card(assessment_id=assessment_id, gaps=gaps, answers=loaded.state.values)
        await turn_context.send_activity(MessageFactory.attachment(attachment(card)))

    async def _gaps(self, turn_context: TurnContext, *, assessment_id: int, value: dict[str, Any], user: Person, tenant: str) -> None:
        loaded = await self.core.store.load(assessment_id=assessment_id, workspace=tenant)
        if loaded is None:
            await turn_context.send_activity(MessageFactory.text(NOT_FOUND))
            return
        given: dict[str, dict[str, Any]] = {}
        problems = []
        for question in dict.fromkeys(q for fields in GAP_FIELDS.values() for q, _ in fields):  # ownership, roi
            fields = {k.split(".", 1)[1]: v for k, v in value.items() if isinstance(k, str) and k.startswith(question + ".")}
            if not fields:
                continue
            stored = loaded.state.answers.get(question)
            given[question] = fields
            problems += partial_errors(BY_KEY[question], stored.values if stored else None, fields, today=self.core.clock().date()).values()
        if problems:
            await turn_context.send_activity(MessageFactory.text(cards.escape(" ".join(problems))))
            return
        for question, fields in given.items():
            event = events.Submit(question=question, values=fields, by=user, partial=True)
            await self._turn(turn_context, assessment_id=assessment_id, event=event, tenant=tenant)

    # -- showing a turn ----------------------------------------------------------------

    async def _turn(self, turn_context: TurnContext, *, assessment_id: int, event: events.Event, tenant: str, source: str | None = None) -> None:
        try:
            outcome = await self.core.assessments.run(assessment_id=assessment_id, event=event, now=self.core.clock(), workspace=tenant)
        except NotFound:
            await turn_context.send_activity(MessageFactory.text(NOT_FOUND))
            return
        await self._show(
            turn_context, outcome.replies, assessment_id=assessment_id, place=outcome.place,
            user=person_of(turn_context.activity), changed=outcome.changed, source=source, state=outcome.state,
        )

    async def _show(
        self, turn_context: TurnContext, replies: tuple[Reply, ...], *, assessment_id: int, place: Place,
        user: Person, changed: bool, state: State, source: str | None = None,
    ) -> None:
        if replies and replies[0].tone is Tone.ERROR:
            replies = replies[:1]  # the card with the question is still there; say only what was wrong
        for reply in replies:
            if reply.tone is Tone.ERROR:
                await turn_context.send_activity(MessageFactory.text(cards.escape(reply.title)))
            elif source and reply.question is not None and reply.tone in (Tone.SAVED, Tone.INFO):
                made = (
                    cards.saved_card(reply, assessment_id=assessment_id, by=user)
                    if reply.tone is Tone.SAVED
                    else cards.note_card(reply, assessment_id=assessment_id)
                )
                await self._update(turn_context, source, made)
                source = None
            elif reply.tone is Tone.QUESTION:
                current = state.answers.get(reply.question or "")
                made = cards.question_card(reply, assessment_id=assessment_id, current=current.values if current else None)
                await turn_context.send_activity(MessageFactory.attachment(attachment(made)))
            elif reply.tone is Tone.SAVED:
                await turn_context.send_activity(MessageFactory.attachment(attachment(cards.saved_card(reply, assessment_id=assessment_id, by=user))))
            else:
                await turn_context.send_activity(MessageFactory.attachment(attachment(cards.note_card(reply, assessment_id=assessment_id))))
        if changed and place.thread:
            loaded = await self.core.store.load(assessment_id=assessment_id)
            if loaded is not None:
                await self._update(turn_context, place.thread, cards.assessment_card(loaded.state, assessment_id=assessment_id))

    async def _update(self, turn_context: TurnContext, activity_id: str, card: dict[str, Any]) -> None:
        updated = MessageFactory.attachment(attachment(card))
        updated.id = activity_id
        try:
            await turn_context.update_activity(updated)
        except Exception as e:  # the card may be gone; the answer is saved either way
            log.warning("could not update card %s: %s", activity_id, e)
