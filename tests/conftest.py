"""Shared fixtures; tests that reach the network fail on purpose."""

from __future__ import annotations

import socket
from datetime import datetime, timezone

import pytest

from conversations.people import Person

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only loopback and local sockets: a test that reaches out fails."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address and str(address[0]) not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def ana() -> Person:
    return Person(name="Ana Ruiz", id="U0ANA")


@pytest.fixture
def bo() -> Person:
    return Person(name="Bo Chen", id="U0BO")
