"""Shared parts of the evolutionary strategies (:mod:`bbo.strategies.cmaes`, ``de``).

Both strategies work in the **index view** (the unit cube ``[0, 1]^d`` of
:mod:`bbo.space.space`) and keep their population in ``state_dict()``. A population member
is a point they chose; its result is looked up in the study's history **by configuration**
(:class:`Ledger`), not by trial id, so that

* tells may arrive in any order, and trials may be FAILED, INFEASIBLE or ABANDONED (an
  abandoned point is re-offered by the study as a retry with the same configuration, whose
  result then counts);
* a member whose configuration is already in the history (common in discrete spaces) is not
  asked again: it reuses the known result, or waits for the running trial.

Members are ranked by :meth:`Outcome.key`: feasible completed trials by their objective,
then completed trials violating outcome constraints by their total violation, then PRUNED
trials by their last reported value (the pruner judged them worse than the trials it let
run; their value is one of an unfinished run), then FAILED and INFEASIBLE trials (worst;
a PRUNED trial that reported nothing ranks with them).

The module also holds the pure proposal functions a portfolio can use as candidate sources
without running a strategy: :func:`de_candidates` (mutations of the incumbents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space, params_key
from bbo.space.params import Int, bin_centre
from bbo.strategies.base import History
from bbo.trial import TrialState

Key = tuple[tuple[str, Any], ...]

FEASIBLE, VIOLATING, FAILED, PRUNED = 0, 1, 2, 3  # tier codes (stored in state_dict)
_RANK = {FEASIBLE: 0, VIOLATING: 1, PRUNED: 2, FAILED: 3}  # PRUNED ranks before FAILED


@dataclass(frozen=True)
class Outcome:
    """What the history knows about one configuration: ``tier`` (FEASIBLE, VIOLATING,
    PRUNED or FAILED) and ``value`` (the minimized objective, its last reported value for
    PRUNED, the total constraint violation ``sum max(slack, 0)`` for VIOLATING, 0 for
    FAILED)."""

    tier: int
    value: float

    @property
    def key(self) -> tuple[int, float]:
        """Sort key: lower is better."""
        return (_RANK[self.tier], self.value)

    def to_list(self) -> list[float]:
        return [self.tier, self.value]

    @classmethod
    def from_list(cls, v: list[float]) -> Outcome:
        return cls(int(v[0]), float(v[1]))


WORST = Outcome(FAILED, 0.0)


class Ledger:
    """Results and pending configurations of a history, keyed by :func:`params_key`
    (``cache`` keeps the keys of trial ids across asks).

    Several COMPLETED trials of one configuration average their values; a configuration
    without any is PRUNED (the best last value of its PRUNED trials) when it was pruned
    after a report, else FAILED when it has FAILED, INFEASIBLE or PRUNED trials. RUNNING
    trials, ABANDONED ones (the study retries them) and ``history.extra_pending`` are
    pending.
    """

    def __init__(
        self, history: History, strategy: str, cache: dict[int, Key] | None = None
    ) -> None:
        if len(history.objectives) != 1:
            names = [o.name for o in history.objectives]
            raise InvalidArgumentError(
                f"strategy {strategy!r} optimizes a single objective; this study has "
                f"objectives {names}: use 'gp', 'random' or 'sobol'"
            )
        keys = cache if cache is not None else {}  # trial id -> params_key (params never change)
        obj, cons = history.objectives[0], history.constraints
        self._sums: dict[Key, list[float]] = {}  # key -> [sum of y, sum of violation, count]
        self._failed: set[Key] = set()
        self._pruned: dict[Key, float] = {}  # key -> best last value of its PRUNED trials
        self._pending: set[Key] = {params_key(p) for p in history.extra_pending}
        for t in history.trials:  # one pass, no arrays: this runs on every ask
            key = keys.get(t.id)
            if key is None:
                key = keys[t.id] = params_key(t.params)
            if t.state == TrialState.COMPLETED:
                y = obj.sign * t.values[obj.name]
                v = sum(max(c.slack(t.values[c.metric]), 0.0) for c in cons) if cons else 0.0
                s = self._sums.get(key)
                if s is None:
                    self._sums[key] = [y, v, 1.0]
                else:
                    s[0], s[1], s[2] = s[0] + y, s[1] + v, s[2] + 1.0
            elif t.state == TrialState.PRUNED and t.value is not None:
                y = obj.sign * t.value
                self._pruned[key] = min(y, self._pruned.get(key, y))
            elif t.state in (TrialState.FAILED, TrialState.INFEASIBLE, TrialState.PRUNED):
                self._failed.add(key)
            else:  # RUNNING, or ABANDONED (the study retries it)
                self._pending.add(key)

    def outcome(self, key: Key) -> Outcome | None:
        """The result of a configuration, or ``None`` while it has none."""
        s = self._sums.get(key)
        if s is not None:
            y, viol, n = s
            return Outcome(VIOLATING, viol / n) if viol > 0 else Outcome(FEASIBLE, y / n)
        p = self._pruned.get(key)
        if p is not None:
            return Outcome(PRUNED, p)
        return WORST if key in self._failed else None

    def known(self, key: Key) -> bool:
        """True when the configuration has a result or is pending: asking it is useless."""
        return (
            key in self._sums or key in self._pruned or key in self._failed or key in self._pending
        )

    def add_pending(self, key: Key) -> None:
        self._pending.add(key)


class Lattice:
    """The discretization of the index view, computed analytically (an ``Int`` with a
    billion levels costs nothing): for the ``i``-th discrete column (Int, Ordinal,
    Categorical; ``dims[i]`` in the index view) with ``k[i]`` levels, the level of a value
    ``u``, the encoded centre of a level, and the threshold between levels ``j`` and
    ``j + 1`` where decoding changes (``(j + 1) / k`` for choices; ``t(low + j + 1/2)``
    rescaled for integers, exact for ``log=True`` too)."""

    def __init__(self, space: Space) -> None:
        dims = {**space.discrete_dims, **space.categorical_dims}
        self.dims = np.array(sorted(dims), dtype=int)
        self.k = [dims[j] for j in self.dims]
        # per column: None for a choice, else (low, log, t_lo, t_hi) of the Int
        self._int: list[tuple[int, bool, float, float] | None] = []
        for j in self.dims:
            p = space[space.names[j]]
            if isinstance(p, Int):
                lo, hi = p.edges()
                self._int.append((p.low, p.log, p.transform(lo), p.transform(hi)))
            else:
                self._int.append(None)

    def __len__(self) -> int:
        return len(self.dims)

    def _unit(self, i: int, offset: np.ndarray) -> np.ndarray:
        """Int column ``i``: the value ``low + offset`` (half-integers too) -> ``[0, 1]``."""
        spec = self._int[i]
        assert spec is not None, "an Int column"
        low, log, t_lo, t_hi = spec
        v = low + np.asarray(offset, dtype=float)
        t = np.log(v) if log else v
        return (t - t_lo) / (t_hi - t_lo)

    def level(self, i: int, u: np.ndarray) -> np.ndarray:
        """Level index (``0 .. k-1``) of values ``u`` of the ``i``-th discrete column (a value
        on a threshold goes to the lower level)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        k, spec = self.k[i], self._int[i]
        if spec is None:
            lev = np.ceil(u * k) - 1
        else:
            low, log, t_lo, t_hi = spec
            t = t_lo + u * (t_hi - t_lo)
            lev = np.ceil((np.exp(t) if log else t) - 0.5) - low
        return np.clip(lev, 0, k - 1).astype(int)

    def centre(self, i: int, levels: np.ndarray) -> np.ndarray:
        """Encoded value of ``levels`` of the ``i``-th discrete column."""
        levels = np.asarray(levels, dtype=float)
        if self._int[i] is None:
            return bin_centre(levels, self.k[i])
        return self._unit(i, levels)

    def threshold(self, i: int, j: int) -> float:
        """Where decoding of the ``i``-th discrete column changes from level ``j`` to
        ``j + 1`` (``0 <= j <= k - 2``)."""
        if self._int[i] is None:
            return (j + 1) / self.k[i]
        return float(self._unit(i, np.array(j + 0.5)))

    def snap(self, X: np.ndarray) -> np.ndarray:
        """``n x d`` -> a copy with every discrete column moved to its level's centre."""
        X = np.array(X, dtype=float, copy=True).reshape(-1, X.shape[-1])
        for i, j in enumerate(self.dims):
            X[:, j] = self.centre(i, self.level(i, X[:, j]))
        return X


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n x d`` Latin hypercube sample of ``[0, 1]^d``: each column hits every one of the
    ``n`` equal strata once, at a uniform position inside it."""
    strata = np.stack([rng.permutation(n) for _ in range(d)], axis=1)
    return (strata + rng.random((n, d))) / n


def de_candidates(
    X: np.ndarray,
    y: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    F: float = 0.7,
    CR: float = 0.9,
    p: float = 0.2,
) -> np.ndarray:
    """Mutations of the incumbents: ``n x d`` DE/current-to-pbest/1/bin trial vectors in
    ``[0, 1]^d`` from a history ``X`` (``N x d``) with lower-is-better ``y`` (``N``).

    For each candidate a base ``x_i`` is drawn from the best half, ``x_pbest`` from the best
    ``max(2, p N)``, ``x_r1, x_r2`` from all points, and
    ``v = x_i + F (x_pbest - x_i) + F (x_r1 - x_r2)``; binomial crossover keeps each
    coordinate of ``v`` with probability ``CR`` (one forced); coordinates leaving the cube
    are set half-way between ``x_i`` and the bound (JADE's repair): :func:`de_trial`'s
    vector, drawn for all candidates at once. Needs ``N >= 3``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1)
    N, d = X.shape
    if N < 3:
        raise InvalidArgumentError(f"de_candidates needs at least 3 points, got {N}")
    order = np.argsort(y, kind="stable")
    top = order[: max(2, int(np.ceil(p * N)))]
    half = order[: max(2, N // 2)]
    i, pbest = rng.choice(half, n), rng.choice(top, n)
    r1 = rng.integers(N - 1, size=n)
    r1 += r1 >= i  # uniform over the rows other than i
    low, high = np.minimum(i, r1), np.maximum(i, r1)
    r2 = rng.integers(N - 2, size=n)
    r2 += r2 >= low
    r2 += r2 >= high  # uniform over the rows other than i and r1
    cross = rng.random((n, d)) < CR
    cross[np.arange(n), rng.integers(d, size=n)] = True
    return _trial_vector(X[i], X[pbest], X[r1], X[r2], F, cross)


def de_trial(
    P: np.ndarray,
    i: int,
    pbest: int,
    F: float,
    CR: float,
    rng: np.random.Generator,
    active: np.ndarray | None = None,
) -> np.ndarray:
    """One DE/current-to-pbest/1/bin trial vector for target ``P[i]`` (``P``: ``N x d``).
    ``active``: the columns the crossover may force (the target's active ones on a
    conditional space, so the forced change is one that shows); default all."""
    N, d = P.shape
    others = [j for j in range(N) if j != i]
    r1, r2 = rng.choice(others, size=2, replace=False)
    cross: np.ndarray = np.asarray(rng.random(d) < CR)
    cols = np.arange(d) if active is None or not len(active) else active
    cross[cols[rng.integers(len(cols))]] = True
    return _trial_vector(P[i], P[pbest], P[r1], P[r2], F, cross)


def keep_inactive(space: Space, u: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """``u`` (``d``) with every column inactive at ``u`` (:mod:`bbo.space.conditions`)
    copied from ``parent``: a child changes only the coordinates it expresses, and a
    coordinate a lineage does not express keeps the value it last had (no drift in
    dimensions that do not matter; the configuration ``u`` decodes to is unchanged, as
    a parent that is inactive leaves its children inactive whatever its value)."""
    if not space.conditions:
        return u
    on = space.conditions.active_mask(np.asarray(u, dtype=float)[None, :])[0]
    return np.where(on, u, parent)


def active_columns(space: Space, u: np.ndarray) -> np.ndarray | None:
    """Indices of the columns active at ``u`` (``None`` on a space without conditions)."""
    if not space.conditions:
        return None
    return np.flatnonzero(space.conditions.active_mask(np.asarray(u, dtype=float)[None, :])[0])


def _trial_vector(
    x: np.ndarray,
    pbest: np.ndarray,
    r1: np.ndarray,
    r2: np.ndarray,
    F: float,
    cross: np.ndarray,
) -> np.ndarray:
    """DE/current-to-pbest/1 with binomial crossover and JADE's repair, for targets ``x``
    (``d`` or ``n x d``, as the other rows and the boolean crossover mask ``cross``):
    ``v = x + F (pbest - x) + F (r1 - r2)``, kept where ``cross``; a coordinate leaving
    ``[0, 1]`` is set half-way between ``x`` and the bound."""
    u = np.where(cross, x + F * (pbest - x) + F * (r1 - r2), x)
    return np.where(u < 0.0, x / 2.0, np.where(u > 1.0, (x + 1.0) / 2.0, u))


def as_floats(a: np.ndarray) -> list[Any]:
    """A numpy array as nested lists of Python floats (JSON-ready, exact round trip)."""
    out: list[Any] = np.asarray(a, dtype=float).tolist()
    return out
