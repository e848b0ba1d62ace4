"""SQLite reads of the storage are deferred transactions: under WAL they read a snapshot
while another connection (another thread of a server, another worker process) holds the
write lock, instead of queueing behind it in SQLite's busy handler."""

from __future__ import annotations

import sqlite3
import threading

from bbo.study.storage import NewTrial, TrialResult, open_storage
from bbo.trial import TrialState

SPEC = {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False}}, "seed": 1}


def test_reads_do_not_wait_for_a_writer_and_see_the_last_commit(tmp_path):
    path = tmp_path / "s.db"
    st = open_storage(f"sqlite:///{path}")
    rec, _ = st.get_or_create_study("a", SPEC)
    (t,) = st.create_trials(rec.id, [NewTrial({"x": 0.1})])
    st.finish_trials(rec.id, [(t.id, TrialResult(TrialState.COMPLETED, {"y": 1.0}, 1.0))])

    writer = sqlite3.connect(path, isolation_level=None, timeout=60.0)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, uncommitted row below
    writer.execute(
        "INSERT INTO queue (study_id, params, attrs, created_at) VALUES (?, '{}', '{}', 0)",
        (rec.id,),
    )
    got: dict[str, object] = {}

    def read() -> None:
        got["trials"] = st.get_trials(rec.id)
        got["count"] = st.count_trials(rec.id)
        got["queue"] = st.get_queue(rec.id)
        got["study"] = st.get_study("a")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20.0)  # a read behind the lock would wait for the busy timeout (60 s)
    try:
        assert not reader.is_alive(), "a read waited for another connection's write lock"
        trials = got["trials"]
        assert [x.state for x in trials] == [TrialState.COMPLETED]  # type: ignore[attr-defined]
        assert got["count"] == 1
        assert got["queue"] == []  # the writer's row is not committed: not seen
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert len(st.get_queue(rec.id)) == 1  # committed now: the next read sees it
    st.close()
