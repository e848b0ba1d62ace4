"""Statistics of replicate samples: what a study optimizes when an evaluation is random.

A stochastic simulator told ``samples=[y_1, ..., y_n]`` has a response *law* at each
point; the study's objective (and each constraint) is a statistic of that law, estimated
from the replicates. With ``y_(1) <= ... <= y_(n)`` the sorted samples and ``s`` the
objective's sign (``+1`` to minimize, ``-1`` to maximize; for a constraint ``+1`` for
``<=``, ``-1`` for ``>=``)::

    mean           (1/n) sum_i y_i                          (the default: today's behaviour)
    median         quantile(0.5)
    quantile(q)    numpy's linear interpolation between order statistics, 0 < q < 1
    cvar(alpha)    the mean of the worst (1 - alpha) fraction, on the side s makes bad:
                   for s = +1 the upper tail,
                     m = n (1 - alpha),  k = floor(m)
                     cvar = (y_(n) + ... + y_(n-k+1) + (m - k) y_(n-k)) / m
                   (Rockafellar-Uryasev's empirical CVaR: VaR plus the mean excess);
                   for s = -1 the same on the lower tail (-cvar of -y)
    mean_std(lam)  mean + s * lam * std(y, ddof=1)          (lam >= 0: a risk premium)
    exceed(t)      (1/n) #{i : y_i > t}                     (the probability of exceeding t)

``quantile`` and ``exceed`` ignore the sign (choose ``q`` and the direction yourself:
maximize a ``quantile(0.05)`` for a good worst case). Each statistic needs a minimum
number of replicates (:meth:`Statistic.min_samples`): 1 for the mean, 2 for the median
(``quantile(0.5)``), ``ceil(1 / min(q, 1 - q))`` for a quantile (a sample on each side),
``ceil(1 / (1 - alpha))`` for CVaR (the tail holds at least one whole sample), 2 for
mean_std (a standard deviation) and exceed (a frequency, not a single 0 or 1).

Its uncertainty is a nonparametric bootstrap (:func:`bootstrap`): ``B`` resamples of the
``n`` replicates with replacement, drawn by a seeded generator, give the standard error
(the resampled statistics' standard deviation) and a percentile interval.

Pure functions on numbers: no study, no storage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    import numpy as np

# statistic name -> the name of its parameter (None: it has none)
PARAMS: dict[str, str | None] = {
    "mean": None,
    "median": None,
    "quantile": "q",
    "cvar": "alpha",
    "mean_std": "lambda",
    "exceed": "threshold",
}
_TEXT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([^()]*?)\s*\))?\s*$")
_PCT = re.compile(r"^[pP](\d+(?:\.\d+)?)$")  # p95 -> quantile(0.95)
BOOTSTRAP_DRAWS = 500
LEVEL = 0.95  # of the bootstrap interval


@dataclass(frozen=True)
class Statistic:
    """A statistic of replicate samples: ``name`` (one of :data:`PARAMS`) and its
    parameter (``q``, ``alpha``, ``lambda`` or ``threshold``; None for mean and median).

    Built from a name or text (``"cvar(0.95)"``, ``"p95"``), a mapping
    (``{"name": "cvar", "alpha": 0.95}``) or a Statistic by :meth:`parse`.
    """

    name: str = "mean"
    param: float | None = None

    def __post_init__(self) -> None:
        if self.name not in PARAMS:
            raise InvalidArgumentError(
                f"`statistic` must be one of {sorted(PARAMS)}, got {self.name!r}"
            )
        key = PARAMS[self.name]
        if key is None:
            if self.param is not None:
                raise InvalidArgumentError(
                    f"statistic {self.name!r} takes no parameter, got {self.param!r}"
                )
            return
        p = self.param
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p):
            raise InvalidArgumentError(
                f"statistic {self.name!r} needs `{key}`, a finite number, got {p!r}"
            )
        object.__setattr__(self, "param", float(p))
        if self.name in ("quantile", "cvar") and not 0.0 < p < 1.0:
            raise InvalidArgumentError(
                f"statistic {self.name!r}: `{key}` must lie in (0, 1), got {p!r}"
            )
        if self.name == "mean_std" and p < 0:
            raise InvalidArgumentError(f"statistic 'mean_std': `lambda` must be >= 0, got {p!r}")

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def parse(cls, spec: Statistic | str | Mapping[str, Any] | None) -> Statistic:
        """None -> mean; ``"cvar(0.95)"``, ``"p95"``, ``"median"``; ``{"name": "cvar",
        "alpha": 0.95}``; InvalidArgumentError naming the rule otherwise."""
        if spec is None:
            return MEAN
        if isinstance(spec, Statistic):
            return spec
        if isinstance(spec, str):
            return cls._from_text(spec)
        if isinstance(spec, Mapping):
            return cls.from_dict(spec)
        raise InvalidArgumentError(
            "`statistic` must be a name like 'cvar(0.95)' or a mapping like "
            f"{{'name': 'cvar', 'alpha': 0.95}}, got {spec!r}"
        )

    @classmethod
    def _from_text(cls, text: str) -> Statistic:
        pct = _PCT.match(text.strip())
        if pct:
            return cls("quantile", float(pct.group(1)) / 100.0)
        m = _TEXT.match(text)
        if m is None:
            raise InvalidArgumentError(
                f"`statistic` reads like 'median', 'p95' or 'cvar(0.95)', got {text!r}"
            )
        name, arg = m.group(1), m.group(2)
        if arg is None or arg == "":
            if name in PARAMS and PARAMS[name] is not None:
                raise InvalidArgumentError(
                    f"statistic {name!r} needs `{PARAMS[name]}`: write {name}(VALUE)"
                )
            return cls(name)
        try:
            value = float(arg)
        except ValueError:
            raise InvalidArgumentError(
                f"statistic {text!r}: the parameter must be a number, got {arg!r}"
            ) from None
        return cls(name, value)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Statistic:
        """``{"name": "cvar", "alpha": 0.95}`` (the form :meth:`to_dict` writes)."""
        name = d.get("name")
        if not isinstance(name, str):
            raise InvalidArgumentError(f"`statistic.name` must be a name, got {name!r}")
        if name not in PARAMS:
            raise InvalidArgumentError(f"`statistic` must be one of {sorted(PARAMS)}, got {name!r}")
        key = PARAMS[name]
        extra = sorted(set(d) - {"name"} - ({key} if key else set()))
        if extra:
            allowed = f"only `{key}`" if key else "no parameter"
            raise InvalidArgumentError(
                f"statistic {name!r} takes {allowed}, got unknown key(s) {extra}"
            )
        return cls(name, d.get(key) if key else None)

    def to_dict(self) -> dict[str, Any]:
        key = PARAMS[self.name]
        return {"name": self.name, **({key: self.param} if key else {})}

    def __str__(self) -> str:
        return self.name if self.param is None else f"{self.name}({self.param:g})"

    # -- rules --------------------------------------------------------------------------------
    @property
    def is_mean(self) -> bool:
        return self.name == "mean"

    def min_samples(self) -> int:
        """The fewest replicates the statistic is estimated from (see the module's rules)."""
        p = self.param
        if self.name == "quantile" and p is not None:
            return math.ceil(1.0 / min(p, 1.0 - p) - 1e-9)
        if self.name == "cvar" and p is not None:
            return math.ceil(1.0 / (1.0 - p) - 1e-9)
        return 1 if self.name == "mean" else 2

    def rule(self) -> str:
        """The minimum, in words, for error messages."""
        n, p = self.min_samples(), self.param
        if self.name == "quantile":
            return f"ceil(1 / min(q, 1 - q)) = {n} for q={p:g}"
        if self.name == "cvar":
            return f"ceil(1 / (1 - alpha)) = {n} for alpha={p:g}"
        why = {"median": "as quantile(0.5)", "mean_std": "a standard deviation"}
        return f"{n}: {why.get(self.name, 'a frequency')}" if n > 1 else "1"

    # -- computing ----------------------------------------------------------------------------
    def compute(self, samples: Sequence[float] | np.ndarray, sign: float = 1.0) -> float:
        """The statistic of the replicates ``samples`` (``n``) for sign ``sign``."""
        import numpy as np

        return float(self.compute_many(np.asarray(samples, dtype=float)[None, :], sign)[0])

    def compute_many(self, Y: np.ndarray, sign: float = 1.0) -> np.ndarray:
        """The statistic of each row of ``Y`` (``b x n``, ``n`` replicates): ``b``."""
        import numpy as np

        n = Y.shape[-1]
        p = 0.0 if self.param is None else self.param
        if self.name == "mean":
            return np.mean(Y, axis=-1)
        if self.name == "median":
            return np.median(Y, axis=-1)
        if self.name == "quantile":
            return np.quantile(Y, p, axis=-1)
        if self.name == "mean_std":
            std = np.std(Y, axis=-1, ddof=1) if n > 1 else np.zeros(Y.shape[:-1])
            return np.mean(Y, axis=-1) + sign * p * std
        if self.name == "exceed":
            return np.mean(np.greater(Y, p), axis=-1)
        # cvar: the upper tail of s * y, mapped back by s
        Z = np.sort(sign * Y, axis=-1)
        m = n * (1.0 - p)
        if abs(m - round(m)) < 1e-9:  # 10 * (1 - 0.9) is 0.9999999999999998
            m = float(round(m))
        k = min(math.floor(m), n)
        top = Z[..., n - k :].sum(axis=-1)
        frac = m - k
        if frac > 0 and k < n:
            top = top + frac * Z[..., n - k - 1]
        return sign * top / m


MEAN = Statistic()


@dataclass(frozen=True)
class Estimate:
    """A statistic's value from the replicates, its bootstrap standard error and
    ``level`` percentile interval ``[low, high]``."""

    value: float
    se: float
    low: float
    high: float
    level: float = LEVEL


def bootstrap(
    samples: Sequence[float] | np.ndarray,
    statistic: Statistic,
    sign: float = 1.0,
    *,
    seed: int = 0,
    draws: int = BOOTSTRAP_DRAWS,
    level: float = LEVEL,
) -> Estimate:
    """The statistic of ``samples`` with its nonparametric bootstrap uncertainty: ``draws``
    resamples (with replacement, ``numpy.random.default_rng(seed)``) give the standard
    error ``sd(T*)`` and the percentile interval ``[T*_(a/2), T*_(1-a/2)]``, ``a = 1 -
    level``. One replicate: a zero-width interval (nothing to resample)."""
    import numpy as np

    y = np.asarray(samples, dtype=float)
    value = statistic.compute(y, sign)
    n = y.shape[0]
    if n < 2:
        return Estimate(value, 0.0, value, value, level)
    rng = np.random.default_rng(seed)
    T = statistic.compute_many(y[rng.integers(0, n, size=(draws, n))], sign)
    a = (1.0 - level) / 2.0
    low, high = np.quantile(T, [a, 1.0 - a])
    return Estimate(value, float(np.std(T, ddof=1)), float(low), float(high), level)


def noise_variance(
    samples: Sequence[float] | np.ndarray, statistic: Statistic, sign: float = 1.0, seed: int = 0
) -> float:
    """The squared standard error of the statistic of ``samples``: ``var(y, ddof=1) / n``
    for the mean (exactly), the bootstrap's ``se**2`` for the others."""
    import numpy as np

    y = np.asarray(samples, dtype=float)
    if statistic.is_mean:
        return float(np.var(y, ddof=1) / len(y))
    return bootstrap(y, statistic, sign, seed=seed).se ** 2


def exceed_bandwidth(Y: np.ndarray, threshold: float) -> np.ndarray:
    """The kernel bandwidth ``h`` of :func:`exceed_probit` for each row of ``Y`` (``b x n``
    replicates): ``b x 1``. Silverman's robust rule of thumb (R's ``bw.nrd0``)::

        s = min(sd(y), IQR(y) / 1.34)        (sd with ddof=0; IQR from numpy's linear
                                              quantiles; s = sd(y) where IQR(y) = 0)
        h = max(0.9 s n^(-1/5), floor),   floor = 1e-9 + 1e-6 (|t| + mean |y|)

    ``IQR / 1.34`` is the sd of a normal law with that IQR, so the two agree on Gaussian
    replicates; on a law with a second, distant mode (or a heavy tail) the sd is inflated
    by the far mode and the IQR is not, so ``h`` follows the bulk of the replicates. With
    the sd alone, a point with most replicates near ``t`` and a few far above got a wide
    ``h`` (a small ``z``) while its bootstrap resamples that missed the far mode got a
    narrow one (``z`` ten times larger): a bimodal bootstrap and a variance of 50 on a
    score of 1.6. The floor (both spreads 0: equal replicates) keeps ``h > 0``."""
    import numpy as np

    Y = np.asarray(Y, dtype=float)
    n = Y.shape[-1]
    sd = np.std(Y, axis=-1, keepdims=True)
    q1, q3 = np.quantile(Y, [0.25, 0.75], axis=-1, keepdims=True)
    iqr = (q3 - q1) / 1.34
    spread = np.where(iqr > 0, np.minimum(sd, iqr), sd)
    floor = 1e-9 + 1e-6 * (abs(threshold) + np.mean(np.abs(Y), axis=-1, keepdims=True))
    return np.maximum(0.9 * spread * n**-0.2, floor)


def exceed_probit(Y: np.ndarray, threshold: float) -> np.ndarray:
    """The probit of the kernel-smoothed exceedance of each row of ``Y`` (``b x n``
    replicates): ``b``. A model's target for ``exceed`` that stays graded where every
    replicate lies on one side of the threshold (the frequency is then 0 or 1)::

        P_h = (1/n) sum_i Phi((y_i - t) / h),   h = 0.9 min(sd, IQR/1.34) n^(-1/5)
                                                (Silverman's robust rule, exceed_bandwidth)
        z_h = Phi^-1(P_h),  from log P_h and log(1 - P_h)  (finite where P_h rounds to 1:
                                                          z_h ~ (y_(1) - t) / h)

    The same smoothed-exceedance probit :mod:`bbo.surrogates.law_statistic` gives a
    predicted law's atoms (which still uses ``h = 1.06 sd K^(-1/5)``)."""
    import numpy as np
    from scipy.special import log_ndtr, logsumexp, ndtri_exp

    Y = np.asarray(Y, dtype=float)
    n = Y.shape[-1]
    h = exceed_bandwidth(Y, threshold)
    a = (Y - threshold) / h
    log_p = logsumexp(log_ndtr(a), axis=-1) - np.log(n)
    log_q = logsumexp(log_ndtr(-a), axis=-1) - np.log(n)
    low = log_p <= log_q
    z = ndtri_exp(np.minimum(np.where(low, log_p, log_q), np.log(0.5)))
    return np.where(low, z, -z)


def exceed_target(
    samples: Sequence[float] | np.ndarray,
    threshold: float,
    seed: int = 0,
    draws: int = BOOTSTRAP_DRAWS,
) -> tuple[float, float]:
    """``(z_h, se^2)``: :func:`exceed_probit` of the replicates and its bootstrap variance
    (``draws`` resamples, ``numpy.random.default_rng(seed)``; ``h`` recomputed on each),
    what a GP of an ``exceed`` objective would model in place of the frequency and its
    standard error (the frequency is 0 or 1, with a bootstrap SE of 0, on a saturated
    point). ``z_h`` increases with the exceedance: to minimize it, minimize ``z_h``."""
    import numpy as np

    y = np.asarray(samples, dtype=float)
    value = float(exceed_probit(y[None, :], threshold)[0])
    if len(y) < 2:
        return value, 0.0
    rng = np.random.default_rng(seed)
    Z = exceed_probit(y[rng.integers(0, len(y), size=(draws, len(y)))], threshold)
    return value, float(np.var(Z, ddof=1))


__all__ = [
    "MEAN",
    "PARAMS",
    "Estimate",
    "Statistic",
    "bootstrap",
    "exceed_bandwidth",
    "exceed_probit",
    "exceed_target",
    "noise_variance",
]
