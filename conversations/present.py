"""Showing a use case's result, in the same order on every platform, on a `Screen` each adapter provides.

The order is a rule: a form opens first (Slack's trigger expires in three seconds); a new check's
card is posted before anything goes in its thread; what is only for the person comes next; then
what replaces the message acted on, the thread's replies, and last the card's redraw, never older
than the card already on screen.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from conversations.messages import Reply
from conversations.ports import Place
from conversations.shown import Card, Form, Shown


class Screen(Protocol):
    """What one platform can show, for one request."""

    async def open_form(self, form: Form) -> None: ...

    async def post_card(self, card: Card, *, place: Place) -> str | None:
        """Post a new check's card; the id of its thread, or None when the platform refused (the person is told why)."""
        ...

    async def tell(self, replies: tuple[Reply, ...], *, assessment_id: int | None) -> None:
        """Only to the person who acted."""
        ...

    async def replace_source(self, reply: Reply, *, assessment_id: int | None, place: Place | None) -> bool:
        """Put the reply in place of the message acted on; False when there is none."""
        ...

    async def post(self, reply: Reply, *, assessment_id: int | None, place: Place) -> None:
        """In the check's thread."""
        ...

    async def redraw(self, card: Card, *, place: Place) -> None: ...


class Redraws:
    """Card redraws, never older than the card on screen.

    Two turns that finish close together, in this process or in two replicas, could draw their
    cards out of order and leave the older one on screen: a redraw older than the last one drawn
    here is dropped, and after each the stored version is read again, so that a newer one saved
    meanwhile (anywhere) is drawn too.
    """

    def __init__(self, *, newer: Callable[..., Awaitable[Card | None]]) -> None:
        self.newer = newer
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._drawn: dict[int, int] = {}

    async def draw(self, card: Card, redraw: Callable[[Card], Awaitable[None]]) -> None:
        lock = self._locks.get(card.assessment_id)
        if lock is None:
            lock = self._locks[card.assessment_id] = asyncio.Lock()
        async with lock:
            for _ in range(3):  # bounded: each round draws a newer version than the one before
                if card.version < self._drawn.get(card.assessment_id, 0):
                    return
                if len(self._drawn) > 10_000:  # a bound on what one process remembers
                    self._drawn.clear()
                self._drawn[card.assessment_id] = card.version
                await redraw(card)
                newer = await self.newer(assessment_id=card.assessment_id, than=card.version)
                if newer is None:
                    return
                card = newer


async def present(
    shown: Shown,
    screen: Screen,
    *,
    redraws: Redraws,
    posted: Callable[[int, str], Awaitable[None]],
    refused: Callable[[int], Awaitable[None]],
) -> None:
    """Show everything in `shown` on `screen`; `posted`/`refused` record what became of a new check's card."""
    place, aid = shown.place, shown.assessment_id
    if shown.form is not None:
        await screen.open_form(shown.form)
    if shown.new and shown.card is not None and place is not None:
        thread = await screen.post_card(shown.card, place=place)
        if thread is None:
            await refused(shown.card.assessment_id)  # nothing was answered yet: the check goes
            return
        await posted(shown.card.assessment_id, thread)
        place = replace(place, thread=thread)
    if shown.private:
        await screen.tell(shown.private, assessment_id=aid)
    if shown.replace is not None and not await screen.replace_source(shown.replace, assessment_id=aid, place=place):
        if place is not None:
            await screen.post(shown.replace, assessment_id=aid, place=place)
    if place is not None:
        for reply in shown.thread:
            await screen.post(reply, assessment_id=aid, place=place)
    if shown.card is not None and not shown.new and place is not None and place.thread:
        drawn_in = place
        await redraws.draw(shown.card, lambda card: screen.redraw(card, place=drawn_in))
