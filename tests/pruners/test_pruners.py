"""Each pruner's decisions on small hand-computed histories, and the spec boundary."""

from __future__ import annotations

import pytest

from bbo.exceptions import InvalidArgumentError
from bbo.pruners import (
    Curve,
    HyperbandPruner,
    MedianPruner,
    PatiencePruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    make_pruner,
)
from bbo.pruners.statistical import percentile
from bbo.trial import TrialState

C, R, P = TrialState.COMPLETED, TrialState.RUNNING, TrialState.PRUNED


def curve(id: int, state: TrialState, *values: float, start: int = 0) -> Curve:
    """Reports ``values`` at steps start, start + 1, ..."""
    return Curve.of(id, state, {start + i: v for i, v in enumerate(values)})


# -- percentile / median ----------------------------------------------------------------------
def test_percentile_interpolates_between_ranks():
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5  # rank 1.5 between 2 and 3
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 25) == 2.0
    assert percentile([10.0, 20.0], 75) == 17.5


def test_median_prunes_a_trial_worse_than_the_median_at_its_step():
    # completed trials at step 1: 0.2, 0.4, 0.6 -> median 0.4
    others = [curve(0, C, 1.0, 0.2), curve(1, C, 1.0, 0.4), curve(2, C, 1.0, 0.6)]
    m = MedianPruner(n_startup_trials=3)
    # the trial's best so far is min(0.9, 0.5) = 0.5 > 0.4: prune
    assert m.should_prune(curve(3, R, 0.9, 0.5), others, "minimize") is True
    # best so far 0.4 is not worse than the median: keep
    assert m.should_prune(curve(3, R, 0.9, 0.4), others, "minimize") is False
    # maximize: the median is still 0.4; best so far max(0.1, 0.3) = 0.3 < 0.4: prune
    assert m.should_prune(curve(3, R, 0.1, 0.3), others, "maximize") is True
    assert m.should_prune(curve(3, R, 0.1, 0.5), others, "maximize") is False


def test_median_waits_for_startup_trials_and_warmup_steps():
    others = [curve(0, C, 0.1, 0.1), curve(1, C, 0.1, 0.1)]
    bad = curve(2, R, 5.0, 5.0)
    assert MedianPruner().should_prune(bad, others, "minimize") is False  # 2 < 5 completed
    assert MedianPruner(n_startup_trials=2).should_prune(bad, others, "minimize") is True
    warm = MedianPruner(n_startup_trials=2, n_warmup_steps=2)
    assert warm.should_prune(bad, others, "minimize") is False  # step 1 < 2
    # RUNNING and PRUNED trials are no reference, only COMPLETED ones
    mixed = [curve(0, R, 0.1, 0.1), curve(1, P, 0.1, 0.1)]
    assert MedianPruner(n_startup_trials=0).should_prune(bad, mixed, "minimize") is False


def test_interval_steps_judges_the_first_report_of_each_interval():
    others = [curve(0, C, *[0.0] * 10)]
    m = MedianPruner(n_startup_trials=1, n_warmup_steps=1, interval_steps=3)
    # intervals after the warm-up: [1, 4), [4, 7), [7, 10): judged at steps 1, 4, 7
    judged = [
        s for s in range(10) if m.should_prune(curve(1, R, *[1.0] * (s + 1)), others, "minimize")
    ]
    assert judged == [1, 4, 7]
    # reports every other step: 4 is skipped, 5 is the first report of [4, 7)
    sparse = Curve.of(1, R, {0: 1.0, 2: 1.0, 3: 1.0, 5: 1.0})
    assert m.should_prune(sparse, others, "minimize") is True


def test_percentile_keeps_the_top_quarter():
    # completed at step 0: 1, 2, 3, 4, 5 -> 25th percentile 2.0 (minimize), 75th 4.0 (max)
    others = [curve(i, C, float(i + 1)) for i in range(5)]
    p = PercentilePruner(percentile=25.0, n_startup_trials=0)
    assert p.should_prune(curve(9, R, 2.5), others, "minimize") is True
    assert p.should_prune(curve(9, R, 2.0), others, "minimize") is False
    assert p.should_prune(curve(9, R, 3.5), others, "maximize") is True
    assert p.should_prune(curve(9, R, 4.0), others, "maximize") is False
    # n_min_trials: fewer completed reports at the step -> no judgement
    few = PercentilePruner(percentile=25.0, n_min_trials=6)
    assert few.should_prune(curve(9, R, 100.0), others, "minimize") is False


