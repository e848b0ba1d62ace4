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
    exceed(t)      -sign * z_h,  z_h = Phi^-1(P_h)  (the probit of a smoothed exceedance)

**exceed on the probit scale.** The atoms' exceedance frequency ``mean_j 1[y_j > t]`` is
flat wherever every atom lies on one side of ``t``: on a plateau where the law is far above
the limit every candidate scores 1 and the optimizer has nothing to follow. The model
scores instead the kernel-smoothed exceedance of the atoms ``y_j = -sign * u_j``::

    P_h = (1/K) sum_j Phi((y_j - t) / h),   h = 1.06 sd_j(y) K^(-1/5)   (Silverman)

on the probit scale ``z_h = Phi^-1(P_h)``, computed from ``log P_h`` and ``log(1 - P_h)``
(``log_ndtr``, a log-sum-exp over the atoms) so that it stays finite and graded where
``P_h`` rounds to 0 or 1: there ``1 - P_h ~ Phi((t - y_(1)) / h) / K`` and ``z_h ~ (y_(1) -
t) / h``, linear in how far the lowest atom lies above the limit. ``z_h`` is a monotone map
of ``P_h``, so it ranks laws as their smoothed exceedance does, and it pulls a search on a
plateau towards the limit (lower location, or a wider law reaching below it).

:class:`StatisticGenerativeModel` is a generative model whose every member's law is
replaced by the point mass at its statistic: its ``mean`` is the statistic of the
barycenter and its Wasserstein spread the members' root-mean-square disagreement about
the statistic plus the location model's variance carried by the delta method,
``(dT/d delta)^2 var_loc(x)`` with ``dT/d delta`` the statistic's change under a common
shift ``delta`` of the barycenter's atoms (1 for mean, quantile, CVaR and mean_std; the
smoothed density ratio for exceed), so an acquisition built on ``mean + kappa * spread``
(``WLCB``) scores the statistic with an uncertainty bonus in its units.
"""

from __future__ import annotations

import math

import torch
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


NEWTON_STEPS = 8  # of _probit_of_log (from its start, quadratic once near the root)


def _probit_of_log(L: Tensor) -> Tensor:
    """``Phi^-1(exp(L))`` for ``L <= log(1/2)`` (``z <= 0``), finite however small ``exp(L)``
    is: Newton's method on ``log Phi(z) = L`` (concave in ``z``, so the iterates approach
    the root from below after the first step), started at ``Phi^-1(exp L)`` or, below
    ``exp(L) = 1e-300``, at ``-sqrt(-2 L)``."""
    tiny = L < -690.0
    z = torch.where(
        tiny, -(-2.0 * L).clamp_min(1e-12).sqrt(), torch.special.ndtri(L.exp().clamp_min(1e-300))
    )
    half_log_2pi = 0.5 * math.log(2.0 * math.pi)
    for _ in range(NEWTON_STEPS):
        logcdf = torch.special.log_ndtr(z)
        slope = torch.exp(-0.5 * z * z - half_log_2pi - logcdf)  # d log Phi / dz
        z = z - (logcdf - L) / slope
    return z


def smoothed_exceed_probit(Y: Tensor, threshold: float) -> Tensor:
    """``... x K`` atoms of ``y`` -> ``...``: ``z_h = Phi^-1(P_h)``, the probit of the
    kernel-smoothed exceedance of ``threshold`` (module docstring), finite and graded where
    every atom lies far on one side of it."""
    K = Y.shape[-1]
    sd = Y.std(-1, unbiased=False, keepdim=True) if K > 1 else torch.zeros_like(Y[..., :1])
    floor = 1e-9 + 1e-6 * (abs(threshold) + Y.abs().mean(-1, keepdim=True))
    h = torch.maximum(1.06 * sd * K ** (-0.2), floor)
    a = (Y - threshold) / h
    log_k = math.log(K)
    log_p = torch.logsumexp(torch.special.log_ndtr(a), -1) - log_k  # log P_h
    log_q = torch.logsumexp(torch.special.log_ndtr(-a), -1) - log_k  # log (1 - P_h)
    low = log_p <= log_q  # P_h <= 1/2: z = Phi^-1(P_h); else z = -Phi^-1(1 - P_h)
    side = torch.where(low, log_p, log_q).clamp_max(math.log(0.5))
    z = _probit_of_log(side)
    return torch.where(low, z, -z)


def law_statistic(U: Tensor, stat: Statistic, sign: float) -> Tensor:
    """``... x K`` sorted utility atoms -> ``...``: the utility ``-sign * T`` of the
    statistic ``T`` of the law of ``y = -sign * u`` (module docstring), differentiable in
    the atoms; for ``exceed`` the probit scale ``-sign * z_h``, not the frequency."""
    p = stat.param
    if stat.name == "mean":
        return U.mean(-1)
    if stat.name in ("median", "quantile"):
        q = 0.5 if stat.name == "median" else float(p)  # type: ignore[arg-type]
        return _quantile(U, 1.0 - q if sign > 0 else q)
    if stat.name == "mean_std":
        return U.mean(-1) - float(p) * U.std(-1, unbiased=False)  # type: ignore[arg-type]
    if stat.name == "exceed":  # the probit of the smoothed exceedance (module docstring)
        return -sign * smoothed_exceed_probit(-sign * U, float(p))  # type: ignore[arg-type]
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

    def spread(self, X: Tensor) -> Tensor:
        """``... x n x d -> ... x n``: ``sqrt(mean_m (T_m - mean T)^2 + g^2 var_loc)``, the
        members' RMS disagreement about the statistic ``T`` plus the location model's
        variance by the delta method, ``g = dT / d delta`` under a common shift of the
        barycenter's atoms (1 but for ``exceed``: there a central difference of step
        ``1e-4`` of the atoms' spread)."""
        offset, loc_var = self.location_moments(X)
        Q = WassersteinGenerativeModel.member_quantiles(self, X, offset)  # M x ... x K
        T = law_statistic(Q, self.statistic, self.sign)
        var = (T - T.mean(0)).square().mean(0)
        if self.statistic.name != "exceed":  # shift-equivariant: g = 1 exactly
            return (var + loc_var).clamp_min(1e-30).sqrt()
        bary = Q.mean(0)
        step = 1e-4 * (bary.std(-1, unbiased=False, keepdim=True) + 1e-6)
        up = law_statistic(bary + step, self.statistic, self.sign)
        down = law_statistic(bary - step, self.statistic, self.sign)
        g = (up - down) / (2.0 * step[..., 0])
        var = var + g.square() * loc_var
        return var.clamp_min(1e-30).sqrt()


__all__ = ["StatisticGenerativeModel", "law_statistic"]
