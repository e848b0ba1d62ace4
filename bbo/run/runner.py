"""The ``bbo run`` loop: ask, evaluate in parallel, tell, heartbeat, stop cleanly, resume.

Evaluations run in a thread pool whose threads block on a subprocess or a worker process;
asks run in one background thread, so a slow ask (a GP fit) never holds a finished
evaluation back: the calling thread tells each result as it arrives, with the time its
evaluation ended (:meth:`Evaluator.timed`) as the trial's ``finished_at``. The loop keeps
up to ``workers`` evaluations in flight until ``budget`` trials are finished (COMPLETED,
FAILED or INFEASIBLE; ABANDONED ones do not count). Each ask is one batch for the free
slots and, with several workers, for those expected to free up before it returns
(:mod:`bbo.run.pace`), so the strategy sees every pending point and workers do not wait
for one ask after another. With ``workers: 1`` each ask follows the previous tell, as
before: a seeded study gives the same trials.

A crashed evaluation (a failed :class:`Result`) is run again, for the same trial, up to
``retries`` more times; the trial records ``attrs["attempts"]``. With ``max_failures``,
the run stops (status FAILURES) once that many trials were told FAILED by this run; its
running trials are abandoned, so a rerun after a fix resumes.

Until a trial of this run has a result, a result that the study cannot accept because of
its configuration (output outside the protocol, metrics that do not match, a module that
does not import: :mod:`bbo.run.checks`) stops the run (status CONFIG_ERROR): that trial is
ABANDONED with a reason starting ``configuration error:``, not FAILED, so it neither counts
towards the budget nor reaches the model, and a rerun after the fix evaluates its point.

Asked trials hold a lease of :data:`LEASE` seconds, renewed every ``LEASE / 4`` seconds
while they run; if this process dies, a later ``Study.ask`` (any rerun) abandons them
(lease expired, or at once when their process on this host is gone) and offers their points
again. SIGINT and SIGTERM stop the loop: running evaluations are killed, an ask in
progress is let finish, and their trials are ABANDONED with reason ``interrupted``, so the
same command resumes the study.

Intermediate values: each evaluation gets a ``report`` callback (command progress lines,
``trial.report`` of a ``python:`` function) that stores the value with
:meth:`bbo.Study.report` from the evaluation's thread and answers whether the study's
pruner stops the trial; a stopped evaluation (or a function raising ``bbo.TrialPruned``)
is told ``pruned=True``: PRUNED, with ``attrs["pruned_at_step"]``, counted towards the
budget like any finished trial, and never re-run on resume.

Display is the caller's: pass a :class:`Reporter`.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from bbo.exceptions import BboError, FailedPreconditionError
from bbo.run.checks import CONFIG_PREFIX, fit_result, result_problem
from bbo.run.config import StudyConfig
from bbo.run.config_fidelity import fill_fidelity
from bbo.run.objective import Evaluator, Result, make_evaluator
from bbo.run.pace import Pace
from bbo.study import Study, Trial, TrialState
from bbo.study.workers import this_worker

LEASE = 60.0
"""Seconds an asked trial stays RUNNING without a heartbeat (renewed every LEASE / 4)."""
_POLL = 0.2  # seconds between checks for a stop request while evaluations run


class Reporter(Protocol):
    """What the runner tells its display."""

    def started(self, study: Study, finished: int, budget: int) -> None: ...

    def asked(self, trials: list[Trial]) -> None: ...

    def retrying(self, trial: Trial, attempt: int, res: Result) -> None: ...

    def told(self, trial: Trial, finished: int, best: Trial | list[Trial] | None) -> None: ...


class Status(str, Enum):
    COMPLETED = "completed"  # the budget was reached by this run
    ALREADY_DONE = "already_done"  # the budget was reached before this run started
    INTERRUPTED = "interrupted"  # SIGINT / SIGTERM; a rerun resumes
    FAILURES = "failures"  # max_failures trials FAILED in this run; a rerun resumes
    CONFIG_ERROR = "config_error"  # the study's setup is wrong; fix it, a rerun resumes


@dataclass(frozen=True)
class RunResult:
    status: Status
    study: Study
    abandoned: tuple[int, ...] = ()
    failed: int = 0  # trials told FAILED by this run
    config_error: str | None = None  # CONFIG_ERROR: "trial N: why"


def open_study(config: StudyConfig, device: str | None = None) -> Study:
    """Create or reopen the study of ``config`` (StudyConflictError if its space changed);
    ``device``: the process's runtime setting (``bbo run --device``). Its
    ``initial_points`` are queued unless already a trial or queued (a resumed run does not
    queue them twice)."""
    study = Study.open(config.spec(), config.storage_url, name=config.name, device=device)
    if config.initial_points:
        study.enqueue(config.initial_points, skip_if_exists=True)
    return study


def objective_cwd(config: StudyConfig, yaml_dir: Path) -> Path:
    """Working directory of the evaluations: ``objective.cwd`` against the yaml directory,
    else the current directory."""
    cwd = config.objective.cwd
    return (yaml_dir / cwd).resolve() if cwd is not None else Path.cwd()


def evaluator_for(
    config: StudyConfig, yaml_dir: Path, fidelity: Mapping[str, Any] | None = None
) -> Evaluator:
    """The evaluator of ``config.objective`` on ``config.executor``. ``fidelity``: the
    study's (``spec.fidelity``, a stored one when the file has none): each evaluation runs
    to ``high``, given as the command's ``{name}`` placeholder and ``$BBO_FIDELITY``."""
    obj = config.objective
    if fidelity is not None:
        high = int(fidelity["high"])
        command = None if obj.command is None else fill_fidelity(obj.command, fidelity)
        env = {**obj.env, "BBO_FIDELITY": str(high)}
        obj = obj.model_copy(update={"command": command, "env": env})
    cwd = objective_cwd(config, yaml_dir)
    ex = config.executor
    if ex.type == "ray":
        from bbo.run.ray_executor import RayEvaluator  # lazy: ray is an optional extra

        kind = "command" if obj.command is not None else "python"
        paths = [str(p) for p in dict.fromkeys([yaml_dir, cwd])]
        spec = {
            "kind": kind,
            "command": obj.command,
            "python": obj.python,
            "paths": paths,
            "cwd": str(cwd),
            "env": dict(obj.env),
            "timeout": obj.timeout,
        }
        return RayEvaluator(
            spec,
            address=ex.address,
            num_cpus=ex.resources.num_cpus,
            num_gpus=ex.resources.num_gpus,
            runtime_env=ex.runtime_env,
        )
    return make_evaluator(
        command=obj.command,
        python=obj.python,
        cwd=cwd,
        yaml_dir=yaml_dir,
        env=obj.env,
        timeout=obj.timeout,
    )


