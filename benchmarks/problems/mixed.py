"""Mixed integer / categorical problems beyond ``mixed`` (see :mod:`benchmarks.problems.classic`).

Both are sums of non-negative terms that are all zero at seeded targets, so the optimum is 0
exactly and the argmin is the targets; the targets (and the penalty tables of the
categories) are drawn from the seed, so instances differ and none sits at the box centre.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bbo import Categorical, Float, Int, Space
from benchmarks.problems.base import Instance, Params, random_rotation

_OPT = ("sgd", "adam", "rmsprop")
_ACT = ("relu", "tanh", "gelu", "silu", "elu")
_ARCH = ("a", "b", "c", "d", "e", "f", "g", "h")


def _penalties(rng: np.random.Generator, shape: tuple[int, ...], low: float, high: float) -> Any:
    """Uniform penalties in ``[low, high]`` with a single zero at a random cell; returns
    ``(table, index of the zero)``."""
    table = rng.uniform(low, high, shape)
    zero = tuple(int(rng.integers(0, n)) for n in shape)
    table[zero] = 0.0
    return table, zero


def make_mixed_logint(seed: int) -> Instance:
    """A hyperparameter-like mixed space (d = 9): ``x0, x1`` in ``[0, 1]``, ``lr`` in
    ``[1e-5, 1e-1]`` (log), log-scaled integers ``units`` in ``[1, 1024]`` and ``batch`` in
    ``[4, 512]``, ``layers`` in ``[1, 8]``, categories ``opt`` (3), ``act`` (5), ``arch`` (8):

    ``f = 2 |x - s|^2 + (log10 lr - log10 lr*(batch))^2 + ((log2 units - log2 u*) / 3)^2
    + ((log2 batch - log2 b*) / 3)^2 + 0.3 |layers - l*| + P_opt + T_(act, arch)``

    where the best learning rate moves with the batch size,
    ``log10 lr*(batch) = clip(log10 r* + 0.15 (log2 batch - log2 b*), -5, -1)``, ``P`` is a
    seeded penalty per optimiser (one zero) and ``T`` a seeded 5 x 8 interaction table of the
    two other categories with a single zero cell (and one deceptive cell of 0.1 in another
    row and column). All targets are seeded; minimum 0 at the targets.
    """
    rng = np.random.default_rng([seed, 91])
    s = rng.uniform(0.1, 0.9, 2)
    log_r = float(rng.uniform(-4.0, -2.0))
    u_star = round(2 ** rng.uniform(1.0, 9.0))
    b_star = round(2 ** rng.uniform(3.0, 8.0))
    l_star = int(rng.integers(1, 9))
    p_opt, (o_star,) = _penalties(rng, (3,), 0.5, 1.5)
    table, (a_star, h_star) = _penalties(rng, (5, 8), 0.4, 2.0)
    a2, h2 = (a_star + 1 + int(rng.integers(0, 4))) % 5, (h_star + 1 + int(rng.integers(0, 7))) % 8
    table[a2, h2] = 0.1  # a deceptive near-best cell away from the optimum
    space = Space(
        {
            "x0": Float(0.0, 1.0),
            "x1": Float(0.0, 1.0),
            "lr": Float(1e-5, 1e-1, log=True),
            "units": Int(1, 1024, log=True),
            "batch": Int(4, 512, log=True),
            "layers": Int(1, 8),
            "opt": Categorical(list(_OPT)),
            "act": Categorical(list(_ACT)),
            "arch": Categorical(list(_ARCH)),
        }
    )

    def true(p: Params) -> float:
        x = np.array([float(p["x0"]), float(p["x1"])])
        lb = math.log2(int(p["batch"]))
        best_lr = float(np.clip(log_r + 0.15 * (lb - math.log2(b_star)), -5.0, -1.0))
        return float(
            2.0 * np.sum((x - s) ** 2)
            + (math.log10(float(p["lr"])) - best_lr) ** 2
            + ((math.log2(int(p["units"])) - math.log2(u_star)) / 3.0) ** 2
            + ((lb - math.log2(b_star)) / 3.0) ** 2
            + 0.3 * abs(int(p["layers"]) - l_star)
            + p_opt[_OPT.index(p["opt"])]
            + table[_ACT.index(p["act"]), _ARCH.index(p["arch"])]
        )

    argmin: dict[str, Any] = {"x0": float(s[0]), "x1": float(s[1]), "lr": 10**log_r}
    argmin |= {"units": u_star, "batch": b_star, "layers": l_star}
    argmin |= {"opt": _OPT[o_star], "act": _ACT[a_star], "arch": _ARCH[h_star]}
    return Instance("mixed-logint", space, true, 0.0, argmin)


_INT_RANGES = ((0, 10), (0, 10), (-20, 20), (-20, 20), (0, 50), (1, 5), (1, 100), (1, 1000))
_INT_LOG = (False, False, False, False, False, False, True, True)
_CATS = (("p", "q"), ("r", "s", "t"), ("u", "v", "w", "x"), ("k1", "k2", "k3", "k4", "k5", "k6"))


def make_mixed_discrete(seed: int) -> Instance:
    """A mostly discrete space (d = 13): 8 integers ``k0..k7`` (two of them log-scaled),
    4 categories ``c0..c3`` (2, 3, 4 and 6 choices) and one float ``x`` in ``[0, 1]``:

    ``f = z^T Q z + sum_j P_j(c_j) + T(c2, c3) + (x - x*)^2``, ``z_i = (k_i - t_i) / w_i``

    (``log2`` of both for the log-scaled integers), ``w_i`` a quarter of the range (of the
    log range), ``Q = R diag(0.2 .. 2) R^T`` positive definite with a seeded rotation ``R``
    (the integers interact), ``P_j`` seeded per-choice penalties with one zero each, ``T`` a
    seeded 4 x 6 interaction table with one zero cell; the targets ``t``, zero choices and
    ``x*`` are seeded. Minimum 0 at the targets.
    """
    rng = np.random.default_rng([seed, 93])
    targets = [
        round(2 ** rng.uniform(math.log2(lo), math.log2(hi)))
        if log
        else int(rng.integers(lo, hi + 1))
        for (lo, hi), log in zip(_INT_RANGES, _INT_LOG)
    ]
    width = np.array(
        [
            (math.log2(hi) - math.log2(lo)) / 4 if log else (hi - lo) / 4
            for (lo, hi), log in zip(_INT_RANGES, _INT_LOG)
        ]
    )
    rot = random_rotation(8, rng)
    q = rot @ np.diag(np.linspace(0.2, 2.0, 8)) @ rot.T
    pens = [_penalties(rng, (len(c),), 0.3, 1.5) for c in _CATS]
    table, (t2, t3) = _penalties(rng, (4, 6), 0.2, 1.0)
    x_star = float(rng.uniform(0.1, 0.9))
    space = Space(
        {
            **{
                f"k{i}": Int(lo, hi, log=log)
                for i, ((lo, hi), log) in enumerate(zip(_INT_RANGES, _INT_LOG))
            },
            **{f"c{j}": Categorical(list(c)) for j, c in enumerate(_CATS)},
            "x": Float(0.0, 1.0),
        }
    )

    def t(v: float, log: bool) -> float:
        return math.log2(v) if log else v

    tz = np.array([t(v, log) for v, log in zip(targets, _INT_LOG)])

    def true(p: Params) -> float:
        k = np.array([t(int(p[f"k{i}"]), log) for i, log in enumerate(_INT_LOG)])
        z = (k - tz) / width
        cats = [c.index(p[f"c{j}"]) for j, c in enumerate(_CATS)]
        pen = sum(float(pj[0][ci]) for pj, ci in zip(pens, cats))
        return float(z @ q @ z + pen + table[cats[2], cats[3]] + (float(p["x"]) - x_star) ** 2)

    argmin: dict[str, Any] = {f"k{i}": v for i, v in enumerate(targets)}
    argmin |= {f"c{j}": c[pens[j][1][0]] for j, c in enumerate(_CATS)}
    argmin["x"] = x_star
    # the interaction table's zero must sit at the categories' own zero choices
    table[t2, t3], table[pens[2][1][0], pens[3][1][0]] = table[pens[2][1][0], pens[3][1][0]], 0.0
    return Instance("mixed-discrete", space, true, 0.0, argmin)
