"""``python:`` objectives: ``module:function(**params)`` in long-lived worker processes
(``spawn`` context, one per worker thread, so the module is imported once per worker). The
evaluator manages its own processes rather than a ProcessPoolExecutor, so that a timeout or
cancel can kill the one process that is stuck and replace it.

A function with a parameter named ``trial`` gets a :class:`WorkerTrial`: its
``trial.report(value, step)`` travels over the worker's pipe to bbo, which stores it and
answers whether the pruner stops the trial (``trial.should_prune()``); raising
``bbo.TrialPruned`` then records the trial PRUNED.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bbo.run.result import Evaluator, ReportFn, Result, _short, interpret, kill_group, tail

if TYPE_CHECKING:  # multiprocessing.connection costs `bbo tell` 5 ms to import
    from multiprocessing.connection import Connection


def _answer(report: ReportFn | None, step: object, value: object) -> tuple[Any, ...]:
    """What the worker gets back for a report: ``("ok", prune?)`` or ``("error", class
    name, message)`` when the study refused it."""
    if report is None:
        return ("ok", False)
    try:
        return ("ok", bool(report(step, value)))
    except Exception as e:  # the study's error, re-raised in the worker
        return ("error", type(e).__name__, str(e))


class WorkerTrial:
    """The ``trial`` a ``python:`` objective gets when it takes a ``trial`` argument: its
    ``id`` and ``params``, :meth:`report` and :meth:`should_prune` (answered by bbo over
    the worker's pipe: the report is stored before the call returns)."""

    def __init__(self, trial_id: int, params: dict[str, Any], conn: Connection) -> None:
        self.id, self.params, self._conn = trial_id, dict(params), conn
        self.last_step: int | None = None
        self._prune = False

    def report(self, value: float, step: int) -> bool:
        """Store ``value`` at ``step``; whether the pruner says to stop (then raise
        ``bbo.TrialPruned``). A refused report raises the study's error."""
        self._conn.send(("report", step, value))
        answer = self._conn.recv()
        if answer[0] == "error":
            import bbo.exceptions as errors

            cls = getattr(errors, answer[1], errors.BboError)
            raise cls(answer[2])
        self.last_step = int(step)
        self._prune = bool(answer[1])
        return self._prune

    def should_prune(self) -> bool:
        """The pruner's answer to the last report (False before any)."""
        return self._prune

    @property
    def fidelity(self) -> int | None:
        """In a multi-fidelity study, the step to run this trial to (``$BBO_FIDELITY``,
        the fidelity's ``high``); None otherwise."""
        value = os.environ.get("BBO_FIDELITY")
        return int(value) if value else None

    def __repr__(self) -> str:
        return f"WorkerTrial(id={self.id}, params={self.params!r})"


def _serve(conn: Connection, target: str, paths: list[str], cwd: str, env: dict[str, str]) -> None:
    """Worker process: import ``module:function`` once, then answer ``(trial id, params)``
    with Results (and, before each, its reports: ``("report", step, value)``)."""
    os.setsid()  # out of the terminal's process group: Ctrl-C is bbo's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    os.chdir(cwd)
    sys.path[:0] = [p for p in paths if p not in sys.path]
    fn: Any = None
    takes_trial = False
    import_error = None
    try:
        module, name = target.split(":")
        fn = getattr(importlib.import_module(module), name)
        takes_trial = _takes_trial(fn)
    except BaseException as e:
        import_error = Result.failure(
            f"cannot import {target!r}: {type(e).__name__}: {e}",
            config_error=True,
            traceback_tail=tail(traceback.format_exc()),
        )
    conn.send(_READY)  # the evaluation timeout starts now, not at interpreter start-up
    while True:
        try:
            trial_id, params = conn.recv()
        except (EOFError, OSError):
            return  # bbo is gone or closed the pipe
        if import_error is not None:
            conn.send(import_error)
            continue
        conn.send(_call(fn, target, trial_id, params, conn, takes_trial))


def _takes_trial(fn: Any) -> bool:
    """Whether ``fn`` has a parameter named ``trial``."""
    try:
        return "trial" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _call(
    fn: Any, target: str, trial_id: int, params: dict[str, Any], conn: Connection, takes: bool
) -> Result:
    """``fn(**params)`` (with ``trial=`` when it takes one) as a Result."""
    from bbo.exceptions import TrialPruned

    trial = WorkerTrial(trial_id, params, conn)
    kwargs = {**params, "trial": trial} if takes and "trial" not in params else params
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # keep bbo's display clean
            return interpret(fn(**kwargs))
    except TrialPruned:
        return Result(pruned=True, pruned_step=trial.last_step)
    except BaseException as e:
        return Result.failure(
            f"{target} raised {type(e).__name__}: {_short(str(e))}",
            traceback_tail=tail(traceback.format_exc()),
        )


_READY = "ready"
STARTUP = 300.0
"""Seconds a Python worker may take to start and import the objective's module (not part
of the evaluation ``timeout``)."""


class _StartupTimeout(Exception):
    pass


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, ctx: Any, args: tuple[Any, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, *args), name="bbo-worker")
        self.proc.start()
        child.close()
        self.ready = False

    def call(
        self,
        trial_id: int,
        params: dict[str, Any],
        timeout: float | None,
        report: ReportFn | None = None,
    ) -> Result | None:
        """The Result, or None when ``timeout`` passed first (counted from when the worker
        has imported the module); _StartupTimeout when it never got ready. The function's
        reports go to ``report`` as they come, its answer back to the function."""
        self.conn.send((trial_id, params))
        if not self.ready:
            if not self.conn.poll(STARTUP):
                raise _StartupTimeout
            self.conn.recv()  # _READY
            self.ready = True
        deadline = time.monotonic() + timeout if timeout is not None else None
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not self.conn.poll(left):
                return None
            msg = self.conn.recv()
            if isinstance(msg, Result):
                return msg
            self.conn.send(_answer(report, msg[1], msg[2]))

    def kill(self) -> None:
        if self.proc.pid is not None:
            kill_group(self.proc.pid, signal.SIGKILL)  # the function's own children too
        self.proc.kill()
        self.proc.join(5)  # the pipe closes when this object goes (another thread may poll it)


