"""Drawing what the core asked to show, in Slack: the card, the thread, the message acted on, ephemerals, modals."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import blocks, forms
from conversations.messages import Reply
from conversations.people import Person
from conversations.prompts import Problem, problem
from conversations.shown import Card, Shown

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
    parts = [blocks.escape(r.title) if not r.body else f"*{blocks.escape(r.title)}*\n{blocks.escape(r.body)}" for r in replies]
    return blocks.clip("\n\n".join(parts), blocks.MAX_TEXT)


class Cards:
    """Card updates, never older than the card on screen.

    Two turns that finish close together, in this process or in two replicas, could post their
    cards out of order and leave the older one on screen: each update carries its stored version,
    one older than the last shown here is dropped, and after each update the stored version is
    read again, so a newer one saved meanwhile (anywhere) is drawn too.
    """

    def __init__(self, *, newer: Callable[..., Awaitable[Card | None]]) -> None:
        self.newer = newer
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._shown: dict[int, int] = {}

    async def update(self, *, client: AsyncWebClient, card: Card, channel: str, ts: str) -> None:
        lock = self._locks.get(card.assessment_id)
        if lock is None:
            lock = self._locks[card.assessment_id] = asyncio.Lock()
        async with lock:
            for _ in range(3):  # bounded: each round draws a newer version than the one before
                if card.version < self._shown.get(card.assessment_id, 0):
                    return
                if len(self._shown) > 10_000:  # a bound on what one process remembers
                    self._shown.clear()
                self._shown[card.assessment_id] = card.version
                blocks_ = blocks.card_blocks(card.state, assessment_id=card.assessment_id)
                await client.chat_update(channel=channel, ts=ts, text=blocks.card_text(card.state), blocks=blocks_)
                newer = await self.newer(assessment_id=card.assessment_id, than=card.version)
                if newer is None:
                    return
                card = newer


@dataclass
class Show:
    """Everything needed to draw one request's result in Slack."""

    client: AsyncWebClient
    user: Person
    channel: str | None = None  # where the person acted
    response_url: str | None = None
    source_ts: str | None = None  # the message that was acted on
    trigger_id: str | None = None
    cards: Cards | None = None
    card_posted: Callable[[int, str], Awaitable[None]] | None = None
    start_refused: Callable[[int], Awaitable[None]] | None = None
    session: Any = None

    async def __call__(self, shown: Shown) -> None:
        try:
            await self._draw(shown)
        except SlackApiError as e:
            if e.response is not None and e.response.status_code == 429:  # tried again later, without holding a worker
                raise RetryLater(float(e.response.headers.get("Retry-After") or 1)) from e
            log.warning("Slack refused a message: %s", e.response.get("error") if e.response is not None else e)
            await self.notify(explain(e))
        except NETWORK_ERRORS as e:
            log.warning("Slack did not answer: %s", e)
            await self.notify(problem(Problem.NO_ANSWER, platform="Slack"))

    async def _draw(self, shown: Shown) -> None:
        place = shown.place
        if shown.form is not None:
            await self.client.views_open(trigger_id=self.trigger_id or "", view=forms.modal_of(shown.form, message_ts=self.source_ts))
        if shown.new and shown.card is not None and place is not None:
            thread = await self._post_card(shown.card, channel=place.channel)
            if thread is None:
                return
            place = replace(place, thread=thread)
        if shown.private:
            await self.notify(private_text(shown.private), escaped=True)
        aid = shown.assessment_id
        if shown.replace is not None and self.source_ts and place is not None:
            made = blocks.reply_blocks(shown.replace, assessment_id=aid, by=self.user)
            await self.client.chat_update(channel=place.channel, ts=self.source_ts, text=blocks.plain(shown.replace), blocks=made)
        for reply in shown.thread:
            assert place is not None
            made = blocks.reply_blocks(reply, assessment_id=aid, by=self.user)
            await self.client.chat_postMessage(channel=place.channel, thread_ts=place.thread, text=blocks.plain(reply), blocks=made)
        if shown.card is not None and not shown.new and place is not None and place.thread and self.cards is not None:
            await self.cards.update(client=self.client, card=shown.card, channel=place.channel, ts=place.thread)

    async def _post_card(self, card: Card, *, channel: str) -> str | None:
        """Post a new check's card; the ts of its thread, or None when Slack refused (the check is dropped)."""
        try:
            posted = await self.client.chat_postMessage(
                channel=channel, text=blocks.card_text(card.state), blocks=blocks.card_blocks(card.state, assessment_id=card.assessment_id)
            )
        except SlackApiError as e:
            if e.response is not None and e.response.status_code == 429:  # not a refusal: posted when Slack allows
                raise
            if self.start_refused is not None:
                await self.start_refused(card.assessment_id)  # nothing was answered yet
            await self.notify(explain(e, starting=True))
            return None
        thread = str(posted["ts"])
        if self.card_posted is not None:
            await self.card_posted(card.assessment_id, thread)
        return thread

    async def notify(self, text: str, *, escaped: bool = False) -> None:
        """An ephemeral message to the person: through the response URL, in the channel, or in a direct message."""
        text = text if escaped else blocks.clip(blocks.escape(text), blocks.MAX_TEXT)
        if self.response_url:
            try:
                hook = AsyncWebhookClient(self.response_url, session=self.session)
                sent = await hook.send(text=text, response_type="ephemeral", replace_original=False)
                if sent.status_code < 400:
                    return
            except Exception as e:  # the response URL has expired or is unreachable: try the Web API
                log.info("response_url failed: %s", e)
        if self.channel:
            try:
                await self.client.chat_postEphemeral(channel=self.channel, user=self.user.id or "", text=text)
                return
            except (SlackApiError, *NETWORK_ERRORS) as e:
                log.info("chat.postEphemeral failed: %s", e)
        try:
            await self.client.chat_postMessage(channel=self.user.id or "", text=text)
        except (SlackApiError, *NETWORK_ERRORS) as e:
            log.warning("could not tell %s: %s", self.user.id, e)
