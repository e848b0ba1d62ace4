"""Issue 14, item 6 in the Python API: opening to resume never creates a database, and a
study opened without a name on a storage resumes the one stored there."""

from __future__ import annotations

import pytest

import bbo
from bbo.exceptions import InvalidArgumentError, StorageError, StudyNotFoundError

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})


def test_load_of_a_missing_sqlite_file_raises_and_creates_nothing(tmp_path):
    db = tmp_path / "nope.db"
    with pytest.raises(StudyNotFoundError, match=r"nope\.db does not exist"):
        bbo.Study.load("x", f"sqlite:///{db}")
    assert not db.exists()


def test_a_missing_folder_is_an_error_not_a_new_folder(tmp_path):
    with pytest.raises(StorageError, match="does not exist; bbo creates the database file"):
        bbo.Study(SPACE, storage=f"sqlite:///{tmp_path / 'typo' / 's.db'}", name="s")
    assert not (tmp_path / "typo").exists()


def test_unnamed_study_resumes_the_only_study_of_the_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = bbo.Study(SPACE, storage=url, seed=0)  # an empty storage: a new study
    first.tell(first.ask(), 0.5)
    again = bbo.Study(SPACE, storage=url)
    assert again.name == first.name and len(again.trials) == 1
    bbo.Study(SPACE, storage=url, name="other")
    with pytest.raises(InvalidArgumentError, match=r"holds 2 studies \[.*'other'\]: pass `name=`"):
        bbo.Study(SPACE, storage=url)
    assert bbo.Study(SPACE).name != first.name  # in memory: always a new study


def test_wal_mode_waits_for_a_lock_that_sqlite_refuses_at_once(tmp_path):
    """Switching a new file to WAL needs an exclusive lock; a connection with no busy timeout
    is refused at once while another holds it. ``_wal`` retries until the holder is done."""
    import sqlite3
    import threading

    from bbo.study.storage.sql_engine import _wal

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("PRAGMA journal_mode=WAL")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    _wal(other.cursor(), wait=10.0)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    holder.close()
