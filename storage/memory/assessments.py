"""Assessments in memory: the states as given, answers' authors and the audit trail beside them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from conversations.machine import Stage, State
from conversations.ports import Change, Changed, Listing, Loaded, NameTaken, Place
from conversations.questions import TOTAL
from conversations.scoring import score
from storage.memory.tables import AssessmentRow, ChangeRow, Tables, round_trip


class MemoryAssessments:
    """conversations.ports.Assessments in memory."""

    def __init__(self, *, tables: Tables | None = None) -> None:
        self.tables = tables or Tables()

    async def create(self, *, place: Place, state: State, now: datetime, applying: int | None = None) -> int:
        """Store a new assessment; with `applying`, marking that inbox request applied at once."""
        await round_trip()
        t = self.tables
        request = t.unapplied(applying)
        for row in t.assessments.values():
            if (row.place.platform, row.place.workspace, row.place.channel) == (place.platform, place.workspace, place.channel):
                if row.state.project.lower() == state.project.lower():
                    raise NameTaken(row.id)
        ws = t.upsert_workspace(place.platform, place.workspace)
        people = t.people_ids(ws.id, [state.started_by, state.sponsor, *(a.by for a in state.answers.values())])
        row = AssessmentRow(
            id=t.new_id("assessment"),
            workspace_id=ws.id,
            state=state,
            place=Place(platform=place.platform, workspace=place.workspace, channel=place.channel, thread=place.thread),
            authors={k: people[a.by.key] for k, a in state.answers.items()},
            started_by_id=people[state.started_by.key],
            sponsor_id=people[state.sponsor.key] if state.sponsor else None,
            owner_id=None,
            created_at=now,
            updated_at=now,
            gaps_since={gap: now.isoformat() for gap in score(state.values).gaps},
            next_reminder_at=now,
        )
        t.assessments[row.id] = row
        if row.sponsor_id is not None:
            t.schedule_digest(row.sponsor_id, now)
        if request is not None:
            request.applied_at = now
        return row.id

    async def load(self, *, assessment_id: int, workspace: str | None = None) -> Loaded | None:
        """With `workspace`, an assessment of any other workspace is not found."""
        await round_trip()
        row = self.tables.assessments.get(assessment_id)
        if row is None or (workspace is not None and row.place.workspace != workspace):
            return None
        return self._loaded(row)

    async def version(self, *, assessment_id: int) -> int | None:
        await round_trip()
        row = self.tables.assessments.get(assessment_id)
        return row.version if row is not None else None

    async def load_all(self) -> list[Loaded]:
        """Every assessment with its answers, oldest first."""
        return [self._loaded(r) for _, r in sorted(self.tables.assessments.items())]

    def _loaded(self, row: AssessmentRow) -> Loaded:
        state = self.tables.state(row)
        return Loaded(
            id=row.id, state=state, version=row.version, place=row.place, gaps_since=dict(row.gaps_since), workspace_id=row.workspace_id
        )

    async def change(
        self,
        *,
        assessment_id: int,
        workspace: str | None,
        apply: Callable[[Loaded], State | None],
        now: datetime,
        applying: int | None = None,
    ) -> Changed | None:
        """Read, apply and write with nothing awaited in between: the event loop holds the assessment, as a lock would."""
        await round_trip()
        t = self.tables
        row = t.assessments.get(assessment_id)
        if row is None or (workspace is not None and row.place.workspace != workspace):
            return None
        loaded = self._loaded(row)
        state = apply(loaded)
        request = t.unapplied(applying)  # AlreadyApplied before anything is written
        if state is None:  # marked all the same, so that a redelivery is always known as one
            if request is not None:
                request.applied_at = now
            return Changed(loaded=loaded, state=loaded.state, version=loaded.version)
        changed = [k for k in state.answers if loaded.state.answers.get(k) != state.answers[k]]
        people = t.people_ids(row.workspace_id, [*(state.answers[k].by for k in changed), state.sponsor, state.owner])
        for k in changed:
            old, new = loaded.state.answers.get(k), state.answers[k]
            row.authors[k] = people[new.by.key]
            old_value = dict(old.values) if old else None
            t.history.append(ChangeRow(t.new_id("answer_change"), row.id, k, old_value, dict(new.values), people[new.by.key], new.at))
        row.state, row.version, row.updated_at = state, row.version + 1, now
        row.next_reminder_at = None if state.stage is Stage.ARCHIVED else now  # an archived check is never due again
        row.sponsor_id = people[state.sponsor.key] if state.sponsor else None
        row.owner_id = people[state.owner.key] if state.owner else None
        row.gaps_since = {gap: loaded.gaps_since.get(gap, now.isoformat()) for gap in score(state.values).gaps}
        if row.sponsor_id is not None and state.sponsor != loaded.state.sponsor:
            t.schedule_digest(row.sponsor_id, now)
        if request is not None:
            request.applied_at = now
        return Changed(loaded=loaded, state=state, version=row.version)

    async def set_thread(self, *, assessment_id: int, thread: str) -> None:
        """Remember the thread an assessment lives in, once the platform has created it."""
        row = self.tables.assessments.get(assessment_id)
        if row is not None:
            row.place = replace(row.place, thread=thread)

    async def delete_assessment(self, *, assessment_id: int) -> None:
        """Delete an assessment with its answers, history and deliveries."""
        self.tables.delete_assessments({assessment_id})

    async def listing(self, *, platform: str, workspace: str, unfinished_only: bool = False) -> list[Listing]:
        """A workspace's assessments, the most recently changed first."""
        rows = [r for r in self._listed(platform, workspace) if not (unfinished_only and r.state.stage is Stage.FINISHED)]
        return [_listing(r) for r in sorted(rows, key=lambda r: (r.updated_at, r.id), reverse=True)]

    async def in_channel(self, *, platform: str, workspace: str, channel: str) -> list[Listing]:
        """The assessments of one conversation, the most recently started first."""
        rows = [r for r in self._listed(platform, workspace) if r.place.channel == channel]
        return [_listing(r) for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]

    async def for_person(self, *, platform: str, workspace: str, person: str) -> list[Listing]:
        """Assessments a person started, owns or sponsors (the 50 most recently changed)."""
        ws = self.tables.workspace(platform, workspace)
        found = self.tables.person(ws.id, person) if ws is not None else None
        if found is None:
            return []
        rows = [r for r in self._listed(platform, workspace) if found.id in (r.started_by_id, r.owner_id, r.sponsor_id)]
        return [_listing(r) for r in sorted(rows, key=lambda r: (r.updated_at, r.id), reverse=True)[:50]]

    async def history(self, *, assessment_id: int) -> list[Change]:
        """Every change to the assessment's answers, oldest first: the audit trail."""
        t = self.tables
        return [
            Change(c.question, c.old_value, c.new_value, t.ref(c.changed_by_id), c.changed_at)
            for c in t.history
            if c.assessment_id == assessment_id
        ]

    def _listed(self, platform: str, workspace: str) -> list[AssessmentRow]:
        """A workspace's checks that are not archived (archived ones are only exported)."""
        return [r for r in self._in(platform, workspace) if r.state.stage is not Stage.ARCHIVED]

    def _in(self, platform: str, workspace: str) -> list[AssessmentRow]:
        ws = self.tables.workspace(platform, workspace)
        return [r for r in self.tables.assessments.values() if ws is not None and r.workspace_id == ws.id]


def _listing(row: AssessmentRow) -> Listing:
    card = score(row.state.values)
    return Listing(
        id=row.id,
        project=row.state.project,
        stage=row.state.stage,
        position=row.state.cursor + 1,
        answered=card.answered,
        percent=round(100 * card.total / TOTAL),
        level=card.level.value,
        gaps=tuple(card.gaps),
    )
