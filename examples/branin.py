"""Branin-Hoo test function as a command-line objective for ``bbo run``.

Usage: ``python examples/branin.py X1 X2``; prints the value on its last stdout line.
Minimum 0.397887 at (-pi, 12.275), (pi, 2.275) and (9.42478, 2.475);
domain x1 in [-5, 10], x2 in [0, 15].
"""

import math
import sys


def branin(x1: float, x2: float) -> float:
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


if __name__ == "__main__":
    x1, x2 = (float(a) for a in sys.argv[1:3])
    print(branin(x1, x2))
