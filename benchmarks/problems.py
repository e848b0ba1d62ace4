"""Benchmark problems: plain-numpy test functions with known optima, per-seed instances.

Every problem is minimised. :func:`make_problem` builds the *instance* of a problem for one
seed: problems whose optimum would sit at or near the centre of the box (Ackley, Levy,
Rosenbrock, the mixed problem) move it by a seeded shift ``s`` (and Ackley also turns the
coordinates by a seeded random rotation ``R``), so no method can win by sampling the centre.
Shifts and rotations keep the optimum value; the optimiser becomes ``x* = s``.

An instance offers

* ``true(params)``: the noise-free objective of a configuration (native values);
* ``observe(params, rng)``: the metrics a method is told: ``{"y": ...}`` plus, for the
  constrained problem, the constraint metric ``{"c": ...}`` (feasible when ``c <= 0``);
* ``optimum``: the known minimum of ``true`` over the feasible set; ``argmin`` attains it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bbo import Categorical, Float, Int, Space
from bbo.testing.stochastic import ackley

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

    @property
    def dim(self) -> int:
        return self.space.dim

    def observe(self, params: Params, rng: np.random.Generator) -> dict[str, float]:
        """The metrics told to a method: the objective (plus Gaussian noise of std
        ``noise_std``) and, for constrained problems, the noise-free constraint metric."""
        y = self.true(params)
        if self.noise_std > 0:
            y += float(rng.normal(0.0, self.noise_std))
        out = {OBJECTIVE: float(y)}
        if self.constraint is not None:
            out[CONSTRAINT] = float(self.constraint(params))
        return out

    def feasible(self, metrics: Mapping[str, float]) -> bool:
        return self.constraint is None or metrics[CONSTRAINT] <= 0.0


def _vector(space: Space, params: Params) -> np.ndarray:
    return np.array([float(params[n]) for n in space.names])


def _box(prefix: str, d: int, low: float, high: float) -> Space:
    return Space({f"{prefix}{i}": Float(low, high) for i in range(d)})


def _continuous(
    name: str, space: Space, fn: Callable[[np.ndarray], float], optimum: float, x_star: np.ndarray
) -> Instance:
    return Instance(
        name=name,
        space=space,
        true=lambda p: fn(_vector(space, p)),
        optimum=optimum,
        argmin=dict(zip(space.names, (float(v) for v in x_star))),
    )


def make_branin(seed: int) -> Instance:
    """Branin (2-D) as is: its three minimisers are off-centre already."""
    return _continuous(
        "branin",
        Space({"x0": Float(-5.0, 10.0), "x1": Float(0.0, 15.0)}),
        branin,
        0.397887,
        np.array([np.pi, 2.275]),
    )


def make_hartmann6(seed: int) -> Instance:
    """Hartmann-6 on ``[0, 1]^6`` as is (off-centre optimum)."""
    return _continuous("hartmann6", _box("x", 6, 0.0, 1.0), hartmann6, H6_MIN, H6_ARGMIN)


def make_hartmann6_noisy(seed: int) -> Instance:
    """Hartmann-6 observed with Gaussian noise ``N(0, 0.1^2)`` (about 3% of its range).
    Regret is taken on the TRUE value of the best *observed* point."""
    base = make_hartmann6(seed)
    return Instance(
        "hartmann6-noisy", base.space, base.true, base.optimum, base.argmin, noise_std=0.1
    )


def make_ackley10(seed: int) -> Instance:
    """Ackley on ``[-5, 5]^10``, shifted and rotated: ``f(x) = ackley(R (x - s))`` with ``s``
    uniform in ``[-2.5, 2.5]^10`` and ``R`` a random rotation (both from the seed); minimum 0
    at ``x = s``."""
    rng = np.random.default_rng([seed, 10])
    s = rng.uniform(-2.5, 2.5, 10)
    rot = random_rotation(10, rng)
    return _continuous(
        "ackley10", _box("x", 10, -5.0, 5.0), lambda x: ackley(rot @ (x - s)), 0.0, s
    )


def make_levy8(seed: int) -> Instance:
    """Levy on ``[-10, 10]^8``, shifted: ``f(x) = levy(x - s + 1)``, ``s`` uniform in
    ``[-5, 5]^8``; minimum 0 at ``x = s``."""
    s = np.random.default_rng([seed, 8]).uniform(-5.0, 5.0, 8)
    return _continuous("levy8", _box("x", 8, -10.0, 10.0), lambda x: levy(x - s + 1.0), 0.0, s)


def make_rosenbrock6(seed: int) -> Instance:
    """Rosenbrock on ``[-2, 2]^6``, shifted: ``f(x) = rosenbrock(x - s + 1)``, ``s`` uniform in
    ``[-1, 1]^6``; minimum 0 at ``x = s``."""
    s = np.random.default_rng([seed, 6]).uniform(-1.0, 1.0, 6)
    return _continuous(
        "rosenbrock6", _box("x", 6, -2.0, 2.0), lambda x: rosenbrock(x - s + 1.0), 0.0, s
    )


_MIX_SCALE = np.array([1.0, 2.0, 0.5, 1.5])
_MIX_OFFSET = np.array([0.0, 0.5, 1.0, 2.0])
_MIX_CHOICES = ("a", "b", "c", "d")


def make_mixed(seed: int) -> Instance:
    """Mixed space (d = 7): ``x0..x3`` in ``[-5, 5]``, integers ``k0`` in ``[0, 20]`` and
    ``k1`` in ``[-5, 5]``, category ``cat`` in ``{a, b, c, d}``:

    ``f = b_c + a_c levy(x - s_c + 1) + 0.5 |k0 - t0| + 0.3 (k1 - t1)^2``

    Each category ``c`` has its own shift ``s_c`` (uniform in ``[-3, 3]^4``), scale
    ``a_c`` and offset ``b_c`` (a seeded permutation of ``(1, 2, 0.5, 1.5)`` and
    ``(0, 0.5, 1, 2)``); ``t0``, ``t1`` are seeded integer targets. Minimum 0 at the category
    with ``b_c = 0``, ``x = s_c``, ``k = t``.
    """
    rng = np.random.default_rng([seed, 7])
    shifts = rng.uniform(-3.0, 3.0, (4, 4))
    perm = rng.permutation(4)
    scale, offset = _MIX_SCALE[perm], _MIX_OFFSET[perm]
    t0, t1 = int(rng.integers(0, 21)), int(rng.integers(-5, 6))
    space = Space(
        {
            **{f"x{i}": Float(-5.0, 5.0) for i in range(4)},
            "k0": Int(0, 20),
            "k1": Int(-5, 5),
            "cat": Categorical(list(_MIX_CHOICES)),
        }
    )

    def true(p: Params) -> float:
        c = _MIX_CHOICES.index(p["cat"])
        x = np.array([float(p[f"x{i}"]) for i in range(4)])
        cont = scale[c] * levy(x - shifts[c] + 1.0)
        return float(
            offset[c] + cont + 0.5 * abs(int(p["k0"]) - t0) + 0.3 * (int(p["k1"]) - t1) ** 2
        )

    best = int(np.argmin(offset))
    argmin: dict[str, Any] = {f"x{i}": float(shifts[best, i]) for i in range(4)}
    argmin |= {"k0": t0, "k1": t1, "cat": _MIX_CHOICES[best]}
    return Instance("mixed", space, true, 0.0, argmin)


_BRANIN_MAX = 308.129096  # max of Branin on its box, at (-5, 0)


def make_branin_constrained(seed: int) -> Instance:
    """Branin with the outcome constraint of Gardner et al. (2014):
    ``c(x) = (x0 - 2.5)^2 + (x1 - 7.5)^2 - 50 <= 0`` (a disk; about a third of the box is
    infeasible). Two of the three minimisers of Branin are infeasible; ``(pi, 2.275)`` is
    feasible, so the constrained minimum stays 0.397887. A run that observed no feasible point
    gets the regret cap ``max f - min f = 308.129 - 0.398`` (the worst possible regret)."""
    base = make_branin(seed)

    def constraint(p: Params) -> float:
        return (float(p["x0"]) - 2.5) ** 2 + (float(p["x1"]) - 7.5) ** 2 - 50.0

    return Instance(
        "branin-constrained",
        base.space,
        base.true,
        base.optimum,
        base.argmin,
        constraint=constraint,
        constraints=(f"{CONSTRAINT} <= 0",),
        regret_cap=_BRANIN_MAX - base.optimum,
    )


PROBLEMS: dict[str, Callable[[int], Instance]] = {
    "branin": make_branin,
    "hartmann6": make_hartmann6,
    "ackley10": make_ackley10,
    "levy8": make_levy8,
    "rosenbrock6": make_rosenbrock6,
    "mixed": make_mixed,
    "hartmann6-noisy": make_hartmann6_noisy,
    "branin-constrained": make_branin_constrained,
}


def make_problem(name: str, seed: int) -> Instance:
    """The instance of problem ``name`` for ``seed`` (ValueError lists the valid names)."""
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; choose from {sorted(PROBLEMS)}")
    return PROBLEMS[name](seed)
