"""Incremental reading (bbo.dashboard.live) on every storage backend, the JSON endpoints over
SQLite and PostgreSQL, and the large-study helpers of the figures."""

from __future__ import annotations

import numpy as np
import pytest
from bbo.dashboard import live
from bbo.dashboard.figures import MAX_LINES, MAX_POINTS, figures, keep_rows, plot_data
from bbo.dashboard.live import Catalog

import bbo
from bbo.study.storage import open_storage
from bbo.trial import TrialState
from tests.conftest import BACKENDS, make_storage

from .conftest import Dashboard, make_studies


def _study(storage) -> bbo.Study:
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "c": bbo.Categorical(["a", "b"])})
    return bbo.Study(space, strategy="sobol", seed=0, storage=storage, name="s")


@pytest.mark.parametrize("kind", BACKENDS)
def test_changes_after_a_cursor_are_the_new_and_changed_trials(
    kind, tmp_path, request, monkeypatch
):
    st = make_storage(kind, tmp_path, request)
    study = _study(st)
    for i in range(5):
        study.add({"x": i / 10, "c": "a"}, float(i))
    running = study.ask(2)
    monkeypatch.setattr(live, "MIN_INTERVAL", 0.0)
    view = Catalog(st).view("s")
    first = view.changes(None)
    assert first.full and [t.id for t in first.trials] == list(range(7))
    assert view.changes(first.cursor).trials == []  # nothing changed: nothing sent

    reads: list[tuple[int | None, int | None]] = []
    real = st.get_trials

    def counted(study_id, *, states=None, since=None, limit=None, numbers=None):
        if numbers is not None:  # a read of named trials (SQL's get_trial): not a scan
            return real(study_id, states=states, since=since, limit=limit, numbers=numbers)
        out = real(study_id, states=states, since=since, limit=limit)
        reads.append((since, len(out)))
        return out

    monkeypatch.setattr(st, "get_trials", counted)
    study.tell(running[0], 0.5)
    study.add({"x": 0.9, "c": "b"}, failed=True, reason="boom")
    second = view.changes(first.cursor)
    assert not second.full
    assert [(t.id, t.state) for t in second.trials] == [
        (5, TrialState.COMPLETED),
        (7, TrialState.FAILED),
    ]
    # incremental: no read from the first trial on; every row read is a new or open trial
    assert all(since is not None and since >= 4 for since, _ in reads), reads
    assert sum(n for _, n in reads) <= 4, reads
    # a cursor of another process (a restarted dashboard) reads everything again
    other = view.changes("0000." + second.cursor.split(".")[1])
    assert other.full and len(other.trials) == 8
    assert view.changes(second.cursor).trials == []


@pytest.mark.parametrize("kind", BACKENDS)
def test_reports_are_read_by_their_seq(kind, tmp_path, request, monkeypatch):
    st = make_storage(kind, tmp_path, request)
    study = _study(st)
    (t,) = study.ask(1)
    study.report(t, 3.0, 0)
    monkeypatch.setattr(live, "MIN_INTERVAL", 0.0)
    view = Catalog(st).view("s")
    first = view.changes(None)
    assert [(r.trial, r.step, r.value) for r in first.reports] == [(0, 0, 3.0)]
    study.report(t, 2.0, 1)
    second = view.changes(first.cursor)
    assert [(r.step, r.value) for r in second.reports] == [(1, 2.0)]
    assert [x.id for x in second.trials] == []  # a report leaves the trial unchanged


def test_a_refresh_is_shared_by_polls_within_the_interval(tmp_path):
    st = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    study = _study(st)
    study.add({"x": 0.1, "c": "a"}, 1.0)
    view = Catalog(st).view("s")
    v = view.version
    study.add({"x": 0.2, "c": "a"}, 2.0)
    assert view.refresh() == v  # within MIN_INTERVAL of the last read: not read again
    assert view.refresh(force=True) == v + 1 and len(view.trials) == 2


def test_a_study_made_again_under_its_name_gets_a_new_view(tmp_path):
    st = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    study = _study(st)
    study.add({"x": 0.1, "c": "a"}, 1.0)
    cat = Catalog(st)
    assert len(cat.view("s").trials) == 1
    st.delete_study("s")
    _study(st)
    assert cat.view("s").trials == []
    assert [v.name for v in cat.views()] == ["s"]