def count_finished(study: Study) -> int:
    return sum(t.state.finished for t in study.trials)


def tell_result(study: Study, trial: Trial, res: Result) -> Trial:
    """Tell ``res``; a result the study refuses (NaN, missing metric ...) becomes FAILED."""
    attrs = dict(res.attrs)
    if res.pruned:
        if res.pruned_step is not None:
            attrs["pruned_at_step"] = res.pruned_step
        why = f"pruned at step {res.pruned_step}" if res.pruned_step is not None else "pruned"
        return study.tell(trial, pruned=True, reason=why, attrs=attrs, finished_at=res.finished_at)
    try:
        return study.tell(
            trial,
            None if res.failed or res.samples is not None else res.value,
            samples=res.samples,
            failed=res.failed,
            reason=res.reason,
            attrs=attrs,
            finished_at=res.finished_at,
        )
    except BboError as e:
        why = f"the study refused the result: {e}"
        return study.tell(trial, failed=True, reason=why, attrs=attrs, finished_at=res.finished_at)


class _StopFlag:
    """Set by SIGINT / SIGTERM; the loop polls it (no exception in the middle of a write)."""

    def __init__(self) -> None:
        self.signal: str | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signal = self.signal or signal.Signals(signum).name

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = {s: signal.signal(s, self) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)


