"""The ``auto`` portfolio: bandit bookkeeping, candidate pools, the acquisition competition,
the documented rules, determinism and resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.acquisition import AcquisitionFunction
from botorch.models import SingleTaskGP

import bbo
from bbo.acquisition.optimize import OptimizerConfig, optimize_one
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History
from bbo.strategies.pools import (
    allocate,
    cma_candidates,
    local_candidates,
    source_stats,
    stagnation,
)
from bbo.strategies.portfolio import AutoStrategy
from bbo.trial import Objective, Trial, TrialState

FAST = {"num_restarts": 4, "raw_samples": 128, "mc_samples": 64, "pool_size": 32}
SPACE2 = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})


def quad(p):
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2


def run(study, f, n):
    for _ in range(n):
        t = study.ask()
        study.tell(t, f(t.params))
    return study


def _history(sources_values):
    trials = tuple(
        Trial(
            id=i + 1,
            params={"x": 0.1 * (i % 10), "y": 0.5},
            state=TrialState.COMPLETED,
            values={"value": v},
            attrs={"source": s},
        )
        for i, (s, v) in enumerate(sources_values)
    )
    return History(SPACE2, (Objective("value", "minimize"),), trials)


def test_source_stats_count_wins_in_trial_order():
    h = _history(
        [
            ("sobol", 5.0),
            ("gp:LogEI", 4.0),
            ("de>gp:LogEI", 3.0),  # win
            ("de>gp:LogEI", 3.5),  # no win
            ("local>gp:LogEI", 1.0),  # win
            ("de>gp:LogEI", 0.5),  # win
        ]
    )
    assert source_stats(h) == {"de": (2, 3), "local": (1, 1)}


def test_allocate_is_seeded_sums_to_total_and_follows_wins():
    stats = {"de": (9, 10), "local": (0, 10)}
    a = allocate(stats, ("de", "local"), 64, seed=3)
    assert a == allocate(stats, ("de", "local"), 64, seed=3)
    assert sum(a.values()) == 64
    assert a["de"] > a["local"] >= 64 // 8 - 1  # at least an eighth, up to rounding


def test_local_candidates_stay_in_the_cube_near_the_incumbents():
    rng = np.random.default_rng(0)
    X = rng.random((20, 2))
    y = ((X - 0.5) ** 2).sum(1)
    C = local_candidates(X, y, 200, SPACE2, rng)
    assert C.shape == (200, 2) and C.min() >= 0 and C.max() <= 1
    best = X[np.argsort(y)[:5]]
    nearest = np.min(np.linalg.norm(C[:, None] - best[None], axis=-1), axis=1)
    assert np.median(nearest) < 0.15


def test_stagnation_counts_trials_since_the_last_real_improvement():
    values = [5.0, 4.0, 3.0, 3.0, 2.9999, 3.5, 4.0]  # 2.9999: below the tolerance of the range
    h = _history([("sobol", v) for v in values])
    assert stagnation(h) == 4
    assert stagnation(_history([("sobol", v) for v in [5.0, 4.0, 1.0]])) == 0


def test_cma_candidates_follow_a_rotated_valley():
    rng = np.random.default_rng(1)
    t = rng.random(40)
    X = np.stack([t, t], axis=1) + 0.01 * rng.standard_normal((40, 2))  # along x = y
    y = (X[:, 0] - X[:, 1]) ** 2 + 0.01 * (X[:, 0] - 0.5) ** 2
    C = cma_candidates(X, y, 400, rng)
    assert C.shape == (400, 2) and C.min() >= 0 and C.max() <= 1
    assert np.median(np.abs(C[:, 0] - C[:, 1])) < 0.02  # along the valley, not across it
    assert C[:, 0].std() > 4 * np.median(np.abs(C[:, 0] - C[:, 1]))


def test_a_stagnating_study_explores_by_thompson_sampling_every_k_trials():
    f = [5.0, 4.0, 3.0, 2.0, 1.0, 1.5, 1.6, 1.7]  # 3 trials since the last improvement
    trials = tuple(
        Trial(
            id=i + 1,
            params={"x": 0.1 * i + 0.05, "y": 0.9 - 0.1 * i},
            state=TrialState.COMPLETED,
            values={"value": v},
            attrs={"source": "sobol"},
        )
        for i, v in enumerate(f)
    )
    h = History(SPACE2, (Objective("value", "minimize"),), trials)
    assert stagnation(h) == 3
    explore = AutoStrategy(SPACE2, seed=0, **{**FAST, "explore_after": 3}).suggest(1, h)
    assert explore[0].source == "explore>gp:TS"
    calm = AutoStrategy(SPACE2, seed=0, **{**FAST, "explore_after": 2}).suggest(1, h)
    assert not calm[0].source.startswith("explore")
    off = AutoStrategy(SPACE2, seed=0, **{**FAST, "explore_after": 0}).suggest(1, h)
    assert not off[0].source.startswith("explore")
    assert AutoStrategy(SPACE2, seed=0).explore_after == 0  # off by default
    assert AutoStrategy(SPACE2, seed=0, explore_after=None).explore_after == 5  # max(5, min(d, 20))
    # counted from the end of the initial design: with n_init = 7, 1 trial, not 3
    late = AutoStrategy(SPACE2, seed=0, **{**FAST, "explore_after": 1, "n_init": 7})
    assert late.suggest(1, h)[0].source == "explore>gp:TS"
    late = AutoStrategy(SPACE2, seed=0, **{**FAST, "explore_after": 3, "n_init": 7})
    assert not late.suggest(1, h)[0].source.startswith("explore")


def test_failures_in_the_initial_design_never_trigger_exploration():
    states = [TrialState.FAILED] * 4 + [TrialState.COMPLETED] * 3  # 3 completed < n_init 5
    trials = tuple(
        Trial(
            id=i + 1,
            params={"x": 0.13 * i + 0.05, "y": 0.9 - 0.11 * i},
            state=st,
            values={"value": float(5 - i)} if st == TrialState.COMPLETED else {},
            attrs={"source": "sobol"},
        )
        for i, st in enumerate(states)
    )
    h = History(SPACE2, (Objective("value", "minimize"),), trials)
    out = AutoStrategy(SPACE2, seed=0, **{**FAST, "explore_after": 2}).suggest(1, h)
    assert not out[0].source.startswith("explore")


class _Bumps(AcquisitionFunction):
    """A narrow high bump at (0.9, 0.1), a broad one at (0.3, 0.7) and one outside the box
    beyond the corner (1, 1), whose gradient there points out of the box."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:  # b x 1 x d -> b
        x = X.squeeze(-2)

        def bump(centre: list[float], width: float) -> torch.Tensor:
            c = torch.tensor(centre, dtype=x.dtype)
            return torch.exp(-((x - c) ** 2).sum(-1) / width)

        return 2 * bump([0.9, 0.1], 0.005) + bump([0.3, 0.7], 0.08) + 0.5 * bump([1.3, 1.3], 0.08)


