"""Priors on the optimum in the strategies: the design, piBO in gp/auto, random, cmaes, de."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.strategies.base import History
from bbo.strategies.cmaes import CMAESStrategy
from bbo.strategies.gp import GPOptions
from bbo.strategies.prior_sobol import PriorSobol, initial_design
from bbo.strategies.sobol import SobolSearch
from bbo.trial import Objective

MEAN = {"x": 0.3, "y": 0.6}


def _space(sd: float | None = 0.03) -> bbo.Space:
    prior = (lambda m: bbo.Prior(mean=m, sd=sd)) if sd else (lambda m: None)
    return bbo.Space({k: bbo.Float(0.0, 1.0, prior=prior(m)) for k, m in MEAN.items()})


def _objective(p: dict) -> float:
    return p["x"] + p["y"]  # best at (0, 0): far from the prior mean


def _run(space: bbo.Space, strategy: str, n: int) -> list[bbo.Trial]:
    study = bbo.Study(space, strategy=strategy, seed=0)
    out = []
    for _ in range(n):
        t = study.ask()
        study.tell(t, _objective(t.params))
        out.append(t)
    return out


def _dist(t: bbo.Trial) -> float:
    return max(abs(t.params[k] - m) for k, m in MEAN.items())


def test_design_interleaves_prior_and_sobol_and_resumes() -> None:
    space = _space()
    design = initial_design(space, seed=3)
    assert isinstance(design, PriorSobol)
    assert type(initial_design(_space(None), seed=3)) is SobolSearch
    h = History(space, (Objective("value"),), ())
    batch = design.suggest(5, h)
    assert [s.source for s in batch] == ["prior", "sobol", "prior", "sobol", "prior"]
    one_by_one = [
        design.suggest(1, History(space, h.objectives, (), skipped=k))[0] for k in range(5)
    ]
    assert [s.params for s in one_by_one] == [s.params for s in batch]
    assert all(max(abs(s.params[k] - m) for k, m in MEAN.items()) < 0.15 for s in batch[::2])
    plain = SobolSearch(space, seed=3).suggest(3, h)
    assert [s.params for s in batch[1::2]] == [s.params for s in plain[:2]]


@pytest.mark.parametrize("strategy", ["gp", "auto"])
def test_a_sharp_prior_the_data_contradict_holds_the_search_for_a_bounded_time(
    strategy: str,
) -> None:
    """The optimum (0, 0) is 20 sd from a sharp prior (sd 0.03): the prior's weight is
    bounded (the uniform share of bbo.acquisition.prior), so after the design the model
    reaches the optimum within 3 asks, one ask after the study without a prior."""
    with_prior = _run(_space(), strategy, 9)
    without = _run(_space(None), strategy, 9)
    model = [t for t in with_prior if t.attrs["source"] not in ("prior", "sobol")]
    assert len(model) == 4
    values = [_objective(t.params) for t in model]
    assert min(values[:3]) < 1e-9 and min(values[:2]) > 1e-3
    assert min(_objective(t.params) for t in without[5:7]) < 1e-9


def test_prior_beta_zero_ignores_the_prior_after_the_design() -> None:
    study = bbo.Study(_space(), strategy="gp", seed=0, strategy_options={"prior_beta": 0})
    for _ in range(8):
        t = study.ask()
        study.tell(t, _objective(t.params))
    assert _dist(t) > 0.15


def test_prior_beta_option_is_checked() -> None:
    assert GPOptions(prior_beta=3).prior_beta == 3.0
    with pytest.raises(bbo.InvalidArgumentError, match="prior_beta"):
        GPOptions(prior_beta=-1.0)


def test_random_draws_every_other_point_from_the_prior() -> None:
    trials = bbo.Study(_space(), strategy="random", seed=1).ask(40)
    shaped = [t for t in trials if t.attrs["source"] == "prior"]
    assert len(shaped) == 20
    assert max(_dist(t) for t in shaped) < 0.15
    assert np.mean([_dist(t) > 0.15 for t in trials if t.attrs["source"] == "random"]) > 0.5


def test_cmaes_starts_at_the_prior_mode() -> None:
    space = _space()
    cma = CMAESStrategy(space, seed=0)
    cma.suggest(1, History(space, (Objective("value"),), ()))
    assert cma.state_dict()["cma"]["mean"] == pytest.approx([0.3, 0.6])


def test_de_first_population_half_under_the_prior() -> None:
    trials = bbo.Study(_space(), strategy="de", seed=0).ask(10)
    near = [_dist(t) < 0.15 for t in trials]
    assert all(near[::2])
    assert sum(near[1::2]) < 5