class Runner:
    """Drives one study to its budget. ``run()`` returns a :class:`RunResult`."""

    def __init__(
        self,
        study: Study,
        evaluator: Evaluator,
        *,
        budget: int,
        workers: int,
        reporter: Reporter | None = None,
        lease: float = LEASE,
        retries: int = 0,
        max_failures: int | None = None,
    ) -> None:
        self.study, self.evaluator, self.reporter = study, evaluator, reporter
        self.budget, self.workers, self.lease = budget, workers, lease
        self.retries, self.max_failures = retries, max_failures
        self._stop = _StopFlag()
        self._running: dict[Future[Result], Trial] = {}
        self._started: dict[Future[Result], float] = {}  # time.time() at submission
        self._queued: list[Trial] = []  # asked, waiting for a free slot
        self._asking: Future[tuple[list[Trial], float]] | None = None  # the ask in progress
        self._pace = Pace(workers)
        self._attempts: dict[int, int] = {}  # trial id -> evaluations started
        self._failed = 0
        self._has_result = False  # a trial of this run was told a result: the setup works
        self._config_error: str | None = None

    @property
    def _too_many_failures(self) -> bool:
        return self.max_failures is not None and self._failed >= self.max_failures

    def run(self) -> RunResult:
        finished = count_finished(self.study)
        if self.reporter:
            self.reporter.started(self.study, finished, self.budget)
        if finished >= self.budget:
            self.evaluator.close()
            return RunResult(Status.ALREADY_DONE, self.study)
        with (
            self._stop.installed(),
            ThreadPoolExecutor(self.workers, thread_name_prefix="bbo-eval") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="bbo-ask") as asker,
        ):
            try:
                self._loop(pool, asker, finished)
            finally:
                abandoned = self._shutdown()
        if self._stop.signal is not None:
            return RunResult(Status.INTERRUPTED, self.study, abandoned, self._failed)
        if self._config_error is not None:
            return RunResult(
                Status.CONFIG_ERROR, self.study, abandoned, self._failed, self._config_error
            )
        if self._too_many_failures:
            return RunResult(Status.FAILURES, self.study, abandoned, self._failed)
        return RunResult(Status.COMPLETED, self.study, failed=self._failed)

    def _stopping(self) -> bool:
        return (
            self._stop.signal is not None
            or self._too_many_failures
            or self._config_error is not None
        )

    def _submit(self, pool: ThreadPoolExecutor, trial: Trial) -> None:
        self._attempts[trial.id] = self._attempts.get(trial.id, 0) + 1
        fut = pool.submit(
            self.evaluator.timed, trial.id, dict(trial.params), self._reporter(trial.id)
        )
        self._running[fut] = trial
        self._started[fut] = time.time()

    def _reporter(self, trial_id: int) -> Callable[[object, object], bool]:
        """The ``report(step, value) -> prune?`` of one evaluation (called in its thread).
        A retried evaluation (``retries``) starts its steps again: a report that conflicts
        with the earlier attempt's (a step below its last, another value) is skipped, the
        earlier one stands, and the pruner judges the stored curve."""
        retry = self._attempts.get(trial_id, 1) > 1

        def report(step: object, value: object) -> bool:
            try:
                return self.study.report(trial_id, value, step)  # type: ignore[arg-type]
            except FailedPreconditionError:
                if not retry or self.study.trial(trial_id).state.finished:
                    raise
                return self.study.should_prune(trial_id)

        return report

    def _ask(self, k: int) -> tuple[list[Trial], float]:
        """In the ask thread: ``k`` new trials, and how long the ask took."""
        t0 = time.time()
        trials = self.study.ask(k, lease=self.lease)
        return trials, time.time() - t0

    def _loop(self, pool: ThreadPoolExecutor, asker: ThreadPoolExecutor, finished: int) -> None:
        last_beat = time.monotonic()
        while finished < self.budget and not self._stopping():
            while self._queued and len(self._running) < self.workers:
                self._submit(pool, self._queued.pop(0))
            timeout = _POLL
            if self._asking is None:
                now, starts = time.time(), list(self._started.values())
                left = self.budget - finished - len(self._running) - len(self._queued)
                k = min(self._pace.slots(now, starts, len(self._queued)), left)
                if k > 0:
                    self._asking = asker.submit(self._ask, k)
                else:
                    timeout = min(timeout, self._pace.due(now, starts) or timeout)
            waiting: list[Future[Any]] = [*self._running, *filter(None, [self._asking])]
            wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
            if self._collect(pool):  # results first: each is told before an ask returns
                finished = count_finished(self.study)
            if self._asking is not None and self._asking.done():
                fut, self._asking = self._asking, None
                asked, seconds = fut.result()
                self._pace.asked(seconds)
                self._queued += asked
                if self.reporter:
                    self.reporter.asked(asked)
            held = [*self._running.values(), *self._queued]
            if time.monotonic() - last_beat > self.lease / 4 and held:
                self.study.heartbeat(held, self.lease)
                last_beat = time.monotonic()

    def _collect(self, pool: ThreadPoolExecutor) -> bool:
        """Tell (or retry) every finished evaluation; whether there was one."""
        done = sorted((f for f in self._running if f.done()), key=lambda f: self._running[f].id)
        for fut in done:
            trial, res, started = self._running.pop(fut), fut.result(), self._started.pop(fut)
            if res.finished_at is not None:
                self._pace.evaluated(res.finished_at - started)
            attempt = self._attempts[trial.id]
            retry = res.failed and not res.config_error and attempt <= self.retries
            if retry and not self._stopping():
                if self.reporter:
                    self.reporter.retrying(trial, attempt, res)
                self._submit(pool, trial)
                continue
            self._tell(trial, res)
        return bool(done)

    def _tell(self, trial: Trial, res: Result) -> None:
        attempts = self._attempts.pop(trial.id, 1)
        if self.retries:
            res = replace(res, attrs={**res.attrs, "attempts": attempts})
        res = fit_result(self.study.spec, res)
        try:
            problem = self._config_problem(trial, res)
            if problem is not None:
                self.study.abandon([trial], reason=CONFIG_PREFIX + problem)
                self._config_error = self._config_error or f"trial {trial.id}: {problem}"
                return
            told = tell_result(self.study, trial, res)
        except BboError:  # e.g. abandoned by another process and re-evaluated meanwhile
            return
        if told.state == TrialState.FAILED:
            self._failed += 1
        else:
            self._has_result = True
        if self.reporter:
            self.reporter.told(told, count_finished(self.study), self.study.best)

    def _config_problem(self, trial: Trial, res: Result) -> str | None:
        """Why ``res`` shows a mistake of the setup (None: a result, or a failure of the
        point). Only until a trial of this run got a result (then the setup works and an odd
        output is the point's), and never for the retry of a trial abandoned for one (a
        rerun without a fix records it FAILED instead of stopping at it again)."""
        if self._has_result or res.pruned:
            return None
        why = (
            res.reason if res.failed and res.config_error else result_problem(self.study.spec, res)
        )
        if why is None:
            return None
        if trial.retry_of is not None:
            before = self.study.trial(trial.retry_of).reason or ""
            if before.startswith(CONFIG_PREFIX):
                return None
        return why

    def _shutdown(self) -> tuple[int, ...]:
        """Tell what finished, kill the rest and abandon their trials, those of an ask in
        progress (let finish) and any RUNNING trial this process asked but lost track of,
        e.g. an ask cut short by an error."""
        if self._asking is not None:
            ask, self._asking = self._asking, None
            with suppress(Exception):  # an ask that failed: its error is already raised
                self._queued += ask.result()[0]
        if not self._stopping() and not self._running and not self._queued:
            self.evaluator.close()
            return ()
        # keep genuine results that arrived before the stop
        for fut in [f for f in self._running if f.done()]:
            self._tell(self._running.pop(fut), fut.result())
        self.evaluator.cancel()
        wait(list(self._running), timeout=30)
        me = this_worker()
        ids = {t.id for t in [*self._running.values(), *self._queued]}
        ids |= {
            t.id
            for t in self.study.trials
            if t.state == TrialState.RUNNING and t.attrs.get("worker") == me
        }
        self._running.clear()
        self._started.clear()
        self._queued.clear()
        self.evaluator.close()
        if self._stop.signal:
            reason = "interrupted"
        elif self._too_many_failures:
            reason = f"bbo run stopped: max_failures={self.max_failures} reached"
        elif self._config_error is not None:
            reason = f"bbo run stopped on a configuration error ({self._config_error})"
        else:
            reason = "bbo run stopped on an error"
        return tuple(t.id for t in self.study.abandon(sorted(ids), reason=reason))


__all__ = [
    "LEASE",
    "Reporter",
    "RunResult",
    "Runner",
    "Status",
    "count_finished",
    "evaluator_for",
    "objective_cwd",
    "open_study",
]
