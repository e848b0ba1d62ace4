"""Editing the space of a running study (issue 18 item 6): every kind of edit on real SQLite
files and in memory, the refusals (field, rule, nothing stored), the model keeping its data,
reopening with the edited study definition, the edit history and the schema migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

import bbo
from bbo import exceptions as ex
from bbo.strategies import History
from bbo.study.spec import StudySpec
from bbo.study.storage import open_storage
from bbo.study.storage.sql_schema import SCHEMA_VERSION
from bbo.trial import TrialState

SPACE = {"x": bbo.Float(0.0, 10.0), "act": bbo.Categorical(["relu", "tanh"])}


def _study(url: str | None, strategy: str = "random", n: int = 6, **kw) -> bbo.Study:
    s = bbo.Study(dict(SPACE), strategy=strategy, seed=1, storage=url, name="s", **kw)
    for _ in range(n):
        t = s.ask()
        s.tell(t, (t.params["x"] - 3.0) ** 2 + (t.params["act"] == "tanh"))
    return s


@pytest.fixture(params=["sqlite", "memory"])
def url(request, tmp_path: Path) -> str | None:
    return f"sqlite:///{tmp_path / 'e.db'}" if request.param == "sqlite" else None


def _history(s: bbo.Study) -> History:
    """What the strategy saw at the last ask (the study's own History)."""
    trials, _ = s._read_trials()
    return History(s.space, s.objectives, tuple(s.as_current(trials)))


# -- each kind of edit -----------------------------------------------------------------------
def test_widen_add_a_choice_and_add_a_parameter_keep_every_trial(url):
    s = _study(url)
    before = s.trials
    edit = s.edit_space(
        {
            "x": bbo.Float(0.0, 20.0),
            "act": bbo.Categorical(["relu", "tanh", "gelu"]),
            "layers": bbo.Int(1, 8),
        },
        defaults={"layers": 2},
    )
    assert edit is not None and edit.id >= 1 and edit.defaults == {"layers": 2}
    assert edit.changes[:2] == (
        "x: [0.0, 10.0] -> [0.0, 20.0] (widened)",
        "act: choices added ['gelu']",
    )
    assert edit.changes[2].startswith("added layers: {'type': 'int', 'low': 1, 'high': 8")
    assert edit.changes[2].endswith("(stored trials read with layers=2)")
    assert s.trials == before  # stored as evaluated, never rewritten
    assert all(p["layers"] == 2 for p in (t.params for t in s.as_current(before)))
    assert edit.old["space"]["x"]["high"] == 10.0 and edit.new["space"]["x"]["high"] == 20.0
    t = s.ask()
    assert set(t.params) == {"x", "act", "layers"} and s.space.contains(t.params)
    assert [e.id for e in s.space_edits] == [edit.id]


def test_remove_a_parameter_its_values_stay_stored_and_are_ignored(url):
    s = _study(url)
    s.edit_space({"x": bbo.Float(0.0, 10.0)})
    assert all("act" in t.params for t in s.trials)  # stored values kept
    assert all(set(t.params) == {"x"} for t in s.as_current(s.trials))
    assert set(s.ask().params) == {"x"}
    assert s.space_edits[-1].changes == ("removed act (stored values kept, ignored by models)",)


def test_narrowed_range_keeps_old_trials_in_the_model_and_never_suggests_outside(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    s = _study(url, strategy="gp", n=8)
    outside = [t.id for t in s.trials if t.params["x"] > 4.0]
    assert outside  # the Sobol' design covered [0, 10]
    edit = s.edit_space({"x": bbo.Float(0.0, 4.0), "act": SPACE["act"]})
    assert f"{len(outside)} stored trial(s) now outside, kept" in edit.changes[0]
    for _ in range(4):
        t = s.ask()
        assert 0.0 <= t.params["x"] <= 4.0
        s.tell(t, (t.params["x"] - 3.0) ** 2)
    h = _history(s)
    assert len(h.completed) == 12  # the 8 old trials are still data
    u = h.X[:, 0]
    assert (u > 1.0).sum() == len(outside)  # seen where they were evaluated, beyond the cube
    i = [t.id for t in h.completed].index(outside[0])
    assert u[i] == pytest.approx(s.trials[outside[0]].params["x"] / 4.0)


def test_an_abandoned_trial_outside_a_narrowed_range_is_not_offered_again(tmp_path):
    s = bbo.Study(
        {"x": bbo.Float(0.0, 10.0)},
        strategy="random",
        seed=0,
        storage=f"sqlite:///{tmp_path / 'a.db'}",
        name="a",
    )
    t = s.ask()
    s.abandon([t], "worker lost")
    s.edit_space({"x": bbo.Float(t.params["x"] + 0.5, 11.0)})
    again = s.ask()
    assert again.retry_of is None and again.params["x"] >= t.params["x"] + 0.5


def test_the_gp_keeps_its_data_after_widening_no_fall_back_to_the_initial_design(tmp_path):
    """Optuna's multivariate samplers restart from random search when a range is widened;
    here the GP goes on from every trial it had."""
    url = f"sqlite:///{tmp_path / 'gp.db'}"
    s = _study(url, strategy="gp", n=8)
    sources = [t.attrs["source"] for t in s.trials]
    assert sources[:5] == ["sobol"] * 5 and all(x.startswith("gp") for x in sources[5:])
    s.edit_space({"x": bbo.Float(0.0, 20.0), "act": SPACE["act"]})
    again = bbo.Study.load("s", url)  # another process, as `bbo run` resuming
    t = again.ask()
    assert t.attrs["source"].startswith("gp"), t.attrs  # from the model, not the design
    h = _history(again)
    assert len(h.completed) == 8 and h.X.shape == (8, 2)
    xs = np.array([p.params["x"] for p in h.completed])
    np.testing.assert_allclose(h.X[:, 0], xs / 20.0)  # the old data, re-encoded


@pytest.mark.parametrize("strategy", ["cmaes", "de"])
def test_population_strategies_restart_after_an_edit(tmp_path, strategy):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    s = _study(url, strategy=strategy, n=10)
    assert s.storage.get_study("s").strategy_state
    s.edit_space(
        {"x": bbo.Float(0.0, 5.0), "act": SPACE["act"], "y": bbo.Float(-1.0, 1.0)},
        defaults={"y": 0.0},
    )
    assert s.storage.get_study("s").strategy_state is None  # cleared with the edit
    for _ in range(6):
        t = s.ask()
        assert s.space.contains(t.params)
        s.tell(t, t.params["x"] ** 2 + t.params["y"] ** 2)


# -- refusals: field, rule, and nothing stored ------------------------------------------------
@pytest.mark.parametrize(
    ("space", "defaults", "words"),
    [
        (
            {"x": bbo.Int(0, 10), "act": SPACE["act"]},
            None,
            ["`space.x.type`", "type cannot change (float -> int)"],
        ),
        (
            {"x": SPACE["x"], "act": bbo.Categorical(["relu"])},
            None,
            ["`space.act.choices`", "a choice that stored trials hold cannot be removed", "'tanh'"],
        ),
        (
            {**SPACE, "n": bbo.Int(1, 4)},
            None,
            ["`defaults.n`", "needs the value that the 6 stored trial(s)"],
        ),
        ({**SPACE, "n": bbo.Int(1, 4)}, {"n": 9}, ["`defaults.n`", "outside [1, 4]"]),
        ({**SPACE, "n": bbo.Int(1, 4)}, {"x": 1.0}, ["`defaults.x`", "for added parameters"]),
        ({**SPACE, "n": bbo.Int(1, 4)}, {"m": 1}, ["`defaults.m`", "not a parameter"]),
        (
            {"x": bbo.Float(0.5, 10.0, log=True), "act": SPACE["act"]},
            None,
            ["`space.x.log`", "log=True needs every stored value > 0"],
        ),
    ],
)
def test_an_edit_that_would_make_stored_trials_unreadable_is_refused(url, space, defaults, words):
    s = _study(url)
    if "log" in words[0]:  # a stored x of 0 or less
        s.add({"x": 0.0, "act": "relu"}, 9.0)
    before, spec = s.trials, s.storage.get_study("s").spec
    with pytest.raises(ex.InvalidArgumentError) as err:
        s.edit_space(space, defaults=defaults)
    for w in words:
        assert w in str(err.value)
    st = s.storage
    assert st.get_study("s").spec == spec and st.get_trials(s._study_id) == before
    assert st.get_space_edits(s._study_id) == [] and s.space == bbo.Space(SPACE)


def test_a_queued_point_outside_the_new_space_refuses_the_edit(url):
    s = _study(url)
    s.enqueue({"x": 9.0, "act": "relu"})
    with pytest.raises(ex.FailedPreconditionError, match=r"queued point .* the queue must fit"):
        s.edit_space({"x": bbo.Float(0.0, 5.0), "act": SPACE["act"]})
    assert s.space_edits == [] and s.queued == [{"x": 9.0, "act": "relu"}]


def test_a_queued_point_gets_an_added_parameter_default(url):
    s = _study(url)
    s.enqueue({"x": 1.0, "act": "relu"})
    s.edit_space({**SPACE, "n": bbo.Int(1, 4)}, defaults={"n": 3})
    t = s.ask()
    assert t.params == {"x": 1.0, "act": "relu", "n": 3} and t.attrs["source"] == "enqueued"


def test_the_same_space_again_records_nothing(url):
    s = _study(url)
    assert s.edit_space(dict(SPACE)) is None and s.space_edits == []


def test_the_spec_and_the_edit_record_change_together_or_not_at_all(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    s = _study(url)
    spec = s.storage.get_study("s").spec
    with sqlite3.connect(tmp_path / "t.db") as db:  # the record's insert will fail
        db.execute(
            "CREATE TRIGGER no_edits BEFORE INSERT ON space_edits "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(ex.StorageError, match="refused the space edit"):
        s.edit_space({"x": bbo.Float(0.0, 20.0), "act": SPACE["act"]})
    assert open_storage(url).get_study("s").spec == spec  # rolled back with it


# -- other processes, reopening, history ------------------------------------------------------
def test_a_process_with_the_study_open_follows_an_edit_made_elsewhere(tmp_path):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    a = _study(url)
    b = bbo.Study.load("s", url)
    b.edit_space({"x": bbo.Float(20.0, 30.0), "act": SPACE["act"]})
    t = a.ask()  # a's next ask reads the stored space
    assert 20.0 <= t.params["x"] <= 30.0 and a.space == b.space


def test_reopening_with_the_edited_definition_resumes_and_the_old_one_is_a_conflict(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    s = _study(url)
    new = {"x": bbo.Float(0.0, 20.0), "act": SPACE["act"]}
    s.edit_space(new)
    again = bbo.Study(new, strategy="random", storage=url, name="s")
    assert not again.created and len(again.trials) == 6 and again.seed == 1
    with pytest.raises(ex.StudyConflictError, match=r"space was edited 1 time\(s\)"):
        bbo.Study(dict(SPACE), strategy="random", storage=url, name="s")
    assert StudySpec.from_dict(open_storage(url).get_study("s").spec).space == bbo.Space(new)


def test_deleting_a_study_deletes_its_edits(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    s = _study(url)
    s.edit_space({"x": bbo.Float(0.0, 20.0), "act": SPACE["act"]})
    s.storage.delete_study("s")
    with sqlite3.connect(tmp_path / "d.db") as db:
        assert db.execute("SELECT count(*) FROM space_edits").fetchone() == (0,)


def test_a_version_3_file_opens_migrated_and_records_edits(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    s = _study(url)
    before = s.trials
    s.storage.close()
    with sqlite3.connect(path) as db:  # what bbo wrote before space edits existed
        db.execute("DROP TABLE space_edits")
        db.execute("UPDATE bbo_meta SET value = '3' WHERE key = 'schema_version'")
    again = bbo.Study.load("s", url)
    assert again.trials == before and again.space_edits == []
    with sqlite3.connect(path) as db:
        (version,) = db.execute(
            "SELECT value FROM bbo_meta WHERE key = 'schema_version'"
        ).fetchone()
    assert int(version) == SCHEMA_VERSION == 4
    again.edit_space({"x": bbo.Float(0.0, 20.0), "act": SPACE["act"]})
    assert len(bbo.Study.load("s", url).space_edits) == 1


def test_best_and_the_report_data_read_old_trials_under_the_new_space(tmp_path):
    from bbo.viz.data import PlotData

    url = f"sqlite:///{tmp_path / 'b.db'}"
    s = _study(url, noisy=True)  # best: the GP's recommendation over encoded trials
    s.edit_space({"x": bbo.Float(0.0, 2.0), "n": bbo.Int(1, 3)}, defaults={"n": 1})
    best = s.best
    assert best is not None and "act" in best.params  # the stored trial
    d = PlotData.of(s)
    assert d.X.shape == (6, 2) and d.values_of("n") == [1] * 6
    assert all(t.state == TrialState.COMPLETED for t in d.trials)
