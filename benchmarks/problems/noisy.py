"""Noisy variants of noise-free problems, at three levels, homo- and heteroscedastic.

``<base>-noise<L>`` observes ``f(x) + N(0, sd^2)`` with ``sd = L% x R``;
``<base>-hetnoise<L>`` uses ``sd(x) = L% x (0.1 R + min(f(x) - f*, 2 R))``, which grows with
the true value (a tenth of the homoscedastic level at the optimum, about the same level at
typical points, twice it at the worst ones). ``R`` is the *range* of the base instance: the
95% quantile of ``f`` over 2000 uniformly random points of the box (seeded) minus the optimum
``f*``; a quantile rather than the maximum so that heavy-tailed functions (BBOB) get a
useful noise level. Levels ``L`` are 1, 5 and 20 (% of the range).

Regret is taken on the TRUE value of the best *observed* point (see
:mod:`benchmarks.scoring`), so a method fooled by a lucky draw pays for it. The optimum and
argmin are those of the noise-free base.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np

from benchmarks.problems.base import Instance

LEVELS = (1, 5, 20)


@functools.cache
def function_range(build: Callable[[int], Instance], seed: int) -> float:
    """``R``: the 95% quantile of ``f`` over 2000 seeded uniform points minus ``f*``."""
    inst = build(seed)
    pts = inst.space.sample(2000, np.random.default_rng([seed, 2718]))
    values = np.array([inst.true(p) for p in pts])
    return float(np.quantile(values, 0.95) - inst.optimum)


def make_noisy(
    name: str, build: Callable[[int], Instance], level: int, hetero: bool
) -> Callable[[int], Instance]:
    """The builder of problem ``name``: ``build``'s instance observed with noise of
    ``level`` % of its range, heteroscedastic when ``hetero`` (module docstring)."""

    def make(seed: int) -> Instance:
        base = build(seed)
        r = function_range(build, seed)
        frac = level / 100.0
        sd_fn = None
        if hetero:
            f_star = base.optimum

            def sd_fn(y: float) -> float:
                return frac * (0.1 * r + min(max(y - f_star, 0.0), 2.0 * r))

        info = {**base.info, "noise_range": r, "noise_level_pct": level, "hetero": hetero}
        return dataclasses.replace(base, name=name, noise_std=frac * r, noise_sd=sd_fn, info=info)

    make.__doc__ = f"{name}: {'heteroscedastic' if hetero else 'homoscedastic'} noise, {level}%"
    return make
