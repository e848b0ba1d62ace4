"""Fixtures: a real server on a loopback port, in this process (ServerThread)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from bbo.client import Client
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.service import Limits

import bbo
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc


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


@pytest.fixture
def stub(server: ServerThread) -> Iterator[pb_grpc.OptimizerStub]:
    """Generated stubs on a channel to the module's server (a client in any language)."""
    with grpc.insecure_channel(server.target) as ch:
        yield pb_grpc.OptimizerStub(ch)
