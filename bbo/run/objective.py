"""Evaluating one trial: run a command or call a Python function, return a :class:`Result`.

An :class:`Evaluator` is called from worker threads (``evaluate`` blocks until the result is
known) and never touches the study: results are plain, picklable data that the runner tells
from its own thread.

* :class:`CommandEvaluator` starts the argv template as a subprocess in a new session (so a
  Ctrl-C at the terminal reaches bbo only, and a timeout or cancel kills the whole process
  group). The last non-empty stdout line is the result: a number, a JSON object of metrics,
  or ``{"samples": [...]}``.
* :class:`PythonEvaluator` calls ``module:function(**params)`` in long-lived worker
  processes (``spawn`` context, one per worker thread, so the module is imported once per
  worker). It manages its own processes rather than a ProcessPoolExecutor, so that a
  timeout or cancel can kill the one process that is stuck and replace it.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # multiprocessing.connection costs `bbo tell` 5 ms to import
    from multiprocessing.connection import Connection

TAIL_LINES = 20
TAIL_CHARS = 2000
_PYTHONS = ("python", "python3")


@dataclass(frozen=True)
class Result:
    """The outcome of one evaluation, in the terms of ``Study.tell``: exactly one of a
    ``value`` (number or metrics mapping), replicate ``samples``, or ``failed``.
    ``config_error``: the failure comes from the setup, not from the point (output that is
    not in the result protocol, a ``python:`` module that does not import); the runner
    stops on it instead of recording a FAILED trial (:mod:`bbo.run.checks`).
    ``finished_at``: the unix time the evaluation ended (:meth:`Evaluator.timed`), told as
    the trial's ``finished_at`` however late the runner gets to it."""

    value: float | dict[str, float] | None = None
    samples: list[float] | None = None
    failed: bool = False
    reason: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    config_error: bool = False
    finished_at: float | None = None

    @classmethod
    def failure(cls, reason: str, *, config_error: bool = False, **attrs: Any) -> Result:
        kept = {k: v for k, v in attrs.items() if v}
        return cls(failed=True, reason=reason, attrs=kept, config_error=config_error)


