"""Reminders and digests into Teams, proactively, from stored conversation references."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationParameters, ConversationReference

from bot.teams import cards
from bot.teams.bot import card_activity
from conversations import layout
from conversations.ports import TeamsReferences
from conversations.reminders import Notice, Sent, Target

log = logging.getLogger(__name__)


def _status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None) or getattr(response, "status", None)


class TeamsSender:
    def __init__(self, *, adapter: CloudAdapter, app_id: str, references: TeamsReferences, clock: Callable[[], datetime]) -> None:
        self.adapter = adapter
        self.clock = clock
        self.app_id = app_id
        self.references = references

    async def send(self, *, notice: Notice, target: Target) -> Sent:
        message = card_activity(cards.card_of(layout.of_notice(notice)))
        if target.person:
            found = await self.references.find(tenant=target.workspace, user_id=target.person)
            if found is None:
                return await self._open_personal_chat(target, message)
        else:
            found = await self.references.find(tenant=target.workspace, conversation_id=target.channel or "")
            if found is None:
                return Sent(ok=False, permanent="no active Teams conversation to post in")
        reference = ConversationReference().deserialize(dict(found))
        return await self._deliver(reference, message, tenant=target.workspace)

    async def update(self, *, workspace: str, conversation: str, activity: Any) -> None:
        """Change a message in another conversation: a check's card, after a sponsor acted from a personal chat."""
        found = await self.references.find(tenant=workspace, conversation_id=conversation)
        if found is None:
            log.info("no reference for conversation %s: its card is redrawn next time someone acts there", conversation)
            return

        async def change(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self.adapter.continue_conversation(ConversationReference().deserialize(dict(found)), change, bot_app_id=self.app_id)

    async def _deliver(self, reference: ConversationReference, message: Any, *, tenant: str) -> Sent:
        failures: list[BaseException] = []

        async def post(turn_context: TurnContext) -> None:
            # Caught here, not by the adapter's turn-error handler, so the status reaches the scheduler.
            try:
                await turn_context.send_activity(message)
            except Exception as e:
                failures.append(e)

        try:
            await self.adapter.continue_conversation(reference, post, bot_app_id=self.app_id)
        except Exception as e:  # the connector's errors carry the HTTP status
            failures.append(e)
        if failures:
            return await self._failed(failures[0], tenant=tenant, conversation=reference.conversation.id)
        return Sent(ok=True)

    async def _failed(self, error: BaseException, *, tenant: str, conversation: str) -> Sent:
        status = _status(error)
        if status in (403, 404):
            await self.references.deactivate(tenant=tenant, conversation_id=conversation)
            return Sent(ok=False, permanent=f"Teams answered {status}: the bot can no longer post in this conversation")
        if status == 429:
            headers = getattr(getattr(error, "response", None), "headers", {}) or {}
            retry_after = headers.get("Retry-After")
            return Sent(ok=False, retry_after=float(retry_after) if retry_after else None, error="Teams answered 429")
        return Sent(ok=False, error=f"{type(error).__name__}: {status or error}"[:200])

    async def _open_personal_chat(self, target: Target, message: Any) -> Sent:
        """A direct message to someone the bot has not chatted with: open the chat through any known conversation."""
        base = await self.references.find(tenant=target.workspace)  # any active conversation in the tenant
        if base is None:
            return Sent(ok=False, permanent="no Teams conversation in this tenant to reach the person through")
        reference = ConversationReference().deserialize(dict(base))
        parameters = ConversationParameters(
            is_group=False,
            bot=reference.bot,
            members=[ChannelAccount(id=target.person)],
            tenant_id=target.workspace,
            channel_data={"tenant": {"id": target.workspace}},
        )
        sent: list[bool] = []
        failures: list[BaseException] = []

        async def post(turn_context: TurnContext) -> None:
            made = TurnContext.get_conversation_reference(turn_context.activity)
            await self.references.remember(
                tenant=target.workspace,
                conversation_id=made.conversation.id,
                kind="personal",
                reference=made.serialize(),
                now=self.clock(),
                user_id=target.person,
            )
            try:
                await turn_context.send_activity(message)
                sent.append(True)
            except Exception as e:
                failures.append(e)

        try:
            await self.adapter.create_conversation(
                self.app_id, post, parameters, channel_id=reference.channel_id or "msteams", service_url=reference.service_url
            )
        except Exception as e:
            failures.append(e)
        if failures:
            status = _status(failures[0])
            if status in (403, 404):
                return Sent(ok=False, permanent=f"Teams answered {status} when opening a chat with the person")
            return Sent(ok=False, error=f"{type(failures[0]).__name__}: {status or failures[0]}"[:200])
        return Sent(ok=True) if sent else Sent(ok=False, error="the chat was not opened")

    async def time_zone(self, *, workspace: str, person: str) -> str | None:
        """Teams reports a person's zone with their messages; it is stored then, not asked for."""
        return None
