"""A learning-curve model over (configuration, step): a GP on every reported value, so that
a young curve is judged by where it sits in the space and how the curves of similar
configurations went on (freeze-thaw / DyHPO style; Swersky et al. 2014, Wistuba et al.
2022), not by its own few points alone.

Data. Every curve with an encoded configuration ``x`` (``Curve.x``, ``d`` columns of the
index view in ``[0, 1]``) gives points ``(x, u, y)``: ``u = log(1 + t) / log(1 + T)`` for
the step ``t`` (``T``: the full resource, so ``u = 1`` is the end of a full run), ``y``
its value turned to a loss (negated for ``maximize``). Per curve, the reports at the
steps of a geometric grid of factor ``sqrt(eta)`` ending at ``T`` (the last report at or
below each grid step) and its last report; at most :data:`MAX_POINTS` points in all
(interior points thinned evenly; every curve keeps its first and last one). ``y`` is
winsorised above ``q75 + 3 IQR`` (a diverged run's huge loss does not flatten the
others) and standardised.

Model. ``y(z) = b0 + b1 u + f(z) + eps``, ``z = (x, u)``, ``f ~ GP(0, s2 k)``, ``eps ~
N(0, v)``, ``k`` Matern-5/2 with one lengthscale per column (ARD over ``d + 1`` columns):

    k(z, z') = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r),  r^2 = sum_j (z_j - z'_j)^2 / l_j^2

Hyperparameters ``theta = (log l, log s2, log v, b0, b1)`` by MAP (L-BFGS-B, analytic
gradient): ``K = s2 k(Z, Z) + v I`` (``n x n``), ``r = y - H b`` (``H = [1, u]``, ``n x
2``), ``alpha = K^-1 r``, ``W = alpha alpha^T - K^-1``,

    -log p = r^T alpha / 2 + log|K| / 2 - sum_j log N(log l_j; mu_l, 3)
             - log N(log s2; 0, 1) - log N(log v; log 1e-2, 4) - log N(b; 0, 4)
    d/d log l_j = -1/2 sum_ik W_ik s2 g_ik D_ikj / l_j^2 + prior'
    d/d log s2  = -1/2 tr(W s2 k) + prior',   d/d log v = -v tr(W) / 2 + prior'
    d/d b       = -H^T alpha + b / 4,         g = 5/3 (1 + sqrt(5) r) exp(-sqrt(5) r)

(``D_ikj = (z_ij - z_kj)^2``; ``mu_l = sqrt(2) + log(d + 1) / 2``, BoTorch's
dimension-scaled prior). They are fitted on the *finished* curves (not RUNNING) of the
first ``m`` trials by id, ``m`` the largest of 4, 6, 9, 13, ... (factor 1.5) that there
are, and cached on that data: the fit is redone about every 1.5x more trials, not at each
report; every prediction conditions on all current points (one Cholesky, ``n <= 300``).

Prediction. At ``z* = (x_c, 1)`` for curve ``c``: ``mu = b0 + b1 + s2 k*^T alpha``,
``sigma^2 = s2 - s2^2 k*^T K^-1 k*`` (``k*``: ``n``), back to values. A curve that got to
``T`` is its last value. :meth:`CurveGP.score` is the *optimistic* final value ``mu -
kappa sigma`` (a lower quantile of the final loss; ``kappa =`` :data:`KAPPA`): a young
curve in a region whose curves ended well, or in an unexplored one, is not stopped for
its early values alone.

Without enough data (fewer than :data:`MIN_CURVES` finished curves with ``x``, or fewer
than :data:`MIN_DONE` curves that reached ``T``: the GP would extrapolate to ``u = 1``
from the early steps alone), :class:`CurveGP` falls back to the drop-ratio model
of :mod:`bbo.pruners.curves` (``gp`` False). Three end points suffice: with fewer, ``sigma``
at ``u = 1`` is larger and the optimistic score keeps more young curves; waiting for five
(as first done) left the first third of the benchmark's budget to the drop-ratio model;
three did better there on the MLP and ``lc-exp``, about as well on ``lc-pow``
(docs/pruning.md).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.optimize

from bbo.exceptions import InvalidArgumentError
from bbo.pruners.base import Curve
from bbo.pruners.curves import CurveModel
from bbo.trial import TrialState

KAPPA = 1.0  # optimism of CurveGP.score: mu - KAPPA sigma (about the 16% quantile)
MAX_POINTS = 300  # cap on the points of one fit (n x n Cholesky)
MIN_CURVES = 3  # finished curves with a configuration before the GP is used
MIN_DONE = 3  # ... and curves that reached the full resource (the GP's end points)
_SCHEDULE = 1.5  # hyperparameters refitted every 1.5x more trials
_CACHE: OrderedDict[bytes, np.ndarray] = OrderedDict()  # data -> fitted theta
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()
_LOG_V0, _LOG_V_SD = math.log(1e-2), 2.0  # noise prior (standardised values)
_B_SD = 2.0  # prior sd of the mean's coefficients b0, b1 (standardised values)
_BOUNDS_L, _BOUNDS_V = (math.log(0.01), math.log(100.0)), (math.log(1e-6), 0.0)


def _grid(top: int, eta: int) -> list[float]:
    """``T / sqrt(eta)**k >= 1``, ascending."""
    out, f = [float(top)], math.sqrt(eta)
    while out[-1] / f >= 1.0:
        out.append(out[-1] / f)
    return out[::-1]


def _u(step: float, top: int) -> float:
    return math.log1p(max(step, 0.0)) / math.log1p(top)


def _points(curve: Curve, grid: Sequence[float]) -> list[tuple[int, float]]:
    """The ``(step, value)`` points of ``curve`` the GP sees (module docstring)."""
    out: dict[int, float] = {}
    i = 0
    for level in grid:
        while i + 1 < len(curve.steps) and curve.steps[i + 1] <= level + 1e-9:
            i += 1
        if curve.steps[i] <= level + 1e-9:
            out[curve.steps[i]] = curve.values[i]
    out[curve.steps[-1]] = curve.values[-1]
    return sorted(out.items())


def matern52(A: np.ndarray, B: np.ndarray, ls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(k, g)`` for ``A`` (``n x D``), ``B`` (``m x D``), lengthscales ``ls`` (``D``):
    ``k`` (``n x m``) the Matern-5/2 kernel, ``g = 5/3 (1 + sqrt(5) r) exp(-sqrt(5) r)``
    (``dk / d log l_j = g D_j / l_j^2``)."""
    diff = (A[:, None, :] - B[None, :, :]) / ls
    r = np.sqrt(np.maximum((diff**2).sum(-1), 0.0))
    e = np.exp(-math.sqrt(5.0) * r)
    k = (1.0 + math.sqrt(5.0) * r + 5.0 / 3.0 * r**2) * e
    return k, 5.0 / 3.0 * (1.0 + math.sqrt(5.0) * r) * e


