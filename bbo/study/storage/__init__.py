"""Study storage backends and :func:`open_storage`."""

from __future__ import annotations

from bbo.exceptions import StorageError
from bbo.study.storage.base import NewTrial, Storage, StudyRecord, TrialResult
from bbo.study.storage.memory import MemoryStorage


def open_storage(url: str | Storage | None) -> Storage:
    """``None`` or ``"memory://"`` -> in-process; ``sqlite:///FILE`` or
    ``postgresql://...`` -> :class:`~bbo.study.storage.sql.SQLStorage`; a Storage is passed
    through."""
    if isinstance(url, Storage):
        return url
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


__all__ = ["MemoryStorage", "NewTrial", "Storage", "StudyRecord", "TrialResult", "open_storage"]
