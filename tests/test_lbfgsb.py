"""bbo.lbfgsb: the batched L-BFGS-B driver gives botorch's and scipy's iterates exactly."""

from __future__ import annotations

import numpy as np
import pytest
from botorch.optim.batched_lbfgs_b import fmin_l_bfgs_b_batched
from scipy.optimize import minimize

from bbo.lbfgsb import minimize_batched


def _problem(rng: np.random.Generator, d: int):
    """A smooth multimodal objective on ``b x d`` points: values ``b``, gradients ``b x d``."""
    A = rng.normal(size=(d, d))
    c = rng.uniform(-1.0, 2.0, size=d)

    def f(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = (x - c) @ A
        return np.sin(3 * x).sum(-1) + 0.5 * (r**2).sum(-1), 3 * np.cos(3 * x) + r @ A.T

    return f


@pytest.mark.parametrize("maxiter", [2, 200])
def test_same_iterates_as_botorch_batched(maxiter: int) -> None:
    rng = np.random.default_rng(0)
    for _ in range(10):
        d, b = int(rng.integers(1, 12)), int(rng.integers(1, 16))
        f = _problem(rng, d)
        x0 = rng.uniform(-0.2, 1.2, size=(b, d))  # some starts outside the box: clipped
        lo, hi = np.zeros(d), np.ones(d)
        xs, fs, _ = fmin_l_bfgs_b_batched(f, x0, bounds=list(zip(lo, hi)), maxiter=maxiter)
        ys, gs = minimize_batched(f, x0, lo, hi, maxiter=maxiter)
        assert np.array_equal(np.asarray(xs), ys)
        assert np.array_equal(np.asarray(fs, dtype=float), gs)
        assert ((ys >= lo) & (ys <= hi)).all()


def test_one_problem_with_open_bounds_matches_scipy_minimize() -> None:
    rng = np.random.default_rng(1)
    f = _problem(rng, 4)
    lower = np.array([-np.inf, 0.0, -np.inf, -1.0])
    upper = np.array([np.inf, np.inf, 0.5, 3.0])
    x0 = rng.uniform(0.0, 0.5, size=4)
    res = minimize(
        lambda x: tuple(v[0] for v in f(x[None])),
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(lower, upper)),
        options={"maxiter": 100, "gtol": 1e-3},
    )
    ys, gs = minimize_batched(f, x0[None], lower, upper, maxiter=100, gtol=1e-3)
    assert np.array_equal(res.x, ys[0])
    assert gs[0] == res.fun
    assert res.success and np.abs(f(ys)[1][0][[0]]).max() < 1e-3  # unbounded: gradient ~0


def test_stops_at_maxiter_and_converges_without_it() -> None:
    calls: list[int] = []

    def bowl(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(len(x))
        return ((x - 0.3) ** 2).sum(-1), 2 * (x - 0.3)

    x0 = np.array([[0.9, 0.1], [0.0, 0.0]])
    ys, gs = minimize_batched(bowl, x0, np.zeros(2), np.ones(2), maxiter=50)
    np.testing.assert_allclose(ys, 0.3, atol=1e-8)
    np.testing.assert_allclose(gs, 0.0, atol=1e-14)
    assert max(calls) == 2  # both problems in one evaluation while both run
    calls.clear()
    ys, _ = minimize_batched(bowl, np.array([[0.9, 0.1]]), np.zeros(2), np.ones(2), maxiter=1)
    assert len(calls) <= 3 and not np.allclose(ys, 0.3, atol=1e-8)


def test_bad_bounds() -> None:
    f = _problem(np.random.default_rng(2), 2)
    with pytest.raises(ValueError, match="length 2"):
        minimize_batched(f, np.zeros((1, 2)), np.zeros(3), np.ones(3), maxiter=5)
    with pytest.raises(ValueError, match="above its upper"):
        minimize_batched(f, np.zeros((1, 2)), np.ones(2), np.zeros(2), maxiter=5)
