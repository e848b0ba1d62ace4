"""PRUNED trials in the strategies' data: ``History.completed`` by ``History.pruned``
(last value, offset, BOHB rung, excluded), what the study passes, and the evolutionary
strategies' results for pruned configurations."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History, make_strategy
from bbo.strategies.evolution import FAILED, PRUNED, Ledger, Outcome
from bbo.trial import Constraint, Objective, Trial, TrialState

from .evolution_cases import OBJ, SPHERE5

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})  # d = 1: a rung needs 3 trials
C, P, F, R = TrialState.COMPLETED, TrialState.PRUNED, TrialState.FAILED, TrialState.RUNNING


def _trial(i, x, state, value=None):
    values = {} if value is None else {"value": value}
    return Trial(i, {"x": x}, state, values, value)


# four trials: 0 and 2 ran 9 steps, 1 was pruned at step 1, 3 at step 3; 4 pruned silently
TRIALS = (
    _trial(0, 0.1, C, 1.0),
    _trial(1, 0.2, P, 5.0),
    _trial(2, 0.3, C, 2.0),
    _trial(3, 0.4, P, 4.0),
    _trial(4, 0.5, P),
    _trial(5, 0.6, F),
    _trial(6, 0.7, R),
)
REPORTS = {
    0: {1: 3.0, 3: 2.0, 9: 1.0},
    1: {1: 5.0},
    2: {1: 6.0, 3: 4.0, 9: 2.0},
    3: {1: 7.0, 3: 4.0},
}


def _history(use, trials=TRIALS, **kw):
    return History(SPACE, OBJ, trials, pruned=use, reports=REPORTS, **kw)


def _data(h):
    return [t.id for t in h.completed], h.Y[:, 0].tolist()


def test_last_adds_pruned_trials_with_their_last_value():
    h = _history("last")
    assert _data(h) == ([0, 1, 2, 3], [1.0, 5.0, 2.0, 4.0])
    assert h.X.shape == (4, 1) and h.X[1, 0] == pytest.approx(0.2)
    # the default, "offset", is "last" without reports
    assert History(SPACE, OBJ, TRIALS).completed == h.completed


def test_offset_lowers_a_pruned_value_by_the_improvement_still_to_come():
    # after step 1 the COMPLETED trials improved by 2 and 4 (median 3), after step 3 by 1, 2
    assert _data(_history("offset")) == ([0, 1, 2, 3], [1.0, 2.0, 2.0, 2.5])


def test_rung_fits_at_the_largest_step_enough_trials_reached():
    # step 9: 2 trials (< d + 2 = 3); step 3: trials 0, 2, 3 -> their values at step 3
    assert _data(_history("rung")) == ([0, 2, 3], [2.0, 4.0, 4.0])
    # three COMPLETED trials are enough: the final values
    more = (*TRIALS, _trial(7, 0.8, C, 3.0))
    assert _data(_history("rung", more)) == ([0, 2, 7], [1.0, 2.0, 3.0])


def test_exclude_and_studies_that_cannot_use_pruned_values_see_completed_trials_only():
    assert _data(_history("exclude")) == ([0, 2], [1.0, 2.0])
    two = (Objective("value"), Objective("cost"))
    trials = tuple(
        Trial(t.id, t.params, t.state, {**t.values, "cost": 1.0}, t.value) if t.state == C else t
        for t in TRIALS
    )
    assert [t.id for t in History(SPACE, two, trials).completed] == [0, 2]
    cons = (Constraint.parse("cost <= 2"),)
    h = History(SPACE, OBJ, trials, constraints=cons)
    assert [t.id for t in h.completed] == [0, 2] and h.C.shape == (2, 1)
    with pytest.raises(InvalidArgumentError, match="`pruned` must be one of"):
        _ = _history("sometimes").completed


@pytest.mark.parametrize("use", ["last", "offset", "rung", "exclude"])
def test_without_pruned_trials_every_use_sees_the_completed_trials(use):
    trials = tuple(t for t in TRIALS if t.state != P)
    h = _history(use, trials)
    assert _data(h) == ([0, 2], [1.0, 2.0])


@pytest.mark.parametrize("use", ["last", "offset", "rung", "exclude"])
def test_completed_trials_are_kept_by_their_values_not_their_value_field(use):
    """A COMPLETED trial is data by its ``values`` (``value`` may be unset)."""
    trials = tuple(Trial(t.id, t.params, t.state, t.values) if t.state == C else t for t in TRIALS)
    ids = [t.id for t in _history(use, trials).completed]
    assert {0, 2} <= set(ids)
    assert [t.id for t in History(SPACE, OBJ, trials[::2]).completed] == [0, 2]


def test_maximized_objective_keeps_the_sign():
    up = (Objective("value", "maximize"),)
    h = History(SPACE, up, TRIALS[:2], pruned="last")
    assert h.Y[:, 0].tolist() == [-1.0, -5.0]


def _drive(study, n, prune=lambda i: False):
    """``n`` trials of 4 steps of a decreasing curve; ``prune(i)``: stop trial i at step 1."""
    for i in range(n):
        t = study.ask()
        x = t.params["x"]
        for step in range(1, 5):
            t.report((x - 0.3) ** 2 + 1.0 / step, step)
            if prune(i):
                study.tell(t, pruned=True)
                break
        else:
            study.tell(t, (x - 0.3) ** 2 + 0.25)


@pytest.mark.parametrize("sql", [False, True])
def test_a_study_passes_pruned_trials_and_reports_to_its_strategy(sql, tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}" if sql else None
    study = bbo.Study(SPACE, strategy="random", seed=0, storage=storage)
    _drive(study, 4, prune=lambda i: i % 2 == 1)
    seen = []
    suggest = study._strategy.suggest
    study._strategy.suggest = lambda n, h: seen.append(h) or suggest(n, h)
    study.ask()
    (h,) = seen
    assert h.pruned == "offset" and [t.id for t in h.completed] == [0, 1, 2, 3]
    x1 = study.trials[1].params["x"]
    assert h.reports[1] == {1: pytest.approx(1.0 + (x1 - 0.3) ** 2)}
    # pruned at step 1 (value 1 + ...): the completed ones improved by 0.75 after step 1
    assert h.completed[1].value == pytest.approx(0.25 + (x1 - 0.3) ** 2)
    study._pruned_use = "last"
    study.ask()
    assert seen[-1].reports == {} and seen[-1].completed[1].value == h.trials[1].value
    study._pruned_use = None
    _drive(study, 1, prune=lambda i: True)  # read incrementally: the new report is there
    study.ask()
    last = study.trials[-2]
    assert last.state == P and seen[-1].reports[last.id] == {1: last.value}
    assert sorted(seen[-1].reports) == [0, 1, 2, 3, last.id]


def test_the_default_use_follows_the_pruner():
    assert bbo.Study(SPACE, strategy="random", seed=0)._model_use() == "offset"
    assert bbo.Study(SPACE, seed=0, pruner="median")._model_use() == "offset"
    hb = {"name": "hyperband", "max_resource": 9}
    assert bbo.Study(SPACE, seed=0, pruner=hb)._model_use() == "rung"


def test_reports_without_pruning_leave_the_suggestions_unchanged():
    """A study whose trials report but are never pruned asks as one without reports."""
    asked = []
    for report in (True, False):
        study = bbo.Study(SPACE, strategy="gp", seed=3)
        for _ in range(8):
            t = study.ask()
            v = (t.params["x"] - 0.3) ** 2
            if report:
                t.report(v + 1.0, 1)
            study.tell(t, v)
        asked.append([t.params for t in study.trials])
    assert asked[0] == asked[1]


def test_ledger_gives_a_pruned_configuration_its_last_value_ranked_before_failures():
    h = History(SPACE, OBJ, TRIALS)
    ledger = Ledger(h, "cmaes")
    key = {t.id: tuple(t.params.items()) for t in TRIALS}
    assert ledger.outcome(key[1]) == Outcome(PRUNED, 5.0)
    assert ledger.outcome(key[4]) == Outcome(FAILED, 0.0)  # pruned before any report
    assert ledger.outcome(key[6]) is None and ledger.known(key[1])
    keys = sorted(ledger.outcome(key[i]).key for i in (0, 1, 3, 4, 5))
    assert keys[:3] == [Outcome(0, 1.0).key, Outcome(PRUNED, 4.0).key, Outcome(PRUNED, 5.0).key]
    assert Outcome.from_list(Outcome(PRUNED, 4.0).to_list()) == Outcome(PRUNED, 4.0)


@pytest.mark.parametrize("name", ["cmaes", "de"])
def test_evolution_gets_results_for_pruned_configurations(name):
    """Every other member pruned (value = a worse early value): generations go on and the
    search still converges; same seed, same suggestions."""

    def run():
        strategy = make_strategy(name, SPHERE5, OBJ, seed=1)
        trials: list[Trial] = []
        while len(trials) < 240:
            for s in strategy.suggest(4, History(SPHERE5, OBJ, tuple(trials))):
                v = float(np.sum(np.square(list(s.params.values()))))
                i = len(trials)
                state = P if i % 2 else C
                w = v + 10.0 * (i % 2)  # a pruned trial: an early, worse value
                trials.append(Trial(i, s.params, state, {"value": w}, w))
        return strategy, trials

    strategy, trials = run()
    best = [min(t.value for t in trials[:k] if t.state == C) for k in (40, 240)]
    assert best[1] < 0.5 * best[0]
    assert [t.params for t in run()[1]] == [t.params for t in trials]
    state = strategy.state_dict()
    assert (state["cma"] if name == "cmaes" else state)["gen"] > 10
