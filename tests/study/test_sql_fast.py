"""The SQLite hot path (bbo.study.storage.sql_fast) decodes ``trials`` rows exactly as the
SQLAlchemy path (``sql_schema.trial_from_row``) does, for every kind of stored trial."""

from __future__ import annotations

import sqlalchemy as sa

from bbo.study.storage import NewTrial, TrialResult, open_storage
from bbo.study.storage.sql_fast import select_trials
from bbo.study.storage.sql_schema import trial_from_row, trials
from bbo.trial import TrialState

SPEC = {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False}}, "seed": 1}


def test_the_driver_path_reads_the_same_trials_as_sqlalchemy(tmp_path):
    st = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(
        rec.id,
        [
            NewTrial({"x": 0.1}, attrs={"source": "sobol", "nested": {"a": [1, 2.5]}}),
            NewTrial({"x": 0.2}, client_id="w-1", lease_expires_at=1e10),
            NewTrial(
                {"x": 0.3},
                state=TrialState.COMPLETED,
                values={"y": 1.5},
                value=1.5,
                samples=(1.0, 2.0),
            ),
            NewTrial(
                {"x": 0.4},
                state=TrialState.COMPLETED,
                values={"y": 2.0, "c": -1.0},
                value=2.0,
                metric_samples={"y": (1.5, 2.5), "c": (-1.0,)},
            ),
            NewTrial({"x": 0.5}, state=TrialState.FAILED, reason="exit status 3"),
        ],
    )
    st.finish_trial(rec.id, 0, TrialResult(TrialState.COMPLETED, {"y": 0.5}, 0.5))
    st.create_trials(rec.id, [NewTrial({"x": 0.6}, retry_of=4)])

    engine = st._engine  # the storage's own engine: the same database file
    with engine.connect() as conn:
        rows = conn.execute(sa.select(trials).order_by(trials.c.number)).all()
        expected = [(r.pk, trial_from_row(r)) for r in rows]
        got = select_trials(conn, rec.id)
        by_pk = select_trials(conn, rec.id, pks=[expected[3][0], expected[0][0]])
        some = select_trials(conn, rec.id, numbers=[1, 5], states=[TrialState.RUNNING])
    assert len(expected) == 6 and got == expected
    assert sorted(by_pk) == sorted([expected[0], expected[3]])
    assert some == [expected[1], expected[5]]
    assert expected[3][1].metric_samples == {"y": (1.5, 2.5), "c": (-1.0,)}
    assert expected[2][1].samples == (1.0, 2.0) and expected[5][1].retry_of == 4
