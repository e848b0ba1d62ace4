"""High-dimensional problems with a low effective dimension: Branin (2-D) and Hartmann-6
embedded in ``[0, 1]^D``, D = 100 or 200.

* ``<f>-emb<D>`` (axis-aligned): ``f`` sees ``d_e`` seeded coordinates of ``x`` (a random
  subset in a random order, each possibly reflected ``u -> 1 - u``), the other ``D - d_e``
  are ignored.
* ``<f>-rot<D>`` (rotated): ``f`` sees ``z = clip(z* + 1.5 A (x - x0), 0, 1)`` with ``A`` a
  seeded ``d_e x D`` matrix with orthonormal rows, ``x0`` seeded uniform in
  ``[0.25, 0.75]^D`` and ``z*`` the (unit-scaled) minimiser of ``f``: every coordinate of
  ``x`` matters a little and ``x = x0`` attains the minimum.

``z`` in ``[0, 1]^{d_e}`` is scaled to the box of ``f``. In both cases the minimum is ``f``'s
own (the embedding only reaches points of ``f``'s box, and reaches its minimiser), so the
regret is exact. Budgets: ``m x 10`` evaluations at budget multiplier ``m``
(``budget_dim = 10``), not ``m x D``: 1000-2000 evaluations of a GP in 100-D would take
hours per run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.problems.base import H6_ARGMIN, H6_MIN, Instance, box, branin, continuous, hartmann6

BUDGET_DIM = 10
# name -> (function on its box, lower bounds, upper bounds, a minimiser, the minimum)
_BASES: dict[
    str, tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray, np.ndarray, float]
] = {
    "branin": (
        branin,
        np.array([-5.0, 0.0]),
        np.array([10.0, 15.0]),
        np.array([np.pi, 2.275]),
        0.397887,
    ),
    "hartmann6": (hartmann6, np.zeros(6), np.ones(6), H6_ARGMIN, H6_MIN),
}


def make_embedded(base: str, dim: int, rotated: bool) -> Callable[[int], Instance]:
    """The builder of ``<base>-emb<dim>`` (axis-aligned) or ``<base>-rot<dim>``."""
    fn, lo, hi, x_star, f_star = _BASES[base]
    d_e = lo.size
    z_star = (x_star - lo) / (hi - lo)
    name = f"{base}-{'rot' if rotated else 'emb'}{dim}"

    def make(seed: int) -> Instance:
        rng = np.random.default_rng([seed, dim, d_e, int(rotated)])
        if rotated:
            q, _ = np.linalg.qr(rng.standard_normal((dim, d_e)))
            a = q.T  # d_e x dim, orthonormal rows
            x0 = rng.uniform(0.25, 0.75, dim)

            def to_z(x: np.ndarray) -> np.ndarray:
                return np.clip(z_star + 1.5 * (a @ (x - x0)), 0.0, 1.0)

            argmin = x0
        else:
            idx = rng.permutation(dim)[:d_e]
            flip = rng.random(d_e) < 0.5

            def to_z(x: np.ndarray) -> np.ndarray:
                u = x[idx]
                return np.where(flip, 1.0 - u, u)

            argmin = rng.uniform(0.0, 1.0, dim)
            argmin[idx] = np.where(flip, 1.0 - z_star, z_star)

        def true(x: np.ndarray) -> float:
            return fn(lo + (hi - lo) * to_z(x))

        return continuous(
            name,
            box("x", dim, 0.0, 1.0),
            true,
            f_star,
            argmin,
            budget_d=BUDGET_DIM,
            info={"effective_dim": d_e, "embedding": "rotated" if rotated else "axis-aligned"},
        )

    make.__doc__ = f"{base} embedded in {dim}-D ({'rotated' if rotated else 'axis-aligned'})"
    return make
