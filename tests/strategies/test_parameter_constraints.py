"""Every strategy's suggestions satisfy the space's linear parameter constraints exactly,
in user units (an Int and a log-scaled Float among the constrained parameters), and they
come that way from the strategy itself, not only from the study's safety net."""

from __future__ import annotations

import pytest
import torch

import bbo
from bbo.acquisition.feasible import feasible_rows
from bbo.acquisition.optimize import OptimizerConfig, optimize_one
from bbo.study import suggest as suggest_module

SPACE = bbo.Space(
    {
        "x": bbo.Float(0.0, 10.0),
        "n": bbo.Int(1, 20),
        "lr": bbo.Float(1e-3, 1.0, log=True),
        "act": bbo.Categorical(["relu", "tanh"]),
    },
    constraints=["x + n <= 12", "x - 5*lr >= 0.5"],  # cuts the box diagonally
)


def holds(p: dict) -> bool:
    """The constraints as a user writes them, in the values of the params."""
    return p["x"] + p["n"] <= 12 and p["x"] - 5 * p["lr"] >= 0.5


def objective(p: dict) -> float:
    """Its unconstrained minimum (x=9, n=8, lr=0.9) is infeasible: the search presses on
    the constraints. The feasible minimum is 13 (x=7, n=5 or x=6, n=6; act=tanh)."""
    return (p["x"] - 9) ** 2 + (p["n"] - 8) ** 2 + (p["lr"] - 0.9) ** 2 + (p["act"] == "relu")


@pytest.mark.parametrize(
    ("strategy", "n_trials"),
    [("random", 25), ("sobol", 25), ("cmaes", 30), ("de", 30), ("gp", 12), ("auto", 14)],
)
def test_every_suggestion_is_feasible(strategy, n_trials, monkeypatch):
    raw: list[dict] = []
    inner = suggest_module.Distinct.suggest

    def spy(self, count, history):  # what the strategy itself proposes
        raw.extend(s.params for s in self.strategy.suggest(count, history))
        return inner(self, count, history)

    monkeypatch.setattr(suggest_module.Distinct, "suggest", spy)
    options = {"n_init": 6} if strategy in ("gp", "auto") else {}
    study = bbo.Study(SPACE, strategy=strategy, seed=3, strategy_options=options)
    for _ in range(n_trials):
        trial = study.ask()
        assert holds(trial.params), trial.params
        assert isinstance(trial.params["n"], int)
        study.tell(trial, objective(trial.params))
    batch = study.ask(3)
    assert all(holds(t.params) for t in batch)
    assert raw and all(holds(p) for p in raw), [p for p in raw if not holds(p)]
    assert study.best.value >= 13.0 - 1e-9  # the feasible minimum: x + n = 12, n = 5 or 6


def test_acquisition_optimizer_with_a_region_outside_the_feasible_set():
    """A trust-region box where no point is feasible still gives a feasible point, and on a
    box that meets the feasible set the point lies in it."""
    target = torch.tensor([0.9, 0.9, 0.9, 0.25], dtype=torch.float64)

    def acqf(X: torch.Tensor) -> torch.Tensor:  # b x 1 x d -> b: peak at the corner
        return -((X.squeeze(-2) - target) ** 2).sum(-1)

    config = OptimizerConfig(num_restarts=4, raw_samples=64, maxiter=30)
    corner = torch.tensor([[0.8, 0.8, 0.8, 0.0], [1.0, 1.0, 1.0, 1.0]], dtype=torch.float64)
    for bounds in (corner, torch.stack([torch.zeros(4), torch.ones(4)]).double()):
        m = optimize_one(acqf, SPACE, bounds, config, seed=0, pools={})
        assert holds(SPACE.decode(m.X[0].numpy()))
        X = feasible_rows(SPACE, corner.clone(), seed=0)  # what `optimize` ends with
        assert all(holds(p) for p in SPACE.decode_many(X.numpy()))
    pools = {
        "de": torch.rand(20, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    }
    m = optimize_one(acqf, SPACE, corner, config, seed=1, pools=pools)
    assert holds(SPACE.decode(m.X[0].numpy()))


def test_unconstrained_path_is_unchanged():
    """Without constraints the optimizer is the plain one (same point as before the feature:
    it never enters the constrained branch)."""
    plain = bbo.Space({k: SPACE[k] for k in SPACE if k != "act"})
    assert not plain.constraints

    def acqf(X: torch.Tensor) -> torch.Tensor:
        return -((X.squeeze(-2) - 0.7) ** 2).sum(-1)

    bounds = torch.stack([torch.zeros(3), torch.ones(3)]).double()
    config = OptimizerConfig(num_restarts=3, raw_samples=32, maxiter=20)
    a = optimize_one(acqf, plain, bounds, config, seed=0, pools={})
    b = optimize_one(acqf, plain, bounds, config, seed=0, pools={})
    assert torch.equal(a.X, b.X) and a.winner is None


def test_llm_proposals_that_break_a_constraint_are_dropped():
    from bbo.strategies.llm.prompt import parse_points

    text = (
        '{"points": [{"x": 9, "n": 9, "lr": 0.01, "act": "relu"},'
        ' {"x": 2, "n": 3, "lr": 0.01, "act": "tanh"}]}'
    )
    parsed = parse_points(text, SPACE, normalize=False)
    assert [p["x"] for p in parsed.configs] == [2.0]
    assert parsed.invalid == 1 and "x + n <= 12" in (parsed.problems or [""])[0]