def test_an_edited_space_gets_a_new_view_with_the_new_space(tmp_path):
    st = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    study = _study(st)
    study.add({"x": 0.1, "c": "a"}, 1.0)
    cat = Catalog(st)
    before = cat.view("s")
    assert before.space["x"].high == 1.0
    wider = {"x": bbo.Float(0.0, 2.0), "c": bbo.Categorical(["a", "b"]), "n": bbo.Int(1, 4)}
    study.edit_space(bbo.Space(wider), defaults={"n": 2})
    after = cat.view("s")
    assert after is not before and after.space["x"].high == 2.0
    assert [t.params for t in after.as_current(after.trials)] == [{"x": 0.1, "c": "a", "n": 2}]


def test_large_studies_are_drawn_thinned(tmp_path):
    st = open_storage(None)
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    study = bbo.Study(space, {"f": "minimize", "g": "minimize"}, strategy="sobol", storage=st)
    rng = np.random.default_rng(0)
    for p in space.sample(MAX_POINTS + 500, rng):
        study.add(p, {"f": p["x"], "g": 1 - p["x"] + p["y"]})
    view = Catalog(st).view(study.name)
    d = plot_data(view)
    rows = keep_rows(d, MAX_POINTS)
    assert len(rows) <= MAX_POINTS and d.best_index() in rows
    run = d.best_so_far(0)
    improvements = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    assert set(improvements.tolist()) <= set(rows.tolist())
    figs, skipped = figures(view)
    assert skipped == {}
    assert set(figs) == {"history", "parallel", "slices", "importance", "pareto"}
    lines = figs["parallel"]["data"][0]["dimensions"][0]["values"]
    assert MAX_LINES // 2 < len(lines) <= MAX_LINES  # the best half, and evenly spaced others
    assert figs["history"]["data"][0]["type"] == "scattergl"
    assert f"of {MAX_POINTS + 500} evaluations drawn" in figs["history"]["layout"]["title"]["text"]


def test_the_contour_fits_a_subsample_of_a_large_study():
    from bbo.dashboard.contour import MAX_FIT, contour, subsample

    st = open_storage(None)
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "lr": bbo.Float(1e-4, 1.0, log=True)})
    study = bbo.Study(space, strategy="sobol", storage=st, name="c")
    for p in space.sample(MAX_FIT + 200, np.random.default_rng(1)):
        study.add(p, (p["x"] - 0.3) ** 2)
    view = Catalog(st).view("c")
    d = plot_data(view)
    fit = subsample(d)
    assert MAX_FIT // 2 < fit.n <= MAX_FIT and d.best_index() is not None
    assert d.ids[d.best_index()] in fit.ids  # the best is among the trials fitted
    fig, why = contour(view)
    assert why is None and fig is not None
    assert f"GP fitted to {fit.n} of {MAX_FIT + 200}" in fig["layout"]["title"]["text"]
    assert fig["layout"]["yaxis"]["type"] == "log"
    mean = np.array(fig["data"][0]["z"])
    x = np.array(fig["data"][0]["x"])
    assert abs(x[mean.mean(axis=0).argmin()] - 0.3) < 0.1  # the surrogate's valley is at x=0.3


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_endpoints_over_sqlite_and_postgresql(kind, tmp_path, request):
    st = make_storage(kind, tmp_path, request)
    make_studies(st.url if kind == "sqlite" else st)
    d = Dashboard(["--storage", st.url])
    try:
        status, body = d.get("/api/studies")
        assert status == 200
        assert {s["name"]: s["n_trials"] for s in body["studies"]} == {"demo": 31, "mo": 20}
        status, ch = d.get("/api/changes?name=demo")
        assert status == 200 and ch["full"] and len(ch["trials"]) == 31
        assert len(ch["reports"]) == 30  # 6 trials, 5 steps each
        assert d.get(f"/api/changes?name=demo&cursor={ch['cursor']}")[1]["trials"] == []
        status, plots = d.get("/api/plots?name=mo")
        assert status == 200 and "pareto" in plots["figures"]
        status, t = d.get("/api/trial?name=demo&id=5")
        assert t["state"] == "FAILED" and "CUDA out of memory" in t["error_tail"]
        status, c = d.get("/api/contour?name=demo")
        assert status == 200 and c["skipped"] is None
        traces = [t["type"] for t in c["figure"]["data"]]
        assert traces.count("contour") == 2  # posterior mean and std over x1, x2
        assert c["figure"]["layout"]["xaxis"]["title"]["text"] == "x1"
        assert d.get("/api/trial?name=demo&id=99")[0] == 404
        assert d.get("/api/changes?name=nope")[0] == 404
    finally:
        d.stop()
