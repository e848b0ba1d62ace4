"""Which model ``auto`` gives a statistic of replicate samples: the GP on the per-point
empirical statistic, or the ``wasserstein`` generator of the whole law (issue 20).

The risk benchmark (docs/statistics.md) splits by the **shape of the replicate laws**: where
they are Gaussian (heteroscedastic or not) a GP on the empirical statistic, with its
bootstrap standard error as known noise, is the better and 20x cheaper model; where they are
skewed, the empirical tail statistic of 20 replicates is noisy and biased, and the generator,
which fits the law's shape from every point's replicates at once, wins. So the rule is a
normality test of the replicates, with a conventional level and no threshold tuned on the
benchmark's problems.

**The test: D'Agostino's skewness test per point, combined by Stouffer's method.** Point
``i`` has ``n_i >= 8`` replicates ``y_i1 .. y_in`` (fewer: the test does not apply to it) and
sample skewness ``b_i = m3 / m2^(3/2)`` with ``m_k = mean_j (y_ij - ybar_i)^k``. The
skewness is location- and scale-free, so a heteroscedastic Gaussian response gives the
same null law at every point. Under ``H0: every point's law is Gaussian`` D'Agostino (1970)
maps ``b`` to a standard normal ``Z`` (the transform of :func:`skew_z`, scipy's
``skewtest``)::

    Y = b sqrt((n + 1)(n + 3) / (6 (n - 2)))
    beta2 = 3 (n^2 + 27 n - 70)(n + 1)(n + 3) / ((n - 2)(n + 5)(n + 7)(n + 9))
    W^2 = -1 + sqrt(2 (beta2 - 1)),  delta = 1 / sqrt(log W),  a = sqrt(2 / (W^2 - 1))
    Z = delta asinh(Y / a)

The points' replicates are independent, so ``Z_pool = sum_i Z_i / sqrt(N)`` is standard
normal under ``H0`` (Stouffer), and the two-sided p-value is ``erfc(|Z_pool| / sqrt 2)``.
``H0`` rejected at ``LEVEL = 0.01``: the laws are skewed and the generator models the
statistic; otherwise the GP does. The test pools the evidence of every point, so a skew
that a single point's 20 replicates cannot show (``|b| < 0.9`` is not significant at
``n = 20``) is found across 10-20 points; the price is that with many points any real skew,
however slight, is significant.

What it does not see: a bimodal law whose rare second mode lies on the bad side *is*
skewed, and the benchmark's generator was no better than the GP there (its atoms smooth a
mode that switches on and off over a short distance); the rule sends those to the
generator when the mode is present at enough sampled points. Symmetric non-Gaussian laws
(a 50/50 mixture) have no skewness and stay with the GP.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEVEL = 0.01  # the test's conventional level
MIN_REPLICATES = 8  # D'Agostino's transform needs n >= 8


def skew_z(samples: np.ndarray) -> float:
    """D'Agostino's skewness statistic ``Z`` (standard normal for Gaussian samples) of ``n
    >= 8`` samples (see the module docstring); 0 for samples without spread."""
    y = np.asarray(samples, dtype=float)
    n = len(y)
    if n < MIN_REPLICATES:
        raise ValueError(f"D'Agostino's skewness test needs n >= {MIN_REPLICATES}, got n={n}")
    d = y - y.mean()
    m2 = float(np.mean(d**2))
    if m2 <= 1e-300 or m2 <= 1e-24 * float(np.mean(y**2)):
        return 0.0
    b = float(np.mean(d**3)) / m2**1.5
    Y = b * math.sqrt((n + 1) * (n + 3) / (6.0 * (n - 2)))
    beta2 = (
        3.0 * (n * n + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2) * (n + 5) * (n + 7) * (n + 9))
    )
    W2 = -1.0 + math.sqrt(2.0 * (beta2 - 1.0))
    delta = 1.0 / math.sqrt(0.5 * math.log(W2))
    a = math.sqrt(2.0 / (W2 - 1.0))
    return delta * math.asinh(Y / a)


@dataclass(frozen=True)
class LawTest:
    """The pooled skewness test of a history's replicates: ``z`` (Stouffer's ``Z_pool``),
    ``p`` (two-sided p-value), ``points`` (how many points had ``>= 8`` replicates with a
    spread) and ``skewed`` (``p < level``)."""

    z: float
    p: float
    points: int
    skewed: bool

    @property
    def model(self) -> str:
        """``"wasserstein"`` for skewed laws, ``"gp"`` otherwise."""
        return "wasserstein" if self.skewed else "gp"

    def info(self) -> dict[str, float | int | str]:
        """What a trial's attrs record of the choice: the model, and the test's ``z``, ``p``
        and ``points`` when it ran on some point."""
        if not self.points:
            return {"model": self.model}
        p = float(f"{self.p:.3g}")
        return {"model": self.model, "z": round(self.z, 3), "p": p, "points": self.points}


def law_test(replicates: Sequence[Sequence[float] | np.ndarray], level: float = LEVEL) -> LawTest:
    """D'Agostino's skewness test per point combined by Stouffer's method (module
    docstring) over the replicate sets ``replicates`` (one per point); sets with fewer than
    :data:`MIN_REPLICATES` samples or no spread are left out. No usable point: not skewed."""
    zs = []
    for s in replicates:
        y = np.asarray(s, dtype=float)
        if len(y) >= MIN_REPLICATES and float(np.ptp(y)) > 0:
            zs.append(skew_z(y))
    if not zs:
        return LawTest(0.0, 1.0, 0, False)
    z = float(np.sum(zs)) / math.sqrt(len(zs))
    p = math.erfc(abs(z) / math.sqrt(2.0))
    return LawTest(z, p, len(zs), p < level)