class PythonEvaluator(Evaluator):
    """Calls ``module:function(**params)`` in one spawned worker process per thread; a
    function with a ``trial`` parameter gets a :class:`WorkerTrial` as it."""

    reports = True

    def __init__(
        self,
        target: str,
        *,
        cwd: Path,
        paths: list[Path],
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__()
        self.target, self.timeout = target, timeout
        self._args = (target, [str(p) for p in paths], str(cwd), dict(env or {}))
        self._ctx = mp.get_context("spawn")
        self._local = threading.local()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()

    def _worker(self) -> _Worker | None:
        w: _Worker | None = getattr(self._local, "worker", None)
        if w is not None and w.proc.is_alive():
            return w
        with self._lock:
            if self._cancelled.is_set():
                return None
            if w is not None:
                self._workers.discard(w)
            w = _Worker(self._ctx, self._args)
            self._workers.add(w)
        self._local.worker = w
        return w

    def evaluate(
        self, trial_id: int, params: dict[str, Any], report: ReportFn | None = None
    ) -> Result:
        w = self._worker()
        if w is None:
            return Result.failure("cancelled")
        try:
            res = w.call(trial_id, params, self.timeout, report)
        except (EOFError, OSError):
            res = Result.failure(f"the worker process died (exit code {w.proc.exitcode})")
        except _StartupTimeout:
            w.kill()
            return Result.failure(f"the worker process did not start within {STARTUP:g}s")
        if self._cancelled.is_set():
            return Result.failure("cancelled")
        if res is None:
            w.kill()  # the next call starts a fresh worker
            return Result.failure(f"timed out after {self.timeout:g}s")
        return res

    def cancel(self) -> None:
        with self._lock:
            self._cancelled.set()
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()


__all__ = ["PythonEvaluator", "WorkerTrial"]
