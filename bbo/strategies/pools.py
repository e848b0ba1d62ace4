"""The candidate pools of ``auto`` (:mod:`bbo.strategies.portfolio`) and the bandit that
shares an ask's candidates between their sources: the values the sources rank points by,
wins and trials per source, the Thompson split, and the ``local`` and ``cma`` pools (the
``de`` pool is :func:`bbo.strategies.evolution.de_candidates`, ``quad``
:func:`bbo.strategies.metamodel.quad_candidates`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bbo.space import Space
from bbo.strategies.base import History

SOURCES = ("de", "local", "cma", "quad")
DEFAULT_SOURCES = ("de", "local", "cma")
LOCAL_STEPS = (0.02, 0.08, 0.2)
CMA_SCALES = (0.25, 0.5, 1.0)
IMPROVEMENT_TOL = 1e-3  # of the observed range: a smaller gain does not end a stagnation


def ranked_values(history: History) -> np.ndarray:
    """``n`` minimize-oriented values of the COMPLETED trials (first objective), where a
    trial that violates a constraint ranks after every feasible one (``max + 1 +
    violation``)."""
    y = history.Y[:, 0].copy()
    if history.C.shape[1] and len(y):
        violation = np.maximum(history.C, 0.0).sum(1)
        y = np.where(violation > 0, y.max() + 1.0 + violation, y)
    return y


def stagnation(history: History) -> int:
    """How many COMPLETED trials (in id order) came after the last one that improved the best
    value (:func:`ranked_values`) by more than ``IMPROVEMENT_TOL`` of the observed range."""
    y = ranked_values(history)
    if not len(y):
        return 0
    ids = np.array([t.id for t in history.completed])
    y = y[np.argsort(ids, kind="stable")]
    tol = IMPROVEMENT_TOL * float(y.max() - y.min())
    best, last = np.inf, 0
    for i, v in enumerate(y):
        if v < best - tol:
            last = i
        best = min(best, v)
    return len(y) - 1 - last


def pool_of(source: str) -> str | None:
    """The pool of a trial's ``source``: the part before ``>`` (``"de>gp:LogEI"`` ->
    ``"de"``); None for a source without one."""
    return source.split(">")[0] if ">" in source else None


def source_stats(
    history: History, group: Callable[[str], str | None] = pool_of
) -> dict[str, tuple[int, int]]:
    """``arm -> (wins, trials)`` over the COMPLETED trials in id order, where the arm of a
    trial is ``group(attrs["source"])`` (None: no arm; default :func:`pool_of`) and a win
    is a trial better than every earlier completed one (first objective,
    minimize-oriented)."""
    stats: dict[str, list[int]] = {}
    best = np.inf
    done = sorted(history.completed, key=lambda t: t.id)
    y = history.Y[:, 0] if len(done) else np.zeros(0)
    order = {t.id: i for i, t in enumerate(history.completed)}
    for t in done:
        source = str(t.attrs.get("source", ""))
        pool = group(source)
        v = float(y[order[t.id]])
        if pool is not None:
            s = stats.setdefault(pool, [0, 0])
            s[1] += 1
            s[0] += int(v < best)
        best = min(best, v)
    return {k: (w, n) for k, (w, n) in stats.items()}


def allocate(
    stats: dict[str, tuple[int, int]], sources: tuple[str, ...], total: int, seed: int
) -> dict[str, int]:
    """Split ``total`` candidates between ``sources``: Thompson draws
    ``p_s ~ Beta(1 + wins, 1 + trials - wins)``, shares ``max(p_s / sum p, 1/8)``."""
    rng = np.random.default_rng(seed)
    wins = np.array([stats.get(s, (0, 0))[0] for s in sources])
    trials = np.array([stats.get(s, (0, 0))[1] for s in sources])
    p = rng.beta(1 + wins, 1 + trials - wins)
    share = np.maximum(p / p.sum(), 1 / 8)
    share /= share.sum()
    counts = np.floor(share * total).astype(int)
    counts[int(np.argmax(share))] += total - int(counts.sum())
    return {s: int(c) for s, c in zip(sources, counts)}


def local_candidates(
    X: np.ndarray, y: np.ndarray, n: int, space: Space, rng: np.random.Generator
) -> np.ndarray:
    """``n x d`` Gaussian moves around the 5 best rows of ``X`` (``N x d``, lower ``y`` is
    better): continuous columns move by ``N(0, s^2)`` with ``s`` drawn from
    :data:`LOCAL_STEPS`, clipped to ``[0, 1]``; each discrete column is redrawn uniformly
    with probability ``1/d``."""
    top = X[np.argsort(y, kind="stable")[:5]]
    base = top[rng.integers(len(top), size=n)]
    steps = rng.choice(LOCAL_STEPS, size=(n, 1))
    out = np.clip(base + steps * rng.standard_normal(base.shape), 0.0, 1.0)
    discrete = sorted(space.discrete_dims | space.categorical_dims)
    if discrete:
        d = X.shape[1]
        flip = rng.random((n, len(discrete))) < 1.0 / d
        fresh = rng.random((n, len(discrete)))
        out[:, discrete] = np.where(flip, fresh, base[:, discrete])
    return out


def cma_candidates(X: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n x d`` draws from the search distribution that CMA-ES's rank-mu update would estimate
    from the history: the ``mu = max(2, N // 4)`` best rows of ``X`` (``N x d``, lower ``y``
    is better) with weights ``w_i ~ log(mu + 1/2) - log(i)`` give the mean ``m`` and the
    covariance ``C = sum_i w_i (x_i - m)(x_i - m)^T``. Draws are ``c + s L z`` with ``C = L
    L^T``, ``z ~ N(0, I)``, the centre ``c`` the best row or ``m`` (half each) and the scale
    ``s`` from :data:`CMA_SCALES`, clipped to ``[0, 1]``. The covariance follows rotated and
    elongated valleys of good points, which axis-aligned moves and a GP with one lengthscale
    per column find slowly."""
    order = np.argsort(y, kind="stable")
    mu = max(2, len(X) // 4)
    top = X[order[:mu]]
    w = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
    w /= w.sum()
    mean = w @ top
    diff = top - mean
    cov = (w[:, None] * diff).T @ diff + 1e-8 * np.eye(X.shape[1])
    L = np.linalg.cholesky(cov)
    centre = np.where(rng.random((n, 1)) < 0.5, top[0], mean)
    scale = rng.choice(CMA_SCALES, size=(n, 1))
    return np.clip(centre + scale * rng.standard_normal((n, X.shape[1])) @ L.T, 0.0, 1.0)
