"""The GP in the principal axes of the best points (:mod:`bbo.surrogates.rotation`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp
from bbo.surrogates.rotation import (
    MIN_TOP_PER_DIM,
    Rotation,
    fit_rotated_gp,
    principal_axes,
    rotate,
)

CPU = torch.device("cpu")


def _frame(d: int, seed: int) -> np.ndarray:
    """A random ``d x d`` orthogonal matrix."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


def _valley(n: int, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points of the unit cube and utilities of an ill-conditioned quadratic (Hessian
    eigenvalues 1 to 1e3) in the random frame ``Q``: ``u = -(x - c)^T Q diag Q^T (x - c)``."""
    rng = np.random.default_rng(seed)
    Q = _frame(d, seed + 1)
    X = rng.random((n, d))
    z = (X - 0.45) @ Q
    u = -(z**2 * np.logspace(0, 3, d)).sum(1)
    return X, u[:, None], Q


def _fit(data: GPData, state: dict | None, refit: bool):
    return fit_gp(data, cat_dims=[], device=CPU, state=state, refit=refit)


def test_principal_axes_is_the_frame_of_the_best_points_spread():
    """The best points of a long thin valley spread along it: the first axis is the
    valley's direction, the frame is orthogonal and a function of the data alone."""
    rng = np.random.default_rng(3)
    direction = np.array([3.0, 4.0]) / 5.0
    X = 0.5 + rng.normal(size=(40, 1)) * 0.2 * direction + rng.normal(size=(40, 2)) * 0.01
    u = -np.abs(rng.normal(size=40))  # any order: every point lies in the valley
    R = principal_axes(X, u)
    assert R is not None
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-12)
    assert abs(R[:, 0] @ direction) > 0.99
    assert (R[np.abs(R).argmax(0), [0, 1]] > 0).all()  # signs fixed
    np.testing.assert_array_equal(principal_axes(X.copy(), u.copy()), R)


def test_principal_axes_needs_two_points_per_column_in_the_best_half():
    d = 3
    X, u, _ = _valley(2 * MIN_TOP_PER_DIM * d - 1, d)
    assert principal_axes(X, u[:, 0]) is None
    X, u, _ = _valley(2 * MIN_TOP_PER_DIM * d, d)
    assert principal_axes(X, u[:, 0]) is not None
    assert principal_axes(X[:, :1], u[:, 0]) is None  # one column: nothing to rotate


def test_rotation_transform_is_orthogonal_and_inverted():
    R = torch.as_tensor(_frame(3, 0))
    tf = Rotation(R)
    X = torch.rand(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    Z = tf.transform(X)
    torch.testing.assert_close(tf.untransform(Z), X)
    torch.testing.assert_close(torch.cdist(Z, Z), torch.cdist(X, X))
    torch.testing.assert_close(Z, torch.as_tensor(rotate(X.numpy(), R.numpy())))
    assert tf.equals(Rotation(R.clone())) and not tf.equals(Rotation(R.T.contiguous()))


def test_rotated_model_is_chosen_on_a_rotated_valley_and_its_caches_match_gpytorch():
    """On an ill-conditioned quadratic in a rotated frame the rotated GP has the higher
    MAP objective; its cached posterior (torch and numpy, with gradients in the original
    columns) equals gpytorch's posterior of the model with the :class:`Rotation`
    transform."""
    X, U, _ = _valley(60)
    torch.manual_seed(0)
    model, state = fit_rotated_gp(GPData(X, U), _fit, None, True)
    assert state["use"] == "rotated"
    assert state["rotated"]["value"] > state["plain"]["value"]
    assert isinstance(model.input_transform, Rotation)
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    torch.testing.assert_close(cache.X, torch.as_tensor(X))
    x = torch.rand(16, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        post = model.posterior(x)
        mean, var = cache.mean_var(x)
    torch.testing.assert_close(mean, post.mean.squeeze(-1), rtol=1e-7, atol=1e-8)
    # the valley's long lengthscales make K ill-conditioned: gpytorch's own solves agree to 1e-5
    torch.testing.assert_close(var, post.variance.squeeze(-1), rtol=1e-5, atol=1e-8)
    xg = x.clone().requires_grad_(True)
    m, v = cache.mean_var(xg)
    dm = torch.autograd.grad(m.sum(), xg, retain_graph=True)[0]
    dv = torch.autograd.grad(v.sum(), xg)[0]
    nm, nv, ndm, ndv = cache.grad(x.numpy())
    np.testing.assert_allclose(nm, mean.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(nv, var.numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ndm, dm.numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ndv, dv.numpy(), rtol=1e-5, atol=1e-6 * float(dv.abs().max()))
    # a believed point: the numpy mirror is conditioned in the rotated frame too
    seen = cache.believe(x[:2])
    nm2, nv2, _, _ = seen.grad(x.numpy())
    m2, v2 = seen.mean_var(x)
    np.testing.assert_allclose(nm2, m2.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(nv2, v2.numpy(), rtol=1e-5, atol=1e-8)
    assert (nv2[:2] < 0.25 * nv[:2]).all()  # the variance shrinks at the believed points


def test_the_plain_model_is_kept_on_an_axis_aligned_problem():
    """A function of the first column alone: the columns are already its axes."""
    rng = np.random.default_rng(5)
    X = rng.random((40, 3))
    U = -np.sin(6 * X[:, :1]) - 3 * X[:, :1] ** 2
    torch.manual_seed(0)
    model, state = fit_rotated_gp(GPData(X, U), _fit, None, True)
    assert state["use"] == "plain"
    assert getattr(model, "input_transform", None) is None


@pytest.mark.parametrize("n", [12, 60])
def test_stored_state_rebuilds_the_same_model_without_refitting(n):
    """``refit=False`` reuses the stored frame, choice and hyperparameters (a resumed
    study, or an ask between refits): the same posterior, whichever model was chosen."""
    X, U, _ = _valley(n)
    torch.manual_seed(0)
    model, state = fit_rotated_gp(GPData(X, U), _fit, None, True)
    again, state2 = fit_rotated_gp(GPData(X, U), _fit, state, False)
    assert state2["use"] == state["use"] == ("rotated" if n == 60 else "plain")
    assert state2["axes"] == state["axes"]
    x = torch.rand(8, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(again.posterior(x).mean, model.posterior(x).mean)
    # one more point, no refit: the stored frame is kept
    X3 = np.vstack([X, X[:1] * 0.5])
    U3 = np.vstack([U, U[:1]])
    _, state3 = fit_rotated_gp(GPData(X3, U3), _fit, state, False)
    assert state3["axes"] == state["axes"] and state3["use"] == state["use"]
