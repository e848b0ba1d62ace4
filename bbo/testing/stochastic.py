"""Stochastic test problems: each evaluation returns replicate samples of a random response.

The problems of Ramazyan et al. (2024) (as in their ``waggon`` package), plus two
non-stationary ones. A problem has a noise-free objective ``f`` with a known minimum; an
evaluation at ``x`` returns ``n`` replicates ``y_j = g(f(x)) + e_j(x)`` with zero-mean noise,
so minimizing the response mean ``E[y | x] = g(f(x))`` minimizes ``f``:

* ``g(f) = log(1 + f)`` for the non-negative paper problems. The paper's functions respond on
  a log scale (``waggon``'s ``log_transform``, ``log(f + 1e-8)``); ``log1p`` keeps that
  compression of the huge values far from the optimum but has a finite minimum, 0, instead
  of a spike to -18.
* ``g(f) = f`` for the two non-stationary problems (their minima are negative).

Noise: Gaussian with sd 0.1 (``waggon``'s default ``sigma``), except

* ``levi-bimodal``: each replicate comes from one of two Gaussians with probability 1/2,
  ``N(-0.05, s1(x))`` or ``N(+0.05, s2(x))`` with ``s1 = 0.04 - 0.03 sin^2(3 pi x2)`` and
  ``s2 = 0.001 + 0.03 sin^2(3 pi x2)``: a bimodal response whose mode widths depend on ``x``
  (the paper's Levi problem; the reference code takes exactly half from each mode);
* ``gramacy-lee-2008``: heteroscedastic Gaussian noise, sd ``0.02 + 0.1 (x1 + 2) / 8``.

Where the paper's box is centred on the optimum (three-hump camel, Ackley, Levi), the box is
moved (same width) so that the optimum sits at ``(0.37, 0.61)`` of it: a method must not win
by sampling the centre of the box (the quality benchmark moves its optima for the same reason).

Regret is measured on ``f`` itself: ``f(x) - f*``; the paper's tolerance is
``TOLERANCE = 0.1`` on that error (``waggon``'s ``eps`` default, ``error_type='f'``).
Styblinski-Tang is the standard ``0.5 sum (x^4 - 16 x^2 + 5 x)`` shifted by
``39.16617 d`` to a minimum of 0 (``waggon``'s ``tang`` adds ``39.16617 d`` inside the sum
over dimensions, i.e. ``39.16617 d^2``, and drops the factor 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bbo.space import Float, Space

TOLERANCE = 0.1
Noise = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


def three_hump_camel(x: np.ndarray) -> float:
    """``2 x1^2 - 1.05 x1^4 + x1^6 / 6 + x1 x2 + x2^2``; minimum 0 at the origin."""
    a, b = float(x[0]), float(x[1])
    return 2 * a**2 - 1.05 * a**4 + a**6 / 6 + a * b + b**2


def ackley(x: np.ndarray) -> float:
    """``-20 exp(-0.2 sqrt(mean x^2)) - exp(mean cos(2 pi x)) + 20 + e``; minimum 0 at 0."""
    x = np.asarray(x, dtype=float)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.mean(x**2)))
        - np.exp(np.mean(np.cos(2 * np.pi * x)))
        + 20
        + math.e
    )


def levi(x: np.ndarray) -> float:
    """Levi N.13: ``sin^2(3 pi x1) + (x1 - 1)^2 (1 + sin^2(3 pi x2)) + (x2 - 1)^2
    (1 + sin^2(2 pi x2))``; minimum 0 at ``(1, 1)``."""
    a, b = float(x[0]), float(x[1])
    return (
        math.sin(3 * math.pi * a) ** 2
        + (a - 1) ** 2 * (1 + math.sin(3 * math.pi * b) ** 2)
        + (b - 1) ** 2 * (1 + math.sin(2 * math.pi * b) ** 2)
    )


def himmelblau(x: np.ndarray) -> float:
    """``(x1^2 + x2 - 11)^2 + (x1 + x2^2 - 7)^2``; minimum 0 at four points, e.g. (3, 2)."""
    a, b = float(x[0]), float(x[1])
    return (a**2 + b - 11) ** 2 + (a + b**2 - 7) ** 2


def rosenbrock(x: np.ndarray) -> float:
    """``sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2``; minimum 0 at ``(1, ..., 1)``."""
    x = np.asarray(x, dtype=float)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


ST_ARGMIN = -2.903534027771178
ST_MIN_PER_DIM = 0.5 * (ST_ARGMIN**4 - 16 * ST_ARGMIN**2 + 5 * ST_ARGMIN)  # -39.16616570...


def styblinski_tang(x: np.ndarray) -> float:
    """``0.5 sum (x^4 - 16 x^2 + 5 x) - d * min``: minimum 0 at ``x_i = -2.903534``."""
    x = np.asarray(x, dtype=float)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x) - len(x) * ST_MIN_PER_DIM)


GL_ARGMIN = 0.548563444114526  # argmin of the 1-D Gramacy & Lee (2012) function
GL_MIN = math.sin(10 * math.pi * GL_ARGMIN) / (2 * GL_ARGMIN) + (GL_ARGMIN - 1) ** 4


def gramacy_lee_2012(x: np.ndarray) -> float:
    """Non-stationary: ``sum_i sin(10 pi x_i) / (2 x_i) + (x_i - 1)^4`` on ``[0.5, 2.5]^d``,
    fast oscillation near 0.5, a smooth quartic towards 2.5; minimum ``d * -0.869011``."""
    x = np.asarray(x, dtype=float)
    return float(np.sum(np.sin(10 * np.pi * x) / (2 * x) + (x - 1) ** 4))


def gramacy_lee_2008(x: np.ndarray) -> float:
    """Non-stationary: ``x1 exp(-x1^2 - x2^2)`` on ``[-2, 6]^2``: all the structure sits near
    the origin, the rest is flat; minimum ``-exp(-1/2) / sqrt(2)`` at ``(-1/sqrt(2), 0)``."""
    a, b = float(x[0]), float(x[1])
    return a * math.exp(-(a**2) - b**2)


def gaussian(sd: float) -> Noise:
    def noise(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(0.0, sd, n)

    return noise


def levi_bimodal_noise(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Two Gaussians around -0.05 and +0.05 with ``x2``-dependent widths (module docstring)."""
    s = math.sin(3 * math.pi * float(x[1])) ** 2
    upper = rng.random(n) < 0.5
    lo = rng.normal(-0.05, 0.04 - 0.03 * s, n)
    hi = rng.normal(0.05, 0.001 + 0.03 * s, n)
    return np.where(upper, hi, lo)