# -- patience / threshold ---------------------------------------------------------------------
def test_patience_prunes_after_k_steps_without_improvement():
    p = PatiencePruner(patience=2)
    # before = [1.0, 0.5], last three = [0.6, 0.7, 0.55]: min 0.5 < 0.55 -> no improvement
    assert p.should_prune(curve(0, R, 1.0, 0.5, 0.6, 0.7, 0.55), [], "minimize") is True
    # the last three reach 0.45 < 0.5: improving
    assert p.should_prune(curve(0, R, 1.0, 0.5, 0.6, 0.7, 0.45), [], "minimize") is False
    # too few reports to judge (needs patience + 2)
    assert p.should_prune(curve(0, R, 1.0, 2.0, 3.0), [], "minimize") is False
    # min_delta is a tolerance: 0.55 is worse than 0.5 by 0.05 < 0.1 -> keep
    tolerant = PatiencePruner(patience=2, min_delta=0.1)
    assert tolerant.should_prune(curve(0, R, 1.0, 0.5, 0.6, 0.7, 0.55), [], "minimize") is False
    assert tolerant.should_prune(curve(0, R, 1.0, 0.5, 0.7, 0.8, 0.75), [], "minimize") is True
    # maximize: before max 0.9, last three max 0.8 -> prune
    assert p.should_prune(curve(0, R, 0.2, 0.9, 0.8, 0.7, 0.6), [], "maximize") is True


def test_threshold_prunes_outside_the_bounds():
    t = ThresholdPruner(lower=0.0, upper=1.0)
    assert t.should_prune(curve(0, R, 0.5), [], "minimize") is False
    assert t.should_prune(curve(0, R, 0.5, 1.5), [], "minimize") is True
    assert t.should_prune(curve(0, R, -0.1), [], "maximize") is True
    assert ThresholdPruner(upper=2.0).should_prune(curve(0, R, -9.0), [], "minimize") is False
    assert (
        ThresholdPruner(upper=2.0, n_warmup_steps=3).should_prune(
            curve(0, R, 9.0, 9.0), [], "minimize"
        )
        is False
    )


# -- successive halving / hyperband -----------------------------------------------------------
def test_asha_rungs_and_promotion():
    asha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    assert [asha.rung_step(k) for k in range(4)] == [1, 2, 4, 8]
    # rung at step 1; the values carried in (first report at a step >= 1): 0.1, 0.3, 0.5
    others = [
        curve(0, C, 9.0, 0.1, 0.1),
        curve(1, P, 9.0, 0.3),
        curve(2, R, 9.0, 0.5),
    ]
    # 4 competitors, eta 2 -> the best 2 are promoted: 0.1, 0.2 (the trial) -> keep
    assert asha.should_prune(curve(3, R, 9.0, 0.2), others, "minimize") is False
    # 0.4 ranks third of 4 -> prune
    assert asha.should_prune(curve(3, R, 9.0, 0.4), others, "minimize") is True
    # maximize: best 2 of [0.1, 0.3, 0.5, 0.4] are 0.5 and 0.4 -> keep
    assert asha.should_prune(curve(3, R, 9.0, 0.4), others, "maximize") is False
    # a step that crosses no rung is never judged: step 3 lies between rungs 2 and 4
    assert asha.should_prune(Curve.of(3, R, {2: 0.0, 3: 99.0}), others, "minimize") is False


def test_asha_alone_is_promoted_and_bootstrap_count_waits():
    asha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert asha.should_prune(curve(0, R, 5.0, 5.0), [], "minimize") is False  # best of 1
    boot = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, bootstrap_count=2)
    assert boot.should_prune(curve(1, R, 0.0, 0.0), [curve(0, C, 1.0, 1.0)], "minimize") is True
    three = [curve(0, C, 1.0, 1.0), curve(2, C, 2.0, 2.0)]
    assert boot.should_prune(curve(1, R, 0.0, 0.0), three, "minimize") is False


