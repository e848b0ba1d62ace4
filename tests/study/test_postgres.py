"""SQL storage on a real PostgreSQL server: URLs, locking, isolation, and several processes
sharing one study (the contract suites run on it too: tests/conftest.py BACKENDS).

The server is the session's throwaway one (tests/pg.py); each test gets a fresh database.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

from bbo.exceptions import (
    ConcurrentUpdateError,
    InvalidValueError,
    StorageError,
    TrialFinishedError,
)
from bbo.study.storage import NewTrial, TrialResult, open_storage
from bbo.testing.postgres import _free_port
from bbo.trial import TrialState
from tests.study.shared_study import shared_study_run

SPEC = {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False}}, "seed": 1}
ROOT = Path(__file__).resolve().parents[2]


def _raw(url: str):
    """A plain psycopg connection (not autocommit): another replica writing by hand."""
    import psycopg
    import sqlalchemy as sa

    u = sa.make_url(url)
    kw = {k: v for k, v in u.query.items() if k == "options"}  # the test's schema
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, **kw)


def _blocked(fn) -> tuple[threading.Thread, dict]:
    """Run ``fn`` in a thread; the dict receives its result or exception."""
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except Exception as e:
            out["error"] = e

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, out


def test_postgresql_urls_use_psycopg3(postgres_url):
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    for url in (plain, plain.replace("postgresql://", "postgres://")):
        st = open_storage(url)
        assert st._engine.dialect.driver == "psycopg"  # not SQLAlchemy's psycopg2 default
        rec, _ = st.get_or_create_study("a", SPEC)
        assert st.get_study("a").id == rec.id
        st.close()


def test_a_missing_server_is_named(monkeypatch, tmp_path):
    import bbo.testing.postgres as pgmod

    monkeypatch.setattr(pgmod, "_BIN_GLOB", str(tmp_path / "no-postgresql/*/bin"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("BBO_PG_BINDIR", raising=False)
    why = pgmod.postgres_unavailable()
    assert why is not None
    assert "initdb, pg_ctl, postgres" in why and "scripts/deps/postgres.sh" in why


def test_unreachable_server_is_a_storage_error_without_the_password():
    url = f"postgresql://bbo:s3cret@127.0.0.1:{_free_port()}/nowhere"
    with pytest.raises(StorageError) as e:
        open_storage(url)
    assert "unreachable" in str(e.value)
    assert "s3cret" not in str(e.value) and "bbo:***@127.0.0.1" in str(e.value)


def test_numbering_waits_for_the_study_row_lock(postgres_server):
    # even with a server default of SERIALIZABLE the storage runs at READ COMMITTED: a
    # writer that waited for the lock sees the trial committed by the lock's holder
    postgres_url = postgres_server.create_database("serializable_by_default")
    postgres_server.execute(
        "ALTER DATABASE serializable_by_default SET default_transaction_isolation TO 'serializable'"
    )
    st = open_storage(postgres_url)
    rec, _ = st.get_or_create_study("a", SPEC)
    with _raw(postgres_url) as other:  # another replica numbers trial 0 under the lock
        other.execute("SELECT id FROM studies WHERE id = %s FOR UPDATE", (rec.id,))
        waiting, out = _blocked(lambda: st.create_trials(rec.id, [NewTrial({"x": 0.2})]))
        cas, cas_out = _blocked(
            lambda: st.create_trials(rec.id, [NewTrial({"x": 0.3})], expected_count=0)
        )
        time.sleep(0.5)
        assert waiting.is_alive() and cas.is_alive()  # both wait for the study row
        other.execute(
            "INSERT INTO trials (study_id, number, state, params, metrics, attrs, created_at) "
            "VALUES (%s, 0, 'RUNNING', '{\"x\": 0.1}', '{}', '{}', 0)",
            (rec.id,),
        )
        other.commit()
    waiting.join(30)
    cas.join(30)
    assert [t.id for t in out["result"]] == [1]
    assert isinstance(cas_out["error"], ConcurrentUpdateError)
    assert "expected 0 trials, found" in str(cas_out["error"])
    assert [t.params["x"] for t in st.get_trials(rec.id)] == [0.1, 0.2]
    st.close()
    postgres_server.drop_database("serializable_by_default")


def test_a_racing_tell_never_overwrites_the_first(postgres_url):
    st = open_storage(postgres_url)
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [NewTrial({"x": 0.5})])
    second = TrialResult(TrialState.COMPLETED, {"value": 2.0}, 2.0)
    with _raw(postgres_url) as other:  # another replica is storing its tell of trial 0
        other.execute(
            "SELECT pk FROM trials WHERE study_id = %s AND number = 0 FOR UPDATE", (rec.id,)
        )
        tell, out = _blocked(lambda: st.finish_trial(rec.id, 0, second))
        abandon, ab_out = _blocked(lambda: st.abandon_trials(rec.id, [0], "lease expired"))
        time.sleep(0.5)
        assert tell.is_alive() and abandon.is_alive()
        other.execute(
            "UPDATE trials SET state = 'COMPLETED', value = 1.0, metrics = '{\"value\": 1.0}', "
            "finished_at = 1 WHERE study_id = %s AND number = 0",
            (rec.id,),
        )
        other.commit()
    tell.join(30)
    abandon.join(30)
    assert isinstance(out["error"], TrialFinishedError)
    assert ab_out["result"] == []  # finished meanwhile: not abandoned
    t = st.get_trial(rec.id, 0)
    assert (t.state, t.value) == (TrialState.COMPLETED, 1.0)


def test_replicas_starting_together_create_the_schema_once(postgres_url):
    barrier = threading.Barrier(6)

    def start() -> int:
        barrier.wait()
        st = open_storage(postgres_url)
        rec, _ = st.get_or_create_study("shared", SPEC)
        st.close()
        return rec.id

    threads = [_blocked(start) for _ in range(6)]
    for th, _ in threads:
        th.join(60)
    errors = [out["error"] for _, out in threads if "error" in out]
    assert errors == []
    assert {out["result"] for _, out in threads} == {1}


def test_values_postgresql_refuses_are_invalid_and_change_nothing(postgres_url):
    import bbo

    study = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=0, storage=postgres_url)
    t = study.ask()
    with pytest.raises(InvalidValueError, match="refused a value"):
        study.tell(t, 1.0, attrs={"score": math.nan})  # SQLite keeps NaN; PostgreSQL JSON not
    with pytest.raises(InvalidValueError, match="refused a value"):
        study.tell(t, 1.0, reason="nul\x00byte")
    assert study.trial(t.id).state == TrialState.RUNNING
    assert study.tell(t, 1.0).value == 1.0  # the connection is still usable


def test_an_idle_pool_survives_a_server_restart(postgres_url, postgres_server):
    st = open_storage(postgres_url)
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [NewTrial({"x": 0.5})])
    postgres_server.restart()  # every pooled connection is now dead
    time.sleep(1.2)  # idle past the threshold: the next checkout pings and reconnects
    assert st.count_trials(rec.id) == 1
    assert st.create_trials(rec.id, [NewTrial({"x": 0.6})])[0].id == 1


# -- several processes on one study ----------------------------------------------------------


def test_asks_of_one_study_take_turns_across_replicas(postgres_url):
    a, b = open_storage(postgres_url), open_storage(postgres_url)
    rec, _ = a.get_or_create_study("s", SPEC)
    other, _ = a.get_or_create_study("t", SPEC)

    def turn() -> bool:
        with b.ask_lock(rec.id):
            return True

    with a.ask_lock(rec.id):
        th, out = _blocked(turn)
        th.join(0.5)
        assert th.is_alive() and not out  # the second replica waits for its turn
        with b.ask_lock(other.id):  # another study does not wait
            pass
    th.join(5)
    assert not th.is_alive() and out == {"result": True}  # its turn once the first is done
    a.close()
    b.close()


@pytest.mark.slow
def test_four_processes_share_one_study(postgres_url, tmp_path):
    # (the same on one SQLite file: tests/study/test_durability.py)
    shared_study_run(postgres_url, tmp_path)
