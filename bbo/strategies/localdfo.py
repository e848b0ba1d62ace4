"""A local derivative-free optimizer (COBYLA or COBYQA) as an ask/tell source of ``auto``.

Powell's model-based methods beat a GP with one lengthscale per column on smooth,
ill-conditioned or rotated problems at small budgets (Rosenbrock, BBOB's attractive sector
f6): COBYLA interpolates a linear model on a simplex of ``d + 1`` points inside a trust
region of radius ``rho``, COBYQA a quadratic one, and both shrink ``rho`` as they converge.
Scipy runs them as a blocking loop ``minimize(f, x0)``; here they are turned into ask/tell
by **deterministic replay**:

* A *run* ``r`` starts at ``x0`` (``d``, the encoded incumbent in ``[0, 1]^d``) with initial
  radius ``rho_r = max(rho_min, rho_0 * shrink^r)``. Its suggestions carry the source name
  (``"cobyla"``) and ``info["dfo"] = {"run": r, "call": k}``, the first also ``"x0"`` and
  ``"rho"``: the trials themselves hold everything a stateless process needs.
* Each ask runs scipy again from ``x0``. The objective it is given answers the ``k``-th call
  with the value of the run's trial tagged ``call == k`` (matched by order, never by float
  equality of decoded params), or, when there is none, with the value of a completed trial
  at the requested point (``||x - z||_inf <= 1e-9`` in the encoded box: ``x0`` itself, a
  point clipped onto a bound twice). The first call past the recorded ones raises
  :class:`Propose` carrying ``z`` (clipped to ``[0, 1]^d``, since COBYLA treats the bounds
  as constraints that its first simplex may cross), which becomes the suggestion.
* The run's last trial still RUNNING: no proposal (the GP answers). A FAILED, INFEASIBLE
  or value-less trial ends the run, as does scipy returning (converged: ``rho <=
  rho_end``, or ``max_calls`` calls); the next local ask starts run ``r + 1`` at the
  incumbent of that moment.

The values fed to scipy are ``auto``'s minimize-oriented ranked values of the first
objective. Which asks are the local method's (:meth:`LocalDFO.suggest`):

* none before ``START_AFTER * d`` trials: the GP's asks come first, so that the first run
  starts in the basin they found rather than at the best point of the initial design;
* the first run's first ask, and every ask while the current run is still placing its
  set-up points (:func:`setup_calls`; their source is ``"cobyla:init"``, outside the
  bandit): a run is worth nothing until its first model step;
* an ask right after a step of the run that improved on the run's own best (a streak);
* otherwise a Thompson draw (:func:`choose_local`) between ``"gp"`` and ``"dfo"`` over
  their wins (trials that improved the best value so far, counted by ``auto``'s
  :func:`~bbo.strategies.pools.source_stats` with :func:`dfo_group`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bbo.space import Space
from bbo.strategies.base import History, Suggestion
from bbo.trial import Trial, TrialState

DFO_METHODS = ("cobyqa", "cobyla")
RHO_0 = 0.2  # initial radius of run 0, of the encoded box's side
RHO_SHRINK = 0.5  # run r starts with rho_0 * shrink^r ...
RHO_MIN = 0.02  # ... but never below this
RHO_END = 1e-5  # the radius at which a run has converged
START_AFTER = 3  # the first run starts at the incumbent after START_AFTER * d trials
STREAK = True  # a run whose last step improved on its own best keeps the next ask
SAME_POINT = 1e-9  # max-norm distance (encoded) at which a completed trial answers a call


def _rows_at(X: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``X`` (``N x d``, encoded) within :data:`SAME_POINT`
    (max-norm) of ``z`` (``d``): the completed trials at that point."""
    return np.flatnonzero(np.abs(X - z).max(1) <= SAME_POINT)


class Propose(Exception):
    """Raised by the replayed objective at the first call without a recorded value."""

    def __init__(self, call: int, z: np.ndarray) -> None:
        super().__init__(call)
        self.call, self.z = call, z


class _Blocked(Exception):
    """The run's trial for this call is still pending."""


class _Ended(Exception):
    """The run's trial for this call failed or has no value: the run is over."""


