"""The Teams bot: activities to typed input for the core, and what it shows back as Adaptive Cards."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.teams import cards
from conversations import layout
from conversations.messages import Reply, assessment_id_of, read_action
from conversations.people import Person
from conversations.ports import Place, TeamsReferences
from conversations.questions import BY_KEY
from conversations.shown import Actor, Card, Form, Shown
from conversations.usecases import Preflight

log = logging.getLogger(__name__)
PLATFORM = "teams"
PREFIX = "@Preflight "
REQUEST = "preflight.request"  # turn state: the inbox request this turn works on
AT = re.compile(r"<at>(.*?)</at>")
Elsewhere = Callable[..., Awaitable[None]]  # updates a message in another conversation of the tenant


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


def card_activity(card: dict[str, Any]) -> Activity:
    """A message holding one Adaptive Card."""
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


class TeamsBot(ActivityHandler):
    def __init__(self, *, preflight: Preflight, references: TeamsReferences, clock: Callable[[], datetime], elsewhere: Elsewhere) -> None:
        self.preflight = preflight
        self.elsewhere = elsewhere
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
        found = (
            read_action({k: v for k, v in value.items() if k != "pf"}) if kind == "act" else cards.picked(value) if kind == "pick" else None
        )
        assessment_id = assessment_id_of(value.get("a"))
        if found is not None:
            return await self.preflight.act(actor, assessment_id=found[0], action=found[1])
        if kind == "answer" and str(value.get("q")) in BY_KEY:
            q = BY_KEY[str(value["q"])]
            return await self.preflight.submit_answer(
                actor, assessment_id=assessment_id, question=q.key, values=cards.fields_from(q, value)
            )
        if kind == "gaps":
            return await self.preflight.submit_gaps(actor, assessment_id=assessment_id, values=value)
        if kind == "settings":
            return await self.preflight.submit_settings(actor, values={k: v for k, v in value.items() if k != "pf"})
        return self.preflight.unreadable()

    async def show(self, turn_context: TurnContext, shown: Shown, *, source: str | None = None) -> None:
        await self.preflight.present(shown, TeamsScreen(turn_context, source=source, elsewhere=self.elsewhere))


class TeamsScreen:
    """Teams as a `Screen`: messages and cards in the conversation the person acted in."""

    def __init__(self, turn_context: TurnContext, *, source: str | None, elsewhere: Elsewhere) -> None:
        self.turn_context = turn_context
        self.elsewhere = elsewhere
        self.source = source  # the card acted on
        self.by = person_of(turn_context.activity)

    def _message(self, reply: Reply, assessment_id: int | None) -> layout.Message:
        return layout.of_reply(reply, assessment_id=assessment_id, by=self.by, inline_forms=True)

    @staticmethod
    def _activity(message: layout.Message) -> Activity:
        return MessageFactory.text(cards.markdown(message)) if message.plain else card_activity(cards.card_of(message))

    async def open_form(self, form: Form) -> None:
        await self.turn_context.send_activity(card_activity(cards.form_card(form)))

    async def post_card(self, card: Card, *, place: Place) -> str | None:
        posted = await self.turn_context.send_activity(self._activity(layout.of_card(card.state, assessment_id=card.assessment_id)))
        return posted.id if posted is not None and posted.id else ""

    async def tell(self, replies: tuple[Reply, ...], *, assessment_id: int | None) -> None:
        messages = [self._message(reply, assessment_id) for reply in replies]
        plain = [m for m in messages if m.plain]  # an error and the help after it: one message
        if plain:
            await self.turn_context.send_activity(MessageFactory.text("\n\n".join(cards.markdown(m) for m in plain)))
        for message in messages:
            if not message.plain:
                await self.turn_context.send_activity(self._activity(message))

    async def replace_source(self, reply: Reply, *, assessment_id: int | None, place: Place | None) -> bool:
        if not self.source:
            return False
        await self._update(self.source, self._message(reply, assessment_id))
        return True

    async def post(self, reply: Reply, *, assessment_id: int | None, place: Place) -> None:
        await self.turn_context.send_activity(self._activity(self._message(reply, assessment_id)))

    async def redraw(self, card: Card, *, place: Place) -> None:
        """The card in the conversation it lives in, which may not be this one (a sponsor's personal chat)."""
        if place.thread:
            await self._update(place.thread, layout.of_card(card.state, assessment_id=card.assessment_id), conversation=place.channel)

    async def _update(self, activity_id: str, message: layout.Message, *, conversation: str | None = None) -> None:
        updated = card_activity(cards.card_of(message))
        updated.id = activity_id
        try:
            if conversation is None or conversation == self.turn_context.activity.conversation.id:
                await self.turn_context.update_activity(updated)
            else:
                await self.elsewhere(workspace=tenant_of(self.turn_context.activity), conversation=conversation, activity=updated)
        except Exception as e:  # the card may be gone; the answer is saved either way
            log.warning("could not update card %s: %s", activity_id, e)
