"""Differential evolution with JADE's parameter adaptation (strategy ``de``).

JADE (Zhang & Sanderson, "JADE: Adaptive Differential Evolution With Optional External
Archive", IEEE TEC 2009), without the archive, on the index view ``[0, 1]^d``:

* **Initial population**: ``NP`` points of a seeded Latin hypercube.
* **Trial vectors** (DE/current-to-pbest/1/bin), one per target ``x_i``:
  ``v = x_i + F (x_pbest - x_i) + F (x_r1 - x_r2)`` with ``x_pbest`` one of the best
  ``max(2, p NP)`` targets, binomial crossover with rate ``CR`` (one coordinate forced),
  coordinates leaving the cube set half-way between ``x_i`` and the bound. Per trial,
  ``F ~ Cauchy(mu_F, 0.1)`` (redrawn while ``<= 0``, capped at 1) and
  ``CR ~ N(mu_CR, 0.1)`` clipped to ``[0, 1]``.
* **Selection**: a trial replaces its target when it ranks no worse (FAILED and INFEASIBLE
  trials rank worst, see :mod:`bbo.strategies.evolution`); the ``F`` and ``CR`` of the
  successful trials move ``mu_F`` (Lehmer mean) and ``mu_CR`` (mean) with rate ``c = 0.1``.
* **Mixed spaces**: discrete columns (Int, Ordinal, Categorical) of every trial vector are
  snapped to the centre of their level's bin, so the population holds exactly the evaluated
  configurations; the difference of two levels then moves a point by whole levels, and
  crossover copies a categorical choice from the mutant or keeps the target's. A trial whose
  configuration is already in the history is redrawn (5 tries) and otherwise reuses the
  known result.
* **Conditional spaces** (:mod:`bbo.space.conditions`): a trial vector changes only the
  coordinates active in its configuration; every inactive one keeps the target's value
  (:func:`~bbo.strategies.evolution.keep_inactive`), so a coordinate a lineage does not
  express neither drifts nor takes random steps, and resumes where it was when a parent
  switches it back on. The crossover's forced coordinate is one active in the target.
* **Restarts**: when the population has collapsed (every continuous column spread below
  ``1e-9``) or three generations brought no new configuration, a new Latin hypercube
  population starts, keeping the best target.

Asynchronous generations: the ``k``-th draw of run ``r`` (a trial vector for target
``k mod NP``) uses a generator seeded by ``(seed, r, k)``, so ``ask(n)`` of any size gives
the same points as ``n`` single asks. Selection runs each time ``NP`` drawn trials have
results, in any order; trials still running then stay pending and compete with their target
when their result comes (no evaluation is wasted when asks do not match ``NP``). The
population, ``mu_F``, ``mu_CR`` and the pending trials are JSON in ``state_dict()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bbo.space import Space, params_key
from bbo.strategies.base import History, Suggestion, strategy_options
from bbo.strategies.evolution import (
    WORST,
    Lattice,
    Ledger,
    Outcome,
    active_columns,
    as_floats,
    de_trial,
    keep_inactive,
    latin_hypercube,
)
from bbo.strategies.options import Options, check_int, check_number
from bbo.strategies.prior_sobol import prior_rows

if TYPE_CHECKING:
    import torch

_C = 0.1  # JADE's adaptation rate of mu_F and mu_CR
_REDRAWS = 5  # draws of a trial vector whose configuration the history already holds
_IDLE_GENERATIONS = 3
_COLLAPSED = 1e-9


@dataclass(frozen=True)
class DEOptions(Options):
    """Options of ``de``: ``popsize`` (``NP``, an integer ``>= 4``, default
    ``clip(3 d, 10, 40)``: small populations suit the budgets of black-box studies, see
    docs/evolution.md), ``p`` (fraction of the population ``x_pbest`` is drawn from, in
    ``(0, 1]``, default 0.2)."""

    strategy = "de"

    popsize: int | None = None
    p: float = 0.2

    def __post_init__(self) -> None:
        if self.popsize is not None:
            check_int(self.strategy, "popsize", self.popsize, 4)
        check_number(self.strategy, "p", self.p, 0.0, 1.0, open_low=True)


class DEStrategy:
    """Strategy ``de`` with :class:`DEOptions` (``popsize``, ``p``). ``device`` is accepted
    and unused: the run is numpy on the CPU."""

    name = "de"
    Options = DEOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: DEOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = o = strategy_options(DEOptions, options, kwargs)
        self.space = space
        self.seed = int(seed) % 2**63
        self.popsize = o.popsize or int(np.clip(3 * space.dim, 10, 40))
        self.p = float(o.p)
        self.lattice = Lattice(space)
        self.continuous = np.setdiff1d(np.arange(space.dim), self.lattice.dims)
        self._state: dict[str, Any] = {}
        self._keys: dict[int, Any] = {}
        self._n_done = 0  # members with a result (during a call to suggest)

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return self._state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._state = json.loads(json.dumps(state))  # a private copy

    def _fresh(self) -> dict[str, Any]:
        return {
            "run": 0,
            "gen": 0,  # selections so far in this run
            "drawn": 0,  # trials drawn so far in this run (seeds the k-th draw)
            "pop": [],  # NP targets: u (index view), params, o (Outcome.to_list())
            "members": [],  # drawn trials without a result yet (or not yet selected on)
            "muF": 0.5,
            "muCR": 0.5,
            "idle": 0,
        }

    # -- suggest ----------------------------------------------------------------------------------
    def suggest(self, n: int, history: History) -> list[Suggestion]:
        """The next ``n`` new trial vectors (fewer when the history already holds the
        configurations drawn; the study then fills in)."""
        ledger = Ledger(history, self.name, self._keys)
        if not self._state:
            self._state = self._fresh()
        out: list[Suggestion] = []
        self._n_done = self.popsize  # unknown yet: let _advance count
        for _ in range(20 * n + 5 * self.popsize):
            if len(out) == n:
                break
            self._advance(ledger)
            member = self._draw(ledger)
            self._state["members"].append(member)
            self._n_done += ledger.outcome(params_key(member["params"])) is not None
            if member["new"]:
                ledger.add_pending(params_key(member["params"]))
                info = {"de": {"run": self._state["run"], "gen": self._state["gen"]}}
                out.append(Suggestion(member["params"], self.name, info))
        return out

    # -- internals --------------------------------------------------------------------------------
    def _draw(self, ledger: Ledger) -> dict[str, Any]:
        """The ``k``-th draw of the run: a Latin-hypercube point while the population is
        being built (uniform beyond ``NP``), then a trial vector for target ``k mod NP``."""
        st = self._state
        k = st["drawn"]
        st["drawn"] += 1
        rng = np.random.default_rng([self.seed, st["run"], k])
        member: dict[str, Any] = {}
        for _ in range(_REDRAWS):
            if st["gen"] == 0:
                lhs_rng = np.random.default_rng([self.seed, st["run"], 2**32])
                u = latin_hypercube(self.popsize, self.space.dim, lhs_rng)[k % self.popsize]
                u = u if k < self.popsize else rng.random(self.space.dim)
                if st["run"] == 0:  # half the first population under the priors, if any
                    u = prior_rows(self.space, u[None, :], k)[0][0]
                member = {"target": k % self.popsize, "F": None, "CR": None}
            else:
                member = self._trial(k % self.popsize, rng)
                u = np.asarray(member.pop("u"))
            u = self.lattice.snap(u[None, :])[0]
            params = self.space.decode(u)
            if self.space.constraints and not self.space.feasible(params):
                fixed = self.space.repair(params)  # Lamarckian: the member becomes feasible
                if fixed is not None:
                    params, u = fixed, self.space.encode(fixed)
            if member["F"] is not None:  # inactive coordinates stay the target's
                u = keep_inactive(self.space, u, np.asarray(st["pop"][member["target"]]["u"]))
            member.update(u=as_floats(u), params=params, new=not ledger.known(params_key(params)))
            if member["new"]:
                break
        return member

    def _trial(self, i: int, rng: np.random.Generator) -> dict[str, Any]:
        st = self._state
        P = np.array([t["u"] for t in st["pop"]])
        order = sorted(range(len(P)), key=lambda j: (Outcome.from_list(st["pop"][j]["o"]).key, j))
        top = order[: max(2, int(np.ceil(self.p * len(P))))]
        F = 0.0
        while F <= 0.0:  # F ~ Cauchy(mu_F, 0.1), redrawn while <= 0, capped at 1
            F = min(1.0, st["muF"] + 0.1 * float(rng.standard_cauchy()))
        CR = float(np.clip(rng.normal(st["muCR"], 0.1), 0.0, 1.0))
        active = active_columns(self.space, P[i])  # the forced change is one that shows
        u = de_trial(P, i, int(rng.choice(top)), F, CR, rng, active)
        return {"target": i, "F": F, "CR": CR, "u": u}

    def _advance(self, ledger: Ledger) -> None:
        """Select (and restart) each time ``NP`` drawn trials have results. Trials still
        running stay in ``members`` and compete with their target when they finish
        (asynchronous DE): no evaluation is wasted when asks do not match ``NP``."""
        while True:
            st = self._state
            if self._n_done < self.popsize:  # members with a result, counted while drawing
                return
            done: list[tuple[Outcome, int]] = []
            for k, m in enumerate(st["members"]):
                o = ledger.outcome(params_key(m["params"]))
                if o is not None:
                    done.append((o, k))
            self._n_done = len(done)
            if len(done) < self.popsize:
                return
            members = st["members"]
            fresh = any(members[k]["new"] for _, k in done)
            if st["gen"] == 0:  # the first NP results (in draw order) are the population
                elite = st["pop"][:1]  # the best target carried over a restart
                st["pop"] = [
                    {"u": members[k]["u"], "params": members[k]["params"], "o": o.to_list()}
                    for o, k in done[: self.popsize]
                ]
                worst = max(range(self.popsize), key=self._key)
                if elite and Outcome.from_list(elite[0]["o"]).key < self._key(worst):
                    st["pop"][worst] = elite[0]
                done = done[self.popsize :]
            self._select(done)
            st["members"] = [m for m in members if ledger.outcome(params_key(m["params"])) is None]
            self._n_done = 0
            st["gen"] += 1
            st["idle"] = 0 if fresh else st["idle"] + 1
            if st["idle"] >= _IDLE_GENERATIONS or self._collapsed():
                best = min(range(self.popsize), key=self._key)
                self._state = {**self._fresh(), "run": st["run"] + 1, "pop": [st["pop"][best]]}

    def _key(self, j: int) -> tuple[int, float]:
        return Outcome.from_list(self._state["pop"][j]["o"]).key

    def _select(self, done: list[tuple[Outcome, int]]) -> None:
        """Greedy one-to-one selection (the best finished trial of each target replaces it
        when no worse); JADE's update of ``mu_F`` and ``mu_CR``."""
        st = self._state
        best: dict[int, tuple[Outcome, int]] = {}
        for o, k in done:
            i = st["members"][k]["target"]
            if i not in best or (o.key, k) < (best[i][0].key, best[i][1]):
                best[i] = (o, k)
        s_F, s_CR = [], []
        for i, (o, k) in sorted(best.items()):
            if o == WORST or o.key > self._key(i):
                continue
            m = st["members"][k]
            st["pop"][i] = {"u": m["u"], "params": m["params"], "o": o.to_list()}
            if m["F"] is not None and m["new"]:  # a trial vector we asked (not a duplicate)
                s_F.append(m["F"])
                s_CR.append(m["CR"])
        if s_F:
            F = np.asarray(s_F)
            st["muF"] = (1 - _C) * st["muF"] + _C * float(np.sum(F**2) / np.sum(F))
            st["muCR"] = (1 - _C) * st["muCR"] + _C * float(np.mean(s_CR))

    def _collapsed(self) -> bool:
        """Every continuous column spread below ``1e-9`` over the targets where it is
        active (a column active in fewer than two targets does not count)."""
        if not len(self.continuous):
            return False
        P = np.array([t["u"] for t in self._state["pop"]])
        if not self.space.conditions:
            P = P[:, self.continuous]
            return bool(np.all(P.max(0) - P.min(0) < _COLLAPSED))
        on = self.space.conditions.active_mask(P)
        spreads = [
            np.ptp(P[on[:, j], j]) for j in self.continuous if np.count_nonzero(on[:, j]) > 1
        ]
        return bool(spreads) and bool(max(spreads) < _COLLAPSED)
