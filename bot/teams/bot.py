"""The Teams bot: activities to typed input for the core, and what it shows back as Adaptive Cards."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.teams import cards
from conversations.messages import Action, Reply, Tone, Verb, read_action
from conversations.people import Person
from conversations.ports import TeamsReferences
from conversations.questions import BY_KEY
from conversations.shown import Actor, Shown
from conversations.usecases import Preflight

log = logging.getLogger(__name__)
PLATFORM = "teams"
PREFIX = "@Preflight "
REQUEST = "preflight.request"  # turn state: the inbox request this turn works on
AT = re.compile(r"<at>(.*?)</at>")


def tenant_of(activity: Activity) -> str:
    """The tenant is the workspace: from the conversation, else from Teams' channel data."""
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    data = activity.channel_data.get("tenant") if isinstance(activity.channel_data, dict) else None
    if not tenant and isinstance(data, dict):
        tenant = data.get("id")
    return tenant if isinstance(tenant, str) else ""


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


class TeamsBot(ActivityHandler):
    def __init__(self, *, preflight: Preflight, references: TeamsReferences, clock: Callable[[], datetime]) -> None:
        self.preflight = preflight
        self.references = references
        self.clock = clock

    def actor(self, turn_context: TurnContext) -> Actor:
        activity = turn_context.activity
        return Actor(
            person=person_of(activity),
            platform=PLATFORM,
            workspace=tenant_of(activity),
            channel=activity.conversation.id,
            prefix=PREFIX,
            typed_answers=True,
            request=turn_context.turn_state.get(REQUEST),
        )

    async def on_turn(self, turn_context: TurnContext) -> None:
        if not tenant_of(turn_context.activity):
            log.info("activity without a tenant ignored")
            return
        await self._remember(turn_context)
        await super().on_turn(turn_context)

    async def _remember(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        reference = TurnContext.get_conversation_reference(activity)
        kind = getattr(activity.conversation, "conversation_type", None) or "personal"
        user = activity.from_property.id if kind == "personal" and activity.from_property else None
        await self.references.remember(
            tenant=tenant_of(activity),
            conversation_id=activity.conversation.id,
            kind=kind,
            reference=reference.serialize(),
            now=self.clock(),
            user_id=user,
        )
        zone = getattr(activity, "local_timezone", None)
        if zone and activity.from_property and activity.from_property.id:
            await self.preflight.remember_zone(self.actor(turn_context), tz=zone)

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        """The app was removed: that tenant's data goes with it (an upgrade keeps it)."""
        if turn_context.activity.action == "remove":
            await self.preflight.forget_workspace(platform=PLATFORM, workspace=tenant_of(turn_context.activity))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity, actor = turn_context.activity, self.actor(turn_context)
        value = activity.value if isinstance(activity.value, dict) else None
        if value is not None and value.get("pf"):
            await self.show(turn_context, await self._submitted(actor, value), source=activity.reply_to_id)
            return
        text = AT.sub(lambda m: "@" + m.group(1), TurnContext.remove_recipient_mention(activity) or "").strip()
        await self.show(turn_context, await self.preflight.command(actor, text, mentions=mentions(activity)))

    async def _submitted(self, actor: Actor, value: dict[str, Any]) -> Shown:
        kind = value.get("pf")
        found = read_action({k: v for k, v in value.items() if k != "pf"}) if kind == "act" else None
        raw_id = value.get("a")
        assessment_id = raw_id if isinstance(raw_id, int) and 0 < raw_id < 2**31 else 0
        if found is not None:
            return await self.preflight.act(actor, assessment_id=found[0], action=found[1])
        if kind == "answer" and str(value.get("q")) in BY_KEY:
            q = BY_KEY[str(value["q"])]
            return await self.preflight.submit_answer(
                actor, assessment_id=assessment_id, question=q.key, values=cards.fields_from(q, value)
            )
        if kind == "edit" and str(value.get("edit", "")).isdigit():
            action = Action("", Verb.EDIT, number=int(value["edit"]))
            return await self.preflight.act(actor, assessment_id=assessment_id, action=action, from_message=False)
        if kind == "gaps":
            return await self.preflight.submit_gaps(actor, assessment_id=assessment_id, values=value)
        return self.preflight.unreadable()

    # -- showing ---------------------------------------------------------------------

    async def show(self, turn_context: TurnContext, shown: Shown, *, source: str | None = None) -> None:
        aid, place = shown.assessment_id, shown.place
        state = shown.card.state if shown.card is not None else None
        if shown.form is not None:
            await self._send(turn_context, cards.form_card(shown.form))
        if shown.new and shown.card is not None and place is not None:
            posted = await turn_context.send_activity(
                MessageFactory.attachment(attachment(cards.assessment_card(shown.card.state, assessment_id=shown.card.assessment_id)))
            )
            if posted is not None and posted.id:
                await self.preflight.card_posted(assessment_id=shown.card.assessment_id, thread=posted.id)
                place = replace(place, thread=posted.id)
        as_cards = [r for r in shown.private if r.actions or r.scorecard is not None]
        as_text = [r for r in shown.private if r not in as_cards]  # short answers for the person read better as text
        if as_text:
            await turn_context.send_activity(MessageFactory.text("\n\n".join(cards.markdown(r) for r in as_text)))
        for reply in as_cards:
            await self._reply(turn_context, reply, assessment_id=aid, state=state)
        if shown.replace is not None and source:
            made = (
                cards.saved_card(shown.replace, assessment_id=aid or 0, by=person_of(turn_context.activity))
                if shown.replace.tone is Tone.SAVED
                else cards.note_card(shown.replace, assessment_id=aid)
            )
            await self._update(turn_context, source, made)
        elif shown.replace is not None:
            await self._reply(turn_context, shown.replace, assessment_id=aid, state=state)
        for reply in shown.thread:
            await self._reply(turn_context, reply, assessment_id=aid, state=state)
        if (
            shown.card is not None
            and not shown.new
            and place is not None
            and place.thread
            and place.channel == turn_context.activity.conversation.id
        ):
            await self._update(turn_context, place.thread, cards.assessment_card(shown.card.state, assessment_id=shown.card.assessment_id))

    async def _reply(self, turn_context: TurnContext, reply: Reply, *, assessment_id: int | None, state: Any) -> None:
        if reply.tone is Tone.ERROR:
            await turn_context.send_activity(MessageFactory.text(cards.markdown(reply)))
            return
        if reply.tone is Tone.QUESTION and assessment_id:
            current = state.answers.get(reply.question or "") if state is not None else None
            made = cards.question_card(reply, assessment_id=assessment_id, current=current.values if current else None)
        elif reply.tone is Tone.SAVED and assessment_id:
            made = cards.saved_card(reply, assessment_id=assessment_id, by=person_of(turn_context.activity))
        else:
            made = cards.note_card(reply, assessment_id=assessment_id)
        await self._send(turn_context, made)

    async def _send(self, turn_context: TurnContext, card: dict[str, Any]) -> None:
        await turn_context.send_activity(MessageFactory.attachment(attachment(card)))

    async def _update(self, turn_context: TurnContext, activity_id: str, card: dict[str, Any]) -> None:
        updated = MessageFactory.attachment(attachment(card))
        updated.id = activity_id
        try:
            await turn_context.update_activity(updated)
        except Exception as e:  # the card may be gone; the answer is saved either way
            log.warning("could not update card %s: %s", activity_id, e)
