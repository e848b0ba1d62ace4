"""Evaluations as Ray tasks: ``executor: ray`` in study.yaml.

bbo does not schedule anything itself here: each evaluation is one Ray task that reserves
the study's ``resources`` (``num_cpus``, ``num_gpus``), so Ray places it on a node with free
capacity, and ``workers`` bounds how many are in flight. Inside the task the objective runs
as it does locally:

* ``command``: a :class:`~bbo.run.objective.CommandEvaluator` on the node (its own process
  group, its ``timeout``); a cancel from bbo reaches the task as KeyboardInterrupt and kills
  the process group before the task ends;
* ``python``: ``module:function(**params)`` called in the Ray worker process itself (Ray
  workers are long-lived, so the module is imported once per worker); a time-out or cancel
  force-kills the Ray worker.

Ray's own task retries are off (``max_retries=0``): the study's ``retries`` are the one retry
policy, and a crashed node or worker is a failed :class:`Result` like any other crash.
The objective's files and ``cwd`` must exist on the nodes (a shared file system, or
``runtime_env: {working_dir: ...}``), and bbo must be installed there.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bbo.exceptions import ConfigError
from bbo.run.objective import CommandEvaluator, Evaluator, Result, _short, interpret, tail

_POLL = 0.2  # seconds between checks for a cancel while a task runs


@contextlib.contextmanager
def _inside(cwd: str, paths: list[str], env: Mapping[str, str]) -> Iterator[None]:
    """Run with ``cwd``, ``paths`` on sys.path and ``env`` set; restore afterwards (Ray
    reuses its worker processes for other tasks)."""
    old_cwd, old_env = os.getcwd(), {k: os.environ.get(k) for k in env}
    added = [p for p in paths if p not in sys.path]
    sys.path[:0] = added
    os.environ.update(env)
    try:
        os.chdir(cwd)
        yield
    finally:
        os.chdir(old_cwd)
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for p in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(p)


def call_function(
    target: str, paths: list[str], cwd: str, env: Mapping[str, str], params: dict[str, Any]
) -> Result:
    """``module:function(**params)`` in this process, as a Result (never raises)."""
    with _inside(cwd, paths, env):
        try:
            module, name = target.split(":")
            fn = getattr(importlib.import_module(module), name)
        except Exception as e:
            return Result.failure(
                f"cannot import {target!r}: {type(e).__name__}: {e}",
                config_error=True,
                traceback_tail=tail(traceback.format_exc()),
            )
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return interpret(fn(**params))
        except Exception as e:
            return Result.failure(
                f"{target} raised {type(e).__name__}: {_short(str(e))}",
                traceback_tail=tail(traceback.format_exc()),
            )


def _task(spec: dict[str, Any], trial_id: int, params: dict[str, Any]) -> Result:
    """The body of one Ray task (runs on a Ray worker)."""
    if spec["kind"] == "python":
        return call_function(spec["python"], spec["paths"], spec["cwd"], spec["env"], params)
    ev = CommandEvaluator(
        spec["command"], cwd=Path(spec["cwd"]), env=spec["env"], timeout=spec["timeout"]
    )
    # ray.cancel raises KeyboardInterrupt in this thread between bytecodes, which a thread
    # blocked in a system call never reaches: wait for the command in another thread and
    # keep this one waking up, so that a cancel kills the command's process group
    out: list[Result] = []
    runner = threading.Thread(target=lambda: out.append(ev.evaluate(trial_id, params)))
    runner.start()
    try:
        while runner.is_alive():
            runner.join(0.1)
    except BaseException:
        ev.cancel()
        raise
    return out[0] if out else Result.failure("the evaluation thread ended without a result")


class RayEvaluator(Evaluator):
    """Submits each evaluation as a Ray task with ``resources`` and waits for its Result.

    ``address=None`` connects to ``RAY_ADDRESS`` when set, else starts a local Ray; a Ray
    already initialized in this process (``ray.init`` by the caller) is used as it is.
    """

    def __init__(
        self,
        spec: dict[str, Any],
        *,
        address: str | None = None,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
        runtime_env: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "executor: type ray needs the `ray` package: pip install 'bbo[ray]'"
            ) from None
        self._ray = ray
        self.spec = dict(spec)
        self._started = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    runtime_env=runtime_env,
                    log_to_driver=False,
                    include_dashboard=False,
                    configure_logging=False,
                )
            except (ConnectionError, ValueError, RuntimeError) as e:
                raise ConfigError(
                    f"executor.address: cannot connect to Ray at {address!r}: {e}"
                ) from None
            self._started = True
        self._remote = ray.remote(_task).options(
            num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0, name="bbo-evaluate"
        )
        self._refs: set[Any] = set()
        self._lock = threading.Lock()
        self.grace = 10.0

    @property
    def timeout(self) -> float | None:
        t: float | None = self.spec.get("timeout")
        return t

    def evaluate(self, trial_id: int, params: dict[str, Any]) -> Result:
        ray = self._ray
        with self._lock:
            if self._cancelled.is_set():
                return Result.failure("cancelled")
            ref = self._remote.remote(self.spec, trial_id, params)
            self._refs.add(ref)
        # a command times itself out on the node; a Python function is timed out here
        limit = self.timeout if self.spec["kind"] == "python" else None
        deadline = time.monotonic() + limit if limit is not None else None
        try:
            while True:
                ready, _ = ray.wait([ref], timeout=_POLL)
                if ready:
                    res: Result = ray.get(ref)
                    return res
                if self._cancelled.is_set():
                    return Result.failure("cancelled")
                if deadline is not None and time.monotonic() > deadline:
                    ray.cancel(ref, force=True)
                    return Result.failure(f"timed out after {limit:g}s")
        except ray.exceptions.TaskCancelledError:
            return Result.failure("cancelled")
        except ray.exceptions.RayError as e:
            if self._cancelled.is_set():
                return Result.failure("cancelled")
            return Result.failure(f"the Ray task failed: {type(e).__name__}: {_short(str(e))}")
        finally:
            with self._lock:
                self._refs.discard(ref)

    def cancel(self) -> None:
        """Cancel every task in flight: a command's task kills its process group and ends;
        a Python function's worker is killed. Waits up to ``grace`` seconds for them."""
        with self._lock:
            self._cancelled.set()
            refs = list(self._refs)
        for ref in refs:
            with contextlib.suppress(Exception):
                self._ray.cancel(ref, force=self.spec["kind"] == "python")
        if refs:
            with contextlib.suppress(Exception):
                self._ray.wait(refs, num_returns=len(refs), timeout=self.grace)

    def close(self) -> None:
        self.cancel()
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
            self._started = False


__all__ = ["RayEvaluator", "call_function"]
