"""The learning-curve GP over (configuration, step) (bbo.pruners.curve_gp) and
``curve_model: gp`` of the successive-halving pruners; seeded, deterministic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bbo.exceptions import InvalidArgumentError
from bbo.pruners import SuccessiveHalvingPruner, make_pruner
from bbo.pruners.base import Curve
from bbo.pruners.curve_gp import MIN_DONE, CurveGP, neg_log_posterior
from bbo.pruners.curves import CurveModel
from bbo.trial import TrialState

C, R, P = TrialState.COMPLETED, TrialState.RUNNING, TrialState.PRUNED


def crossing_value(c: float, t: int) -> float:
    """Curves that cross: ``f + g exp(-t / tau)``, ``c`` near 0.55 ends best at step 27
    but decays slowly (``tau = 1.5 + 14 c^2``), small ``c`` leads early."""
    f = 0.1 + (c - 0.65) ** 2
    return f + (1.0 + 1.5 * c) * math.exp(-t / (1.5 + 14.0 * c * c))


def curve(id: int, state: TrialState, c: float, last: int, top: int = 27) -> Curve:
    return Curve.of(id, state, {t: crossing_value(c, t) for t in range(1, last + 1)}, (c,))


def pool() -> list[Curve]:
    """12 finished curves on a grid of ``c``: every third one ran to 27, the others were
    stopped at 1, 3 or 9."""
    out = []
    for i, c in enumerate(np.linspace(0.05, 0.95, 12)):
        last = 27 if i % 3 == 0 or i in (7, 8) else (1, 3, 9)[i % 3]
        out.append(curve(i, C if last == 27 else P, float(c), last))
    return out


def test_a_slow_curve_from_a_good_region_outranks_a_fast_early_leader():
    curves = pool()
    model = CurveGP(curves, 27, 3, "minimize")
    assert model.gp
    slow, fast = curve(20, R, 0.55, 3), curve(21, R, 0.15, 3)
    assert slow.values[-1] > fast.values[-1] + 0.4  # the fast one leads at step 3 ...
    (m_slow, sd_slow), (m_fast, _) = model.predict_dist([slow, fast])
    # ... but ends worse: 0.126 against 0.35 (true), and the GP says so
    assert crossing_value(0.55, 27) == pytest.approx(0.126, abs=1e-3)
    assert m_slow == pytest.approx(crossing_value(0.55, 27), abs=0.01)
    assert m_fast == pytest.approx(crossing_value(0.15, 27), abs=0.01)
    assert m_slow < m_fast and 0.0 < sd_slow < 0.01
    assert model.score(slow) == pytest.approx(m_slow - sd_slow)  # optimistic: mu - sigma
    # the drop-ratio model has no shape at step 3: it ranks them by value
    drops = CurveModel(curves, 27, 3, "minimize")
    assert drops.predict(slow) > drops.predict(fast)  # type: ignore[operator]


def test_asha_with_the_curve_gp_keeps_the_slow_curve_and_prunes_the_fast_one():
    curves = pool()
    by_drops = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, rank_by="predicted")
    by_gp = SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3, rank_by="predicted", curve_model="gp"
    )
    assert by_gp.uses_params and not by_drops.uses_params
    slow, fast = curve(20, R, 0.55, 3), curve(21, R, 0.15, 3)
    by_value = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert by_value.should_prune(slow, curves, "minimize") is True  # 9th of 13 at rung 3
    assert by_gp.should_prune(slow, curves, "minimize") is False
    assert by_gp.should_prune(fast, curves, "minimize") is True


def test_maximize_mirrors_minimize():
    curves, slow = pool(), curve(20, R, 0.55, 3)
    neg = [Curve(c.id, c.state, c.steps, tuple(-v for v in c.values), c.x) for c in curves]
    up = CurveGP(neg, 27, 3, "maximize")
    down = CurveGP(curves, 27, 3, "minimize")
    slow_up = Curve(slow.id, slow.state, slow.steps, tuple(-v for v in slow.values), slow.x)
    assert up.predict(slow_up) == pytest.approx(-down.predict(slow))  # type: ignore[operator]
    assert up.score(slow_up) == pytest.approx(-down.score(slow))  # type: ignore[operator]


def test_a_handful_of_points_and_the_fallback():
    # MIN_DONE (three) curves of two reports each: enough for the GP
    assert MIN_DONE == 3
    few = [
        Curve.of(i, C, {1: 1.0 + i / 10, 27: 0.5 + i / 10}, (i / 10, 0.5)) for i in range(MIN_DONE)
    ]
    model = CurveGP(few, 27, 3, "minimize")
    assert model.gp
    mean, sd = model.predict_dist([Curve.of(9, R, {1: 1.2}, (0.2, 0.5))])[0]  # type: ignore[misc]
    assert 0.4 < mean < 0.9 and 0.0 < sd < 0.5
    assert model.predict(few[0]) == 0.5  # got there: its value
    assert model.predict(Curve.of(9, R, {}, (0.2, 0.5))) is None  # no reports
    # one curve fewer at the full resource: the drop-ratio model, whatever the x
    fallback = CurveGP(few[:-1], 27, 3, "minimize")
    assert not fallback.gp
    young = Curve.of(9, R, {1: 1.2}, (0.2, 0.5))
    assert fallback.predict(young) == CurveModel(few[:-1], 27, 3, "minimize").predict(young)
    # curves without x: the fallback too
    assert not CurveGP([Curve(c.id, c.state, c.steps, c.values) for c in few], 27, 3, "minimize").gp


def test_the_fit_is_deterministic_and_cheap_to_repeat():
    from bbo.pruners import curve_gp

    curves, slow = pool(), curve(20, R, 0.55, 3)
    first = CurveGP(curves, 27, 3, "minimize").predict_dist([slow])
    curve_gp._CACHE.clear()
    again = CurveGP(curves, 27, 3, "minimize").predict_dist([slow])
    assert first == again
    assert len(curve_gp._CACHE) == 1  # the hyperparameters of this data, kept


def test_the_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    Z, y = rng.random((15, 3)), rng.standard_normal(15)
    theta = np.array([-0.5, 0.2, -1.0, 0.3, -3.0, 0.1, -0.4])
    f, grad = neg_log_posterior(theta, Z, y)
    eps = 1e-6
    for i in range(len(theta)):
        step = np.zeros_like(theta)
        step[i] = eps
        fd = neg_log_posterior(theta + step, Z, y)[0] - neg_log_posterior(theta - step, Z, y)[0]
        assert grad[i] == pytest.approx(fd / (2 * eps), rel=1e-4, abs=1e-6)
    assert math.isfinite(f)


def test_bad_input_names_the_rule():
    with pytest.raises(InvalidArgumentError, match=r"`pruner\.curve_model` must be one of"):
        make_pruner({"name": "asha", "rank_by": "predicted", "curve_model": "nn"})
    with pytest.raises(InvalidArgumentError, match=r"needs `rank_by: predicted`"):
        make_pruner({"name": "hyperband", "max_resource": 27, "curve_model": "gp"})
    with pytest.raises(InvalidArgumentError, match=r"`direction` must be"):
        CurveGP(pool(), 27, 3, "down")
    with pytest.raises(InvalidArgumentError, match=r"`kappa` must be"):
        CurveGP(pool(), 27, 3, "minimize", kappa=-1.0)
    with pytest.raises(InvalidArgumentError, match=r"`top >= 1` and `eta >= 2`"):
        CurveGP(pool(), 0, 3, "minimize")
    spec = make_pruner({"name": "asha", "rank_by": "predicted", "curve_model": "gp"}).to_dict()
    assert spec["curve_model"] == "gp" and make_pruner("asha").to_dict()["curve_model"] == "drops"


def test_a_study_gives_the_gp_configurations_and_its_strategy_the_gp_means():
    import bbo

    study = bbo.Study(
        {"c": bbo.Float(0.0, 1.0)},
        strategy="random",
        seed=0,
        pruner={"name": "asha", "reduction_factor": 3, "rank_by": "predicted", "curve_model": "gp"},
    )
    assert study._model_use() == "curve-gp"
    pruned = 0
    for _ in range(12):
        trial = study.ask()
        for t in range(1, 28):
            if trial.report(crossing_value(trial.params["c"], t), step=t) and t < 27:
                study.tell(trial, pruned=True)
                pruned += 1
                break
        else:
            study.tell(trial, crossing_value(trial.params["c"], 27))
    assert 0 < pruned < 12 and study.best.state == TrialState.COMPLETED
