"""Test functions with known optima, on native parameters (pure Python, no torch).

Each entry of :data:`FUNCTIONS` is a :class:`TestFunction`: its space, the function of a
configuration dict, and the known minimum value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bbo.space import Float, Space


def branin(x1: float, x2: float) -> float:
    """Branin-Hoo on ``[-5, 10] x [0, 15]``; minimum 0.397887 at three points, e.g.
    ``(pi, 2.275)``: ``a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s``."""
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5.0 / math.pi
    r, s, t = 6.0, 10.0, 1.0 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def sphere(*xs: float) -> float:
    """``sum x_i^2``; minimum 0 at the origin."""
    return sum(x * x for x in xs)


def rosenbrock(*xs: float) -> float:
    """``sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2``; minimum 0 at ``(1, ..., 1)``."""
    return sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2 for a, b in itertools.pairwise(xs))


@dataclass(frozen=True)
class TestFunction:
    __test__ = False  # not a pytest test class

    name: str
    space: Space
    fn: Callable[..., float]
    optimum: float

    def __call__(self, params: dict[str, Any]) -> float:
        return self.fn(*(params[n] for n in self.space.names))


FUNCTIONS: dict[str, TestFunction] = {
    "branin": TestFunction(
        "branin", Space({"x1": Float(-5.0, 10.0), "x2": Float(0.0, 15.0)}), branin, 0.397887
    ),
    "sphere3": TestFunction(
        "sphere3", Space({f"x{i}": Float(-5.0, 5.0) for i in range(3)}), sphere, 0.0
    ),
    "rosenbrock4": TestFunction(
        "rosenbrock4", Space({f"x{i}": Float(-2.0, 2.0) for i in range(4)}), rosenbrock, 0.0
    ),
}
