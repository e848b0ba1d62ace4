"""CMA-ES with IPOP restarts and margin for discrete columns (strategy ``cmaes``).

A compact numpy CMA-ES after Hansen's tutorial ("The CMA Evolution Strategy: A Tutorial",
2016) and pycma's ``purecma``, on the index view ``[0, 1]^d`` of the space, with

* **margin** (Hamano et al., "CMA-ES with Margin", GECCO 2022) for Int, Ordinal and
  Categorical columns: a point is evaluated at ``m + A (x - m)`` snapped to the level of
  its bin, and after each update the mean and the diagonal scaling ``A`` are corrected so
  that the marginal probability of leaving the mean's level stays at least ``alpha`` on each
  side (default ``alpha = 1 / (d lambda)``) -- the search never freezes a discrete column;
* **IPOP restarts** (Auger & Hansen 2005): when a run converges (tolfun, tolx, condition,
  no-effect axis, sigma blow-up, or three generations that produced no new configuration or
  only failures), a new run starts from a uniform random mean with twice the population;
* **ask/tell in any order**: the ``k``-th member of generation ``g`` of run ``r`` is drawn
  from a generator seeded by ``(seed, r, g, k)``, so ``ask(n)`` returns a slice of the
  population and sequential asks give the same points. The generation is updated as soon as
  ``lambda`` of its members have a result (FAILED/INFEASIBLE ranked worst; the first
  ``lambda`` finished members in draw order are used). An ask beyond the ``lambda`` members
  (a batch larger than the rest of the population, or workers waiting on stragglers) draws
  further members of the same distribution; members finished after the update are late and
  only count for ``study.best``.

On a **conditional space** (:mod:`bbo.space.conditions`) the distribution stays over the
whole vector, but a member's coordinates inactive in its configuration are set to the
mean's before they are stored: they were drawn, not expressed, so they must not move the
mean, the paths or the covariance (kept as drawn, selection-blind noise would random-walk
the mean in a dimension that does not matter, and a fixed imputation value would pull it
towards the centre). A dimension the selected members do not express keeps its mean, and
its variance decays by at most the fraction ``c1 + cmu`` a generation (the update's
forgetting): the search narrows there slowly instead of drifting.

The whole state (run, generation, mean, covariance, paths, step size, margin scaling,
members drawn) is JSON in ``state_dict()``: a reopened study continues the same run.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from bbo.space import Space, params_key
from bbo.space.prior import space_prior
from bbo.strategies.base import History, Suggestion, strategy_options
from bbo.strategies.evolution import FAILED, Lattice, Ledger, Outcome, as_floats
from bbo.strategies.options import (
    Options,
    check_choice,
    check_int,
    check_number,
    option_error,
)

if TYPE_CHECKING:
    import torch

_N = NormalDist()
_MAX_RESAMPLE = 100  # draws per member before clipping to the cube
_MAX_IPOP = 9  # population doubles at most this many times
_IDLE_GENERATIONS = 3  # generations without a new configuration (or only failures) -> restart
_TOLFUN, _TOLX, _MAXCOND = 1e-12, 1e-11, 1e14


class CMA:
    """One CMA-ES run: the search distribution ``N(m, sigma^2 C)`` (``d``-vectors ``mean``,
    ``pc``, ``ps``, ``A``; ``d x d`` matrix ``C``) and its strategy constants for ``lam``."""

    def __init__(self, mean: np.ndarray, sigma: float, lam: int) -> None:
        d = len(mean)
        self.mean = np.array(mean, dtype=float)
        self.sigma = float(sigma)
        self.C = np.eye(d)
        self.pc, self.ps = np.zeros(d), np.zeros(d)
        self.A = np.ones(d)  # margin scaling of discrete columns
        self._eig: tuple[np.ndarray, np.ndarray] | None = None
        self.gen = 0
        self.lam = int(lam)
        # -- constants (Hansen 2016, table 1) --
        self.mu = self.lam // 2
        w = math.log((self.lam + 1) / 2) - np.log(np.arange(1, self.mu + 1))
        self.weights = w / w.sum()
        self.mueff = 1.0 / float(np.sum(self.weights**2))
        me = self.mueff
        self.cc = (4 + me / d) / (d + 4 + 2 * me / d)
        self.cs = (me + 2) / (d + me + 5)
        self.c1 = 2 / ((d + 1.3) ** 2 + me)
        self.cmu = min(1 - self.c1, 2 * (me - 2 + 1 / me) / ((d + 2) ** 2 + me))
        self.damps = 1 + 2 * max(0.0, math.sqrt((me - 1) / (d + 1)) - 1) + self.cs
        self.chiN = math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d**2))

    @property
    def dim(self) -> int:
        return len(self.mean)

    def eigen(self) -> tuple[np.ndarray, np.ndarray]:
        """``C = B diag(D^2) B^T``: eigenvectors ``B`` (``d x d``), axis lengths ``D``
        (cached; :meth:`tell` and :meth:`from_dict` reset the cache)."""
        if self._eig is None:
            ev, B = np.linalg.eigh(self.C)
            self._eig = B, np.sqrt(np.maximum(ev, 1e-300))
        return self._eig

    # -- sample ---------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, continuous: np.ndarray) -> np.ndarray:
        """One raw point ``x = m + sigma B D z``, ``z ~ N(0, I)``, redrawn until its
        ``continuous`` columns lie in ``[0, 1]`` (clipped after 100 draws)."""
        B, D = self.eigen()
        for _ in range(_MAX_RESAMPLE):
            x = self.mean + self.sigma * B @ (D * rng.standard_normal(self.dim))
            if np.all((x[continuous] >= 0.0) & (x[continuous] <= 1.0)):
                return x
        x[continuous] = np.clip(x[continuous], 0.0, 1.0)
        return x

    def to_eval(self, x: np.ndarray, lattice: Lattice) -> np.ndarray:
        """The point evaluated for raw ``x`` (``d`` or ``n x d``): discrete columns
        ``m + A (x - m)`` snapped to their level's centre; continuous columns as drawn."""
        X = np.array(x, dtype=float, ndmin=2)
        j = lattice.dims
        X[:, j] = self.mean[j] + self.A[j] * (X[:, j] - self.mean[j])
        U = np.clip(lattice.snap(X), 0.0, 1.0)
        return U.reshape(np.shape(x))

    # -- update ---------------------------------------------------------------------------------
    def tell(self, ranked: np.ndarray) -> None:
        """Update from ``lam`` raw points ranked best first (``lam x d``)."""
        d = self.dim
        B, D = self.eigen()
        # selection and recombination: m <- m + sigma y_w, y_w = sum w_i (x_i:lam - m) / sigma
        Y = (ranked[: self.mu] - self.mean) / self.sigma
        yw = self.weights @ Y
        self.mean = self.mean + self.sigma * yw
        # step-size path: ps <- (1 - cs) ps + sqrt(cs (2 - cs) mueff) C^-1/2 y_w
        c_inv_sqrt_yw = B @ ((B.T @ yw) / D)
        self.ps = (1 - self.cs) * self.ps + math.sqrt(
            self.cs * (2 - self.cs) * self.mueff
        ) * c_inv_sqrt_yw
        # hsig stalls pc when ||ps|| is large (sigma about to grow)
        norm_ps = float(np.linalg.norm(self.ps))
        hsig = norm_ps / math.sqrt(1 - (1 - self.cs) ** (2 * (self.gen + 1))) / self.chiN < (
            1.4 + 2 / (d + 1)
        )
        # covariance path: pc <- (1 - cc) pc + hsig sqrt(cc (2 - cc) mueff) y_w
        self.pc = (1 - self.cc) * self.pc + hsig * math.sqrt(
            self.cc * (2 - self.cc) * self.mueff
        ) * yw
        # C <- (1 - c1 - cmu) C + c1 (pc pc^T + (1 - hsig) cc (2 - cc) C) + cmu sum w_i y_i y_i^T
        rank_one = np.outer(self.pc, self.pc) + (1 - hsig) * self.cc * (2 - self.cc) * self.C
        rank_mu = (Y * self.weights[:, None]).T @ Y
        self.C = (1 - self.c1 - self.cmu) * self.C + self.c1 * rank_one + self.cmu * rank_mu
        self.C = (self.C + self.C.T) / 2
        self._eig = None
        # step size: sigma <- sigma exp(min(1, (cs / damps) (||ps|| / chiN - 1)))
        self.sigma *= math.exp(min(1.0, (self.cs / self.damps) * (norm_ps / self.chiN - 1)))
        self.gen += 1

    def margin(self, lattice: Lattice, alpha: float) -> None:
        """Hamano et al.'s margin correction of ``mean`` and ``A`` on the discrete columns:
        with ``s_j = sigma A_j sqrt(C_jj)`` the marginal ``N(m_j, s_j^2)`` keeps probability
        ``>= alpha / 2`` below and above the thresholds around the mean's level (edge levels:
        the mean is moved so that ``P(leave) = alpha``)."""
        for i, j in enumerate(lattice.dims):
            last = lattice.k[i] - 2  # index of the last threshold
            m, cjj = float(self.mean[j]), math.sqrt(float(self.C[j, j]))
            lev = int(lattice.level(i, np.array([m]))[0])
            lo = lattice.threshold(i, min(max(lev - 1, 0), last))
            up = lattice.threshold(i, min(max(lev, 0), last))
            s = self.sigma * self.A[j] * cjj
            p_lo, p_up = _N.cdf((lo - m) / s), 1.0 - _N.cdf((up - m) / s)
            p_mid = 1.0 - p_lo - p_up
            if max(p_lo, p_up) > 0.5:  # edge level: move the mean towards the threshold
                if min(p_lo, p_up) < alpha:
                    dist = self.sigma * self.A[j] * cjj * _N.inv_cdf(1 - alpha)
                    self.mean[j] = up + math.copysign(dist, m - up) if m != up else up - dist
                continue
            p_lo, p_up = max(p_lo, alpha / 2), max(p_up, alpha / 2)
            excess = (1.0 - p_lo - p_up - p_mid) / (p_lo + p_mid + p_up - 1.5 * alpha)
            q_lo = min(max(p_lo + excess * (p_lo - alpha / 2), 1e-10), 0.5 - 1e-10)
            q_up = min(max(p_up + excess * (p_up - alpha / 2), 1e-10), 0.5 - 1e-10)
            z_lo, z_up = _N.inv_cdf(1 - q_lo), _N.inv_cdf(1 - q_up)
            self.A[j] = (up - lo) / ((z_lo + z_up) * self.sigma * cjj)
            self.mean[j] = (lo * z_up + up * z_lo) / (z_lo + z_up)

    def converged(self, continuous: np.ndarray, sigma0: float) -> str | None:
        """The IPOP stop criterion that holds, or ``None``."""
        B, D = self.eigen()
        if D.max() ** 2 > _MAXCOND * D.min() ** 2:
            return "conditioncov"
        scale = self.sigma * np.sqrt(np.diag(self.C))
        if len(continuous) and np.all(scale[continuous] < _TOLX):
            return "tolx"
        if self.sigma * D.max() > 1e4 * sigma0:
            return "tolupsigma"
        i = self.gen % self.dim
        if np.all(self.mean == self.mean + 0.1 * self.sigma * D[i] * B[:, i]):
            return "noeffectaxis"
        return None

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": as_floats(self.mean),
            "sigma": self.sigma,
            "C": as_floats(self.C),
            "pc": as_floats(self.pc),
            "ps": as_floats(self.ps),
            "A": as_floats(self.A),
            "gen": self.gen,
            "lam": self.lam,
        }

    @classmethod
    def from_dict(cls, s: dict[str, Any]) -> CMA:
        cma = cls(np.asarray(s["mean"], dtype=float), s["sigma"], s["lam"])
        cma.C = np.asarray(s["C"], dtype=float)
        cma._eig = None
        cma.pc, cma.ps = np.asarray(s["pc"], dtype=float), np.asarray(s["ps"], dtype=float)
        cma.A = np.asarray(s["A"], dtype=float)
        cma.gen = int(s["gen"])
        return cma


