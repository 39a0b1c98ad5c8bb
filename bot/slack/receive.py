"""Bolt listeners: each request is checked, stored in the inbox and only then acknowledged.

What the person must see inside Slack's three seconds is answered in the acknowledgement
itself: the help, a mistake in the command's words, the errors of a form. Everything else is
stored first (a retry of the same request finds its key and is acknowledged without a second
copy), then acknowledged, then worked on by the inbox's workers. If the request cannot be
stored, Slack gets a 503 and delivers it again later.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.slack import blocks, forms, payloads
from bot.slack.show import private_text
from bot.workers import Workers
from conversations.ports import Incoming
from conversations.prompts import UNAVAILABLE as UNAVAILABLE_TEXT
from conversations.usecases import Preflight

log = logging.getLogger(__name__)
UNAVAILABLE = (SQLAlchemyError, OSError, ConnectionError)
EVENTS = ("app_home_opened", "app_uninstalled", "tokens_revoked")  # manifest.json subscribes to the same
FORM_ERROR = 150  # Slack shows at most this much of an error under a field


class StoreFailed(Exception):
    """The request could not be stored: Slack must deliver it again."""


async def is_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Workspace admins and owners may change the settings."""
    try:
        found = (await client.users_info(user=user_id)).get("user") or {}
    except Exception:
        return False
    return bool(found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner"))


class Receive:
    def __init__(self, *, preflight: Preflight, workers: Workers) -> None:
        self.preflight = preflight
        self.workers = workers

    async def store(self, route: str, body: dict[str, Any], context: Any) -> None:
        item = Incoming(
            key=payloads.key_of(route, body)[:200],
            platform=payloads.PLATFORM,
            workspace=payloads.team_of(body) or (context.team_id or ""),
            payload={"route": route, "body": body, "enterprise": context.enterprise_id, "team": context.team_id},
        )
        try:
            await self.workers.accept(item)
        except UNAVAILABLE as e:
            raise StoreFailed(str(e)) from e

    async def command(self, ack: AsyncAck, body: dict, context: Any) -> None:
        text, mentioned = payloads.mentions(str(body.get("text") or ""))
        quick = self.preflight.at_once(payloads.actor_of(body), text, mentions=mentioned)
        if quick is not None:
            await ack(text=private_text(quick.private))
            return
        try:
            await self.store("command", body, context)
        except StoreFailed:  # Slack never retries a command: say so in the acknowledgement instead
            await ack(text=blocks.escape(UNAVAILABLE_TEXT))
            return
        await ack()

    async def action(self, ack: AsyncAck, body: dict, context: Any) -> None:
        await self.store("action", body, context)
        await ack()

    async def event(self, ack: AsyncAck, body: dict, context: Any) -> None:
        await self.store("event", body, context)
        await ack()

    async def answer(self, ack: AsyncAck, body: dict, view: dict, context: Any) -> None:
        assessment_id, question, values = payloads.answer_of(view)
        actor = payloads.actor_of(body)
        errors = await self.preflight.check_answer(actor, assessment_id=assessment_id, question=question, values=values)
        await self._checked(ack, "view_answer", body, context, errors)  # a form without its question is "not found" there

    async def gaps(self, ack: AsyncAck, body: dict, view: dict, context: Any) -> None:
        assessment_id = payloads.assessment_of(payloads.metadata_of(view))
        values = forms.submitted(payloads.view_values(view))
        errors = await self.preflight.check_gaps(payloads.actor_of(body), assessment_id=assessment_id, values=values)
        await self._checked(ack, "view_gaps", body, context, errors)

    async def settings(self, ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: Any) -> None:
        user = payloads.person_of(body).id or ""
        actor = payloads.actor_of(body, is_admin=lambda: is_admin(client, user))
        errors = await self.preflight.check_settings(actor, values=forms.submitted(payloads.view_values(view)))
        await self._checked(ack, "view_settings", body, context, errors)

    async def _checked(self, ack: AsyncAck, route: str, body: dict, context: Any, errors: dict[str, str]) -> None:
        if errors:
            await ack(response_action="errors", errors={k or "x": blocks.clip(m, FORM_ERROR) for k, m in errors.items()})
            return
        await self.store(route, body, context)
        await ack()


async def refuse_unstored(error: Exception, body: dict) -> BoltResponse | None:
    """A request that could not be stored is refused, so that Slack delivers it again."""
    if isinstance(error, (StoreFailed, *UNAVAILABLE)):
        log.warning("request not stored (%s): refused for Slack to retry", error)
        return BoltResponse(status=503, body="unavailable, retry later")
    log.error("listener failed: %s", error, exc_info=error)
    return None


def wire(bolt: AsyncApp, receive: Receive) -> None:
    bolt.error(refuse_unstored)
    bolt.command("/readiness")(receive.command)
    bolt.action(re.compile(r"^pf_"))(receive.action)
    bolt.view(forms.CALLBACK)(receive.answer)
    bolt.view(forms.GAPS_CALLBACK)(receive.gaps)
    bolt.view(forms.SETTINGS_CALLBACK)(receive.settings)
    for name in EVENTS:
        bolt.event(name)(receive.event)
