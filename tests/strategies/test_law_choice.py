"""``auto``'s choice of model for a statistic of replicates (issue 20): D'Agostino's skewness
test per point pooled by Stouffer's method (bbo/strategies/law_choice.py); skewed laws go to
``wasserstein``, Gaussian ones to the GP, and the trial's source says which."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.stats import skewtest

import bbo
from bbo.statistics import Statistic
from bbo.strategies.law_choice import LEVEL, law_test, saturated_share, skew_z
from bbo.strategies.portfolio import AutoStrategy

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})
FAST: dict[str, Any] = {"num_restarts": 2, "raw_samples": 64, "mc_samples": 64}


@pytest.mark.parametrize("n", [8, 11, 20, 100])
def test_skew_z_is_dagostinos_statistic(n: int) -> None:
    rng = np.random.default_rng(n)
    for y in (rng.standard_normal(n), rng.exponential(size=n), -rng.exponential(size=n)):
        assert skew_z(y) == pytest.approx(float(skewtest(y).statistic), rel=1e-9, abs=1e-12)


def test_skew_z_needs_eight_samples_and_a_spread() -> None:
    with pytest.raises(ValueError, match="n >= 8"):
        skew_z(np.arange(7.0))
    assert skew_z(np.full(10, 3.0)) == 0.0


def test_skewed_replicates_choose_the_generator_gaussian_ones_the_gp() -> None:
    rng = np.random.default_rng(0)
    # 20 points, 20 replicates each: location and scale vary (heteroscedastic) in both
    locs, scales = rng.normal(size=20), rng.uniform(0.01, 2.0, size=20)
    skewed = [m + s * rng.exponential(size=20) for m, s in zip(locs, scales)]
    gauss = [m + s * rng.standard_normal(20) for m, s in zip(locs, scales)]
    a, b = law_test(skewed), law_test(gauss)
    assert a.skewed and a.model == "wasserstein" and a.z > 3 and a.points == 20
    assert not b.skewed and b.model == "gp" and b.p > LEVEL
    # a bad side on the left is skewed too (the test is two-sided)
    assert law_test([-s for s in skewed]).skewed
    assert a.info() == {
        "model": "wasserstein",
        "z": round(a.z, 3),
        "p": pytest.approx(a.p, rel=1e-2),
        "points": 20,
    }


def test_gaussian_laws_rarely_reject_at_the_level() -> None:
    rng = np.random.default_rng(1)
    rejections = sum(
        law_test([rng.standard_normal(20) for _ in range(15)]).skewed for _ in range(400)
    )
    assert rejections <= 12  # 1% level: 4 expected of 400


def test_points_without_enough_replicates_are_left_out() -> None:
    rng = np.random.default_rng(2)
    few = [rng.exponential(size=5) for _ in range(30)] + [np.ones(10)]
    t = law_test(few)
    assert (t.points, t.skewed, t.p) == (0, False, 1.0) and t.info() == {"model": "gp"}


def test_saturated_share_counts_points_wholly_on_one_side() -> None:
    sets = [[1.0, 2.0, 3.0], [-1.0, -2.0, 0.5], [0.1, 0.9, 2.0], [0.5, 0.5]]
    # above 0.5: all, none (0.5 is not above), mixed, none
    assert saturated_share(sets, 0.5) == pytest.approx(0.75)
    assert saturated_share([], 0.5) == 0.0


def test_a_saturated_exceedance_goes_to_the_generator_whatever_the_skewness() -> None:
    rng = np.random.default_rng(5)
    # Gaussian replicates (not skewed) far above the limit at 7 of 10 points
    locs = np.r_[np.full(7, 5.0), np.zeros(3)]
    sets = [m + rng.standard_normal(20) for m in locs]
    t = law_test(sets, statistic=Statistic("exceed", 0.0))
    assert not t.skewed and t.blind and t.saturated == pytest.approx(0.7)
    assert (t.model, t.reason) == ("wasserstein", "saturated")
    assert t.info()["saturated"] == 0.7 and t.info()["model"] == "wasserstein"
    # 5 of 10 saturated is no majority; no statistic (or another one): the skewness test
    half = law_test(sets[2:], statistic=Statistic("exceed", 0.0))
    assert half.saturated == pytest.approx(5 / 8) and half.blind
    even = law_test(
        sets[2:] + [np.zeros(20) + rng.standard_normal(20) for _ in range(2)],
        statistic=Statistic("exceed", 0.0),
    )
    assert even.saturated == pytest.approx(0.5) and not even.blind and even.model == "gp"
    for other in (None, Statistic("cvar", 0.9)):
        plain = law_test(sets, statistic=other)
        assert plain.saturated is None and plain.model == "gp" and plain.reason == "gaussian"
        assert "saturated" not in plain.info()


def skewed_law(x: float, rng: np.random.Generator) -> list[float]:
    return ((x - 0.3) ** 2 + (0.05 + 0.3 * x) * rng.exponential(size=20)).tolist()


def gaussian_law(x: float, rng: np.random.Generator) -> list[float]:
    return ((x - 0.3) ** 2 + (0.05 + 0.3 * x) * rng.standard_normal(20)).tolist()


def run_auto(
    law: Callable[[float, np.random.Generator], list[float]],
    statistic: str = "cvar(0.9)",
    **options: Any,
) -> tuple[bbo.Trial, bbo.Study]:
    study = bbo.Study(
        SPACE, strategy="auto", seed=0, strategy_options={**FAST, **options}, statistic=statistic
    )
    rng = np.random.default_rng(0)
    for _ in range(5):  # the initial design (max(5, d + 1)); the next ask is the model's
        t = study.ask()
        study.tell(t, samples=law(t.params["x"], rng))
    return study.ask(), study


def test_auto_uses_the_generator_on_skewed_laws_and_says_so() -> None:
    trial, _ = run_auto(skewed_law)
    assert trial.attrs["source"] == "skewed>wasserstein:WLCB"
    law = trial.attrs["law"]
    assert law["model"] == "wasserstein" and law["p"] < LEVEL and law["points"] == 5
    assert 0.0 <= trial.params["x"] <= 1.0


def test_auto_keeps_the_gp_on_gaussian_laws_and_says_so() -> None:
    trial, _ = run_auto(gaussian_law)
    assert "wasserstein" not in trial.attrs["source"]
    assert trial.attrs["source"].endswith("gp:LogEI")
    assert trial.attrs["law"]["model"] == "gp" and trial.attrs["law"]["p"] >= LEVEL


def test_the_mean_is_not_tested() -> None:
    trial, _ = run_auto(skewed_law, statistic="mean")
    assert "law" not in trial.attrs and "wasserstein" not in trial.attrs["source"]


def test_statistic_model_forces_a_model() -> None:
    trial, _ = run_auto(skewed_law, statistic_model="gp")
    assert trial.attrs["source"].endswith("gp:LogEI") and trial.attrs["law"] == {"model": "gp"}
    with pytest.raises(bbo.BboError, match="statistic_model"):
        AutoStrategy(SPACE, seed=0, statistic_model="nn")


def test_the_generators_state_is_kept_in_autos() -> None:
    auto = AutoStrategy(SPACE, seed=0, **FAST)
    auto.load_state_dict({"gp": {}, "wasserstein": {"k": 1}})
    assert auto.state_dict()["wasserstein"] == {"k": 1}
    assert auto._wasserstein().state_dict() == {"k": 1}
    assert auto.state_dict()["wasserstein"] == {"k": 1}


def test_auto_takes_a_saturated_exceedance_to_the_generator() -> None:
    # Gaussian laws far above the threshold: every point's replicates all exceed it, the
    # empirical exceedance is 1 everywhere, and the skewness test alone would keep the GP
    trial, _ = run_auto(gaussian_law, statistic="exceed(-5.0)")
    law = trial.attrs["law"]
    assert law["model"] == "wasserstein" and law["saturated"] == 1.0 and law["p"] >= LEVEL
    assert trial.attrs["source"].startswith("saturated>wasserstein:")
