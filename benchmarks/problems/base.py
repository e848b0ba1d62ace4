"""The problem record (:class:`Instance`), plain-numpy test functions and shared helpers.

Every problem is minimised. An instance offers

* ``true(params)``: the noise-free objective of a configuration (native values);
* ``observe(params, rng)``: the metrics a method is told: ``{"y": ...}`` (plus Gaussian noise
  of std ``noise_std``, or ``noise_sd(true value)`` for heteroscedastic problems) and, for
  constrained problems, the constraint metric ``{"c": ...}`` (feasible when ``c <= 0``);
* ``optimum``: the known minimum of ``true`` over the feasible set; ``argmin`` attains it;
* ``budget_dim``: the ``d`` that budget multipliers apply to (the dimension, or a fixed 10
  for the high-dimensional embedded problems; see :mod:`benchmarks.problems.embedded`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bbo import Float, Space

Params = Mapping[str, Any]
OBJECTIVE = "y"
CONSTRAINT = "c"

# -- plain test functions on numpy vectors ---------------------------------------------------


def branin(x: np.ndarray) -> float:
    """Branin-Hoo on ``[-5, 10] x [0, 15]``:
    ``f = (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s`` with ``b = 5.1 / (4 pi^2)``,
    ``c = 5 / pi``, ``r = 6``, ``s = 10``, ``t = 1 / (8 pi)``; minimum 0.397887 at
    ``(-pi, 12.275)``, ``(pi, 2.275)`` and ``(9.42478, 2.475)``."""
    b, c, r, s, t = 5.1 / (4 * np.pi**2), 5.0 / np.pi, 6.0, 10.0, 1.0 / (8 * np.pi)
    x1, x2 = float(x[0]), float(x[1])
    return (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * np.cos(x1) + s


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
H6_ARGMIN = np.array([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])
H6_MIN = -3.32237


def hartmann6(x: np.ndarray) -> float:
    """Hartmann-6 on ``[0, 1]^6``: ``f = -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2)``;
    minimum -3.32237 at ``(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)``."""
    inner = np.sum(_H6_A * (np.asarray(x)[None, :] - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def levy(z: np.ndarray) -> float:
    """Levy: with ``w = 1 + (z - 1) / 4``,
    ``f = sin^2(pi w_1) + sum_{i<d} (w_i - 1)^2 (1 + 10 sin^2(pi w_i + 1))
    + (w_d - 1)^2 (1 + sin^2(2 pi w_d))``; minimum 0 at ``z = (1, ..., 1)``."""
    w = 1.0 + (np.asarray(z, dtype=float) - 1.0) / 4.0
    head = np.sin(np.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def rosenbrock(z: np.ndarray) -> float:
    """Rosenbrock: ``f = sum_{i<d} 100 (z_{i+1} - z_i^2)^2 + (1 - z_i)^2``; minimum 0 at
    ``z = (1, ..., 1)``."""
    z = np.asarray(z, dtype=float)
    return float(np.sum(100.0 * (z[1:] - z[:-1] ** 2) ** 2 + (1.0 - z[:-1]) ** 2))


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random ``d x d`` orthogonal matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))[None, :]


# -- problem instances ----------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One seeded instance of a problem (see the module docstring)."""

    name: str
    space: Space
    true: Callable[[Params], float]
    optimum: float
    argmin: dict[str, Any]
    noise_std: float = 0.0
    constraint: Callable[[Params], float] | None = None
    constraints: tuple[str, ...] = ()
    regret_cap: float = float("nan")
    info: dict[str, Any] = field(default_factory=dict)
    noise_sd: Callable[[float], float] | None = None
    budget_d: int | None = None

    @property
    def dim(self) -> int:
        return self.space.dim

    @property
    def budget_dim(self) -> int:
        """The ``d`` of a budget ``m x d``: ``budget_d`` when set, else ``dim``."""
        return self.budget_d or self.dim

    def observe(self, params: Params, rng: np.random.Generator) -> dict[str, float]:
        """The metrics told to a method: the objective plus Gaussian noise (std
        ``noise_sd(true value)`` when set, else ``noise_std``) and, for constrained problems,
        the noise-free constraint metric."""
        y = self.true(params)
        sd = self.noise_sd(y) if self.noise_sd is not None else self.noise_std
        if sd > 0:
            y += float(rng.normal(0.0, sd))
        out = {OBJECTIVE: float(y)}
        if self.constraint is not None:
            out[CONSTRAINT] = float(self.constraint(params))
        return out

    def feasible(self, metrics: Mapping[str, float]) -> bool:
        return self.constraint is None or metrics[CONSTRAINT] <= 0.0


def vector(space: Space, params: Params) -> np.ndarray:
    """The float vector of ``params`` in the order of ``space.names``."""
    return np.array([float(params[n]) for n in space.names])


def box(prefix: str, d: int, low: float, high: float) -> Space:
    """``{prefix}0 .. {prefix}{d-1}``, each a Float in ``[low, high]``."""
    return Space({f"{prefix}{i}": Float(low, high) for i in range(d)})


def continuous(
    name: str,
    space: Space,
    fn: Callable[[np.ndarray], float],
    optimum: float,
    x_star: np.ndarray,
    **kwargs: Any,
) -> Instance:
    """An instance of a function of the float vector of a box space."""
    return Instance(
        name=name,
        space=space,
        true=lambda p: fn(vector(space, p)),
        optimum=optimum,
        argmin=dict(zip(space.names, (float(v) for v in x_star))),
        **kwargs,
    )
