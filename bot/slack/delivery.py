"""Posting replies in the assessment's thread, and telling the user when Slack refuses."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from conversations.machine import State
from conversations.messages import Reply, Tone
from conversations.people import Person
from conversations.service import Place

log = logging.getLogger(__name__)
Respond = Callable[..., Awaitable[Any]]

SAVED_NOTE = "Everything answered so far is saved."
ERRORS = {
    "not_in_channel": "I'm not a member of this channel. Invite me with /invite @Preflight, then press Continue on the card.",
    "channel_not_found": "I can't reach this channel (it may be private or deleted). Invite me, or start the check in another channel.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "ratelimited": "Slack is limiting how fast I can post right now. Press Continue on the card in a minute.",
    "message_not_found": "The message I wanted to update is gone.",
}


def explain(error: SlackApiError) -> str:
    """A Web API error in words a user can act on."""
    code = str(error.response.get("error") or "") if error.response is not None else ""
    status = error.response.status_code if error.response is not None else 0
    if code in ERRORS:
        return f"{ERRORS[code]} {SAVED_NOTE}"
    if status >= 500:
        return f"Slack is having trouble right now (HTTP {status}). {SAVED_NOTE} Press Continue on the card to carry on."
    return f"Slack refused my message ({code or f'HTTP {status}'}). {SAVED_NOTE}"


class Cards:
    """Card updates, one assessment at a time, never older than the card on screen.

    Two turns that finish close together could otherwise post their cards out of order,
    leaving the older one on screen; each update carries its stored version, and one
    older than the last shown is dropped (a state without a version is read fresh).
    """

    def __init__(self, *, load: Callable[[int], Awaitable[State | None]]) -> None:
        self._load = load
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._shown: dict[int, int] = {}

    async def update(
        self, *, client: AsyncWebClient, assessment_id: int, place: Place, state: State | None = None, version: int = 0
    ) -> None:
        if not place.thread:
            return
        lock = self._locks.get(assessment_id)
        if lock is None:
            lock = self._locks[assessment_id] = asyncio.Lock()
        async with lock:
            if state is None or not version:
                state = await self._load(assessment_id)
            elif version < self._shown.get(assessment_id, 0):
                return
            if version:
                self._shown[assessment_id] = version
            if len(self._shown) > 10_000:  # a bound on what one process remembers
                self._shown.clear()
            if state is not None:
                await client.chat_update(
                    channel=place.channel,
                    ts=place.thread,
                    text=blocks.card_text(state),
                    blocks=blocks.card_blocks(state, assessment_id=assessment_id),
                )


@dataclass
class Delivery:
    """Everything needed to show one turn's replies in Slack."""

    client: AsyncWebClient
    assessment_id: int
    place: Place
    user: Person
    respond: Respond | None = None
    source_ts: str | None = None  # the message that was clicked, updated in place
    cards: Cards | None = None

    async def show(self, replies: tuple[Reply, ...], *, changed: bool = False, state: State | None = None, version: int = 0) -> bool:
        """Post the replies (and the card, if the assessment changed); on a refusal, tell the user and stop."""
        try:
            await self._post(replies)
            if changed and self.cards is not None:
                await self.cards.update(client=self.client, assessment_id=self.assessment_id, place=self.place, state=state, version=version)
        except SlackApiError as e:
            log.warning("Slack refused a message: %s", e.response.get("error") if e.response is not None else e)
            await self.notify(explain(e))
            return False
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            log.warning("Slack did not answer: %s", e)
            await self.notify(f"Slack did not answer in time. {SAVED_NOTE} Press Continue on the card to carry on.")
            return False
        return True

    async def _post(self, replies: tuple[Reply, ...]) -> None:
        source = self.source_ts
        for reply in replies:
            if reply.tone is Tone.ERROR:
                await self.notify(reply.title)
                continue
            # What happened to the question on screen replaces it, so its buttons cannot be pressed again.
            if source and reply.question is not None and reply.tone in (Tone.SAVED, Tone.INFO):
                made = (
                    blocks.saved_blocks(reply, assessment_id=self.assessment_id, by=self.user)
                    if reply.tone is Tone.SAVED
                    else blocks.note_blocks(reply, assessment_id=self.assessment_id)
                )
                await self.client.chat_update(channel=self.place.channel, ts=source, text=blocks.plain(reply), blocks=made)
                source = None
                continue
            await self.post(reply)

    async def post(self, reply: Reply) -> None:
        render = {
            Tone.QUESTION: blocks.question_blocks,
            Tone.REVIEW: blocks.review_blocks,
            Tone.SUMMARY: blocks.summary_blocks,
        }.get(reply.tone, blocks.note_blocks)
        if reply.tone is Tone.SAVED:
            made = blocks.saved_blocks(reply, assessment_id=self.assessment_id, by=self.user)
        else:
            made = render(reply, assessment_id=self.assessment_id)
        await self.client.chat_postMessage(
            channel=self.place.channel, thread_ts=self.place.thread, text=blocks.plain(reply), blocks=made
        )

    async def notify(self, text: str) -> None:
        await notify(client=self.client, respond=self.respond, channel=self.place.channel, user=self.user, text=text)


async def notify(*, client: AsyncWebClient, respond: Respond | None, channel: str | None, user: Person, text: str) -> None:
    """An ephemeral message to one user: through the response URL, in the channel, or in a direct message."""
    text = blocks.clip(blocks.escape(text), blocks.MAX_TEXT)
    if respond is not None:
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        except Exception as e:  # the response URL has expired or is unreachable: try the Web API
            log.info("response_url failed: %s", e)
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user.id or "", text=text)
            return
        except SlackApiError as e:
            log.info("chat.postEphemeral failed: %s", e.response.get("error"))
    try:
        await client.chat_postMessage(channel=user.id or "", text=text)
    except SlackApiError as e:
        log.warning("could not tell %s: %s", user.id, e.response.get("error"))
