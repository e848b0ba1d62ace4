"""Shared fixtures: one storage contract, every backend."""

from __future__ import annotations

import pytest

from bbo.study.storage import Storage, open_storage
from tests.pg import postgres_server, postgres_url  # noqa: F401 - fixtures

BACKENDS = ["memory", "sqlite", "postgres"]


def make_storage(kind: str, tmp_path, request=None) -> Storage:
    if kind == "memory":
        return open_storage(None)
    if kind == "sqlite":
        return open_storage(f"sqlite:///{tmp_path / 'study.db'}")
    if kind == "postgres":  # a fresh database on the session's throwaway server (tests/pg.py)
        return open_storage(request.getfixturevalue("postgres_url"))
    raise ValueError(kind)


@pytest.fixture(params=BACKENDS)
def storage_url(request, tmp_path):
    """A storage *URL or object* for every backend (memory has no URL: the object)."""
    return make_storage(request.param, tmp_path, request)