def test_optimize_one_polishes_pool_candidates_in_the_same_run_and_names_the_winner():
    X = torch.rand(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    acqf = _Bumps(SingleTaskGP(X, X.sum(-1, keepdim=True)))
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    config = OptimizerConfig(num_restarts=2, raw_samples=8)
    # the optimizer's own restarts miss the narrow bump; a pool's candidate near it wins
    good = torch.tensor([[0.86, 0.14]], dtype=torch.float64)
    bad = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    Xw, who, _ = optimize_one(acqf, SPACE2, bounds, config, 0, {"bad": bad, "good": good})
    assert who == "good"
    torch.testing.assert_close(
        Xw, torch.tensor([[0.9, 0.1]], dtype=torch.float64), atol=1e-3, rtol=0
    )
    # a candidate stuck in the corner (the gradient points out of the box) loses to them
    Xk, nobody, _ = optimize_one(acqf, SPACE2, bounds, config, 0, {"bad": bad})
    assert nobody is None
    torch.testing.assert_close(
        Xk, torch.tensor([[0.3, 0.7]], dtype=torch.float64), atol=2e-2, rtol=0
    )


def test_auto_finds_the_quadratic_optimum_and_labels_sources():
    allowed = {"gp:LogEI", "de>gp:LogEI", "local>gp:LogEI", "cma>gp:LogEI", "explore>gp:TS"}
    won: set[str] = set()
    for seed in range(3):
        study = run(bbo.Study(SPACE2, seed=seed, strategy_options=FAST), quad, 25)
        assert study.best.value < 1e-4
        sources = [t.attrs["source"] for t in study.trials]
        assert sources[:5] == ["sobol"] * 5
        assert set(sources[5:]) <= allowed
        won |= set(sources[5:])
    # the pools reach the acquisition: each one's candidates win asks (which pool wins
    # which ask is a chaotic function of rounding, so the count is over three studies)
    assert {"de>gp:LogEI", "local>gp:LogEI", "cma>gp:LogEI"} <= won


def test_the_opt_in_quad_source_wins_asks_on_a_rotated_bowl():
    def bowl(p):
        u, v = p["x"] - 0.3, p["y"] - 0.7
        return (u + v) ** 2 + 30 * (u - v) ** 2

    opts = {**FAST, "sources": ["quad"]}
    study = run(bbo.Study(SPACE2, seed=1, strategy_options=opts), bowl, 20)
    sources = [t.attrs["source"] for t in study.trials]
    assert set(sources[5:]) <= {"gp:LogEI", "quad>gp:LogEI"}
    assert "quad>gp:LogEI" in sources  # once 7 points exist (6 coefficients + 1)


def test_same_seed_same_suggestions_and_exact_resume(tmp_path):
    a = run(bbo.Study(SPACE2, seed=4, strategy_options=FAST), quad, 9)
    url = f"sqlite:///{tmp_path / 's.db'}"
    b = run(bbo.Study(SPACE2, seed=4, strategy_options=FAST, storage=url, name="s"), quad, 6)
    b = run(bbo.Study.load("s", url), quad, 3)  # reopened: the portfolio refits from storage
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.attrs["source"] for t in a.trials] == [t.attrs["source"] for t in b.trials]


def test_high_dimension_rule_hands_over_to_cmaes():
    study = bbo.Study(SPACE2, seed=0, strategy_options={**FAST, "cmaes_dim": 1})
    run(study, quad, 12)
    sources = [t.attrs["source"] for t in study.trials]
    assert sources[:5] == ["sobol"] * 5 and set(sources[5:]) == {"cmaes"}


def test_batches_and_several_objectives_use_the_gp_alone():
    study = run(bbo.Study(SPACE2, seed=0, strategy_options=FAST), quad, 6)
    assert {t.attrs["source"] for t in study.ask(3)} == {"gp:LogEI"}  # the believer


@pytest.mark.parametrize(
    ("opts", "needle"),
    [
        ({"pool_size": -1}, "pool_size"),
        ({"sources": ["de", "magic"]}, "sources"),
        ({"cmaes_dim": 1.5}, "cmaes_dim"),
        ({"explore_after": -2}, "explore_after"),
        ({"acquisition": "nope"}, "acquisition"),
    ],
)
def test_bad_options_name_the_option(opts, needle):
    with pytest.raises(InvalidArgumentError, match=needle):
        bbo.Study(SPACE2, seed=0, strategy_options=opts)
