"""A quadratic metamodel of the best points, as a proposal source for ``auto``.

Local model-based methods (COBYLA, BOBYQA, Nevergrad's ``MetaModel``) beat a GP with one
lengthscale per column at small budgets on smooth ill-conditioned or rotated problems
(Rosenbrock, BBOB's attractive sector f6, the global bowl under Rastrigin's ripples, f15):
a full quadratic captures the rotation and the curvature that the GP's axis-aligned kernel
learns slowly. :func:`quad_candidates` fits one by least squares to the ``k`` best points
and proposes its minimizer inside their bounding box, plus small moves around it; in
``auto`` these candidates compete under the GP's acquisition like the other pools.
"""

from __future__ import annotations

import numpy as np

from bbo.space import Space

QUAD_MAX_DIM = 20  # above: (d + 1)(d + 2) / 2 coefficients need more points than a study has
QUAD_STEPS = (0.01, 0.03, 0.1)  # sd of the moves around the minimizer, of the box width


def quad_features(Z: np.ndarray) -> np.ndarray:
    """``n x c`` points -> ``n x (1 + c + c(c+1)/2)`` features ``[1, z, z_i z_j (i <= j)]``."""
    i, j = np.triu_indices(Z.shape[1])
    return np.concatenate([np.ones((len(Z), 1)), Z, Z[:, i] * Z[:, j]], axis=1)


def fit_quadratic(Z: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares quadratic ``q(z) = a + g^T z + z^T H z / 2`` through ``n x c`` points
    ``Z`` with values ``v`` (``n``), centred and scaled beforehand by the caller, with a
    ``1e-8`` ridge for the underdetermined directions. Returns ``(g, H)`` (``c``, ``c x c``
    symmetric)."""
    c = Z.shape[1]
    F = quad_features(Z)
    beta = np.linalg.solve(F.T @ F + 1e-8 * np.eye(F.shape[1]), F.T @ v)
    g = beta[1 : 1 + c]
    i, j = np.triu_indices(c)
    H = np.zeros((c, c))
    H[i, j] = beta[1 + c :]
    H = H + H.T  # the diagonal doubles: d^2/dz_i^2 of b z_i^2 is 2b
    return g, H


def box_minimize(
    g: np.ndarray, H: np.ndarray, lo: np.ndarray, hi: np.ndarray, z0: np.ndarray
) -> np.ndarray:
    """The minimizer of ``g^T z + z^T H z / 2`` over the box ``[lo, hi]`` (``c`` each): the
    Newton point ``-H^-1 g`` when ``H`` is positive definite and the point lies in the box,
    otherwise projected gradient descent from ``z0`` with step ``1 / ||H||_2`` (a box-bounded
    descent to a local minimizer for an indefinite ``H``)."""
    try:
        L = np.linalg.cholesky(H)
        z = -np.linalg.solve(L.T, np.linalg.solve(L, g))
        if np.all((z >= lo) & (z <= hi)):
            return z
    except np.linalg.LinAlgError:
        pass
    z = np.clip(z0, lo, hi)
    step = 1.0 / max(float(np.linalg.norm(H, 2)), 1e-12)
    for _ in range(2000):
        z_new = np.clip(z - step * (g + H @ z), lo, hi)
        if np.max(np.abs(z_new - z)) < 1e-12:
            break
        z = z_new
    return z


def quad_candidates(
    X: np.ndarray, y: np.ndarray, n: int, space: Space, rng: np.random.Generator
) -> np.ndarray:
    """``n' x d`` (``n' <= n``; none when the model cannot be fitted) proposals of a
    quadratic metamodel of the history ``X`` (``N x d`` encoded rows, lower ``y`` is
    better). On the ``c`` continuous columns: the ``k = min(N, 2p)`` best rows (``p = 1 +
    c + c(c+1)/2`` coefficients, at least ``p + 1`` rows needed, ``c <= QUAD_MAX_DIM``),
    rescaled to their bounding box, with standardized values; the fitted quadratic's
    minimizer over that box padded by 10 % (:func:`box_minimize`, from the best row), then
    ``N(0, s^2)`` moves around it with ``s`` from :data:`QUAD_STEPS` of the box width.
    Discrete columns keep the best row's values, and the model is fitted on the rows that
    share them when more than ``p`` do."""
    discrete = set(space.discrete_dims) | set(space.categorical_dims)
    cont = [j for j in range(X.shape[1]) if j not in discrete]
    c = len(cont)
    p = 1 + c + c * (c + 1) // 2
    if not c or c > QUAD_MAX_DIM or len(X) < p + 1 or n < 1:
        return np.zeros((0, X.shape[1]))
    order = np.argsort(y, kind="stable")
    if discrete:  # the model of the best row's discrete values, when they have enough rows
        cols = sorted(discrete)
        same = order[np.all(X[order][:, cols] == X[order[0], cols], axis=1)]
        order = same if len(same) > p else order
    order = order[: min(len(order), 2 * p)]
    Z = X[order][:, cont]
    lo, hi = Z.min(0), Z.max(0)
    width = np.maximum(hi - lo, 1e-9)
    v = y[order] - y[order].mean()
    v = v / max(float(v.std()), 1e-300)
    g, H = fit_quadratic((Z - lo) / width, v)
    z = box_minimize(g, H, np.full(c, -0.1), np.full(c, 1.1), (Z[0] - lo) / width)
    best = lo + z * width
    moves = rng.choice(QUAD_STEPS, size=(n - 1, 1)) * rng.standard_normal((n - 1, c)) * width
    out = np.tile(X[order[0]], (n, 1))
    out[:, cont] = np.clip(np.concatenate([best[None], best + moves]), 0.0, 1.0)
    return out