def hetero_noise(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, 0.02 + 0.1 * (float(x[0]) + 2) / 8, n)


@dataclass(frozen=True)
class StochasticProblem:
    """A stochastic problem: ``sample(params, n, rng)`` returns ``n`` replicates; ``f`` is
    the noise-free objective with minimum ``optimum`` at ``argmin``."""

    __test__ = False  # not a pytest class

    name: str
    space: Space
    f: Callable[[np.ndarray], float]
    optimum: float
    argmin: tuple[float, ...]
    noise: Noise
    log: bool = True

    @property
    def dim(self) -> int:
        return self.space.dim

    def vector(self, params: Mapping[str, Any]) -> np.ndarray:
        return np.array([float(params[n]) for n in self.space.names])

    def mean(self, params: Mapping[str, Any]) -> float:
        """``E[y | x] = g(f(x))``."""
        v = self.f(self.vector(params))
        return math.log1p(max(v, 0.0)) if self.log else v

    def sample(self, params: Mapping[str, Any], n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` replicate responses at ``params`` drawn with ``rng``."""
        x = self.vector(params)
        return self.mean(params) + self.noise(x, n, rng)

    def regret(self, params: Mapping[str, Any]) -> float:
        """``f(x) - f*`` (>= 0)."""
        return max(self.f(self.vector(params)) - self.optimum, 0.0)


OFF_CENTRE = (0.37, 0.61)  # unit-cube position of a centred optimum after moving the box


def _box(d: int, low: float, high: float, centre: float | None) -> Space:
    """``[low, high]^d``, moved when ``centre`` (the optimum's coordinate) sits at its middle:
    column ``i`` then spans ``centre - f_i w .. centre + (1 - f_i) w`` (``f_i`` cycling
    through :data:`OFF_CENTRE`, ``w = high - low``), so that sampling the centre of the
    box does not find the optimum."""
    if centre is None or abs(centre - (low + high) / 2) > 1e-12:
        return Space({f"x{i}": Float(low, high) for i in range(d)})
    w = high - low
    fr = [OFF_CENTRE[i % len(OFF_CENTRE)] for i in range(d)]
    return Space({f"x{i}": Float(centre - fr[i] * w, centre + (1 - fr[i]) * w) for i in range(d)})


def _make(name: str, d: int, lo: float, hi: float, f: Callable[[np.ndarray], float],
          argmin: float | tuple[float, ...], noise: Noise | None = None, log: bool = True,
          ) -> StochasticProblem:  # fmt: skip
    x_star = tuple(argmin) if isinstance(argmin, tuple) else (float(argmin),) * d
    centre = x_star[0] if len(set(x_star)) == 1 else None
    return StochasticProblem(
        name, _box(d, lo, hi, centre), f, f(np.array(x_star)), x_star, noise or gaussian(0.1), log
    )


PROBLEMS: dict[str, StochasticProblem] = {
    p.name: p
    for p in (
        _make("three-hump-camel", 2, -5, 5, three_hump_camel, 0.0),
        _make("ackley", 2, -5, 5, ackley, 0.0),
        _make("levi-bimodal", 2, -4, 6, levi, 1.0, levi_bimodal_noise),
        _make("himmelblau", 2, -5, 5, himmelblau, (3.0, 2.0)),
        _make("rosenbrock2", 2, -2, 2, rosenbrock, 1.0),
        _make("rosenbrock8", 8, -2, 2, rosenbrock, 1.0),
        _make("rosenbrock20", 20, -2, 2, rosenbrock, 1.0),
        _make("styblinski-tang", 2, -5, 5, styblinski_tang, ST_ARGMIN),
        _make("gramacy-lee-2012", 2, 0.5, 2.5, gramacy_lee_2012, GL_ARGMIN, log=False),
        _make(
            "gramacy-lee-2008",
            2,
            -2,
            6,
            gramacy_lee_2008,
            (-1 / math.sqrt(2), 0.0),
            hetero_noise,
            log=False,
        ),
    )
}