def _chol(K: np.ndarray) -> np.ndarray:
    jitter = 1e-8
    for _ in range(4):
        try:
            return np.linalg.cholesky(K + jitter * np.eye(len(K)))
        except np.linalg.LinAlgError:
            jitter *= 10.0
    raise np.linalg.LinAlgError("kernel matrix is not positive definite")


def neg_log_posterior(theta: np.ndarray, Z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """``(-log p(theta | Z, y), gradient)`` of the module docstring; ``Z``: ``n x D``,
    ``y``: ``n``, ``theta``: ``D + 4`` (``log l``, ``log s2``, ``log v``, ``b0``, ``b1``)."""
    n, D = Z.shape
    ls = np.exp(theta[:D])
    s2, v = math.exp(theta[D]), math.exp(theta[D + 1])
    H = np.column_stack([np.ones(n), Z[:, -1]])
    k, g = matern52(Z, Z, ls)
    K = s2 * k + v * np.eye(n)
    try:
        L = _chol(K)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    r = y - H @ theta[D + 2 :]
    alpha = scipy.linalg.cho_solve((L, True), r)
    Kinv = scipy.linalg.cho_solve((L, True), np.eye(n))
    W = np.outer(alpha, alpha) - Kinv
    mu_l = math.sqrt(2.0) + 0.5 * math.log(D)
    nlp = 0.5 * r @ alpha + np.log(np.diag(L)).sum()
    nlp += ((theta[:D] - mu_l) ** 2).sum() / 6.0 + theta[D] ** 2 / 2.0
    nlp += (theta[D + 1] - _LOG_V0) ** 2 / (2 * _LOG_V_SD**2)
    grad = np.empty_like(theta)
    WG = W * g * s2
    for j in range(D):
        Dj = (Z[:, j, None] - Z[None, :, j]) ** 2
        grad[j] = -0.5 * (WG * Dj).sum() / ls[j] ** 2 + (theta[j] - mu_l) / 3.0
    grad[D] = -0.5 * (W * k).sum() * s2 + theta[D]
    grad[D + 1] = -0.5 * v * np.trace(W) + (theta[D + 1] - _LOG_V0) / _LOG_V_SD**2
    nlp += (theta[D + 2 :] ** 2).sum() / (2 * _B_SD**2)
    grad[D + 2 :] = -H.T @ alpha + theta[D + 2 :] / _B_SD**2
    return float(nlp), grad


def fit_theta(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """MAP hyperparameters (``D + 4``) for ``Z`` (``n x D``), ``y`` (``n``, standardised),
    from a fixed start (deterministic), cached on the data."""
    key = Z.tobytes() + y.tobytes()
    with _CACHE_LOCK:  # a server judges reports of several studies in threads
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    D = Z.shape[1]
    start = np.concatenate([np.full(D, math.log(0.5)), [0.0, _LOG_V0, 0.0, 0.0]])
    bounds = [_BOUNDS_L] * D + [(-5.0, 5.0), _BOUNDS_V, (-10.0, 10.0), (-10.0, 10.0)]
    res = scipy.optimize.minimize(
        neg_log_posterior, start, args=(Z, y), jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 60},
    )  # fmt: skip
    theta = np.asarray(res.x, dtype=float)
    with _CACHE_LOCK:
        _CACHE[key] = theta
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return theta


class CurveGP:
    """Fitted on a study's curves (``pool``, any state; those without ``x`` or reports are
    left out) for a full resource ``top`` and a grid factor ``eta``; :meth:`predict` and
    :meth:`score` then give any curve's final value. ``gp`` is False when it fell back to
    :class:`~bbo.pruners.curves.CurveModel` (see the module docstring)."""

    def __init__(
        self, pool: Sequence[Curve], top: int, eta: int, direction: str, kappa: float = KAPPA
    ) -> None:
        if direction not in ("minimize", "maximize"):
            raise InvalidArgumentError(
                f"`direction` must be 'minimize' or 'maximize', got {direction!r}"
            )
        if int(top) < 1 or int(eta) < 2:
            raise InvalidArgumentError(
                f"`top >= 1` and `eta >= 2` must hold, got top={top!r}, eta={eta!r}"
            )
        if not math.isfinite(kappa) or kappa < 0:
            raise InvalidArgumentError(f"`kappa` must be a finite number >= 0, got {kappa!r}")
        self.top, self.eta, self.kappa = int(top), int(eta), float(kappa)
        self.sign = 1.0 if direction == "minimize" else -1.0
        self.fallback = CurveModel(pool, self.top, self.eta, direction)
        dims = {len(c.x) for c in pool if c.steps and c.x}
        self.gp = len(dims) == 1 and self._fit([c for c in pool if c.steps and c.x], dims.pop())

    def _data(self, curves: Sequence[Curve]) -> tuple[np.ndarray, np.ndarray]:
        """``Z`` (``n x (d + 1)``) and raw losses ``y`` (``n``) of ``curves``, capped."""
        grid = _grid(self.top, self.eta)
        per = [[(s, self.sign * v) for s, v in _points(c, grid)] for c in curves]
        n = sum(len(p) for p in per)
        if n > MAX_POINTS:  # thin the interior points evenly, keep ends
            inner = [(i, j) for i, p in enumerate(per) for j in range(1, len(p) - 1)]
            keep_n = max(MAX_POINTS - (n - len(inner)), 0)
            idx = np.linspace(0, len(inner) - 1, keep_n).round().astype(int) if keep_n else []
            keep = {inner[i] for i in idx}
            per = [[q for j, q in enumerate(p) if j in (0, len(p) - 1) or (i, j) in keep]
                   for i, p in enumerate(per)]  # fmt: skip
        rows = [[*c.x, _u(s, self.top)] for c, p in zip(curves, per) for s, _ in p]
        ys = [y for p in per for _, y in p]
        return np.array(rows, dtype=float), np.array(ys, dtype=float)

    def _fit(self, curves: list[Curve], d: int) -> bool:
        finished = [c for c in curves if c.state != TrialState.RUNNING]
        done = sum(c.steps[-1] >= self.top for c in curves)
        if len(finished) < MIN_CURVES or done < MIN_DONE:
            return False
        m, nxt = MIN_CURVES + 1, MIN_CURVES + 1  # the schedule 4, 6, 9, 13, ...
        while nxt <= len(finished):
            m, nxt = nxt, math.ceil(nxt * _SCHEDULE)
        first = sorted(finished, key=lambda c: c.id)[: min(m, len(finished))]
        # the transform of the values, from the fitted curves (fixed between refits):
        # winsorised above q75 + 3 IQR, standardised
        Zf, yf = self._data(first)
        q25, q75 = np.percentile(yf, [25, 75])
        self.cap = float(q75 + 3.0 * max(q75 - q25, 1e-12))
        yf = np.minimum(yf, self.cap)
        self.loc, self.scale = float(yf.mean()), float(yf.std()) or 1.0
        theta = fit_theta(Zf, (yf - self.loc) / self.scale)
        Z, y = self._data(curves)
        y = np.minimum(y, self.cap)
        D = d + 1
        self.ls, self.s2, v = np.exp(theta[:D]), math.exp(theta[D]), math.exp(theta[D + 1])
        self.b = theta[D + 2 :]
        self.Z = Z
        K = self.s2 * matern52(Z, Z, self.ls)[0] + v * np.eye(len(Z))
        self.L = _chol(K)
        r = (y - self.loc) / self.scale - self.b[0] - self.b[1] * Z[:, -1]
        self.alpha = scipy.linalg.cho_solve((self.L, True), r)
        return True

    def predict_dist(self, curves: Sequence[Curve]) -> list[tuple[float, float] | None]:
        """``(mean, sd)`` of each curve's value at ``top``, in values (``sd`` 0 once it got
        there); None without reports, or without ``x`` when the GP is not used."""
        out: list[tuple[float, float] | None] = [None] * len(curves)
        ask = []
        for i, c in enumerate(curves):
            if not c.steps:
                continue
            if c.steps[-1] >= self.top:
                out[i] = (c.values[-1], 0.0)
            elif self.gp and len(c.x) == self.Z.shape[1] - 1:
                ask.append(i)
            else:
                v = self.fallback.predict(c)
                out[i] = None if v is None else (v, 0.0)
        if ask:
            Q = np.array([[*curves[i].x, 1.0] for i in ask], dtype=float)
            ks = self.s2 * matern52(Q, self.Z, self.ls)[0]  # q x n
            mean = self.b[0] + self.b[1] + ks @ self.alpha
            w = scipy.linalg.solve_triangular(self.L, ks.T, lower=True)
            sd = np.sqrt(np.maximum(self.s2 - (w**2).sum(0), 1e-12))
            for i, m, s in zip(ask, mean, sd):
                loss = min(self.loc + self.scale * float(m), self.cap)
                out[i] = (self.sign * loss, self.scale * float(s))
        return out

    def predict(self, curve: Curve) -> float | None:
        """The predicted (mean) value of ``curve`` at ``top``; None without reports."""
        d = self.predict_dist([curve])[0]
        return None if d is None else d[0]

    def score(self, curve: Curve) -> float | None:
        """The optimistic final value ``mean - kappa sd`` (``+`` for ``maximize``)."""
        d = self.predict_dist([curve])[0]
        return None if d is None else d[0] - self.sign * self.kappa * d[1]


__all__ = ["KAPPA", "MAX_POINTS", "CurveGP", "fit_theta", "matern52", "neg_log_posterior"]
