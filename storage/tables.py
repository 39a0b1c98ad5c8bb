"""The tables: workspaces, people, assessments, answers and their history, the outbox and the inbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, TypeDecorator, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and read back time-zone aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass time-zone aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class Workspace(SQLModel, table=True):
    """A Slack workspace, a Teams tenant, or the local terminal."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    created_at: datetime = _when()
    # Reminder and digest settings (conversations.schedule.Settings); times are "HH:MM" local.
    tz: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    nudge_every: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    nudge_at: str = Field(default="10:00", max_length=5, sa_column_kwargs={"server_default": "10:00"})
    work_start: str = Field(default="09:00", max_length=5, sa_column_kwargs={"server_default": "09:00"})
    work_end: str = Field(default="18:00", max_length=5, sa_column_kwargs={"server_default": "18:00"})
    stall_hours: int = Field(default=24, sa_column_kwargs={"server_default": "24"})
    escalate_after: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    digest_weekday: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    digest_at: str = Field(default="09:00", max_length=5, sa_column_kwargs={"server_default": "09:00"})
    stop_after: int = Field(default=6, sa_column_kwargs={"server_default": "6"})  # reminders with no change, then none
    # Where tz came from: NULL (not looked for yet), "default", "platform" (someone's profile or client), "settings".
    tz_source: str | None = Field(default=None, max_length=16)
    tz_by: str | None = Field(default=None, max_length=200)  # whose zone it is, or the admin who chose it


class Person(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    external_id: str = Field(max_length=200)  # platform user id, or "name:<lowercased name>"
    name: str = Field(max_length=200)
    tz: str | None = Field(default=None, max_length=64)
    tz_checked_at: datetime | None = _when(default=None)
    next_digest_at: datetime | None = _when(default=None, index=True)
    updated_at: datetime = _when()


class Assessment(SQLModel, table=True):
    __table_args__ = (
        Index("ix_assessment_place", "workspace_id", "channel"),
        Index("ix_assessment_open_gaps", "has_gaps", "stage", "updated_at"),
        Index("ix_assessment_sponsor", "sponsor_id"),
        Index("ix_assessment_owner", "owner_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=200)
    thread: str | None = Field(default=None, max_length=200)
    project: str = Field(max_length=200)
    # People belong to the workspace; deleting a workspace deletes them and all that refers to them.
    started_by_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    sponsor_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    owner_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    stage: str = Field(max_length=16)
    cursor: int = 0
    skipped: list[str] = Field(default_factory=list, sa_type=JSON)
    pending: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    version: int = 1  # bumped on every change; a stale writer updates no row
    answered: int = 0
    total: float = 0.0
    level: str = Field(default="", max_length=32)
    gaps: str = Field(default="", max_length=64)  # blocking gaps, comma-separated
    has_gaps: bool = True
    created_at: datetime = _when()
    updated_at: datetime = _when()
    finished_at: datetime | None = _when(default=None)
    # Reminders: when to look at this assessment again, and what was sent since the last change.
    snoozed_until: datetime | None = _when(default=None)
    next_reminder_at: datetime | None = _when(default=None, index=True)
    last_reminded_at: datetime | None = _when(default=None)
    reminders_since_change: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    escalated: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    reminded_gaps: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})  # named by the last reminder
    gaps_since: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # gap -> ISO time it opened
    digested_total: float | None = None  # the score in the sponsor's last digest


class Answer(SQLModel, table=True):
    """The current answer to one question."""

    __table_args__ = (UniqueConstraint("assessment_id", "question"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", ondelete="CASCADE")
    question: str = Field(max_length=32)
    value: dict[str, Any] = Field(sa_type=JSON)
    score: float
    answered_by_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    answered_at: datetime = _when()


class AnswerChange(SQLModel, table=True):
    """Every change to an answer: the audit trail."""

    __tablename__ = "answer_change"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    question: str = Field(max_length=32)
    old_value: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    new_value: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    changed_by_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    changed_at: datetime = _when()


class Inbox(SQLModel, table=True):
    """A request as it arrived, stored before it is acknowledged and worked on under a lease until done."""

    __table_args__ = (Index("ix_inbox_open", "done_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # a retry or replay of the request has the same key
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_type=JSON)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _when(default=None)
    applied_at: datetime | None = _when(default=None)  # its change was saved (in the same transaction)
    done_at: datetime | None = _when(default=None)
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = _when()


class Reminder(SQLModel, table=True):
    """A reminder or digest to deliver: the outbox. Its key makes every delivery happen once."""

    __table_args__ = (Index("ix_reminder_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=16)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id", ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    target: dict[str, Any] = Field(sa_type=JSON)  # channel, thread or user
    notice: dict[str, Any] = Field(sa_type=JSON)  # conversations.reminders.Notice
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed
    attempts: int = 0
    next_attempt_at: datetime = _when()
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = _when()
    sent_at: datetime | None = _when(default=None)


class TeamsConversation(SQLModel, table=True):
    """A Teams conversation the bot has met, with the reference needed to write to it later."""

    __tablename__ = "teams_conversation"
    __table_args__ = (
        UniqueConstraint("workspace_id", "conversation_id"),
        Index("ix_teams_conversation_user", "workspace_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    conversation_id: str = Field(max_length=300)
    kind: str = Field(max_length=16)  # channel, personal or groupChat
    user_id: str | None = Field(default=None, max_length=200)  # the person, for a personal chat
    reference: dict[str, Any] = Field(sa_type=JSON)  # a serialised ConversationReference
    active: bool = True  # false once the connector answers 403 or 404
    updated_at: datetime = _when()