def test_asha_min_early_stopping_rate_moves_the_first_rung():
    asha = SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1)
    assert asha.rung_step(0) == 6  # 2 * 3**1
    others = [curve(i, C, *[float(i)] * 7) for i in range(3)]  # carried into rung 6: 0, 1, 2
    worst = curve(9, R, *[5.0] * 6)  # steps 0..5: no rung crossed yet
    assert asha.should_prune(worst, others, "minimize") is False
    assert asha.should_prune(curve(9, R, *[5.0] * 7), others, "minimize") is True  # step 6


def test_hyperband_brackets_and_budgets():
    hb = HyperbandPruner(min_resource=1, max_resource=81, reduction_factor=3)
    assert hb.n_brackets == 5  # floor(log3(81)) + 1
    # ceil(5 * 3**s / (s + 1)) for s = 4, 3, 2, 1, 0
    assert hb.budgets() == [81, 34, 15, 8, 5]
    brackets = [hb.bracket(i) for i in range(400)]
    assert brackets == [hb.bracket(i) for i in range(400)]  # a function of the id alone
    counts = [brackets.count(b) for b in range(5)]
    assert counts[0] > counts[1] > counts[4] > 0  # shares follow the budgets
    assert HyperbandPruner(min_resource=1, max_resource=8, reduction_factor=3).n_brackets == 2


def test_hyperband_competes_within_a_bracket_only():
    hb = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    ids = {b: [i for i in range(200) if hb.bracket(i) == b] for b in range(hb.n_brackets)}
    a, b = ids[0][:2]  # two trials of bracket 0 (rungs at steps 1, 3, 9)
    other = ids[1][0]  # a trial of bracket 1 (rungs at 3, 9): not a competitor in bracket 0
    good = curve(a, C, 0.0, 0.1)
    trial = curve(b, R, 9.0, 0.5)
    # in bracket 0 at step 1: competitors 0.1 and 0.5, eta 3 -> only the best passes
    assert hb.should_prune(trial, [good], "minimize") is True
    assert hb.should_prune(trial, [curve(other, C, 0.0, 0.1)], "minimize") is False


# -- specs ------------------------------------------------------------------------------------
def test_make_pruner_from_specs():
    assert make_pruner(None) is None and make_pruner({"name": "none"}) is None
    asha = make_pruner({"name": "successive_halving", "reduction_factor": 3})
    assert isinstance(asha, SuccessiveHalvingPruner) and asha.reduction_factor == 3
    assert make_pruner("median") == MedianPruner()
    spec = make_pruner({"name": "hyperband", "max_resource": 27}).to_dict()
    assert spec["name"] == "hyperband" and spec["max_resource"] == 27
    assert make_pruner(spec) == make_pruner({"name": "hyperband", "max_resource": 27})
    same = PatiencePruner(patience=3)
    assert make_pruner(same) is same


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "asah"}, "`pruner.name` must be one of"),
        ({"name": "asha", "reduction": 2}, "has no option(s) ['reduction']"),
        (
            {"name": "asha", "reduction_factor": 1},
            "`pruner.reduction_factor` must be an integer >= 2, got 1",
        ),
        ({"name": "percentile"}, "`pruner.percentile` is required"),
        ({"name": "percentile", "percentile": 120}, "`pruner.percentile` must be in [0, 100]"),
        ({"name": "median", "percentile": 30}, "use name: percentile"),
        ({"name": "patience"}, "`pruner.patience` is required"),
        ({"name": "threshold"}, "`pruner.lower` or `pruner.upper` is required"),
        ({"name": "threshold", "lower": 2, "upper": 1}, "`pruner.lower <= pruner.upper` must hold"),
        ({"name": "hyperband"}, "`pruner.max_resource` is required"),
        ({"name": "hyperband", "min_resource": 9, "max_resource": 3}, "min_resource <= "),
        (
            {"name": "median", "n_warmup_steps": -1},
            "`pruner.n_warmup_steps` must be an integer >= 0",
        ),
        ({"name": "median", "interval_steps": True}, "`pruner.interval_steps` must be an integer"),
        ({"reduction_factor": 3}, "`pruner.name` is required"),
        (42, "`pruner` must be a bbo pruner"),
    ],
)
def test_bad_specs_name_the_field_and_rule(spec, message):
    with pytest.raises(InvalidArgumentError) as e:
        make_pruner(spec)
    assert message in str(e.value)


def test_direction_is_checked():
    with pytest.raises(InvalidArgumentError, match="`direction` must be"):
        MedianPruner().should_prune(curve(0, R, 1.0), [], "down")