def tail(text: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last ``lines`` lines of ``text``, at most ``chars`` characters."""
    out = "\n".join(text.rstrip().splitlines()[-lines:])
    return out[-chars:]


def _number(v: object) -> float | None:
    """``v`` as a float when it is a real number (numpy scalars too), else None."""
    if isinstance(v, (bool, str, bytes)):
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def interpret(ret: object, who: str = "the function") -> Result:
    """A returned / printed result -> Result: a number, a mapping of metrics, or a mapping
    ``{"samples": [numbers]}``. Non-finite numbers pass through (the study refuses them)."""
    expected = "expected a number, a mapping of metrics or {'samples': [...]}"
    num = _number(ret)
    if num is not None:
        return Result(value=num)
    if isinstance(ret, Mapping):
        if "samples" in ret:
            raw = ret["samples"]
            samples = [_number(s) for s in raw] if isinstance(raw, (list, tuple)) else [None]
            if len(ret) != 1 or not samples or any(s is None for s in samples):
                return Result.failure(
                    f"{who} returned {ret!r}: `samples` must be the only key, "
                    "holding a non-empty list of numbers",
                    config_error=True,
                )
            return Result(samples=[float(s) for s in samples if s is not None])
        metrics: dict[str, float] = {}
        for k, v in ret.items():
            x = _number(v)
            if x is None:
                return Result.failure(
                    f"{who} returned metric {k!r} = {v!r}, not a number", config_error=True
                )
            metrics[str(k)] = x
        if metrics:
            return Result(value=metrics)
    return Result.failure(f"{who} returned {_short(repr(ret))}: {expected}", config_error=True)


def _short(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def parse_output(stdout: str) -> Result:
    """The result of a command from its stdout: its last non-empty line."""
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
    if not lines:
        return Result.failure("the command printed nothing on stdout; print the result last")
    last = lines[-1]
    try:
        return Result(value=float(last))
    except ValueError:
        pass
    if last.startswith("{"):
        try:
            obj = json.loads(last)
        except json.JSONDecodeError as e:
            return Result.failure(
                f"the last stdout line is not valid JSON ({e.msg}): {last!r}", config_error=True
            )
        return interpret(obj, who="the command")
    quoted = " | ".join(repr(_short(ln, 200)) for ln in lines[-3:])
    return Result.failure(
        f"the command printed no number on its last line: {quoted}", config_error=True
    )


class Evaluator(ABC):
    """Evaluates configurations; ``evaluate`` is thread-safe and blocking."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    @abstractmethod
    def evaluate(self, trial_id: int, params: dict[str, Any]) -> Result:
        """Evaluate one configuration (never raises for a failing objective)."""

    def timed(self, trial_id: int, params: dict[str, Any]) -> Result:
        """:meth:`evaluate`, time-stamped in the calling thread as it returns."""
        res = self.evaluate(trial_id, params)
        return res if res.finished_at is not None else replace(res, finished_at=time.time())

    @abstractmethod
    def cancel(self) -> None:
        """Stop every evaluation in flight; later calls return a failure at once."""

    def close(self) -> None:
        """Release processes; the default cancels."""
        self.cancel()


class CommandEvaluator(Evaluator):
    """Runs an argv template per trial; ``{name}`` is replaced by the parameter value.

    A leading ``python`` / ``python3`` is replaced by ``sys.executable``, so the example
    studies run in the interpreter that runs bbo. The environment gets ``env`` and
    ``BBO_TRIAL_ID``.
    """

    def __init__(
        self,
        command: list[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        grace: float = 2.0,
    ) -> None:
        super().__init__()
        self.command, self.cwd, self.timeout, self.grace = list(command), cwd, timeout, grace
        self.env = {**os.environ, **(env or {})}
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def argv(self, params: dict[str, Any]) -> list[str]:
        argv = [arg.format(**params) for arg in self.command]
        if argv[0] in _PYTHONS:
            argv[0] = sys.executable
        return argv

    def evaluate(self, trial_id: int, params: dict[str, Any]) -> Result:
        try:
            argv = self.argv(params)
        except (KeyError, IndexError, ValueError) as e:
            return Result.failure(f"cannot fill the command template: {e!r}")
        env = {**self.env, "BBO_TRIAL_ID": str(trial_id)}
        with self._lock:
            if self._cancelled.is_set():
                return Result.failure("cancelled")
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    errors="replace",
                    start_new_session=True,
                )
            except OSError as e:
                return Result.failure(f"cannot start {argv[0]!r}: {e.strerror or e}")
            self._procs.add(proc)
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            out, err = _drain(proc)
            return Result.failure(f"timed out after {self.timeout:g}s", stderr_tail=tail(err))
        finally:
            with self._lock:
                self._procs.discard(proc)
        if self._cancelled.is_set():
            return Result.failure("cancelled")
        if proc.returncode != 0:
            rc = proc.returncode
            why = f"killed by signal {-rc}" if rc < 0 else f"exit code {rc}"
            return Result.failure(why, stderr_tail=tail(err), stdout_tail=tail(out, 5, 500))
        res = parse_output(out)
        if res.failed:
            return replace(res, attrs={"stderr_tail": tail(err)} if err.strip() else {})
        return res

    def cancel(self) -> None:
        """SIGTERM every running process group, SIGKILL what is left after ``grace``."""
        with self._lock:
            self._cancelled.set()
            procs = list(self._procs)
        for p in procs:
            _kill_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.02)
        for p in procs:
            _kill_group(p.pid, signal.SIGKILL)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by ``pid`` (the process and its children)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Output of a killed process; give up if a stray grandchild keeps the pipes open."""
    try:
        return proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        return "", ""


# -- Python functions --------------------------------------------------------------------------
def _serve(conn: Connection, target: str, paths: list[str], cwd: str, env: dict[str, str]) -> None:
    """Worker process: import ``module:function`` once, then answer params with Results."""
    os.setsid()  # out of the terminal's process group: Ctrl-C is bbo's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    os.chdir(cwd)
    sys.path[:0] = [p for p in paths if p not in sys.path]
    fn: Any = None
    import_error = None
    try:
        module, name = target.split(":")
        fn = getattr(importlib.import_module(module), name)
    except BaseException as e:
        import_error = Result.failure(
            f"cannot import {target!r}: {type(e).__name__}: {e}",
            config_error=True,
            traceback_tail=tail(traceback.format_exc()),
        )
    conn.send(_READY)  # the evaluation timeout starts now, not at interpreter start-up
    while True:
        try:
            params = conn.recv()
        except (EOFError, OSError):
            return  # bbo is gone or closed the pipe
        if import_error is not None:
            conn.send(import_error)
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # keep bbo's display clean
                res = interpret(fn(**params))
        except BaseException as e:
            res = Result.failure(
                f"{target} raised {type(e).__name__}: {_short(str(e))}",
                traceback_tail=tail(traceback.format_exc()),
            )
        conn.send(res)


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

    def call(self, params: dict[str, Any], timeout: float | None) -> Result | None:
        """The Result, or None when ``timeout`` passed first (counted from when the worker
        has imported the module); _StartupTimeout when it never got ready."""
        self.conn.send(params)
        if not self.ready:
            if not self.conn.poll(STARTUP):
                raise _StartupTimeout
            self.conn.recv()  # _READY
            self.ready = True
        if not self.conn.poll(timeout):
            return None
        res: Result = self.conn.recv()
        return res

    def kill(self) -> None:
        if self.proc.pid is not None:
            _kill_group(self.proc.pid, signal.SIGKILL)  # the function's own children too
        self.proc.kill()
        self.proc.join(5)  # the pipe closes when this object goes (another thread may poll it)


class PythonEvaluator(Evaluator):
    """Calls ``module:function(**params)`` in one spawned worker process per thread."""

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

    def evaluate(self, trial_id: int, params: dict[str, Any]) -> Result:
        w = self._worker()
        if w is None:
            return Result.failure("cancelled")
        try:
            res = w.call(params, self.timeout)
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


def make_evaluator(
    *,
    command: list[str] | None,
    python: str | None,
    cwd: Path,
    yaml_dir: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Evaluator:
    """The evaluator for an objective: exactly one of ``command`` and ``python``."""
    if command is not None:
        return CommandEvaluator(command, cwd=cwd, env=env, timeout=timeout)
    if python is None:
        raise ValueError("one of `command` and `python` is needed")
    paths = list(dict.fromkeys([yaml_dir, cwd]))
    return PythonEvaluator(python, cwd=cwd, paths=paths, env=env, timeout=timeout)


__all__ = [
    "CommandEvaluator",
    "Evaluator",
    "PythonEvaluator",
    "Result",
    "interpret",
    "make_evaluator",
    "parse_output",
    "tail",
]
