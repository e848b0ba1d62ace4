"""Evaluating one trial: run a command or call a Python function, return a :class:`Result`.

An :class:`Evaluator` is called from worker threads (``evaluate`` blocks until the result is
known) and never touches the study: results are plain, picklable data that the runner tells
from its own thread. Intermediate values go through the ``report`` callback the runner
hands in (:data:`~bbo.run.result.ReportFn`), which stores them and answers prune or not.

* :class:`CommandEvaluator` starts the argv template as a subprocess in a new session (so a
  Ctrl-C at the terminal reaches bbo only, and a timeout, cancel or prune stops the whole
  process group). The last non-empty stdout line that is not a progress line is the
  result: a number, a JSON object of metrics, or ``{"samples": [...]}``; progress lines
  (``{"step": 3, "value": 0.41}``) are reported as they are printed.
* :class:`~bbo.run.python_objective.PythonEvaluator` calls ``module:function(**params)``
  in long-lived worker processes (:mod:`bbo.run.python_objective`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bbo.run.python_objective import STARTUP, PythonEvaluator, WorkerTrial
from bbo.run.result import (
    TAIL_CHARS,
    TAIL_LINES,
    Evaluator,
    ReportFn,
    Result,
    _short,
    interpret,
    kill_group,
    parse_output,
    progress,
    tail,
)

_PYTHONS = ("python", "python3")
PRUNE_GRACE = 5.0
"""Seconds a pruned command gets between SIGTERM and SIGKILL."""


class CommandEvaluator(Evaluator):
    """Runs an argv template per trial; ``{name}`` is replaced by the parameter value.

    A leading ``python`` / ``python3`` is replaced by ``sys.executable``, so the example
    studies run in the interpreter that runs bbo. The environment gets ``env``,
    ``BBO_TRIAL_ID`` and ``PYTHONUNBUFFERED=1`` (unless set: progress lines then arrive as
    they are printed). Progress lines go to ``report`` as they come; when it says prune,
    the process group gets SIGTERM, and SIGKILL after ``prune_grace`` seconds.
    """

    reports = True

    def __init__(
        self,
        command: list[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        grace: float = 2.0,
        prune_grace: float = PRUNE_GRACE,
    ) -> None:
        super().__init__()
        self.command, self.cwd, self.timeout, self.grace = list(command), cwd, timeout, grace
        self.prune_grace = prune_grace
        self.env = {"PYTHONUNBUFFERED": "1", **os.environ, **(env or {})}
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def argv(self, params: dict[str, Any]) -> list[str]:
        # an inactive conditional parameter (absent) fills its placeholder with ""
        argv = [arg.format_map(_Blank(params)) for arg in self.command]
        if argv[0] in _PYTHONS:
            argv[0] = sys.executable
        return argv

    def evaluate(
        self, trial_id: int, params: dict[str, Any], report: ReportFn | None = None
    ) -> Result:
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
            run = _Streams(proc, report, self.prune_grace)
            if not run.follow(self.timeout):
                kill_group(proc.pid, signal.SIGKILL)
                out, err = run.drain()
                return Result.failure(f"timed out after {self.timeout:g}s", stderr_tail=tail(err))
            out, err = run.drain()
        finally:
            with self._lock:
                self._procs.discard(proc)
        if run.refused is not None:
            return Result.failure(run.refused, stderr_tail=tail(err))
        if run.pruned_step is not None:
            return Result(pruned=True, pruned_step=run.pruned_step)
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
            kill_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.02)
        for p in procs:
            kill_group(p.pid, signal.SIGKILL)


class _Streams:
    """Reads a process's stdout line by line as it comes (stderr in a thread), hands
    progress lines to ``report``, and stops the process when it says prune."""

    def __init__(self, proc: subprocess.Popen[str], report: ReportFn | None, grace: float):
        self.proc, self.report, self.grace = proc, report, grace
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        self.pruned_step: int | None = None
        self.refused: str | None = None
        self._killer: threading.Timer | None = None
        self._threads = [
            threading.Thread(target=self._pump, args=(proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._collect, args=(proc.stderr,), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream: Any, lines: queue.Queue[str | None]) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    def _collect(self, stream: Any) -> None:
        self.err.extend(stream)

    def follow(self, timeout: float | None) -> bool:
        """Read stdout to its end; False when ``timeout`` passed first."""
        deadline = time.monotonic() + timeout if timeout is not None else None
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                return True
            self.out.append(line)
            if self.report is not None and self.pruned_step is None and self.refused is None:
                self._progress(line)

    def _progress(self, line: str) -> None:
        found = progress(line)
        if found is None or self.report is None:
            return
        try:
            prune = self.report(*found)
        except Exception as e:  # the study refused the report: the trial fails
            self.refused = f"progress line {line.strip()!r} refused: {e}"
            self._stop()
            return
        if prune:
            self.pruned_step = int(found[0])  # type: ignore[call-overload]  # checked
            self._stop()

    def _stop(self) -> None:
        """SIGTERM the process group now, SIGKILL after ``grace`` seconds."""
        kill_group(self.proc.pid, signal.SIGTERM)
        self._killer = threading.Timer(self.grace, kill_group, (self.proc.pid, signal.SIGKILL))
        self._killer.daemon = True
        self._killer.start()

    def drain(self) -> tuple[str, str]:
        """``(stdout, stderr)`` once the process ended; give up on the pipes after 5 s if a
        stray grandchild keeps them open."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=None if self._killer is None else self.grace + 5)
        if self._killer is not None:
            self._killer.cancel()
        for t in self._threads:
            t.join(5)
        while True:  # lines read after a timeout
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.out.append(line)
        return "".join(self.out), "".join(self.err)


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
    "PRUNE_GRACE",
    "STARTUP",
    "TAIL_CHARS",
    "TAIL_LINES",
    "CommandEvaluator",
    "Evaluator",
    "PythonEvaluator",
    "ReportFn",
    "Result",
    "WorkerTrial",
    "_short",
    "interpret",
    "make_evaluator",
    "parse_output",
    "progress",
    "tail",
]


class _Blank(dict[str, Any]):
    """Trial params whose missing names (inactive conditional parameters) read as ``""``;
    study.yaml's placeholders are checked against the space when it is loaded."""

    def __missing__(self, key: str) -> str:
        return ""
