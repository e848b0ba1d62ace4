"""Outcome-constrained problems beyond ``branin-constrained`` (see
:mod:`benchmarks.problems.classic`), with constructions whose constrained optimum is known.

A run that observed no feasible point gets the instance's ``regret_cap`` (see
:mod:`benchmarks.scoring`).
"""

from __future__ import annotations

import itertools

import numpy as np

from benchmarks.problems.base import (
    CONSTRAINT,
    H6_ARGMIN,
    H6_MIN,
    Instance,
    Params,
    box,
    continuous,
    hartmann6,
    random_rotation,
    vector,
)


def make_hartmann6_constrained(seed: int) -> Instance:
    """Hartmann-6 with a seeded linear outcome constraint
    ``c(x) = w . (x - x*) - 0.05 <= 0`` (``w`` a random unit vector, turned so that the box
    centre lies on the infeasible side when it can): the global minimiser ``x*`` is feasible
    with a margin of 0.05, so the constrained minimum is Hartmann-6's, -3.32237, and the
    feasible region ends just past it. Hartmann-6 is negative everywhere, so the regret cap
    is ``0 - f* = 3.32237``."""
    rng = np.random.default_rng([seed, 61])
    w = rng.standard_normal(6)
    w /= np.linalg.norm(w)
    if w @ (0.5 - H6_ARGMIN) < 0:
        w = -w
    space = box("x", 6, 0.0, 1.0)

    def constraint(p: Params) -> float:
        return float(w @ (vector(space, p) - H6_ARGMIN) - 0.05)

    return continuous(
        "hartmann6-constrained",
        space,
        hartmann6,
        H6_MIN,
        H6_ARGMIN,
        constraint=constraint,
        constraints=(f"{CONSTRAINT} <= 0",),
        regret_cap=-H6_MIN,
    )


def make_rastrigin10_constrained(seed: int) -> Instance:
    """A 10-D multimodal problem whose optimum lies ON an active constraint, known exactly.

    On ``[-5, 5]^10``: ``f(x) = q(x) - q(x_c) + sum_i (1 - cos(2 pi (x_i - x_c,i)))`` with the
    convex quadratic ``q(x) = (x - a)^T H (x - a)``, ``H = R diag(0.1 .. 10) R^T`` (condition
    100, seeded rotation ``R``). One outcome constraint,
    ``c(x) = max(w1 . (x - x_c), w2 . (x - x_c) - 1) <= 0`` (unit vectors ``w1, w2``,
    ``x_c`` uniform in ``[-3, 3]^10``, all seeded). The unconstrained minimiser of ``q`` is
    put at ``a = x_c + lambda H^-1 w1`` (``lambda > 0``, so that ``|a - x_c| = 2.5``), on the
    infeasible side of the first plane: then ``grad q(x_c) = -2 lambda w1`` satisfies the KKT
    conditions of the convex problem ``min q`` on the feasible polyhedron with the first
    constraint active (the second is slack), so ``x_c`` minimises ``q`` there; the cosine
    term is non-negative and zero at ``x_c``. Minimum 0 at ``x = x_c``. The regret cap is
    the exact maximum of ``q - q(x_c)`` over the box (a convex function peaks at a vertex:
    all 1024 are checked) plus 20, the cosine term's maximum: an upper bound of any regret.
    """
    d = 10
    rng = np.random.default_rng([seed, 10, 7])
    x_c = rng.uniform(-3.0, 3.0, d)
    rot = random_rotation(d, rng)
    h = rot @ np.diag(np.logspace(-1, 1, d)) @ rot.T
    w1, w2 = (v / np.linalg.norm(v) for v in rng.standard_normal((2, d)))
    step = np.linalg.solve(h, w1)
    a = x_c + 2.5 * step / np.linalg.norm(step)

    def q(x: np.ndarray) -> float:
        return float((x - a) @ h @ (x - a))

    q_c = q(x_c)

    def fn(x: np.ndarray) -> float:
        return q(x) - q_c + float(np.sum(1.0 - np.cos(2.0 * np.pi * (x - x_c))))

    space = box("x", d, -5.0, 5.0)

    def constraint(p: Params) -> float:
        x = vector(space, p) - x_c
        return float(max(w1 @ x, w2 @ x - 1.0))

    vertices = np.array(list(itertools.product((-5.0, 5.0), repeat=d)))
    diff = vertices - a
    q_max = float(np.max(np.einsum("ij,jk,ik->i", diff, h, diff)))
    return continuous(
        "rastrigin10-constrained",
        space,
        fn,
        0.0,
        x_c,
        constraint=constraint,
        constraints=(f"{CONSTRAINT} <= 0",),
        regret_cap=q_max - q_c + 2.0 * d,
    )
