"""``bbo.Study``: the ask/tell loop over a storage and a strategy.

The study orchestrates; the pieces live beside it: :mod:`bbo.study.spec` (the definition),
:mod:`bbo.study.asks` (sharing a batch of asks), :mod:`bbo.study.suggest` (distinct
suggestions), :mod:`bbo.study.tells` (checking a tell), :mod:`bbo.study.leases` (which
RUNNING trials to reclaim), :mod:`bbo.study.reporting` (intermediate values, pruning).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bbo.exceptions import (
    BboError,
    ConcurrentUpdateError,
    InvalidArgumentError,
    StudyConflictError,
)
from bbo.runtime import requested_device
from bbo.space import Space, params_key
from bbo.study import asks
from bbo.study.asks import AskRequest
from bbo.study.cache import TrialCache
from bbo.study.edits import SpaceEditing, edited_hint
from bbo.study.leases import Leasing
from bbo.study.like import StudyLike
from bbo.study.prior import Priors, check_priors
from bbo.study.queue import Queueing
from bbo.study.recommend import best_observed, recommended, replicated
from bbo.study.reporting import Reporting, fidelity_attrs
from bbo.study.spec import StudySpec
from bbo.study.storage import NewTrial, Storage, open_storage, sole_study
from bbo.study.tells import TellRequest, tell_group, trial_id
from bbo.study.workers import this_worker
from bbo.trial import Constraint, Objective, Trial, TrialState

if TYPE_CHECKING:
    from bbo.pruners import Pruner
    from bbo.pruners.fidelity import Fidelity
    from bbo.statistics import Statistic
    from bbo.strategies import Options, Strategy
    from bbo.study.suggest import Distinct

_ASK_ATTEMPTS = 8  # optimistic-concurrency retries when another writer adds trials meanwhile

__all__ = ["AskRequest", "Study", "TellRequest"]


class Study(Reporting, Leasing, Queueing, Priors, SpaceEditing, StudyLike):
    """An optimization study: ``ask`` for configurations, ``tell`` their results.

    ``direction`` is ``"minimize"``, ``"maximize"`` or a mapping ``{metric: direction}``
    (several objectives, or one named objective). ``storage`` is ``None`` (in memory), a URL
    (``sqlite:///study.db``, ``postgresql://...``) or a Storage. Without a ``name``, a
    storage holding one study reopens it (several: InvalidArgumentError listing them; none:
    a new study with a generated name). With a storage and a
    ``name`` that exists, the study is reopened: its space and objectives must match
    (StudyConflictError otherwise), its trials are kept, and ``seed=None`` keeps the stored
    seed, so suggestions continue exactly where they stopped.

    ``device`` (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``; default ``$BBO_DEVICE`` or
    ``"auto"``) is where model work runs: a setting of this process, never stored.
    ``worker`` names the process that evaluates the trials it asks (default: this
    process, ``host:pid:start``, whose death reclaims its RUNNING trials at once); a
    process that hands trials to others and exits passes its own name. ``pruner`` (a
    :mod:`bbo.pruners` object, a name, or ``{"name": "asha", ...}``) judges what
    :meth:`report` stores; it is stored with the study (None keeps a stored one).
    ``statistic`` (``"cvar(0.95)"``, ``{"name": "cvar", "alpha": 0.95}``; default the mean)
    is what is optimized of each tell's replicate ``samples=`` (docs/statistics.md).
    ``prior_studies``: earlier studies of the same storage whose completed trials inform
    the model (:mod:`bbo.study.prior`, docs/warm-start.md; None keeps the stored ones).
    ``parameter_constraints``: linear constraints on Float/Int parameters such as
    ``"x1 + 2*x2 <= 10"`` (the same as ``bbo.Space(..., constraints=[...])``, docs/concepts.md):
    every suggestion satisfies them, and enqueued or added points must.
    :meth:`edit_space` changes the space of a running study (:mod:`bbo.study.edits`).
    ``fidelity`` (``bbo.Fidelity("epochs", 1, 81)``): a multi-fidelity study, trials run to
    ``trial.fidelity`` and stopped at Hyperband rungs (:mod:`bbo.pruners.fidelity`).
    """

    def __init__(
        self,
        space: Space | Mapping[str, Any],
        direction: str | Mapping[str, str] | Sequence[Objective] = "minimize",
        *,
        constraints: Sequence[str | Constraint] | None = None,
        strategy: str = "auto",
        seed: int | None = None,
        storage: str | Storage | None = None,
        name: str | None = None,
        strategy_options: dict[str, Any] | None = None,
        device: str | None = None,
        worker: str | None = None,
        noisy: bool = False,
        pruner: Pruner | Mapping[str, Any] | str | None = None,
        statistic: Statistic | str | Mapping[str, Any] | None = None,
        prior_studies: Sequence[str] | None = None,
        parameter_constraints: Sequence[str] | None = None,
        fidelity: Fidelity | Mapping[str, Any] | None = None,
    ) -> None:
        from bbo.pruners import PRUNERS, make_pruner

        judge = make_pruner(pruner)
        stored = judge is not None and PRUNERS.get(judge.name) is type(judge)
        self._custom_pruner = None if judge is None or stored else judge
        spec = StudySpec.create(
            space,
            direction,
            constraints=constraints,
            strategy=strategy,
            strategy_options=strategy_options,
            seed=seed,
            noisy=noisy,
            pruner=judge.to_dict() if stored and judge is not None else None,
            statistic=statistic,
            prior_studies=prior_studies,
            parameter_constraints=parameter_constraints,
            fidelity=fidelity,
        )
        self._open(spec, storage, name, device, worker)

    @classmethod
    def open(
        cls,
        spec: StudySpec,
        storage: str | Storage | None = None,
        *,
        name: str | None = None,
        device: str | None = None,
        worker: str | None = None,
    ) -> Study:
        """Create the study ``name`` with ``spec``, or reopen it (``created`` says which).
        Reopening checks the identity (space, objectives, constraints) and stores a changed
        strategy, options or seed; ``spec.seed=None`` keeps the stored seed."""
        study = cls.__new__(cls)
        study._open(spec, storage, name, device, worker)
        return study

    @classmethod
    def load(
        cls,
        name: str,
        storage: str | Storage,
        *,
        device: str | None = None,
        worker: str | None = None,
    ) -> Study:
        """Reopen an existing study by name with its stored definition (StudyNotFoundError
        when absent; a missing SQLite file is not created)."""
        st = open_storage(storage, must_exist=True)
        spec = StudySpec.from_dict(st.get_study(name).spec)
        study = cls.__new__(cls)
        study._open(spec, st, name, device, worker, from_storage=True)
        return study

    def _open(
        self,
        spec: StudySpec,
        storage: str | Storage | None,
        name: str | None,
        device: str | None,
        worker: str | None,
        from_storage: bool = False,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidArgumentError(f"`name` must be a non-empty string, got {name!r}")
        if worker is not None and (not isinstance(worker, str) or not worker):
            raise InvalidArgumentError(f"`worker` must be a non-empty string, got {worker!r}")
        # checked before anything is stored: the options (parsed once, no strategy built;
        # a stored spec's were checked when it was stored, and are parsed at the first ask),
        # and the device when one is asked for (else the strategy resolves $BBO_DEVICE/auto)
        self._options: Options | None = None
        if not from_storage:
            from bbo.strategies import validate_options

            self._options = validate_options(spec.strategy, spec.strategy_options)
        spec.check_json()
        self._device = requested_device(device)
        self._storage = open_storage(storage)
        self.name = name or sole_study(self._storage, storage is not None)
        given = spec.seed
        if given is None:
            spec = spec.with_seed(secrets.randbelow(2**31))
        if not from_storage:
            check_priors(self._storage, self.name, spec)
        record, self.created = self._storage.get_or_create_study(self.name, spec.to_dict())
        if not self.created:
            stored = StudySpec.from_dict(record.spec)
            if stored.identity() != spec.identity():
                hint = edited_hint(self._storage.get_space_edits(record.id))
                raise StudyConflictError(stored.conflict(self.name, spec) + hint)
            if given is None:
                spec = replace(spec, seed=stored.seed)
            if spec.pruner is None and spec.fidelity is None:
                spec = replace(spec, pruner=stored.pruner, fidelity=stored.fidelity)
            if not spec.prior_studies:
                spec = replace(spec, prior_studies=stored.prior_studies)
            if spec.to_dict() != stored.to_dict():
                self._storage.update_study_spec(record.id, spec.to_dict())
        self._study_id = record.id
        self.spec = spec
        self.worker = worker or this_worker()
        self._built: Distinct | None = None  # the strategy, built at the first ask
        self._cache = TrialCache()  # an ask reads only new and not-yet-final trials
        self._curves: dict[int, dict[int, float]] = {}  # reports read so far (_model_reports)
        self._curves_seq: int | None = None
        self._recommended: tuple[tuple[int, int], Trial | None] | None = None  # cache

    @property
    def _distinct(self) -> Distinct:
        """The strategy behind its de-duplication, built at the first ask: opening a study
        to read or tell it never imports the strategies (numpy, and a model's torch)."""
        if self._built is None:
            from bbo.strategies import make_strategy
            from bbo.study.suggest import Distinct

            strategy = make_strategy(
                self.spec.strategy,
                self.space,
                self.objectives,
                seed=self.seed,
                options=self._options or self.spec.strategy_options,
                device=self._device,
            )
            self._built = Distinct(strategy, self.space, self.seed)
        return self._built

    @property
    def _strategy(self) -> Strategy:
        return self._distinct.strategy

    # -- properties ----------------------------------------------------------------------------
    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def trials(self) -> list[Trial]:
        """Every trial, in id order."""
        return self._storage.get_trials(self._study_id)

    def get_trials(
        self,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[Trial]:
        """Trials in id order, filtered: ``since`` keeps ids above it (incremental sync)."""
        return self._storage.get_trials(self._study_id, states=states, since=since, limit=limit)

    def trial(self, trial: int) -> Trial:
        return self._storage.get_trial(self._study_id, trial_id(trial))

    @property
    def best(self) -> Any:
        """The recommended trial (``None`` while no feasible trial COMPLETED): on a noisy
        objective (``noisy=True``, or replicate samples told) the evaluated point of best
        GP posterior mean (:mod:`bbo.study.recommend`), else :attr:`best_observed`. For
        several objectives, the Pareto set of the feasible trials as a list."""
        done = self._feasible()
        if len(self.objectives) > 1 or not (self.spec.noisy or replicated(done)):
            return self._observed(done)
        key = (len(done), done[-1].id if done else -1)
        if self._recommended is None or self._recommended[0] != key:
            rec = recommended(self.as_current(done), self.objectives[0], self.space)
            stored = next((t for t in done if rec is not None and t.id == rec.id), None)
            self._recommended = (key, stored)
        return self._recommended[1]

    @property
    def best_observed(self) -> Any:
        """The feasible COMPLETED trial of best *observed* value (``None`` while there is
        none); for several objectives, the Pareto set of the feasible trials as a list."""
        return self._observed(self._feasible())

    def _feasible(self) -> list[Trial]:
        return [
            t
            for t in self._storage.get_trials(self._study_id, states=[TrialState.COMPLETED])
            if t.feasible(self.constraints)
        ]

    def _observed(self, done: list[Trial]) -> Any:
        if len(self.objectives) > 1:
            import numpy as np

            from bbo.study.pareto import pareto_front

            Y = np.array([[o.sign * t.values[o.name] for o in self.objectives] for t in done])
            return [done[i] for i in pareto_front(Y)] if done else []
        return best_observed(done, self.objectives[0])

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, storage={self._storage.url!r})"

    # -- ask -----------------------------------------------------------------------------------
    def _ask(self, count: int, client_id: str | None, lease: float | None) -> list[Trial]:
        """:meth:`StudyLike.ask`: points of ABANDONED trials are offered first; a worker's
        (``client_id``) RUNNING trials are returned again with their leases renewed (a
        retried ask is idempotent, OSS Vizier's rule), and are governed by their lease,
        not by this process."""
        (trials,) = self.ask_many([AskRequest(count, client_id, lease)])
        return [replace(t, study=self) for t in trials]  # trial.report() goes through self

    def ask_many(self, requests: Sequence[AskRequest]) -> list[list[Trial]]:
        """Serve several asks with one pending-aware suggestion of all their new trials (the
        server's batching of concurrent asks). ``result[i]`` answers ``requests[i]``; requests
        with the same ``client_id`` share its trials, as :meth:`ask` describes."""
        for r in requests:
            r.check()
        clients = {r.client_id for r in requests if r.client_id}
        with self._storage.ask_lock(self._study_id):
            return self._ask_locked(requests, clients)

    def _ask_locked(self, requests: Sequence[AskRequest], clients: set[str]) -> list[list[Trial]]:
        for _ in range(_ASK_ATTEMPTS):
            trials, open_ = self._read_trials()  # open_: every trial not yet final
            stale = {t.id: t for t in self._abandon(self._stale(open_))}
            if stale:
                trials = [stale.get(t.id, t) for t in trials]
                open_ = [stale.get(t.id, t) for t in open_]
            held: dict[str, list[Trial]] = {}
            for t in open_:
                if t.state == TrialState.RUNNING and t.client_id in clients:
                    held.setdefault(t.client_id, []).append(t)
            slots = asks.slots(requests, held, time.time())
            created: list[Trial] = []
            if slots:
                trials, new = self._propose(len(slots), trials, open_)
                new = [asks.assign(t, slot) for t, slot in zip(new, slots)]
                got = self._insert(new, len(trials))
                if got is None:
                    continue
                created = got
            return self._answer(requests, held, created)
        raise ConcurrentUpdateError(
            f"study {self.name!r} changed under {_ASK_ATTEMPTS} consecutive asks; retry"
        )

    def _read_trials(self) -> tuple[list[Trial], list[Trial]]:
        """Every trial, and those not yet final, reading only what may have changed
        (:class:`~bbo.study.cache.TrialCache`)."""
        return self._cache.read(self._storage, self._study_id)

    def _answer(
        self, requests: Sequence[AskRequest], held: dict[str, list[Trial]], created: list[Trial]
    ) -> list[list[Trial]]:
        """Split held and created trials among the requests; renew the leases of held trials
        that are handed out again (to the longest lease asked for them)."""
        for cid, lease in asks.renewals(requests, held).items():
            self.heartbeat(held[cid], lease)
            expires = time.time() + lease
            held[cid] = [replace(t, lease_expires_at=expires) for t in held[cid]]
        return asks.share(requests, held, created)

    def _propose(
        self, count: int, trials: list[Trial], open_: Sequence[Trial] = ()
    ) -> tuple[list[Trial], list[NewTrial]]:
        """Choose ``count`` new trials knowing ``trials`` (every trial of the study):
        abandoned points first, then queued points (:mod:`bbo.study.queue`), then the
        strategy's suggestions. Returns ``trials`` and the trials to create."""
        from bbo.strategies import History

        base = {"worker": self.worker, **fidelity_attrs(self.spec)}
        record = self._storage.get_study_by_id(self._study_id)
        self._follow_edits(record)  # a space edited by another process applies from now
        self._strategy.load_state_dict(record.strategy_state or {})
        new = self._first_points(open_, self._cache.retried, count, base)
        history = History(
            self.space,
            self.objectives,
            tuple(self.as_current(trials)),  # under the current space (bbo.study.edits)
            tuple(t.params for t in new),
            constraints=self.constraints,
            pruned=self._model_use(),
            reports=self._model_reports(self._cache.pruned > 0),
            prior=self._prior_trials(),
        )
        for s in self._distinct.suggest(count - len(new), history):
            new.append(NewTrial(s.params, attrs={**base, "source": s.source, **s.info}))
        return trials, new

    def _insert(self, new: list[NewTrial], seen: int) -> list[Trial] | None:
        """Create ``new`` if the study still holds ``seen`` trials. When other writers added
        trials meanwhile, insert anyway unless one of those has the same configuration or
        retries the same abandoned trial as one of ``new`` (then None: propose again). A slow
        suggestion (a GP fit) is thus not thrown away for every concurrent ask."""
        state = self._strategy.state_dict() or None
        while True:
            try:
                return self._storage.create_trials(
                    self._study_id, new, expected_count=seen, strategy_state=state
                )
            except ConcurrentUpdateError:
                if any(t.queued is not None for t in new):
                    return None  # a queued point may be gone: propose again
                latest = self._storage.get_trials(self._study_id, since=seen - 1)
                keys = {params_key(t.params) for t in latest}
                retries = {t.retry_of for t in latest if t.retry_of is not None}
                for t in new:
                    if params_key(t.params) in keys or t.retry_of in retries:
                        return None
                seen += len(latest)

    # -- tell ------------------------------------------------------------------------------------
    def tell(
        self,
        trial: Trial | int,
        value: float | Mapping[str, float] | None = None,
        *,
        samples: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        failed: bool = False,
        infeasible: bool = False,
        reason: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        finished_at: float | None = None,
        pruned: bool = False,
    ) -> Trial:
        """Record the result of an asked trial: a ``value`` (a number, or a mapping of every
        objective metric plus any other metrics), replicate ``samples`` of a stochastic
        objective, ``failed=True``, ``infeasible=True`` or ``pruned=True`` (stopped early:
        PRUNED, its last :meth:`report` as its value), with an optional ``reason``.

        Telling the same result again returns the stored trial unchanged (idempotent, safe to
        retry); a different result for a finished trial raises TrialFinishedError.
        ``request_id`` (stored in ``attrs``) makes a retry of a tell that was applied return
        the stored trial whatever it carries (the answer of the first attempt).
        ``finished_at`` (unix time) is when the evaluation ended, if not now (a result
        collected later); it becomes the trial's ``finished_at``.
        """
        given = (value, samples, failed, infeasible, reason, attrs, request_id, finished_at)
        req = TellRequest(trial, *given, pruned=pruned)
        (out,) = self.tell_many([req])
        if isinstance(out, BboError):
            raise out
        return out

    def tell_many(self, requests: Sequence[TellRequest]) -> list[Trial | BboError]:
        """Several tells, each checked and answered as :meth:`tell` would, stored with one
        storage write (one transaction, one commit on SQL storage: the server's group commit
        of concurrent Tells). ``result[i]`` is the stored trial, or the error that
        :meth:`tell` would raise, for ``requests[i]``; one bad tell fails alone."""
        return tell_group(self._storage, self._study_id, self.spec, requests)