@dataclass(frozen=True)
class Run:
    """A run's identity: index ``run``, start ``x0`` (``d``, encoded) and radius ``rho``;
    ``trials`` maps the call index to the run's trial (every state)."""

    run: int
    x0: np.ndarray
    rho: float
    trials: dict[int, Trial]


def setup_calls(method: str, d: int) -> int:
    """Calls before a run's first model step: COBYLA's simplex ``x0 + rho e_i`` (``d + 1``
    points), COBYQA's interpolation set ``x0 +- rho e_i`` (``2d + 1``)."""
    return d + 1 if method == "cobyla" else 2 * d + 1


def dfo_group(source: str) -> str | None:
    """The bandit arm of a trial's ``source``: ``"dfo"`` for :data:`DFO_METHODS` (model
    steps), ``"gp"`` for any GP proposal (``"gp:LogEI"``, ``"de>gp:LogEI"``,
    ``"explore>gp:TS"``), None otherwise (Sobol', a run's set-up points ``"cobyla:init"``,
    fallbacks, enqueued points)."""
    if source in DFO_METHODS:
        return "dfo"
    return "gp" if "gp:" in source else None


def choose_local(stats: Mapping[str, tuple[int, int]], rng: np.random.Generator) -> bool:
    """Thompson sampling over the arms ``"gp"`` and ``"dfo"`` (``stats``: arm -> (wins,
    trials)): ``p_a ~ Beta(1 + wins_a, 1 + trials_a - wins_a)``; True when ``p_dfo >
    p_gp``."""
    p = {}
    for arm in ("gp", "dfo"):
        w, n = stats.get(arm, (0, 0))
        p[arm] = rng.beta(1 + w, 1 + n - w)
    return bool(p["dfo"] > p["gp"])


