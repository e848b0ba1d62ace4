"""Study storage backends and :func:`open_storage`."""

from __future__ import annotations

import uuid
from pathlib import Path

from bbo.exceptions import InvalidArgumentError, StorageError, StudyNotFoundError
from bbo.study.storage.base import (
    NewTrial,
    QueuedPoint,
    SpaceEdit,
    Storage,
    StudyRecord,
    TrialResult,
)
from bbo.study.storage.memory import MemoryStorage


def open_storage(url: str | Storage | None, *, must_exist: bool = False) -> Storage:
    """``None`` or ``"memory://"`` -> in-process; ``sqlite:///FILE`` or
    ``postgresql://...`` -> :class:`~bbo.study.storage.sql.SQLStorage`; a Storage is passed
    through. ``must_exist``: a missing SQLite file raises StudyNotFoundError naming it
    instead of being created (opening a study to resume it)."""
    if isinstance(url, Storage):
        return url
    missing = sqlite_file(url) if isinstance(url, str) else None
    if must_exist and missing is not None and not missing.exists():
        raise StudyNotFoundError(
            f"storage {url!r}: the SQLite file {missing} does not exist (nothing was stored "
            "there yet?)"
        )
    if url is None or url in ("memory", "memory://"):
        return MemoryStorage()
    if not isinstance(url, str) or "://" not in url:
        raise StorageError(
            f"storage URL {url!r} is malformed: use sqlite:///study.db, "
            "postgresql://user:pass@host/db or None for in-memory"
        )
    scheme = url.split("://", 1)[0].split("+", 1)[0]
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise StorageError(
            f"storage URL {url!r}: unsupported scheme {scheme!r}; use sqlite:// or postgresql://"
        )
    from bbo.study.storage.sql import SQLStorage  # lazy: sqlalchemy is not needed in memory

    return SQLStorage(url.replace("postgres://", "postgresql://", 1))


DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
"""File suffixes that a bare path given as a storage names a SQLite database by."""


def as_storage_url(text: str) -> str:
    """A storage URL from ``text``: a URL as is, a bare ``FILE.db`` path as its
    ``sqlite:///`` URL."""
    if ":" not in text and Path(text).suffix.lower() in DB_SUFFIXES:
        return f"sqlite:///{text}"
    return text


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///FILE`` URL (``~`` expanded), else None (another
    scheme, or an in-memory database)."""
    if not isinstance(url, str) or not url.startswith("sqlite") or ":///" not in url:
        return None
    path = url.split(":///", 1)[1].split("?", 1)[0]
    return Path(path).expanduser() if path and path != ":memory:" else None


def sole_study(storage: Storage, given: bool = True) -> str:
    """The name for a study opened without one: the only study of a ``given`` storage (it is
    resumed), else a fresh name; InvalidArgumentError lists them when there are several."""
    names = [r.name for r in storage.list_studies()] if given else []
    if len(names) > 1:
        raise InvalidArgumentError(
            f"storage {storage.url} holds {len(names)} studies {names}: pass `name=` to say "
            "which to open (or a new name to start another)"
        )
    return names[0] if names else f"study-{uuid.uuid4().hex[:12]}"


__all__ = [
    "DB_SUFFIXES",
    "MemoryStorage",
    "NewTrial",
    "QueuedPoint",
    "SpaceEdit",
    "Storage",
    "StudyRecord",
    "TrialResult",
    "as_storage_url",
    "open_storage",
    "sole_study",
    "sqlite_file",
]
