"""The learning-curve model (bbo.pruners.curves) and ``rank_by: predicted`` of the
successive-halving pruners, on curves whose finals are known in closed form."""

from __future__ import annotations

import pytest

from bbo.exceptions import InvalidArgumentError
from bbo.pruners import HyperbandPruner, SuccessiveHalvingPruner, make_pruner
from bbo.pruners.base import Curve
from bbo.pruners.curves import CurveModel, levels
from bbo.pruners.fidelity import Fidelity
from bbo.trial import TrialState

C, R, P = TrialState.COMPLETED, TrialState.RUNNING, TrialState.PRUNED


def power(id: int, state: TrialState, f: float, g: float, alpha: float, last: int) -> Curve:
    """``f + g t**-alpha`` reported at steps 1..last."""
    return Curve.of(id, state, {t: f + g * t**-alpha for t in range(1, last + 1)})


def test_levels_end_at_the_full_resource():
    assert levels(27, 3) == [1.0, 3.0, 9.0, 27.0]
    assert levels(20, 2) == [1.25, 2.5, 5.0, 10.0, 20.0]


def test_a_power_law_is_extrapolated_exactly():
    # drops over the levels 1, 3, 9, 27 of f + g t^-a shrink by rho = 3^-a: the pooled and
    # the trial's own ratios are exact, so is the prediction
    pool = [power(i, C, 0.1 * i, 1.0 + i, 0.5, 27) for i in range(3)]
    model = CurveModel(pool, 27, 3, "minimize")
    assert model.rho[1:3] == pytest.approx([3**-0.5] * 2)
    trial = power(9, R, 0.3, 2.0, 0.5, 9)
    assert model.predict(trial) == pytest.approx(0.3 + 2.0 * 27**-0.5)
    # maximize: the same curves negated, the prediction negated
    neg = [Curve(c.id, c.state, c.steps, tuple(-v for v in c.values)) for c in (*pool, trial)]
    model_max = CurveModel(neg[:3], 27, 3, "maximize")
    assert model_max.predict(neg[3]) == pytest.approx(-(0.3 + 2.0 * 27**-0.5))


def test_short_curves_get_the_finished_curves_offset():
    # y(1) - y(27) of the finished curves: 1.0 and 3.0 -> median 2.0
    pool = [Curve.of(0, C, {1: 2.0, 27: 1.0}), Curve.of(1, C, {1: 5.0, 27: 2.0})]
    model = CurveModel(pool, 27, 3, "minimize")
    assert model.predict(Curve.of(2, R, {1: 4.0})) == pytest.approx(2.0)
    # a single drop (steps 1..3) is no shape yet: offset too (value at level 3 is 4.0)
    model.offset[1] = 0.5
    assert model.predict(Curve.of(2, R, {1: 6.0, 3: 4.0})) == pytest.approx(3.5)
    assert model.predict(Curve.of(3, C, {27: 7.0})) == 7.0  # got there: its value
    assert model.predict(Curve.of(4, R, {})) is None


def crossing() -> tuple[list[Curve], Curve]:
    """Two finished curves, a fast one (``0.5 + 2 t^-1.3``, final 0.53) and a slow one
    (``0.3 + 1.25 t^-0.3``, final 0.77), and a slow trial at step 9 (``1.25 t^-0.3``: 0.65
    there, behind the fast curve's 0.61) that ends at 0.47, the best."""
    done = [power(0, C, 0.5, 2.0, 1.3, 27), power(1, C, 0.3, 1.25, 0.3, 27)]
    slow = power(2, R, 0.0, 1.25, 0.3, 9)
    assert slow.values[-1] > done[0].values[8] and done[0].values[-1] > 1.25 * 27**-0.3
    return done, slow


