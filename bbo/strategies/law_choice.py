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

**exceed: saturated points.** For ``exceed(t)`` the GP's target is the fraction of a
point's replicates above ``t``, which is exactly 0 or 1 wherever every replicate lies on
one side: on such a *saturated* point the GP sees no slope, however far the replicates are
from the limit, while the generator's smoothed probit exceedance
(:func:`bbo.surrogates.law_statistic.smoothed_exceed_probit`) still grades it. When
saturated points are the majority (``2 S > N`` of the ``N`` points with replicates) the GP
is fitting mostly a constant, and the generator answers, whatever the skewness test says
(``LawTest.saturated``, reason ``"saturated"``). A majority is the point at which the GP's
data are more constant than not; it is not tuned on the benchmark.

**Not adopted for bimodal laws: a held-out comparison of the two models.** The
alternative to a shape test is to score both models' leave-one-out prediction of each
point's empirical statistic and keep the better. It is not cheap for the generator: exact
leave-one-out is ``N`` extra fits of about 0.3 s each per ask (10-24 points here), and a
K-fold shortcut scores a different model from the one that answers. And its verdict would
be noisy where it is needed: on the bimodal problems the held-out target, a tail statistic
of 20 replicates of a rare mode (a Binomial(20, 0.1) count of upper-mode samples), has a
standard deviation of 0.3-0.7 (docs/statistics.md, the risk_noise table), of the order of
the gap between the models' final regrets, so 10-24 held-out points would often pick by
chance (reasoned, not measured).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bbo.statistics import Statistic

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
    spread), ``skewed`` (``p < level``) and, for ``exceed``, ``saturated``: the share of
    points whose replicates all lie on one side of the threshold (None otherwise)."""

    z: float
    p: float
    points: int
    skewed: bool
    saturated: float | None = None

    @property
    def blind(self) -> bool:
        """Whether most points' empirical exceedance is saturated (0 or 1): the GP's data
        are mostly a constant (module docstring)."""
        return self.saturated is not None and 2.0 * self.saturated > 1.0

    @property
    def reason(self) -> str:
        """Why the model: ``"saturated"`` (exceed, :attr:`blind`), ``"skewed"`` or
        ``"gaussian"`` (the skewness test)."""
        return "saturated" if self.blind else "skewed" if self.skewed else "gaussian"

    @property
    def model(self) -> str:
        """``"wasserstein"`` for skewed laws or a saturated exceedance, ``"gp"``
        otherwise."""
        return "wasserstein" if self.skewed or self.blind else "gp"

    def info(self) -> dict[str, float | int | str]:
        """What a trial's attrs record of the choice: the model, and the test's ``z``, ``p``
        and ``points`` when it ran on some point."""
        out: dict[str, float | int | str] = {"model": self.model}
        if self.saturated is not None:
            out["saturated"] = round(self.saturated, 3)
        if not self.points:
            return out
        p = float(f"{self.p:.3g}")
        return {**out, "z": round(self.z, 3), "p": p, "points": self.points}


def saturated_share(replicates: Sequence[Sequence[float] | np.ndarray], threshold: float) -> float:
    """The share of the replicate sets (one per point) that lie wholly above or wholly at
    or below ``threshold``: their empirical exceedance is 1 or 0 (0.0 for no sets)."""
    sides = [np.asarray(s, dtype=float) > threshold for s in replicates if len(s)]
    if not sides:
        return 0.0
    return float(np.mean([bool(s.all() or not s.any()) for s in sides]))


def law_test(
    replicates: Sequence[Sequence[float] | np.ndarray],
    level: float = LEVEL,
    statistic: Statistic | None = None,
) -> LawTest:
    """D'Agostino's skewness test per point combined by Stouffer's method (module
    docstring) over the replicate sets ``replicates`` (one per point); sets with fewer than
    :data:`MIN_REPLICATES` samples or no spread are left out. No usable point: not skewed.
    For ``statistic`` ``exceed(t)`` the share of saturated sets is recorded too
    (:func:`saturated_share`; a majority chooses the generator)."""
    sat = None
    if statistic is not None and statistic.name == "exceed":
        sat = saturated_share(replicates, float(statistic.param))  # type: ignore[arg-type]
    zs = []
    for s in replicates:
        y = np.asarray(s, dtype=float)
        if len(y) >= MIN_REPLICATES and float(np.ptp(y)) > 0:
            zs.append(skew_z(y))
    if not zs:
        return LawTest(0.0, 1.0, 0, False, sat)
    z = float(np.sum(zs)) / math.sqrt(len(zs))
    p = math.erfc(abs(z) / math.sqrt(2.0))
    return LawTest(z, p, len(zs), p < level, sat)
