"""The warm-start benchmark's pieces: its problems' optima, the bookkeeping of evaluations
to a target, and a tiny end-to-end run of each arm."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from benchmarks import warmstart as ws


@pytest.mark.parametrize("name", list(ws.PROBLEMS))
def test_the_known_optimum_is_reached_and_never_beaten(name):
    prob = ws.PROBLEMS[name]
    rng = np.random.default_rng(0)
    names = list(prob.space)
    for _ in range(2000):
        p = {
            n: prob.space[n].low + rng.random() * (prob.space[n].high - prob.space[n].low)
            for n in names
        }
        assert prob.target(p) >= prob.optimum - 1e-6
    if name == "branin":  # minimizer (pi, 2.275) moved by (0.6, -0.8)
        best = {"x1": np.pi + 0.6, "x2": 2.275 - 0.8}
    else:  # hartmann-3's minimizer moved by 0.05
        best = {f"x{i}": v + 0.05 for i, v in enumerate((0.114614, 0.555649, 0.852547))}
    assert prob.target(best) == pytest.approx(prob.optimum, abs=1e-4)


def test_evals_to_and_the_median_over_seeds():
    assert ws.evals_to([3.0, 0.5, 0.01], 0.05) == 3
    assert ws.evals_to([3.0, 0.5], 0.05) is None
    runs = [[1.0, 0.01], [0.01, 0.01], [1.0, 1.0]]
    assert ws._median_hits(runs, 0.05, 2) == "2 (2/3)"
    assert ws._median_hits([[1.0, 1.0]] * 3, 0.05, 2) == ">2 (0/3)"


@pytest.mark.parametrize("arm", ws.ARMS)
def test_one_short_run_of_each_arm(arm):
    prob = replace(ws.PROBLEMS["branin"], budget=4)
    regrets = ws.run_arm(prob, arm, seed=0, strategy="gp", prior_evals=8)
    assert len(regrets) == 4 and all(r >= -1e-9 for r in regrets)
    assert regrets == sorted(regrets, reverse=True)  # best so far