def replay(method: str, run: Run, value: Any, max_calls: int) -> np.ndarray | None:
    """Run scipy's ``method`` from ``run.x0`` (``d``) with ``rhobeg = run.rho`` on the box
    ``[0, 1]^d``, its objective ``value(k, z) -> float`` for the ``k``-th call at ``z``
    (``d``); ``value`` raises :class:`Propose`, ``_Blocked`` or ``_Ended`` to stop the run
    where the history does. Returns None when scipy returned (the run is over)."""
    from scipy.optimize import Bounds, minimize

    calls = 0

    def f(z: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        return float(value(calls - 1, np.asarray(z, dtype=float)))

    d = len(run.x0)
    bounds = Bounds(np.zeros(d), np.ones(d))
    if method == "cobyla":
        options: dict[str, Any] = {"rhobeg": run.rho, "maxiter": max_calls, "tol": RHO_END}
    else:
        options = {
            "initial_tr_radius": run.rho,
            "final_tr_radius": RHO_END,
            "maxfev": max_calls,
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        minimize(f, run.x0.copy(), method=method.upper(), bounds=bounds, options=options)
    return None


class LocalDFO:
    """The local source of ``auto`` (see the module docstring) for a ``space`` of Float
    parameters: ``method`` one of :data:`DFO_METHODS`."""

    def __init__(self, space: Space, method: str, seed: int) -> None:
        self.space, self.method, self.seed = space, method, int(seed)
        self.max_calls = 50 * (space.dim + 1)
        self.setup = setup_calls(method, space.dim)

    def suggest(
        self, history: History, stats: Mapping[str, tuple[int, int]], values: np.ndarray
    ) -> Suggestion | None:
        """The local method's suggestion for this single-point ask, or None (the GP's ask):
        when the Thompson draw (:func:`choose_local` over ``stats``, seeded by the seed and
        ``history.n_seen``) picks the GP, when the current run waits on a pending trial, or
        when this ask already had a suggestion skipped. ``values`` (``n``) are the
        minimize-oriented values of ``history.completed``."""
        if history.skipped or history.extra_pending or not len(values):
            return None
        run = self.current_run(history)
        if run is None and history.n_seen < START_AFTER * self.space.dim:
            return None  # the GP's asks first: a run starts in the basin they found
        rng = np.random.default_rng([self.seed, history.n_seen, 13])
        keep = run is None or max(run.trials) + 1 < self.setup
        if STREAK and run is not None and not keep:
            keep = self._streak(history, run, values)
        if not (keep or choose_local(stats, rng)):
            return None
        return self._propose(history, values, run)

    def propose(self, history: History, values: np.ndarray) -> Suggestion | None:
        """The next point of the current run, or of a new run when it is over (None while
        the run waits on a pending trial)."""
        return self._propose(history, values, self.current_run(history))

    def _propose(self, history: History, values: np.ndarray, run: Run | None) -> Suggestion | None:
        """:meth:`propose`, given the current run (:meth:`current_run` of ``history``)."""
        by_id = {t.id: float(v) for t, v in zip(history.completed, values)}
        X = history.X
        if run is not None:
            try:
                replay(self.method, run, self._value(run, by_id, history, X), self.max_calls)
            except Propose as p:
                return self._suggestion(run, p, first=not run.trials)
            except _Blocked:
                return None
            except _Ended:
                pass
        # a new run at the incumbent
        r = 0 if run is None else run.run + 1
        rho = max(RHO_MIN, RHO_0 * RHO_SHRINK**r)
        new = Run(r, X[int(np.argmin(values))].copy(), rho, {})
        try:
            replay(self.method, new, self._value(new, by_id, history, X), self.max_calls)
        except Propose as p:
            return self._suggestion(new, p, first=True)
        except (_Blocked, _Ended):
            return None
        return None  # converged without a new point: nothing to propose

    def _streak(self, history: History, run: Run, values: np.ndarray) -> bool:
        """True when the latest trial of the study is this run's and improved on the
        run's earlier points (and its start): a run on a streak keeps the asks."""
        last = max(history.trials, key=lambda t: t.id)
        mine = sorted(run.trials.values(), key=lambda t: t.id)
        if last is not mine[-1]:
            return False
        by_id = {t.id: float(v) for t, v in zip(history.completed, values)}
        if last.id not in by_id:
            return False
        near = _rows_at(history.X, run.x0)
        before = [by_id[t.id] for t in mine[:-1] if t.id in by_id]
        before += [float(values[i]) for i in near[:1]]
        return bool(before) and by_id[last.id] < min(before)

    def current_run(self, history: History) -> Run | None:
        """The run of highest index among the trials of this source, with its start (the
        ``x0`` and ``rho`` of its first trial); None before the first."""
        names = (self.method, f"{self.method}:init")
        mine = [t for t in history.trials if t.attrs.get("source") in names]
        tags = [(t, t.attrs.get("dfo")) for t in mine]
        tagged = [(t, tag) for t, tag in tags if isinstance(tag, Mapping) and "run" in tag]
        if not tagged:
            return None
        r = max(int(tag["run"]) for _, tag in tagged)
        own = sorted(((t, tag) for t, tag in tagged if int(tag["run"]) == r), key=lambda p: p[0].id)
        first = own[0][1]
        x0 = np.asarray(first["x0"], dtype=float)
        return Run(r, x0, float(first["rho"]), {int(tag["call"]): t for t, tag in own})

    def _value(self, run: Run, by_id: dict[int, float], history: History, X: np.ndarray) -> Any:
        """The replayed objective of ``run`` (see the module docstring)."""
        ids = [t.id for t in history.completed]

        def value(k: int, z: np.ndarray) -> float:
            t = run.trials.get(k)
            if t is not None:
                if t.state == TrialState.RUNNING:
                    raise _Blocked
                if t.id not in by_id:
                    raise _Ended
                return by_id[t.id]
            if len(X):  # a completed trial at that very point answers for it
                near = _rows_at(X, np.clip(z, 0, 1))
                if len(near):
                    return by_id[ids[int(near[0])]]
            raise Propose(k, np.clip(z, 0.0, 1.0))

        return value

    def _suggestion(self, run: Run, p: Propose, first: bool) -> Suggestion:
        info: dict[str, Any] = {"run": run.run, "call": p.call}
        if first:
            info.update(x0=[float(v) for v in run.x0], rho=run.rho)
        source = self.method if p.call >= self.setup else f"{self.method}:init"
        return Suggestion(self.space.decode(p.z), source, {"dfo": info})
