"""Nudge and digest passes, and the loop that runs them inside `preflight serve`.

A pass plans (pure, in conversations/), queues each delivery once by its key, then sends
what is queued through each platform's Sender, retrying failures with backoff and
marking the ones that can never be delivered. A dry run only reads: it plans what a pass
would send at that moment, and reports it without sending or recording anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conversations.digest import plan_digest
from conversations.people import Person
from conversations.ports import DELIVERY_LEASE, Deliveries, Inbox, Outgoing, Workspaces
from conversations.ports import DeliveryOutcome as Outcome
from conversations.reminders import Planned, Sender, Sent, plan

log = logging.getLogger(__name__)
BATCH = 500
SEND_BATCH = 20
KEEP_EVERY = 30.0  # seconds between two extensions of a batch's lease (which is minutes)
MAX_ATTEMPTS = 5
TZ_REFRESH = timedelta(days=7)
PLATFORMS = ("slack", "teams")  # what a dry run looks at when no platform is configured
DRY_RUN_LIMIT = 10_000
PACE = 1.0  # seconds between two messages to one conversation: Slack allows about one a second per channel


@dataclass
class Report:
    looked_at: int = 0
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # A dry run's findings: what a pass would queue and send, and what it would ask the platforms.
    planned: list[Planned] = field(default_factory=list)
    waiting: list[Outgoing] = field(default_factory=list)  # queued before, due now (new, or a retry)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"looked at {self.looked_at}, queued {self.queued}, sent {self.sent}, retrying {self.retrying}, failed {self.failed}"
        return text + "".join(f"\n  {e}" for e in self.errors)


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """30 s, 1 min, 2 min, 4 min…, at least what the platform asked for."""
    return timedelta(seconds=max(retry_after or 0, min(3600, 30 * 2**attempts)))


class Scheduler:
    def __init__(self, *, deliveries: Deliveries, workspaces: Workspaces, inbox: Inbox, senders: Mapping[str, Sender]) -> None:
        self.reminders = deliveries
        self.workspaces = workspaces
        self.inbox = inbox
        self.senders = dict(senders)
        self._last_sent: dict[tuple[str, str, str], float] = {}  # conversation -> monotonic time of its last message

    async def nudge_pass(self, *, now: datetime, dry_run: bool = False) -> Report:
        """Queue every reminder due at `now`, then deliver; a dry run only reports what that would do."""
        report = Report()
        if dry_run:
            return await self._dry_nudges(now=now, report=report)
        await self.find_zones(now=now)
        while True:
            candidates = await self.reminders.claim_assessments(now=now, platforms=list(self.senders), limit=BATCH)
            if not candidates:
                break
            planned: list[Planned] = []
            rescheduled = []
            for candidate in candidates:
                notices, again = plan(candidate, now=now)
                planned += notices
                rescheduled.append(again)
            report.looked_at += len(candidates)
            report.queued += await self.reminders.record(planned=planned, rescheduled=rescheduled, now=now)
            if len(candidates) < BATCH:
                break
        await self.deliver(now=now, report=report)
        return report

    async def digest_pass(self, *, now: datetime, dry_run: bool = False) -> Report:
        """Queue the digests due at `now` in each sponsor's time zone, then deliver; a dry run only reports what that would do."""
        report = Report()
        if dry_run:
            return await self._dry_digests(now=now, report=report)
        while True:
            due = await self.reminders.claim_sponsors(now=now, platforms=list(self.senders), limit=BATCH)
            if not due:
                break
            report.looked_at += len(due)
            zones = {s.id: await self._zone(s, now=now) for s in due}
            projects = await self.workspaces.sponsored(person_ids=[s.id for s in due if s.tz_checked_at is not None])
            planned: list[Planned] = []
            schedule: dict[int, tuple[datetime | None, str | None, datetime | None]] = {}
            digested: dict[int, float] = {}
            for s in due:
                tz, checked = zones[s.id]
                plan = plan_digest(s, projects.get(s.id, []), tz=tz, now=now)
                if plan.planned is not None:
                    planned.append(plan.planned)
                digested.update(plan.digested)
                schedule[s.id] = (plan.next_at, tz, checked)
            report.queued += await self.reminders.record_digests(planned=planned, schedule=schedule, digested=digested, now=now)
            if len(due) < BATCH:
                break
        await self.deliver(now=now, report=report)
        return report

    async def find_zones(self, *, now: datetime) -> None:
        """A workspace whose zone nobody chose takes that of the first person to start a check there, asked of the
        platform once (Slack's users.info; Teams reports zones with messages, so its workspaces adopt them there)."""
        for platform, workspace, person in await self.reminders.zones_to_find(platforms=list(self.senders), limit=BATCH):
            tz = None
            if person.id:
                try:
                    tz = await self.senders[platform].time_zone(workspace=workspace, person=person.id)
                except Exception as e:  # ask again next pass
                    log.warning("time zone lookup failed for %s in %s: %s", person.id, workspace, e)
                    continue
            await self.workspaces.adopt_zone(platform=platform, workspace=workspace, tz=tz, by=person.name if tz else None, now=now)

    def _platforms(self, report: Report) -> list[str]:
        if self.senders:
            return list(self.senders)
        report.notes.append("No Slack or Teams credentials are set: showing what would go out on every platform.")
        return list(PLATFORMS)

    async def _dry_nudges(self, *, now: datetime, report: Report) -> Report:
        platforms = self._platforms(report)
        for platform, workspace, person in await self.reminders.zones_to_find(platforms=platforms, limit=BATCH):
            report.notes.append(
                f"Would ask {platform} for {person.name}'s time zone, to set {workspace}'s (reminders below use its zone so far)."
            )
        candidates = await self.reminders.claim_assessments(now=now, platforms=platforms, limit=DRY_RUN_LIMIT, lease=False)
        report.looked_at = len(candidates)
        report.planned = [p for c in candidates for p in plan(c, now=now)[0]]
        report.waiting = await self.reminders.claim_outbox(now=now, limit=DRY_RUN_LIMIT, lease=False)
        return report

    async def _dry_digests(self, *, now: datetime, report: Report) -> Report:
        platforms = self._platforms(report)
        due = await self.reminders.claim_sponsors(now=now, platforms=platforms, limit=DRY_RUN_LIMIT, lease=False)
        report.looked_at = len(due)
        projects = await self.workspaces.sponsored(person_ids=[s.id for s in due if s.tz_checked_at is not None])
        for s in due:
            if s.tz_checked_at is None:
                report.notes.append(f"{s.name} is a new sponsor: would look up their time zone and schedule their first digest.")
                continue
            planned = plan_digest(s, projects.get(s.id, []), tz=s.tz, now=now).planned
            if planned is not None:
                report.planned.append(planned)
        report.waiting = await self.reminders.claim_outbox(now=now, limit=DRY_RUN_LIMIT, lease=False)
        return report

    async def _zone(self, sponsor, *, now: datetime) -> tuple[str | None, datetime | None]:
        """The sponsor's time zone, asked of the platform once a week."""
        if sponsor.tz_checked_at is not None and now - sponsor.tz_checked_at < TZ_REFRESH:
            return sponsor.tz, sponsor.tz_checked_at
        sender = self.senders.get(sponsor.platform)
        if sender is None or Person.from_key(sponsor.external_id, name=sponsor.name).id is None:  # only a name: nobody to ask
            return sponsor.tz, now
        try:
            found = await sender.time_zone(workspace=sponsor.workspace, person=sponsor.external_id)
        except Exception as e:  # keep the zone we had; ask again next pass
            log.warning("time zone lookup failed for %s: %s", sponsor.external_id, e)
            return sponsor.tz, sponsor.tz_checked_at
        return (found or sponsor.tz), now

    async def deliver(self, *, now: datetime, report: Report | None = None) -> Report:
        """Send what is queued and due, recording each send as it happens: a pass that dies re-sends at most the one in
        flight. Transient failures are retried later (after what the platform asked, at least), permanent ones given up."""
        report = report or Report()
        began = time.monotonic()
        while True:
            batch = await self.reminders.claim_outbox(now=now, limit=SEND_BATCH)
            waiting = {item.id for item in batch}
            keeper = asyncio.create_task(self._keep(waiting, now=now, began=began))
            try:
                for item in batch:
                    outcome = await self._send(item, now=now, report=report)
                    await self.reminders.finish(outcomes=[outcome], now=now)
                    waiting.discard(item.id)
            finally:
                keeper.cancel()
            if len(batch) < SEND_BATCH:
                return report

    async def _keep(self, waiting: set[int], *, now: datetime, began: float) -> None:
        """While a batch is being sent, however slowly, its unsent deliveries stay claimed: no other pass, replica or
        cron run takes them over. The lease moves on with the time this pass has been running."""
        while True:
            await asyncio.sleep(KEEP_EVERY)
            until = now + timedelta(seconds=time.monotonic() - began) + DELIVERY_LEASE
            try:
                await self.reminders.keep(ids=sorted(waiting), until=until)
            except Exception:
                log.exception("keeping the claim on %d deliveries failed", len(waiting))

    async def _send(self, item: Outgoing, *, now: datetime, report: Report) -> Outcome:
        sender = self.senders.get(item.platform)
        if sender is None:
            return Outcome(item.id, "failed", error=f"no sender for {item.platform}")
        await self._pace(item)
        try:
            sent: Sent | None = await sender.send(notice=item.notice, target=item.target)
            error = (sent.error if sent is not None else None) or "unknown error"
        except Exception as e:  # a bug or an outage in the sender: retry like a transient failure
            log.exception("sending %s failed", item.key)
            sent, error = None, f"{type(e).__name__}: {e}"
        if sent is not None and sent.ok:
            report.sent += 1
            return Outcome(item.id, "sent")
        if sent is not None and sent.permanent:
            report.failed += 1
            report.errors.append(f"{item.key}: {sent.permanent} (will not retry)")
            return Outcome(item.id, "failed", error=sent.permanent)
        if item.attempts + 1 >= MAX_ATTEMPTS:
            report.failed += 1
            report.errors.append(f"{item.key}: gave up after {MAX_ATTEMPTS} attempts ({error})")
            return Outcome(item.id, "failed", error=f"gave up after {MAX_ATTEMPTS} attempts: {error}")
        report.retrying += 1
        retry_at = now + backoff(item.attempts, sent.retry_after if sent is not None else None)
        return Outcome(item.id, "pending", error=error, next_attempt_at=retry_at)

    async def _pace(self, item: Outgoing) -> None:
        """Wait until the conversation's last message is PACE seconds old (a digest and a nudge for one channel)."""
        target = item.target
        conversation = (item.platform, target.workspace, target.person or target.channel or "")
        wait = self._last_sent.get(conversation, 0.0) + PACE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if len(self._last_sent) > 10_000:
            self._last_sent.clear()
        self._last_sent[conversation] = time.monotonic()

    async def run_forever(self, *, clock: Callable[[], datetime], stop: asyncio.Event, every: float = 60) -> None:
        """Both passes every minute until `stop` is set; a failing pass is logged and tried again."""
        while not stop.is_set():
            now = clock()
            try:
                await self.inbox.prune(before=now - timedelta(days=1))  # Slack retries within minutes
            except Exception:
                log.exception("pruning the inbox failed")
            for name, run in (("nudge", self.nudge_pass), ("digest", self.digest_pass)):
                try:
                    report = await run(now=now)
                    if report.queued or report.sent or report.failed:
                        log.info("%s pass: %s", name, report)
                except Exception:
                    log.exception("%s pass failed; trying again next time", name)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
