"""``de`` and ``cmaes`` on a conditional space: a child changes only the coordinates it
expresses (DE: an inactive coordinate keeps the target's value; CMA-ES: the mean's, so the
update never steps in it), seeded ask/tell loops."""

from __future__ import annotations

import numpy as np

from bbo.strategies import History
from bbo.strategies.cmaes import CMAESStrategy
from bbo.strategies.de import DEStrategy
from bbo.strategies.evolution import active_columns, de_trial, keep_inactive
from bbo.trial import Trial, TrialState
from tests.strategies.evolution_cases import OBJ
from tests.strategies.test_conditional import SPACE, loss


def _tell(trials: list[Trial], params: dict) -> None:
    v = loss(params)
    trials.append(Trial(len(trials), params, TrialState.COMPLETED, {"value": v}, v))


def test_de_children_keep_the_targets_inactive_coordinates():
    s = DEStrategy(SPACE, seed=4, popsize=6)
    trials: list[Trial] = []
    children = switched = 0
    for _ in range(120):
        (sug,) = s.suggest(1, History(SPACE, OBJ, tuple(trials)))
        st = s.state_dict()
        m = st["members"][-1]
        assert SPACE.validate(m["params"]) == m["params"] == sug.params
        if m["F"] is not None:  # a trial vector (not the initial design)
            children += 1
            u, parent = np.asarray(m["u"]), np.asarray(st["pop"][m["target"]]["u"])
            off = ~SPACE.conditions.active_mask(u[None, :])[0]
            assert np.array_equal(u[off], parent[off])  # never changed where not expressed
            switched += m["params"]["optimizer"] != st["pop"][m["target"]]["params"]["optimizer"]
        _tell(trials, sug.params)
    assert children > 90 and switched > 0
    assert min(t.value for t in trials) < 0.05


def test_de_forces_an_active_coordinate_and_keeps_flat_spaces_unchanged():
    rng = np.random.default_rng(0)
    P = rng.random((6, SPACE.dim))
    P[0, 0] = 0.75  # adam: momentum (column 1) inactive
    active = active_columns(SPACE, P[0])
    assert active is not None and 1 not in active
    for seed in range(30):  # CR = 0: only the forced coordinate moves
        u = de_trial(P, 0, 1, 0.5, 0.0, np.random.default_rng(seed), active)
        moved = np.flatnonzero(u != P[0])
        assert len(moved) == 1 and moved[0] in active
    # without `active` (a flat space) the draws are the ones they always were
    a = de_trial(P, 0, 1, 0.5, 0.3, np.random.default_rng(7))
    b = de_trial(P, 0, 1, 0.5, 0.3, np.random.default_rng(7), np.arange(SPACE.dim))
    assert np.array_equal(a, b)
    assert keep_inactive(SPACE, P[0], P[1])[1] == P[1, 1]  # momentum from the parent
    assert np.array_equal(keep_inactive(SPACE, P[0], P[1])[[0, 2]], P[0, [0, 2]])


def test_cmaes_members_hold_the_mean_where_inactive_so_the_mean_stays():
    s = CMAESStrategy(SPACE, seed=2)
    trials: list[Trial] = []
    for _ in range(80):
        (sug,) = s.suggest(1, History(SPACE, OBJ, tuple(trials)))
        st = s.state_dict()
        mean = np.asarray(st["cma"]["mean"])
        m = st["members"][-1]
        x = np.asarray(m["x"])
        u = s._cma().to_eval(x, s.lattice)
        off = ~SPACE.conditions.active_mask(u[None, :])[0]
        assert np.array_equal(x[off], mean[off])
        assert SPACE.decode(u) == m["params"] == sug.params
        _tell(trials, sug.params)
    assert min(t.value for t in trials) < 0.05


def test_cmaes_update_does_not_step_in_a_dimension_no_selected_member_expresses(monkeypatch):
    """sgd told a poor value: generations whose selected members are all adam leave
    momentum's mean (column 1) exactly where it was."""
    from bbo.strategies import cmaes

    steps: list[tuple[bool, float, float]] = []
    tell = cmaes.CMA.tell

    def spy(self, ranked):
        before = float(self.mean[1])
        tell(self, ranked)
        all_off = bool(np.all(ranked[: self.mu, 1] == before))
        steps.append((all_off, before, float(self.mean[1])))

    monkeypatch.setattr(cmaes.CMA, "tell", spy)
    s = CMAESStrategy(SPACE, seed=0)
    trials: list[Trial] = []
    for _ in range(120):
        (sug,) = s.suggest(1, History(SPACE, OBJ, tuple(trials)))
        p = dict(sug.params)
        v = loss(p) + (5.0 if p["optimizer"] == "sgd" else 0.0)
        trials.append(Trial(len(trials), p, TrialState.COMPLETED, {"value": v}, v))
    frozen = [(b, a) for off, b, a in steps if off]
    assert len(frozen) >= 3
    assert all(b == a for b, a in frozen)
