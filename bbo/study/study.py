"""``bbo.Study``: the ask/tell loop over a storage and a strategy."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

import numpy as np

from bbo.exceptions import (
    BboError,
    ConcurrentUpdateError,
    InvalidArgumentError,
    InvalidValueError,
    StudyConflictError,
    TrialFinishedError,
)
from bbo.space import Space, params_key
from bbo.strategies import History, Strategy, Suggestion, make_strategy
from bbo.study.pareto import pareto_front
from bbo.study.spec import StudySpec
from bbo.study.storage import NewTrial, Storage, TrialResult, open_storage
from bbo.study.workers import this_worker, worker_alive
from bbo.trial import (
    Constraint,
    Objective,
    Trial,
    TrialState,
    check_finite,
    parse_constraints,
    parse_objectives,
)

_ASK_ATTEMPTS = 8  # optimistic-concurrency retries when another writer adds trials meanwhile
_SUGGEST_ROUNDS = 10  # strategy calls per ask before falling back to random fill


class Study:
    """An optimization study: ``ask`` for configurations, ``tell`` their results.

    ``direction`` is ``"minimize"``, ``"maximize"`` or a mapping ``{metric: direction}``
    (several objectives, or one named objective). ``storage`` is ``None`` (in memory), a URL
    (``sqlite:///study.db``, ``postgresql://...``) or a Storage. With a storage and a
    ``name`` that exists, the study is reopened: its space and objectives must match
    (StudyConflictError otherwise), its trials are kept, and ``seed=None`` keeps the stored
    seed, so suggestions continue exactly where they stopped.
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
    ) -> None:
        if not isinstance(space, Space):
            space = Space(space) if isinstance(space, Mapping) else space
        if not isinstance(space, Space):
            raise InvalidArgumentError(f"`space` must be a bbo.Space, got {space!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InvalidArgumentError(f"`seed` must be an integer or None, got {seed!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidArgumentError(f"`name` must be a non-empty string, got {name!r}")
        objectives = parse_objectives(direction)
        spec = StudySpec(
            space=space,
            objectives=objectives,
            constraints=parse_constraints(constraints),
            strategy=strategy,
            strategy_options=dict(strategy_options or {}),
            seed=seed if seed is not None else secrets.randbelow(2**31),
        )
        # validate the strategy and its options before anything is stored
        make_strategy(strategy, space, objectives, seed=0, options=spec.strategy_options)
        self._storage = open_storage(storage)
        self.name = name or f"study-{uuid.uuid4().hex[:12]}"
        record, created = self._storage.get_or_create_study(self.name, spec.to_dict())
        if not created:
            stored = StudySpec.from_dict(record.spec)
            if stored.identity() != spec.identity():
                raise StudyConflictError(_conflict_message(self.name, stored, spec))
            if seed is None:
                spec = replace(spec, seed=stored.seed)
            if spec.to_dict() != stored.to_dict():
                self._storage.update_study_spec(record.id, spec.to_dict())
        self._study_id = record.id
        self.spec = spec
        self._strategy: Strategy = make_strategy(
            spec.strategy,
            spec.space,
            spec.objectives,
            seed=spec.seed,
            options=spec.strategy_options,
        )
        self._worker = this_worker()
        self._keys: dict[int, tuple[tuple[str, Any], ...]] = {}
        self._final: list[Trial] = []  # trials 0..k-1, all COMPLETED/FAILED/INFEASIBLE
        self._seen: set[tuple[tuple[str, Any], ...]] = set()  # keys of trials 0.._seen_n-1
        self._seen_n = 0

    @classmethod
    def load(cls, name: str, storage: str | Storage) -> Study:
        """Reopen an existing study by name with its stored space, objectives and strategy."""
        st = open_storage(storage)
        spec = StudySpec.from_dict(st.get_study(name).spec)
        return cls(
            spec.space,
            list(spec.objectives),
            constraints=list(spec.constraints),
            strategy=spec.strategy,
            seed=spec.seed,
            storage=st,
            name=name,
            strategy_options=spec.strategy_options,
        )

    # -- properties ----------------------------------------------------------------------------
    @property
    def space(self) -> Space:
        return self.spec.space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return self.spec.objectives

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return self.spec.constraints

    @property
    def seed(self) -> int:
        return self.spec.seed

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

    def trial(self, trial_id: int) -> Trial:
        return self._storage.get_trial(self._study_id, self._trial_id(trial_id))

    @property
    def best(self) -> Any:
        """Best feasible COMPLETED trial (``None`` while there is none); for several
        objectives, the Pareto set of the feasible trials as a list."""
        done = [
            t
            for t in self._storage.get_trials(self._study_id, states=[TrialState.COMPLETED])
            if t.feasible(self.constraints)
        ]
        if len(self.objectives) > 1:
            Y = np.array([[o.sign * t.values[o.name] for o in self.objectives] for t in done])
            return [done[i] for i in pareto_front(Y)] if done else []
        if not done:
            return None
        o = self.objectives[0]
        return min(done, key=lambda t: (o.sign * t.values[o.name], t.id))

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, storage={self._storage.url!r})"

    # -- ask -----------------------------------------------------------------------------------
    @overload
    def ask(
        self, n: None = None, *, client_id: str | None = ..., lease: float | None = ...
    ) -> Trial: ...
    @overload
    def ask(
        self, n: int, *, client_id: str | None = ..., lease: float | None = ...
    ) -> list[Trial]: ...

    def ask(
        self, n: int | None = None, *, client_id: str | None = None, lease: float | None = None
    ) -> Trial | list[Trial]:
        """One trial (``n=None``) or a list of ``n`` trials with distinct configurations,
        chosen knowing the RUNNING ones. Points of ABANDONED trials are offered first.

        ``lease`` (seconds) makes the trial expire unless :meth:`heartbeat` extends it.
        ``client_id`` names a remote worker: while it holds RUNNING trials, asking again
        returns those first (a retried ask is idempotent, OSS Vizier's rule), with their
        leases renewed; its trials are governed by their lease, not by this process.
        """
        (trials,) = self.ask_many([AskRequest(1 if n is None else n, client_id, lease)])
        return trials[0] if n is None else trials

    def ask_many(self, requests: Sequence[AskRequest]) -> list[list[Trial]]:
        """Serve several asks with one pending-aware suggestion of all their new trials (the
        server's batching of concurrent asks). ``result[i]`` answers ``requests[i]``; requests
        with the same ``client_id`` share its trials, as :meth:`ask` describes."""
        for r in requests:
            _check_ask(r)
        clients = {r.client_id for r in requests if r.client_id}
        with self._storage.ask_lock(self._study_id):
            return self._ask_locked(requests, clients)

    def _ask_locked(self, requests: Sequence[AskRequest], clients: set[str]) -> list[list[Trial]]:
        for _ in range(_ASK_ATTEMPTS):
            trials, tail = self._read_trials()  # trials[tail:]: every one not yet final
            stale = {t.id: t for t in self._abandon(self._stale(trials[tail:]))}
            if stale:
                trials = [stale.get(t.id, t) for t in trials]
            held: dict[str, list[Trial]] = {}
            for t in trials[tail:]:
                if t.state == TrialState.RUNNING and t.client_id in clients:
                    held.setdefault(t.client_id, []).append(t)
            # one slot per new trial: (client_id, lease expiry); a client's slots are shared
            slots: list[tuple[str | None, float | None]] = []
            need: dict[str, int] = {}
            for r in requests:
                expires = time.time() + r.lease if r.lease is not None else None
                if r.client_id:
                    more = r.count - len(held.get(r.client_id, [])) - need.get(r.client_id, 0)
                    if more > 0:
                        need[r.client_id] = need.get(r.client_id, 0) + more
                        slots += [(r.client_id, expires)] * more
                else:
                    slots += [(None, expires)] * r.count
            created: list[Trial] = []
            if slots:
                trials, new = self._propose(len(slots), trials, tail)
                new = [_assign(t, cid, exp) for t, (cid, exp) in zip(new, slots)]
                got = self._insert(new, len(trials))
                if got is None:
                    continue
                created = got
            return self._answer(requests, held, created)
        raise ConcurrentUpdateError(
            f"study {self.name!r} changed under {_ASK_ATTEMPTS} consecutive asks; retry"
        )

    def _read_trials(self) -> tuple[list[Trial], int]:
        """Every trial, reading only those from the first not-yet-final one on: COMPLETED,
        FAILED and INFEASIBLE trials never change, so they are cached (an ABANDONED one may
        still get a late tell). Keeps an ask's read small in a long study. Returns the
        trials and the index from which they were read (every RUNNING or ABANDONED trial,
        and every retry of an ABANDONED one, lies at or past it)."""
        final = self._final
        start = len(final)
        tail = self._storage.get_trials(self._study_id, since=start - 1)
        for t in tail:
            if t.id == len(final) and t.state.finished:
                final.append(t)
        return final[:start] + tail, start

    def _answer(
        self, requests: Sequence[AskRequest], held: dict[str, list[Trial]], created: list[Trial]
    ) -> list[list[Trial]]:
        """Split held and created trials among the requests; renew the leases of held trials
        that are handed out again (to the longest lease asked for them)."""
        renew: dict[str, float] = {}
        for r in requests:
            if r.client_id in held and r.lease is not None:
                renew[r.client_id] = max(renew.get(r.client_id, 0.0), r.lease)
        mine: dict[str, list[Trial]] = {}
        for cid, ts in held.items():
            if cid in renew:
                self.heartbeat(ts, renew[cid])
                expires = time.time() + renew[cid]
                ts = [replace(t, lease_expires_at=expires) for t in ts]
            mine[cid] = list(ts)
        fresh: list[Trial | None] = list(created)
        out: list[list[Trial]] = []
        for r in requests:
            if r.client_id:
                pool = mine.setdefault(r.client_id, [])
                while len(pool) < r.count:
                    i = next(i for i, t in enumerate(fresh) if t and t.client_id == r.client_id)
                    pool.append(created[i])
                    fresh[i] = None
                out.append(pool[: r.count])
            else:
                mine_anon: list[Trial] = []
                for i, t in enumerate(fresh):
                    if t is not None and t.client_id is None and len(mine_anon) < r.count:
                        mine_anon.append(t)
                        fresh[i] = None
                out.append(mine_anon)
        return out

    def _propose(
        self, count: int, trials: list[Trial], tail: int = 0
    ) -> tuple[list[Trial], list[NewTrial]]:
        """Choose ``count`` new trials knowing ``trials`` (every trial of the study):
        abandoned points first, then the strategy's suggestions. Returns ``trials`` and the
        trials to create."""
        base = {"worker": self._worker}
        state = self._storage.get_study_by_id(self._study_id).strategy_state
        self._strategy.load_state_dict(state or {})
        recent = trials[tail:]  # abandoned trials and their retries are never final-cached
        retried = {t.retry_of for t in recent if t.retry_of is not None}
        new = [
            NewTrial(params=t.params, attrs={**base, "source": "retry"}, retry_of=t.id)
            for t in recent
            if t.state == TrialState.ABANDONED and t.id not in retried
        ][:count]
        history = History(
            self.space,
            self.objectives,
            tuple(trials),
            tuple(t.params for t in new),
            constraints=self.constraints,
        )
        for s in self._suggest(count - len(new), history):
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
                latest = self._storage.get_trials(self._study_id, since=seen - 1)
                keys = {params_key(t.params) for t in latest}
                retries = {t.retry_of for t in latest if t.retry_of is not None}
                for t in new:
                    if params_key(t.params) in keys or t.retry_of in retries:
                        return None
                seen += len(latest)

    def _key(self, t: Trial) -> tuple[tuple[str, Any], ...]:
        """``params_key`` of a stored trial, cached by id (a trial's params never change)."""
        key = self._keys.get(t.id)
        if key is None:
            key = self._keys[t.id] = params_key(t.params)
        return key

    def _seen_keys(self, trials: Sequence[Trial]) -> set[tuple[tuple[str, Any], ...]]:
        """Keys of every trial's params; kept incrementally (params never change and trials
        are only appended), so an ask adds only the new trials' keys. The caller must not
        change the returned set (it is the cache)."""
        if not trials or trials[-1].id != len(trials) - 1 or len(trials) < self._seen_n:
            return {self._key(t) for t in trials}  # not the whole study: no cache
        for t in trials[self._seen_n :]:
            self._seen.add(self._key(t))
        self._seen_n = len(trials)
        return self._seen

    def _suggest(self, count: int, history: History) -> list[Suggestion]:
        """``count`` suggestions distinct from each other and from every stored trial."""
        stored = self._seen_keys(history.trials)  # read only: no O(n) copy per ask
        seen = {params_key(p) for p in history.extra_pending}  # and what this ask adds
        chosen: list[Suggestion] = []
        h = history
        for _ in range(_SUGGEST_ROUNDS):
            if len(chosen) == count:
                return chosen
            fresh: list[Suggestion] = []
            skipped = 0
            for s in self._strategy.suggest(count - len(chosen), h):
                params = self.space.validate(s.params)
                key = params_key(params)
                if key in stored or key in seen or len(chosen) + len(fresh) == count:
                    skipped += 1
                    continue
                seen.add(key)
                fresh.append(Suggestion(params, s.source, s.info))
            chosen += fresh
            h = h.with_pending([c.params for c in fresh], skipped=skipped)
        drawn = h.n_seen
        # nearly exhausted finite space: random fill, distinct within the batch at least
        rng = np.random.default_rng([self.seed, drawn, 1])
        batch = {params_key(c.params) for c in chosen}
        for repeat_ok in (False, True):
            for _ in range(200 * count):
                if len(chosen) == count:
                    return chosen
                (params,) = self.space.sample(1, rng)
                key = params_key(params)
                if key in batch or (not repeat_ok and (key in stored or key in seen)):
                    continue
                batch.add(key)
                chosen.append(Suggestion(params, "random-fill"))
        card = self.space.cardinality
        raise InvalidArgumentError(
            f"ask(n={count}) needs {count} distinct configurations; the space has "
            f"{card if card is not None else 'too few reachable'}"
        )

    # -- tell ------------------------------------------------------------------------------------
    def tell(
        self,
        trial: Trial | int,
        value: float | Mapping[str, float] | None = None,
        *,
        samples: Sequence[float] | None = None,
        failed: bool = False,
        infeasible: bool = False,
        reason: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> Trial:
        """Record the result of an asked trial: a ``value`` (a number, or a mapping of every
        objective metric plus any other metrics), replicate ``samples`` of a stochastic
        objective, ``failed=True`` or ``infeasible=True`` (with an optional ``reason``).

        Telling the same result again returns the stored trial unchanged (idempotent, safe to
        retry); a different result for a finished trial raises TrialFinishedError.
        ``request_id`` (stored in ``attrs``) makes a retry of a tell that was applied return
        the stored trial whatever it carries (the answer of the first attempt).
        """
        req = TellRequest(trial, value, samples, failed, infeasible, reason, attrs, request_id)
        (out,) = self.tell_many([req])
        if isinstance(out, BboError):
            raise out
        return out

    def tell_many(self, requests: Sequence[TellRequest]) -> list[Trial | BboError]:
        """Several tells, each checked and answered as :meth:`tell` would, stored with one
        storage write (one transaction, one commit on SQL storage: the server's group commit
        of concurrent Tells). ``result[i]`` is the stored trial, or the error that
        :meth:`tell` would raise, for ``requests[i]``; one bad tell fails alone."""
        out: list[Trial | BboError | None] = [None] * len(requests)
        items: list[tuple[int, TrialResult]] = []
        where: list[int] = []
        stored = self._stored(requests)
        for i, r in enumerate(requests):
            try:
                checked = self._check_tell(r, stored)
            except BboError as err:
                out[i] = err
                continue
            if isinstance(checked, Trial):
                out[i] = checked
            else:
                items.append(checked)
                where.append(i)
        done = self._storage.finish_trials(self._study_id, items) if items else []
        for i, (trial_id, _), res in zip(where, items, done):
            rid = requests[i].request_id
            if isinstance(res, TrialFinishedError) and rid:  # applied meanwhile by its twin
                current = self._storage.get_trial(self._study_id, trial_id)
                if current.attrs.get("request_id") == rid:
                    res = current
            out[i] = res
        return [o for o in out if o is not None]  # every slot is filled

    def _stored(self, requests: Sequence[TellRequest]) -> dict[int, Trial]:
        """The stored trials that ``requests`` tell, read at once when their ids lie close
        together (a group of tells of recent trials); else none (read one by one)."""
        ids = {r.trial.id if isinstance(r.trial, Trial) else r.trial for r in requests}
        ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and i >= 0}
        if len(ids) < 2 or max(ids) - min(ids) > 4 * len(ids) + 64:
            return {}
        lo, hi = min(ids), max(ids)
        return {
            t.id: t
            for t in self._storage.get_trials(self._study_id, since=lo - 1, limit=hi - lo + 1)
        }

    def _check_tell(
        self, r: TellRequest, stored: Mapping[int, Trial]
    ) -> Trial | tuple[int, TrialResult]:
        """The result to store for ``r``, or the stored trial when ``r`` retries a tell
        that was applied (same ``request_id``). Raises what :meth:`tell` raises."""
        trial_id = self._trial_id(r.trial)
        rid = r.request_id
        if rid is not None and (not isinstance(rid, str) or not rid):
            raise InvalidArgumentError(f"`request_id` must be a non-empty string, got {rid!r}")
        extra = {**(r.attrs or {}), "request_id": rid} if rid else r.attrs
        result = self._result(r.value, r.samples, r.failed, r.infeasible, r.reason, extra)
        current = stored.get(trial_id) or self._storage.get_trial(self._study_id, trial_id)
        if rid and current.state.finished and current.attrs.get("request_id") == rid:
            return current
        if current.state == TrialState.ABANDONED:
            for t in self._storage.get_trials(self._study_id, since=trial_id):
                if t.retry_of == trial_id and t.state.finished:
                    raise TrialFinishedError(
                        f"trial {trial_id} was abandoned and its point re-evaluated as "
                        f"trial {t.id} ({t.state.value}); a late result is refused"
                    )
        return trial_id, result

    def add(
        self,
        params: Mapping[str, Any],
        value: float | Mapping[str, float] | None = None,
        *,
        samples: Sequence[float] | None = None,
        failed: bool = False,
        infeasible: bool = False,
        reason: str | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> Trial:
        """Add an evaluation made outside the study (warm start); params must be in the space."""
        valid = self.space.validate(params)
        r = self._result(value, samples, failed, infeasible, reason, attrs)
        new = NewTrial(
            params=valid,
            state=r.state,
            values=r.values,
            value=r.value,
            samples=r.samples,
            reason=r.reason,
            attrs={"source": "user", **r.attrs},
        )
        (created,) = self._storage.create_trials(self._study_id, [new])
        return created

    def _trial_id(self, trial: Trial | int) -> int:
        if isinstance(trial, Trial):
            return trial.id
        if isinstance(trial, bool) or not isinstance(trial, (int, np.integer)):
            raise InvalidArgumentError(f"`trial` must be a Trial or a trial id, got {trial!r}")
        return int(trial)

    def _result(
        self,
        value: float | Mapping[str, float] | None,
        samples: Sequence[float] | None,
        failed: bool,
        infeasible: bool,
        reason: str | None,
        attrs: Mapping[str, Any] | None,
    ) -> TrialResult:
        given = [value is not None, samples is not None, bool(failed), bool(infeasible)]
        if sum(given) != 1:
            raise InvalidArgumentError(
                "tell exactly one of `value`, `samples=`, `failed=True` or `infeasible=True`"
            )
        if reason is not None and not isinstance(reason, str):
            raise InvalidArgumentError(f"`reason` must be a string, got {reason!r}")
        extra = dict(attrs or {})
        if failed:
            return TrialResult(TrialState.FAILED, reason=reason, attrs=extra)
        if infeasible:
            return TrialResult(TrialState.INFEASIBLE, reason=reason, attrs=extra)
        first = self.objectives[0].name
        reps: tuple[float, ...] | None = None
        if samples is not None:
            if len(self.objectives) != 1:
                raise InvalidValueError(
                    "`samples=` are replicates of the single objective; this study has "
                    f"{len(self.objectives)} objectives: tell a mapping of metrics instead"
                )
            if isinstance(samples, (str, bytes, Mapping)) or not isinstance(samples, Sequence):
                raise InvalidValueError(f"`samples` must be a list of numbers, got {samples!r}")
            if len(samples) == 0:
                raise InvalidValueError("`samples` must hold at least one replicate")
            reps = tuple(check_finite(f"{first}[{i}]", v) for i, v in enumerate(samples))
            values = {first: float(np.mean(reps))}
        elif isinstance(value, Mapping):
            values = {}
            for k, v in value.items():
                if not isinstance(k, str) or not k:
                    raise InvalidValueError(f"metric names must be non-empty strings, got {k!r}")
                values[k] = check_finite(k, v)
            missing = [m for m in self.spec.metrics if m not in values]
            if missing:
                raise InvalidValueError(
                    f"the told metrics {sorted(values)} miss the objective or constraint "
                    f"metric(s) {missing}"
                )
        else:
            if len(self.objectives) != 1:
                raise InvalidValueError(
                    f"this study has objectives {[o.name for o in self.objectives]}: tell a "
                    "mapping {metric: value}, not a single number"
                )
            values = {first: check_finite(first, value)}
        if self.constraints and not isinstance(value, Mapping):
            raise InvalidValueError(
                f"this study has constraints {[str(c) for c in self.constraints]}: tell a "
                "mapping holding the objective and every constraint metric"
            )
        return TrialResult(
            TrialState.COMPLETED,
            values=values,
            value=values[first],
            samples=reps,
            reason=reason,
            attrs=extra,
        )

    # -- leases ------------------------------------------------------------------------------------
    def heartbeat(self, trials: Sequence[Trial | int], lease: float) -> int:
        """Extend the lease of RUNNING ``trials`` to ``lease`` seconds from now."""
        ids = [self._trial_id(t) for t in trials]
        return self._storage.heartbeat(self._study_id, ids, time.time() + lease)

    def abandon(self, trials: Sequence[Trial | int], reason: str = "abandoned") -> list[Trial]:
        """Give RUNNING trials up; their points are offered again by the next ask."""
        ids = [self._trial_id(t) for t in trials]
        return self._storage.abandon_trials(self._study_id, ids, reason)

    def abandon_stale(self) -> list[Trial]:
        """Abandon RUNNING trials whose lease expired or whose process on this host died."""
        running = self._storage.get_trials(self._study_id, states=[TrialState.RUNNING])
        return self._abandon(self._stale(running))

    def _stale(self, trials: Sequence[Trial]) -> dict[int, str]:
        """RUNNING ``trials`` to abandon, with the reason: lease expired, or worker gone."""
        now = time.time()
        stale: dict[int, str] = {}
        alive: dict[str, bool | None] = {self._worker: True}  # one /proc read per worker
        for t in trials:
            if t.state != TrialState.RUNNING:
                continue
            if t.lease_expires_at is not None and t.lease_expires_at < now:
                stale[t.id] = "lease expired"
            elif "worker" in t.attrs:
                worker = str(t.attrs["worker"])
                if worker not in alive:
                    alive[worker] = worker_alive(worker)
                if alive[worker] is False:
                    stale[t.id] = f"worker {worker} is gone"
        return stale

    def _abandon(self, stale: dict[int, str]) -> list[Trial]:
        out: list[Trial] = []
        for reason in sorted(set(stale.values())):
            ids = [i for i, r in stale.items() if r == reason]
            out += self._storage.abandon_trials(self._study_id, ids, reason)
        return out


@dataclass(frozen=True)
class AskRequest:
    """One ask of :meth:`Study.ask_many`: ``count`` trials for ``client_id`` (or anyone),
    with a lease of ``lease`` seconds (or none)."""

    count: int = 1
    client_id: str | None = None
    lease: float | None = None


@dataclass(frozen=True)
class TellRequest:
    """One tell of :meth:`Study.tell_many`, with :meth:`Study.tell`'s arguments."""

    trial: Trial | int
    value: float | Mapping[str, float] | None = None
    samples: Sequence[float] | None = None
    failed: bool = False
    infeasible: bool = False
    reason: str | None = None
    attrs: Mapping[str, Any] | None = None
    request_id: str | None = None


def _check_ask(r: AskRequest) -> None:
    n = r.count
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgumentError(f"`n >= 1` must hold, got n={n!r}")
    lease = r.lease
    if lease is not None and not (
        isinstance(lease, (int, float)) and not isinstance(lease, bool) and 0 < lease < 1e9
    ):
        raise InvalidArgumentError(f"`lease > 0` seconds must hold, got lease={lease!r}")
    if r.client_id is not None and not isinstance(r.client_id, str):
        raise InvalidArgumentError(f"`client_id` must be a string, got {r.client_id!r}")


def _assign(t: NewTrial, client_id: str | None, expires: float | None) -> NewTrial:
    """The new trial for one ask slot: a client's trial is not tied to this process."""
    if client_id is None:
        return replace(t, lease_expires_at=expires)
    attrs = {k: v for k, v in t.attrs.items() if k != "worker"}
    return replace(t, attrs=attrs, client_id=client_id, lease_expires_at=expires)


def _conflict_message(name: str, stored: StudySpec, given: StudySpec) -> str:
    diff = []
    if stored.space != given.space:
        diff.append(f"space {stored.space.to_dict()} vs {given.space.to_dict()}")
    if stored.constraints != given.constraints:
        diff.append(
            f"constraints {[str(c) for c in stored.constraints]} vs "
            f"{[str(c) for c in given.constraints]}"
        )
    if stored.objectives != given.objectives:
        diff.append(
            f"objectives {[(o.name, o.direction) for o in stored.objectives]} vs "
            f"{[(o.name, o.direction) for o in given.objectives]}"
        )
    return (
        f"study {name!r} already exists with a different definition (stored vs given: "
        f"{'; '.join(diff)}); use another name for a new study, or delete the old one"
    )
