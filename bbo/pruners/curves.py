"""A learning-curve model: each trial's final (full-resource) value predicted from its
partial curve and from how the other trials' curves went on.

Pure logic over :class:`~bbo.pruners.base.Curve` (numpy-free: a few dozen curves at a
time). Values are turned to losses (negated for ``maximize``), predictions back.

Levels. The steps where curves are compared form a geometric grid ending at the full
resource ``T``: ``L_k = T / eta**(K - k)``, ``k = 0..K`` (``T = 27, eta = 3``: 1, 3, 9,
27, the rungs of successive halving). A curve's value at a level ``y(L_k)`` is its last
report at a step ``<= L_k``.

Drops. The improvement of a curve over one level, ``d_k = y(L_{k-1}) - y(L_k)``, scaled
to a whole level when the earlier report sits elsewhere (``d = (y(a) - y(s)) * log(eta)
/ log(s / a)``). For a power law ``y = f + g t**-alpha`` the ratio of successive drops is
the constant ``rho = eta**-alpha``; for an exponential it shrinks; for a validation loss
that starts to overfit it turns negative. The model predicts the drops still to come by

    d_{k+1} = rho_k d_k,   rho_k = (r_own + rho_pool_k) / 2  (r_own when known, else
                                      rho_pool_k alone)

(``d_k``: the drop *into* level ``k``)

with ``rho_pool_k`` the least-squares ratio through the origin over every curve that
reached ``L_{k+1}``: ``sum_c d_k^c d_{k+1}^c / sum_c (d_k^c)**2`` (clipped to [-0.5,
0.95]; large drops weigh most, so flat curves do not make it noisy), and ``r_own`` the
trial's own last ratio ``d_k / d_{k-1}`` (clipped alike) once it has two drops: its
curve's shape (a slowly decaying curve has a large ratio, and much still to come). The
prediction at the current level ``j`` (the trial's last step ``s``, ``L_j <= s``) is

    y(T) = y(s) - sum_{k=j}^{K-1} d_{k+1},   d_{k+1} = rho_k d_k,  d_j from the curve.

A trial with fewer than ``min_drops`` (2) drops has no shape yet (one drop says how fast
it fell, not whether it slows down): it gets the offset of the curves that reached ``T``
instead, ``y(s) - median_c(y_c(L_j) - y_c(T))`` (the same for every such trial at
that step; 0 before any curve reached ``T``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from bbo.pruners.base import Curve
from bbo.trial import TrialState

RHO_LOW, RHO_HIGH = -0.5, 0.95  # clip of the drop ratios
OWN = 0.5  # weight of the trial's own drop ratio against the pooled one


def levels(top: int, eta: int) -> list[float]:
    """The grid ``T / eta**(K - k)``, ascending, down to the first level ``>= 1``."""
    out = [float(top)]
    while out[-1] / eta >= 1.0:
        out.append(out[-1] / eta)
    return out[::-1]


def full_resource(curves: Sequence[Curve]) -> int:
    """The step a curve model extrapolates to when no pruner fixes it: the last step of the
    longest COMPLETED curve, else of the longest curve; curves without reports do not count
    (0 when none has one)."""
    ran = [c for c in curves if c.steps]
    done = [c.steps[-1] for c in ran if c.state == TrialState.COMPLETED]
    return int(max(done or [c.steps[-1] for c in ran] or [0]))


def _value_at(steps: Sequence[int], values: Sequence[float], level: float) -> float | None:
    """The last value reported at a step ``<= level`` (None when there is none)."""
    out = None
    for s, v in zip(steps, values):
        if s > level + 1e-9:
            break
        out = v
    return out


def _drops(steps: Sequence[int], losses: Sequence[float], grid: Sequence[float]) -> list[float]:
    """``d_k = y(L_{k-1}) - y(L_k)`` for the levels ``k >= 1`` the curve reached (``y``:
    the last loss at a step ``<= L``), in order; a drop needs both ends."""
    out: list[float] = []
    for k in range(1, len(grid)):
        if not steps or steps[-1] < grid[k] - 1e-9:
            break
        a, b = _value_at(steps, losses, grid[k - 1]), _value_at(steps, losses, grid[k])
        if a is None or b is None:
            continue
        out.append(a - b)
    return out


def _clip(r: float) -> float:
    return min(max(r, RHO_LOW), RHO_HIGH)


class CurveModel:
    """Fitted once on the curves of a study (``pool``) for a full resource ``top`` and a
    factor ``eta``; :meth:`predict` then extrapolates any curve to ``top``.

    ``pool``: every trial's curve (any state); ``direction``: of the values."""

    def __init__(
        self, pool: Sequence[Curve], top: int, eta: int, direction: str, min_drops: int = 2
    ) -> None:
        self.top, self.eta, self.min_drops = int(top), int(eta), int(min_drops)
        self.sign = 1.0 if direction == "minimize" else -1.0
        self.grid = levels(self.top, self.eta)
        n = len(self.grid)
        # pooled drop ratios rho_k: least squares through the origin, d_{k+1} on d_k
        num, den = [0.0] * n, [0.0] * n
        ends: list[list[float]] = [[] for _ in range(n)]  # y(L_k) - y(T) of finished curves
        for c in pool:
            losses = [self.sign * v for v in c.values]
            d = _drops(c.steps, losses, self.grid)
            first = self._first_level(c.steps)
            for i in range(len(d) - 1):
                k = first + i + 1  # d[i] is the drop into level first + i + 1
                num[k] += d[i] * d[i + 1]
                den[k] += d[i] * d[i]
            if c.steps and c.steps[-1] >= self.top:
                final = losses[-1]
                for k in range(n):
                    v = _value_at(c.steps, losses, self.grid[k])
                    if v is not None:
                        ends[k].append(v - final)
        all_num, all_den = sum(num), sum(den)
        pooled = _clip(all_num / all_den) if all_den > 0 else 0.5
        self.rho = [_clip(num[k] / den[k]) if den[k] > 0 else pooled for k in range(n)]
        self.offset = [statistics.median(e) if e else 0.0 for e in ends]

    def _first_level(self, steps: Sequence[int]) -> int:
        """The index of the first level a curve has a value at (its first report)."""
        for k, level in enumerate(self.grid):
            if steps and steps[0] <= level + 1e-9:
                return k
        return len(self.grid)

    def _level_of(self, step: int) -> int:
        """The index ``j`` of the largest level ``<= step`` (0 below the first)."""
        j = 0
        for k, level in enumerate(self.grid):
            if level <= step + 1e-9:
                j = k
        return j

    def predict(self, curve: Curve) -> float | None:
        """The predicted value of ``curve`` at ``top`` (its last value once it got there;
        None without reports)."""
        if not curve.steps:
            return None
        steps, s = curve.steps, curve.steps[-1]
        losses = [self.sign * v for v in curve.values]
        y = losses[-1]
        if s >= self.top:
            return curve.values[-1]
        j = self._level_of(s)
        # the drop into the current level, scaled to a whole level (log-step)
        earlier = [(a, v) for a, v in zip(steps, losses) if a <= s / self.eta + 1e-9]
        if not earlier:
            earlier = [(a, v) for a, v in zip(steps[:-1], losses[:-1])]
        own = _drops(steps, losses, self.grid)
        if not earlier or len(own) < self.min_drops:  # the finished curves' offset
            return self.sign * (y - self.offset[j])
        a, ya = earlier[-1]
        d = (ya - y) * math.log(self.eta) / math.log(s / a) if a > 0 else ya - y
        r_own = _clip(own[-1] / own[-2]) if len(own) >= 2 and abs(own[-2]) > 1e-12 else None
        gain = 0.0
        for k in range(j, len(self.grid) - 1):
            rho = self.rho[k] if r_own is None else OWN * r_own + (1 - OWN) * self.rho[k]
            d *= rho
            gain += d
        return self.sign * (y - gain)

    def score(self, curve: Curve) -> float | None:
        """What a pruner ranks ``curve`` by: :meth:`predict` (no uncertainty here)."""
        return self.predict(curve)


__all__ = ["CurveModel", "full_resource", "levels"]
