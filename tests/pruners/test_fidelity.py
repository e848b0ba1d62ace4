"""Multi-fidelity allocation (bbo.pruners.fidelity): validation, rungs, brackets, and the
stopping decisions, hand-computed."""

from __future__ import annotations

import pytest

from bbo.exceptions import InvalidArgumentError
from bbo.pruners import Curve
from bbo.pruners.fidelity import Fidelity, FidelityPruner, _cycle, make_fidelity
from bbo.trial import TrialState

R, C = TrialState.RUNNING, TrialState.COMPLETED


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "epochs", "low": 0, "high": 9}, "`fidelity.low` must be an integer >= 1, got 0"),
        (
            {"name": "epochs", "low": 3, "high": 3},
            "`fidelity.low < fidelity.high` must hold, got low=3, high=3",
        ),
        ({"name": "epochs", "low": 1, "high": 9, "eta": 1}, "`fidelity.eta` must be an integer"),
        ({"name": "epochs", "low": 1.5, "high": 9}, "`fidelity.low` must be an integer"),
        ({"name": "two words", "low": 1, "high": 9}, "`fidelity.name` must be an identifier"),
        ({"name": "epochs", "high": 9}, "`fidelity.low` is required"),
        ({"name": "epochs", "low": 1, "high": 9, "step": 2}, "has no field(s) ['step']"),
        ("epochs", "`fidelity` must be a bbo.Fidelity or a mapping"),
    ],
)
def test_bad_fidelity_names_the_field_and_the_rule(spec, message):
    with pytest.raises(InvalidArgumentError) as e:
        make_fidelity(spec)
    assert message in str(e.value)


def test_rungs_brackets_and_their_sizes():
    f = Fidelity("epochs", 1, 27)
    assert f.rungs == [1, 3, 9, 27] and f.n_brackets == 4
    assert f.bracket_sizes() == [27, 12, 6, 4]  # Hyperband: ceil(4 * 3**s / (s + 1))
    g = Fidelity("epochs", 1, 81)
    assert g.rungs == [1, 3, 9, 27, 81] and g.bracket_sizes() == [81, 34, 15, 8, 5]
    h = Fidelity("steps", 2, 50, eta=4)  # high off the grid: rungs 2, 8, 32
    assert h.rungs == [2, 8, 32] and h.bracket_sizes() == [16, 6, 3]
    assert make_fidelity({"name": "epochs", "low": 1, "high": 27}) == f
    assert f.to_dict() == {"name": "epochs", "low": 1, "high": 27, "eta": 3}


def test_brackets_interleave_in_proportion_and_repeat():
    f = Fidelity("epochs", 1, 27)
    first = [f.bracket(i) for i in range(12)]
    assert first == [0, 1, 0, 2, 0, 3, 0, 1, 0, 0, 1, 0]  # every bracket within 6 trials
    cycle = [f.bracket(i) for i in range(49)]
    assert [cycle.count(b) for b in range(4)] == [27, 12, 6, 4]
    assert [f.bracket(i + 49) for i in range(49)] == cycle
    assert [f.first_rung(i) for i in range(6)] == [1, 3, 1, 9, 1, 27]
    assert _cycle((1, 1)) == (0, 1)


def _pruner() -> FidelityPruner:
    return Fidelity("epochs", 1, 27).pruner()


def test_a_bracket_0_trial_is_judged_at_rung_1_against_its_bracket_only():
    p = _pruner()  # trials 0, 2, 4 are in bracket 0; trial 1 in bracket 1
    others = [
        Curve.of(0, C, {1: 0.5, 2: 0.4}),
        Curve.of(1, R, {1: 0.1, 2: 0.1}),  # better, but another bracket: not a competitor
        Curve.of(2, R, {1: 0.7}),
    ]
    # trial 4 at step 1 with 0.6: competitors 0.5, 0.7, 0.6 -> keep the best 3 // 3 = 1
    assert p.should_prune(Curve.of(4, R, {1: 0.6}), others, "minimize")
    assert not p.should_prune(Curve.of(4, R, {1: 0.4}), others, "minimize")
    assert not p.should_prune(Curve.of(4, R, {1: 0.8}), others, "maximize")


def test_a_trial_is_not_judged_before_its_brackets_first_rung_nor_between_rungs():
    p = _pruner()
    others = [Curve.of(7, C, {s: 0.1 for s in range(1, 28)})]  # trial 7: bracket 1
    # trial 1 (bracket 1) is first judged at step 3
    assert not p.should_prune(Curve.of(1, R, {1: 9.0}), others, "minimize")
    assert not p.should_prune(Curve.of(1, R, {1: 9.0, 2: 9.0}), others, "minimize")
    # at step 3: competitors 0.1 and 9.0 -> max(2 // 3, 1) = 1 kept: 0.1; pruned
    assert p.should_prune(Curve.of(1, R, {1: 9.0, 2: 9.0, 3: 9.0}), others, "minimize")
    # trial 5 (bracket 3) runs to 27 whatever it reports
    worst = {s: 9.0 for s in range(1, 28)}
    assert not p.should_prune(Curve.of(5, R, worst), others, "minimize")


def test_the_first_trial_at_a_rung_is_promoted():
    p = _pruner()
    assert not p.should_prune(Curve.of(0, R, {1: 5.0}), [], "minimize")


def test_a_trial_at_its_full_fidelity_is_never_stopped():
    p = _pruner()  # trial 2 (bracket 0), worse than trial 0 at every rung
    others = [Curve.of(0, C, {s: 0.1 for s in range(1, 28)})]
    assert p.should_prune(Curve.of(2, R, {9: 0.5}), others, "minimize")
    assert p.should_prune(Curve.of(2, R, {26: 0.5, 27: 0.5}), others, "minimize") is False
