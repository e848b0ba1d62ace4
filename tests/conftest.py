"""Shared fixtures: one storage contract, every backend."""

from __future__ import annotations

import pytest

from bbo.study.storage import Storage, open_storage

BACKENDS = ["memory", "sqlite"]


def make_storage(kind: str, tmp_path) -> Storage:
    if kind == "memory":
        return open_storage(None)
    if kind == "sqlite":
        return open_storage(f"sqlite:///{tmp_path / 'study.db'}")
    raise ValueError(kind)


@pytest.fixture(params=BACKENDS)
def storage_url(request, tmp_path):
    """A storage *URL or object* for every backend (memory has no URL: the object)."""
    return make_storage(request.param, tmp_path)
