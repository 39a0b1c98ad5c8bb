"""Persistence: SQLModel tables, the async engine, the assessment store and migrations."""

from storage.engine import DatabaseError, connect, database_url
from storage.repository import SqlStore

__all__ = ["DatabaseError", "SqlStore", "connect", "database_url"]