@dataclass(frozen=True)
class CMAESOptions(Options):
    """Options of ``cmaes``: ``sigma0`` (initial step size in the unit cube, in ``(0, 1]``,
    default 0.2), ``popsize`` (initial ``lambda``, an integer ``>= 2``, default
    ``4 + floor(3 ln d)``), ``margin`` (``alpha`` of the margin correction, in
    ``(0, 0.5)``, default ``1 / (d lambda)``), ``restarts`` (``"ipop"`` or ``"none"``)."""

    strategy = "cmaes"

    sigma0: float = 0.2
    popsize: int | None = None
    margin: float | None = None
    restarts: str = "ipop"

    def __post_init__(self) -> None:
        s = self.strategy
        check_number(s, "sigma0", self.sigma0, 0.0, 1.0, open_low=True)
        if self.popsize is not None:
            check_int(s, "popsize", self.popsize, 2)
        if self.margin is not None:
            m = self.margin
            if not (isinstance(m, (int, float)) and not isinstance(m, bool) and 0 < m < 0.5):
                raise option_error(s, "margin", "must be a number in (0, 0.5)", m)
        check_choice(s, "restarts", self.restarts, ("ipop", "none"))


class CMAESStrategy:
    """Strategy ``cmaes`` with :class:`CMAESOptions` (``sigma0``, ``popsize``, ``margin``,
    ``restarts``). ``device`` is accepted and unused: the run is numpy on the CPU."""

    name = "cmaes"
    Options = CMAESOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: CMAESOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = o = strategy_options(CMAESOptions, options, kwargs)
        self.space = space
        self.seed = int(seed) % 2**63
        self.sigma0 = float(o.sigma0)
        self.popsize = o.popsize or 4 + int(3 * math.log(space.dim))
        self.margin_alpha = o.margin
        self.restarts = o.restarts
        self.lattice = Lattice(space)
        self.continuous = np.setdiff1d(np.arange(space.dim), self.lattice.dims)
        self._state: dict[str, Any] = {}
        self._keys: dict[int, Any] = {}
        self._cache: CMA | None = None
        self._outcomes: list[Outcome | None] = []  # results of the members, during a call

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return self._state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._state = json.loads(json.dumps(state))  # a private copy
        self._cache = None

    # -- suggest ----------------------------------------------------------------------------------
    def suggest(self, n: int, history: History) -> list[Suggestion]:
        """The next ``n`` new members of the population (fewer when the distribution keeps
        drawing configurations the history already holds; the study then fills in)."""
        ledger = self._sync(history)
        out: list[Suggestion] = []
        for _ in range(20 * n + 5 * self._state["cma"]["lam"]):
            if len(out) == n:
                break
            self._advance(ledger)
            x, params = self._draw()
            key = params_key(params)
            st = self._state
            member = {"x": as_floats(x), "params": params, "new": not ledger.known(key)}
            st["members"].append(member)
            self._outcomes.append(ledger.outcome(key))
            if member["new"]:
                ledger.add_pending(key)
                info = {"cmaes": {"run": st["run"], "gen": st["cma"]["gen"]}}
                out.append(Suggestion(params, self.name, info))
        return out

    def candidates(self, n: int, history: History) -> np.ndarray:
        """``n x d`` points in ``[0, 1]^d`` drawn from the current search distribution (after
        the update the history allows), for a portfolio to score; the state is unchanged."""
        saved, cache = copy.deepcopy(self._state), self._cache
        try:
            self._advance(self._sync(history))
            cma = self._cma()
            rng = np.random.default_rng([self.seed, history.n_seen, 99])
            return np.stack(
                [cma.to_eval(cma.sample(rng, self.continuous), self.lattice) for _ in range(n)]
            )
        finally:
            self._state, self._cache = saved, cache

    # -- internals --------------------------------------------------------------------------------
    def _sync(self, history: History) -> Ledger:
        """Start the first run if needed; look up the results of the members drawn so far
        (``_outcomes`` stays aligned with ``members`` during the call)."""
        ledger = Ledger(history, self.name, self._keys)
        if not self._state:
            self._state = self._new_run(0, self._start(history))
        self._outcomes = [ledger.outcome(params_key(m["params"])) for m in self._state["members"]]
        return ledger

    def _start(self, history: History) -> np.ndarray:
        """First mean: the best completed point if the study has one (feasible first; a
        warm start from added trials, or the incumbent when a portfolio hands over), else
        the mode of the parameters' priors if they have some, else the centre of the cube."""
        if len(history.completed):
            violation = np.maximum(history.C, 0.0).sum(1)
            best = np.lexsort((history.Y[:, 0], violation))[0]
            return history.X[int(best)]
        prior = space_prior(self.space)  # the parameters' priors (bbo.space.prior)
        return prior.mode() if prior is not None else np.full(self.space.dim, 0.5)

    def _new_run(self, run: int, mean: np.ndarray) -> dict[str, Any]:
        lam = self.popsize * 2 ** min(run, _MAX_IPOP)
        card = self.space.cardinality
        if card is not None:  # a population larger than a finite space is pointless
            lam = max(self.popsize, min(lam, card))
        return {
            "run": run,
            "cma": CMA(mean, self.sigma0, lam).to_dict(),
            "members": [],
            "best": [],  # best value of each generation of this run (tolfun)
            "idle": 0,  # consecutive generations with no new configuration or no success
            "stop": [],  # stop reasons of the finished runs
        }

    def _cma(self) -> CMA:
        """The current run's distribution (cached until the state changes)."""
        if self._cache is None:
            self._cache = CMA.from_dict(self._state["cma"])
        return self._cache

    def _draw(self) -> tuple[np.ndarray, dict[str, Any]]:
        st = self._state
        cma = self._cma()
        rng = np.random.default_rng([self.seed, st["run"], cma.gen, len(st["members"])])
        x = cma.sample(rng, self.continuous)
        u = cma.to_eval(x, self.lattice)
        params = self.space.decode(u)
        if self.space.conditions:  # an inactive coordinate of x is the mean's: no step
            x = np.where(self.space.conditions.active_mask(u[None, :])[0], x, cma.mean)
        if self.space.constraints:  # repaired, the sample x kept (as the box's to_eval)
            params = self.space.repair(params) or params
        return x, params

    def _advance(self, ledger: Ledger) -> None:
        """Update (and restart) while the current generation has ``lambda`` results."""
        while True:
            st = self._state
            lam = st["cma"]["lam"]
            if len(self._outcomes) - self._outcomes.count(None) < lam:
                return
            done = [(o, k) for k, o in enumerate(self._outcomes) if o is not None]
            cma = CMA.from_dict(st["cma"])
            self._cache = None
            done = sorted(done[: cma.lam], key=lambda ok: (ok[0].key, ok[1]))
            members = st["members"]
            fresh = any(members[k]["new"] for _, k in done)
            informative = done[0][0].tier != FAILED
            reason = None
            if informative:
                cma.tell(np.array([members[k]["x"] for _, k in done]))
                if len(self.lattice):
                    alpha = self.margin_alpha or 1.0 / (cma.dim * cma.lam)
                    cma.margin(self.lattice, alpha)
                reason = cma.converged(self.continuous, self.sigma0)
                reason = reason or self._flat(st, [o for o, _ in done], cma)
            else:
                cma.gen += 1
            st["idle"] = 0 if fresh and informative else st["idle"] + 1
            if st["idle"] >= _IDLE_GENERATIONS:
                reason = "idle"
            st["cma"], st["members"], self._outcomes = cma.to_dict(), [], []
            if reason is not None and self.restarts == "ipop":
                run = st["run"] + 1
                rng = np.random.default_rng([self.seed, run, 2**32])
                stops = [*st["stop"], reason]
                self._state = self._new_run(run, rng.random(self.space.dim))
                self._state["stop"] = stops

    def _flat(self, st: dict[str, Any], outcomes: list[Outcome], cma: CMA) -> str | None:
        """tolfun: the values of this generation and the best values of the last
        ``10 + 30 d / lambda`` generations lie within ``1e-12`` of each other."""
        values = [o.value for o in outcomes if o.tier == outcomes[0].tier]
        keep = 10 + math.ceil(30 * cma.dim / cma.lam)
        st["best"] = [*st["best"], values[0]][-keep:]
        if len(st["best"]) < keep:
            return None
        span = max(*values, *st["best"]) - min(*values, *st["best"])
        return "tolfun" if span < _TOLFUN else None