def test_asha_by_value_prunes_a_slow_winner_that_predicted_keeps():
    fast, slow = crossing()
    by_value = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert by_value.should_prune(slow, fast, "minimize") is True  # second of 3 at rung 9
    by_curve = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, rank_by="predicted")
    assert by_curve.should_prune(slow, fast, "minimize") is False  # predicted below 0.53
    # the same shape 0.2 higher (final 0.67) is still pruned
    worse = power(2, R, 0.2, 1.25, 0.3, 9)
    assert by_curve.should_prune(worse, fast, "minimize") is True


def test_hyperband_and_fidelity_rank_by_predicted():
    fast, slow = crossing()
    hb = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, rank_by="predicted")
    ids = [i for i in range(200) if hb.bracket(i) == 0][:3]  # three trials of bracket 0
    mine = [Curve(i, c.state, c.steps, c.values) for i, c in zip(ids, fast)]
    trial = Curve(ids[2], R, slow.steps, slow.values)
    assert hb.should_prune(trial, mine, "minimize") is False
    plain = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert plain.should_prune(trial, mine, "minimize") is True
    pruner = Fidelity("epochs", 1, 27).pruner(rank_by="predicted")
    assert pruner.rank_by == "predicted" and pruner.to_dict()["rank_by"] == "predicted"


def test_rank_by_is_a_checked_stored_option():
    spec = make_pruner({"name": "asha", "rank_by": "predicted"}).to_dict()
    assert spec["rank_by"] == "predicted" and make_pruner(spec) == make_pruner(spec)
    assert make_pruner("asha").to_dict()["rank_by"] == "value"  # the default: values
    with pytest.raises(InvalidArgumentError, match=r"`pruner\.rank_by` must be one of"):
        make_pruner({"name": "hyperband", "max_resource": 9, "rank_by": "guess"})


def test_model_use_predicted_gives_pruned_trials_their_predicted_final_value():
    """``History.pruned = "predicted"``: levels 1, 3, 9, 27 (T: the COMPLETED trial's last
    step). Drops: trial 0 (4, 2, 0.5), trial 1 (4, 2): rho_1 = (8 + 8) / (16 + 16) = 0.5,
    rho_2 = 1 / 4 = 0.25. Trial 1 at step 9: own ratio 2 / 4 = 0.5, next drop
    2 * (0.5 * 0.5 + 0.5 * 0.25) = 0.75, so 4 - 0.75. Trial 2 (no drop yet): the finished
    curve's offset at level 1, 12 - (9 - 2.5). Trial 3 (no reports): its value as is."""
    import bbo
    from bbo.strategies import History
    from bbo.trial import Objective, Trial

    def trial(i: int, state: TrialState, value: float) -> Trial:
        return Trial(i, {"x": i / 10}, state, {"loss": value}, value)

    trials = (trial(0, C, 2.5), trial(1, P, 4.0), trial(2, P, 12.0), trial(3, P, 7.0))
    reports = {0: {1: 9.0, 3: 5.0, 9: 3.0, 27: 2.5}, 1: {1: 10.0, 3: 6.0, 9: 4.0}, 2: {1: 12.0}}
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    h = History(space, (Objective("loss"),), trials, pruned="predicted", reports=reports)
    assert [t.value for t in h.completed] == pytest.approx([2.5, 3.25, 5.5, 7.0])
    assert h.Y[:, 0].tolist() == pytest.approx([2.5, 3.25, 5.5, 7.0])
    # maximize: the same curves negated, the predictions negated
    neg = tuple(Trial(t.id, t.params, t.state, {"loss": -t.value}, -t.value) for t in trials)
    back = {i: {s: -v for s, v in r.items()} for i, r in reports.items()}
    up = (Objective("loss", "maximize"),)
    h = History(space, up, neg, pruned="predicted", reports=back)
    assert [t.value for t in h.completed] == pytest.approx([-2.5, -3.25, -5.5, -7.0])
    # without reports: the last values
    h = History(space, (Objective("loss"),), trials, pruned="predicted")
    assert [t.value for t in h.completed] == [2.5, 4.0, 12.0, 7.0]
