"""Per-study ask locks between processes that share one SQLite file.

SQLite serializes each transaction, but an ask is a read, a proposal and an insert in
separate transactions: two processes asking the same study at once both propose from the
same history, and one of them loses the insert and proposes again (a second GP fit).
:func:`ask_lock` makes such asks take turns, as PostgreSQL's advisory lock does there.

It is a POSIX record lock (``fcntl.lockf``) on byte ``study_id`` of a sidecar file
``<database>-bbo-ask.lock``: the kernel releases it when its process dies (a ``kill -9``
leaves no stale lock) and asks of other studies do not wait. Record locks belong to a
process and vanish when *any* descriptor of the file is closed, so each process keeps one
descriptor per lock file open for its lifetime, and a threading lock per (file, study)
orders the threads of one process first. Where ``fcntl`` is missing (Windows) the lock
only orders threads; the optimistic retry of :meth:`Study.ask` still resolves races.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_registry_lock = threading.Lock()
_fds: dict[str, int] = {}
_threads: dict[tuple[str, int], threading.Lock] = {}


def lock_path(database: str) -> str:
    """The sidecar lock file of a SQLite database file."""
    return os.path.realpath(database) + "-bbo-ask.lock"


@contextmanager
def ask_lock(database: str, study_id: int) -> Iterator[None]:
    """Hold the ask lock of ``study_id`` in the SQLite file ``database``."""
    path = lock_path(database)
    with _registry_lock:
        thread_lock = _threads.setdefault((path, study_id), threading.Lock())
        if fcntl is not None and path not in _fds:
            _fds[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with thread_lock:
        if fcntl is None:
            yield
            return
        fd = _fds[path]
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, study_id)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, study_id)
