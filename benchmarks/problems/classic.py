"""The classic problems: Branin, Hartmann-6, Ackley, Levy, Rosenbrock, the first mixed
problem, noisy Hartmann-6 and constrained Branin.

Problems whose optimum would sit at or near the centre of the box (Ackley, Levy, Rosenbrock,
the mixed problem) move it by a seeded shift ``s`` (and Ackley also turns the coordinates by a
seeded random rotation ``R``), so no method can win by sampling the centre. Shifts and
rotations keep the optimum value; the optimiser becomes ``x* = s``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bbo import Categorical, Float, Int, Space
from bbo.testing.stochastic import ackley
from benchmarks.problems.base import (
    CONSTRAINT,
    H6_ARGMIN,
    H6_MIN,
    Instance,
    Params,
    branin,
    hartmann6,
    levy,
    random_rotation,
    rosenbrock,
)
from benchmarks.problems.base import box as _box
from benchmarks.problems.base import continuous as _continuous


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


def make_ackley(d: int) -> Callable[[int], Instance]:
    """Ackley on ``[-5, 5]^d``, shifted and rotated: ``f(x) = ackley(R (x - s))`` with ``s``
    uniform in ``[-2.5, 2.5]^d`` and ``R`` a random rotation (both from the seed); minimum 0
    at ``x = s``."""

    def make(seed: int) -> Instance:
        rng = np.random.default_rng([seed, d])
        s = rng.uniform(-2.5, 2.5, d)
        rot = random_rotation(d, rng)
        return _continuous(
            f"ackley{d}", _box("x", d, -5.0, 5.0), lambda x: ackley(rot @ (x - s)), 0.0, s
        )

    return make


make_ackley10 = make_ackley(10)


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
