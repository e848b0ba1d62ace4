"""The quadratic metamodel proposal source (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from bbo.space import Categorical, Float, Space
from bbo.strategies.metamodel import box_minimize, fit_quadratic, quad_candidates

SPACE4 = Space({f"x{i}": Float(0.0, 1.0) for i in range(4)})


def _bowl(X: np.ndarray, centre: np.ndarray, seed: int = 3) -> np.ndarray:
    """A rotated, ill-conditioned convex quadratic with its minimum at ``centre``."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((X.shape[1], X.shape[1])))
    A = Q @ np.diag(np.geomspace(1.0, 30.0, X.shape[1])) @ Q.T
    D = X - centre
    return np.einsum("ni,ij,nj->n", D, A, D)


def test_fit_quadratic_recovers_gradient_and_hessian_exactly():
    rng = np.random.default_rng(0)
    Z = rng.random((30, 3))
    g0, H0 = np.array([1.0, -2.0, 0.5]), np.array([[2.0, 0.3, 0], [0.3, 1.0, -0.2], [0, -0.2, 4]])
    v = 0.7 + Z @ g0 + 0.5 * np.einsum("ni,ij,nj->n", Z, H0, Z)
    g, H = fit_quadratic(Z, v)
    np.testing.assert_allclose(g, g0, atol=1e-6)
    np.testing.assert_allclose(H, H0, atol=1e-6)


def test_box_minimize_is_exact_inside_and_clips_to_the_box():
    H = np.array([[2.0, 0.5], [0.5, 1.0]])
    z_star = np.array([0.3, 0.6])
    g = -H @ z_star
    np.testing.assert_allclose(
        box_minimize(g, H, np.zeros(2), np.ones(2), np.zeros(2)), z_star, atol=1e-6
    )
    # an indefinite quadratic descends to a corner of the box
    z = box_minimize(
        np.zeros(2), np.diag([1.0, -1.0]), np.full(2, -1.0), np.ones(2), np.array([0.1, 0.2])
    )
    assert z[0] == pytest.approx(0.0, abs=1e-6) and abs(z[1]) == 1.0


def test_quad_candidates_find_the_minimum_of_a_rotated_bowl():
    rng = np.random.default_rng(1)
    centre = np.array([0.3, 0.62, 0.5, 0.41])
    X = rng.random((40, 4))
    C = quad_candidates(X, _bowl(X, centre), 8, SPACE4, rng)
    assert C.shape == (8, 4)
    np.testing.assert_allclose(C[0], centre, atol=1e-4)
    assert ((C >= 0) & (C <= 1)).all()
    assert np.abs(C[1:] - centre).max() < 0.5  # moves stay near the minimizer
    # best observed point is far worse than the proposal
    assert _bowl(C[:1], centre)[0] < 1e-6 < _bowl(X, centre).min()


def test_quad_candidates_need_enough_points_and_few_columns():
    rng = np.random.default_rng(2)
    X = rng.random((15, 4))  # 15 coefficients need at least 16 rows
    assert quad_candidates(X, X.sum(1), 5, SPACE4, rng).shape == (0, 4)
    wide = Space({f"x{i}": Float(0.0, 1.0) for i in range(21)})
    Xw = rng.random((300, 21))
    assert quad_candidates(Xw, Xw.sum(1), 5, wide, rng).shape == (0, 21)


def test_quad_candidates_keep_the_best_rows_categories():
    space = Space({"x0": Float(0.0, 1.0), "x1": Float(0.0, 1.0), "c": Categorical(["a", "b"])})
    rng = np.random.default_rng(4)
    X = rng.random((30, 3))
    X[:, 2] = np.where(X[:, 2] < 0.5, 0.25, 0.75)
    y = _bowl(X[:, :2], np.array([0.5, 0.5])) + (X[:, 2] > 0.5)
    C = quad_candidates(X, y, 4, space, rng)
    assert (C[:, 2] == X[np.argmin(y), 2]).all()
    np.testing.assert_allclose(C[0, :2], [0.5, 0.5], atol=0.05)
