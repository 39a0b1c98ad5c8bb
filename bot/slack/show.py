"""Slack as a `Screen`: the card, the thread, the message acted on, ephemerals and modals."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import blocks, forms
from conversations import layout
from conversations.messages import Reply
from conversations.people import Person
from conversations.ports import Place
from conversations.prompts import Problem, problem
from conversations.shown import Card, Form, Shown
from conversations.usecases import Preflight

log = logging.getLogger(__name__)
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class RetryLater(Exception):
    """Slack asked to wait: the request is worked on again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Slack asked to wait {retry_after:.0f} s")
        self.retry_after = retry_after


def explain(error: SlackApiError, *, starting: bool = False) -> str:
    """A Web API error in words a person can act on."""
    code = str(error.response.get("error") or "") if error.response is not None else ""
    status = error.response.status_code if error.response is not None else 0
    known = Problem._value2member_map_.get(code)
    kind = known if isinstance(known, Problem) else Problem.PLATFORM_DOWN if status >= 500 else Problem.REFUSED
    return problem(kind, platform="Slack", detail=f"HTTP {status}" if status >= 500 or not code else code, starting=starting)


def private_text(replies: tuple[Reply, ...]) -> str:
    """Replies for one person, as the text of an ephemeral message."""
    return blocks.clip("\n\n".join(blocks.text_of(layout.paragraph(r)) for r in replies), blocks.MAX_TEXT)


def card_message(card: Card) -> layout.Message:
    return layout.of_card(card.state, assessment_id=card.assessment_id)


@dataclass
class Show:
    """One request's result drawn in Slack."""

    client: AsyncWebClient
    user: Person
    channel: str | None = None  # where the person acted
    response_url: str | None = None
    source_ts: str | None = None  # the message that was acted on
    trigger_id: str | None = None
    session: Any = None

    async def __call__(self, preflight: Preflight, shown: Shown) -> None:
        try:
            await preflight.present(shown, self)
        except SlackApiError as e:
            if e.response is not None and e.response.status_code == 429:  # tried again later, without holding a worker
                raise RetryLater(float(e.response.headers.get("Retry-After") or 1)) from e
            log.warning("Slack refused a message: %s", e.response.get("error") if e.response is not None else e)
            await self.notify(explain(e))
        except NETWORK_ERRORS as e:
            log.warning("Slack did not answer: %s", e)
            await self.notify(problem(Problem.NO_ANSWER, platform="Slack"))

    def _message(self, reply: Reply, assessment_id: int | None) -> layout.Message:
        return layout.of_reply(reply, assessment_id=assessment_id, by=self.user, inline_forms=False)

    async def open_form(self, form: Form) -> None:
        await self.client.views_open(trigger_id=self.trigger_id or "", view=forms.modal_of(form, message_ts=self.source_ts))

    async def post_card(self, card: Card, *, place: Place) -> str | None:
        message = card_message(card)
        try:
            posted = await self.client.chat_postMessage(channel=place.channel, **blocks.drawn(message))
        except SlackApiError as e:
            if e.response is not None and e.response.status_code == 429:  # not a refusal: posted when Slack allows
                raise
            await self.notify(explain(e, starting=True))
            return None
        return str(posted["ts"])

    async def tell(self, replies: tuple[Reply, ...], *, assessment_id: int | None) -> None:
        messages = [self._message(r, assessment_id) for r in replies]
        drawn = None if all(m.plain for m in messages) else [b for m in messages for b in blocks.blocks_of(m)][: blocks.MAX_BLOCKS]
        await self.notify(private_text(replies), escaped=True, blocks_=drawn)

    async def replace_source(self, reply: Reply, *, assessment_id: int | None, place: Place | None) -> bool:
        if not self.source_ts or place is None:
            return False
        message = self._message(reply, assessment_id)
        await self.client.chat_update(channel=place.channel, ts=self.source_ts, **blocks.drawn(message))
        return True

    async def post(self, reply: Reply, *, assessment_id: int | None, place: Place) -> None:
        message = self._message(reply, assessment_id)
        await self.client.chat_postMessage(channel=place.channel, thread_ts=place.thread, **blocks.drawn(message))

    async def redraw(self, card: Card, *, place: Place) -> None:
        message = card_message(card)
        await self.client.chat_update(channel=place.channel, ts=place.thread or "", **blocks.drawn(message))

    async def notify(self, text: str, *, escaped: bool = False, blocks_: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral message to the person (with buttons, when it offers some): through the response URL, in the
        channel, or in a direct message."""
        text = text if escaped else blocks.clip(blocks.escape(text), blocks.MAX_TEXT)
        if self.response_url:
            try:
                hook = AsyncWebhookClient(self.response_url, session=self.session)
                sent = await hook.send(text=text, blocks=blocks_, response_type="ephemeral", replace_original=False)
                if sent.status_code < 400:
                    return
            except Exception as e:  # the response URL has expired or is unreachable: try the Web API
                log.info("response_url failed: %s", e)
        if self.channel:
            try:
                await self.client.chat_postEphemeral(channel=self.channel, user=self.user.id or "", text=text, blocks=blocks_)
                return
            except (SlackApiError, *NETWORK_ERRORS) as e:
                log.info("chat.postEphemeral failed: %s", e)
        try:
            await self.client.chat_postMessage(channel=self.user.id or "", text=text, blocks=blocks_)
        except (SlackApiError, *NETWORK_ERRORS) as e:
            log.warning("could not tell %s: %s", self.user.id, e)
