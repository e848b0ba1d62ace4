"""Fixtures: a real server on a loopback port, in this process (ServerThread)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bbo.client import Client
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.service import Limits

import bbo


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    """An in-memory server; tests use their own study names."""
    srv = ServerThread("memory://", ServerConfig(limits=Limits(max_ask=16, max_samples=100)))
    yield srv
    srv.stop()


@pytest.fixture
def client(server: ServerThread) -> Iterator[Client]:
    with bbo.connect(server.target, retry_timeout=5.0) as c:
        yield c
