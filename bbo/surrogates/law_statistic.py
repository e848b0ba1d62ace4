"""A statistic of a predicted law (:mod:`bbo.statistics`), for the ``wasserstein``
strategy: its generator predicts at ``x`` a law of ``K`` equally weighted sorted atoms
``u_(1) <= ... <= u_(K)`` of *utility* ``u = -sign * y`` (higher is better), at the levels
``tau_j = (j - 1/2) / K``. The utility of a statistic ``T`` of ``y`` is ``-sign * T``::

    mean           mean_j u_j
    quantile(q)    Q_u(1 - q) to minimize, Q_u(q) to maximize (y's q-quantile), Q_u
                   interpolating the atoms linearly between their levels
    median         quantile(0.5)
    cvar(alpha)    the mean of the lowest (1 - alpha) fraction of the atoms (the bad tail is
                   the low utilities whatever the direction): m = K (1 - alpha), k = floor(m),
                   (u_(1) + ... + u_(k) + (m - k) u_(k+1)) / m
    mean_std(lam)  mean_j u_j - lam * sd_j u_j
    exceed(t)      -sign * mean_j 1[-sign * u_j > t]

:class:`StatisticGenerativeModel` is a generative model whose every member's law is
replaced by the point mass at its statistic: its ``mean`` is the statistic of the
barycenter and its Wasserstein spread the members' root-mean-square disagreement about
the statistic (plus the location model's variance), so an acquisition built on ``mean +
kappa * spread`` (``WLCB``) scores the statistic with an uncertainty bonus in its units.
"""

from __future__ import annotations

import math

from torch import Tensor

from bbo.statistics import Statistic
from bbo.surrogates.wasserstein import WassersteinGenerativeModel


def _quantile(U: Tensor, tau: float) -> Tensor:
    """``... x K`` sorted atoms at levels ``(j - 1/2) / K`` -> ``...``: the law's
    ``tau``-quantile, linear between the atoms' levels, the outer atom beyond them."""
    K = U.shape[-1]
    pos = min(max(tau * K - 0.5, 0.0), K - 1.0)
    lo = min(math.floor(pos), max(K - 2, 0))
    frac = min(max(pos - lo, 0.0), 1.0)
    hi = min(lo + 1, K - 1)
    return U[..., lo] + frac * (U[..., hi] - U[..., lo])


def law_statistic(U: Tensor, stat: Statistic, sign: float) -> Tensor:
    """``... x K`` sorted utility atoms -> ``...``: the utility ``-sign * T`` of the
    statistic ``T`` of the law of ``y = -sign * u`` (module docstring). Differentiable in
    the atoms except for ``exceed``."""
    p = stat.param
    if stat.name == "mean":
        return U.mean(-1)
    if stat.name in ("median", "quantile"):
        q = 0.5 if stat.name == "median" else float(p)  # type: ignore[arg-type]
        return _quantile(U, 1.0 - q if sign > 0 else q)
    if stat.name == "mean_std":
        return U.mean(-1) - float(p) * U.std(-1, unbiased=False)  # type: ignore[arg-type]
    if stat.name == "exceed":
        return -sign * ((-sign * U) > float(p)).to(U.dtype).mean(-1)  # type: ignore[arg-type]
    K = U.shape[-1]  # cvar: the low tail of the utilities
    m = K * (1.0 - float(p))  # type: ignore[arg-type]
    if abs(m - round(m)) < 1e-9:
        m = float(round(m))
    if m < 1.0:  # fewer than one atom in the tail: the worst atom
        return U[..., 0]
    k = min(math.floor(m), K)
    low = U[..., :k].sum(-1)
    if m > k and k < K:
        low = low + (m - k) * U[..., k]
    return low / m


class StatisticGenerativeModel(WassersteinGenerativeModel):
    """The generative model of ``base`` seen through a statistic: each member's law (and
    the barycenter's) becomes the point mass at its :func:`law_statistic`, repeated over
    the ``K`` atoms (so every consumer of the atoms — ``mean``, ``spread``, ``WLCB``,
    a registry acquisition over the posterior's members — sees the statistic)."""

    def __init__(self, base: WassersteinGenerativeModel, stat: Statistic, sign: float) -> None:
        super().__init__(base.generator, base.y_mean, base.y_std, base.location)
        self.statistic = stat
        self.sign = float(sign)

    def _as_statistic(self, Q: Tensor) -> Tensor:
        return law_statistic(Q, self.statistic, self.sign).unsqueeze(-1).expand(Q.shape)

    def quantiles(self, X: Tensor) -> Tensor:
        """The barycenter's statistic, as ``K`` equal atoms (``... x n x K``)."""
        return self._as_statistic(super().quantiles(X))

    def member_quantiles(self, X: Tensor, offset: Tensor | None = None) -> Tensor:
        """Every member's statistic, as ``K`` equal atoms (``M x ... x n x K``)."""
        return self._as_statistic(super().member_quantiles(X, offset))


__all__ = ["StatisticGenerativeModel", "law_statistic"]
