"""Stochastic problems whose response law changes shape over the space, so that the design
of best mean and the design of best risk statistic (CVaR, quantile, exceedance) differ.

Every problem draws a replicate as ``Y(x) = m(x) + s(x) * Z + J(x) * 1[U < p(x)] +
k(x) * (E - 1)``, with ``Z ~ N(0, 1)``, ``U ~ U(0, 1)``, ``E ~ Exp(1)`` independent:

* ``skew-1d`` (heteroscedastic and right-skewed): ``m`` has its lower well at ``x = 0.25``
  (0.2) and a shallower one at ``0.75`` (0.3); the exponential spread ``k(x)`` is large
  around 0.25 and small around 0.75: the mean prefers 0.25, every tail statistic 0.75.
* ``bimodal-2d``: a quadratic bowl at ``(0.3, 0.3)``; near its bottom a fraction ``p(x)``
  of the runs fails high (a jump of 2): a second mode that the mean barely sees and a
  CVaR / 0.9-quantile sees as the whole tail. The risk optimum sits off the bowl's bottom.
* ``hetero-2d`` (heteroscedastic Gaussian): a bowl at ``(0.2, 0.2)`` whose noise
  ``s(x)`` is large there and shrinks towards ``(0.7, 0.7)``.

The *true* statistic of a point is computed from ``M`` common random draws (fixed seed,
the same draws for every point, so comparisons between points are smooth), and its optimum
``f*`` by a grid search refined with Nelder-Mead from the best grid points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from bbo.statistics import Statistic

TRUE_DRAWS = 20_000


def _bump(x: np.ndarray, centre: float | tuple[float, ...], width: float) -> np.ndarray:
    """``exp(-|x - centre|^2 / width^2)`` for ``x`` of shape ``... x d``."""
    return np.exp(-np.sum((x - np.asarray(centre)) ** 2, axis=-1) / width**2)


def _skew(x: np.ndarray) -> tuple[np.ndarray, ...]:
    m = 0.5 - 0.3 * _bump(x, 0.25, 0.12) - 0.2 * _bump(x, 0.75, 0.12)
    s = np.full(x.shape[:-1], 0.02)
    k = 0.02 + 0.4 * _bump(x, 0.25, 0.2)
    return m, s, np.zeros_like(m), np.zeros_like(m), k


def _bimodal(x: np.ndarray) -> tuple[np.ndarray, ...]:
    m = np.sum((x - 0.3) ** 2, axis=-1)
    p = 0.3 * _bump(x, (0.3, 0.3), 0.3)
    return m, np.full_like(m, 0.05), p, np.full_like(m, 2.0), np.zeros_like(m)


def _hetero(x: np.ndarray) -> tuple[np.ndarray, ...]:
    m = np.sum((x - 0.2) ** 2, axis=-1)
    s = 0.02 + 0.5 * _bump(x, (0.2, 0.2), 0.35)
    z = np.zeros_like(m)
    return m, s, z, z, z


@dataclass
class RiskProblem:
    """``law(x) -> (m, s, p, J, k)`` on ``[0, 1]^dim``; ``threshold`` for ``exceed``."""

    name: str
    dim: int
    law: Callable[[np.ndarray], tuple[np.ndarray, ...]]
    threshold: float
    _fstar: dict[tuple[str, float | None], float] = field(default_factory=dict, repr=False)

    @property
    def space(self) -> dict[str, object]:
        import bbo

        return {f"x{i}": bbo.Float(0.0, 1.0) for i in range(self.dim)}

    def point(self, params: dict[str, float]) -> np.ndarray:
        return np.array([params[f"x{i}"] for i in range(self.dim)])

    def sample(self, x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` replicates at ``x`` (``d``)."""
        return self._draw(
            x[None, :], rng.standard_normal(n), rng.random(n), rng.exponential(size=n)
        )[0]

    def _draw(self, X: np.ndarray, Z: np.ndarray, U: np.ndarray, E: np.ndarray) -> np.ndarray:
        """Replicates ``b x M`` at the points ``X`` (``b x d``) from the draws ``Z, U, E``."""
        m, s, p, J, k = (v[:, None] for v in self.law(X))
        return m + s * Z + J * np.less(U, p) + k * (E - 1.0)

    @cached_property
    def _common(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(20)
        return (
            rng.standard_normal(TRUE_DRAWS),
            rng.random(TRUE_DRAWS),
            rng.exponential(size=TRUE_DRAWS),
        )

    def true(self, X: np.ndarray, stat: Statistic) -> np.ndarray:
        """The statistic of the law at each row of ``X`` (``b x d``), from common draws."""
        out = []
        for chunk in np.array_split(X, max(1, len(X) // 64)):
            out.append(stat.compute_many(self._draw(chunk, *self._common)))
        return np.concatenate(out)

    def fstar(self, stat: Statistic) -> float:
        """The true statistic's minimum over ``[0, 1]^dim`` (grid + Nelder-Mead)."""
        key = (stat.name, stat.param)
        if key not in self._fstar:
            from scipy.optimize import minimize

            g = np.linspace(0.0, 1.0, 201 if self.dim == 1 else 41)
            X = np.stack(np.meshgrid(*[g] * self.dim, indexing="ij"), -1).reshape(-1, self.dim)
            vals = self.true(X, stat)
            best = float(vals.min())
            for i in np.argsort(vals)[:3]:
                res = minimize(
                    lambda x: float(self.true(np.clip(x, 0, 1)[None, :], stat)[0]),
                    X[i],
                    method="Nelder-Mead",
                    options={"xatol": 1e-4, "fatol": 1e-6},
                )
                best = min(best, float(res.fun))
            self._fstar[key] = best
        return self._fstar[key]

    def argmin(self, stat: Statistic) -> np.ndarray:
        """The grid point of best true statistic (for the report)."""
        g = np.linspace(0.0, 1.0, 101 if self.dim == 1 else 41)
        X = np.stack(np.meshgrid(*[g] * self.dim, indexing="ij"), -1).reshape(-1, self.dim)
        return X[int(np.argmin(self.true(X, stat)))]


PROBLEMS: dict[str, RiskProblem] = {
    "skew-1d": RiskProblem("skew-1d", 1, _skew, threshold=0.45),
    "bimodal-2d": RiskProblem("bimodal-2d", 2, _bimodal, threshold=0.6),
    "hetero-2d": RiskProblem("hetero-2d", 2, _hetero, threshold=0.35),
}

# --statistic NAME -> the statistic of each problem (exceed: the problem's threshold)
STATISTICS: dict[str, Callable[[RiskProblem], Statistic]] = {
    "cvar": lambda p: Statistic("cvar", 0.9),
    "quantile": lambda p: Statistic("quantile", 0.9),
    "exceed": lambda p: Statistic("exceed", p.threshold),
    "mean_std": lambda p: Statistic("mean_std", 2.0),
}
