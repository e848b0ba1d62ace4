"""What every evaluator shares: the :class:`Result` of an evaluation, how a result and
progress lines are read from output, and the :class:`Evaluator` base class.

Progress lines (intermediate values for pruning): a line of a command's stdout that is a
JSON object with exactly the keys ``step`` (an integer >= 0) and ``value`` (a finite
number), e.g. ``{"step": 3, "value": 0.41}``, is a report, never the result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

ReportFn = Callable[[object, object], bool]
"""``report(step, value) -> prune?``: stores an intermediate value (raises the study's
error for a refused one) and says whether the pruner stops the evaluation."""

TAIL_LINES = 20
TAIL_CHARS = 2000
_PYTHONS = ("python", "python3")


@dataclass(frozen=True)
class Result:
    """The outcome of one evaluation, in the terms of ``Study.tell``: exactly one of a
    ``value`` (number or metrics mapping), replicate ``samples``, ``failed``, or
    ``pruned`` (the pruner stopped it after its report at ``pruned_step``, or a ``python:``
    function raised ``bbo.TrialPruned``).
    ``config_error``: the failure comes from the setup, not from the point (output that is
    not in the result protocol, a ``python:`` module that does not import); the runner
    stops on it instead of recording a FAILED trial (:mod:`bbo.run.checks`).
    ``finished_at``: the unix time the evaluation ended (:meth:`Evaluator.timed`), told as
    the trial's ``finished_at`` however late the runner gets to it."""

    value: float | dict[str, float] | None = None
    samples: list[float] | dict[str, list[float]] | None = None
    failed: bool = False
    reason: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    config_error: bool = False
    finished_at: float | None = None
    pruned: bool = False
    pruned_step: int | None = None

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


def _metric_samples(raw: Mapping[Any, Any], ret: object, who: str) -> Result:
    """``{"samples": {metric: [numbers]}}``: replicates per metric."""
    out: dict[str, list[float]] = {}
    for k, v in raw.items():
        nums = [_number(s) for s in v] if isinstance(v, (list, tuple)) else [None]
        if not nums or any(x is None for x in nums):
            return Result.failure(
                f"{who} returned {ret!r}: `samples[{k!r}]` must be a non-empty list of numbers",
                config_error=True,
            )
        out[str(k)] = [float(x) for x in nums if x is not None]
    return Result(samples=out)


def interpret(ret: object, who: str = "the function") -> Result:
    """A returned / printed result -> Result: a number, a mapping of metrics, or a mapping
    ``{"samples": [numbers]}`` (or ``{"samples": {metric: [numbers]}}``: replicates per
    metric). Non-finite numbers pass through (the study refuses them)."""
    expected = "expected a number, a mapping of metrics or {'samples': [...]}"
    num = _number(ret)
    if num is not None:
        return Result(value=num)
    if isinstance(ret, Mapping):
        if "samples" in ret and isinstance(ret["samples"], Mapping) and len(ret) == 1:
            return _metric_samples(ret["samples"], ret, who)
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


def progress(line: str) -> tuple[object, object] | None:
    """``(step, value)`` when ``line`` is a progress line: a JSON object with exactly the
    keys ``step`` and ``value`` (``{"step": 3, "value": 0.41}``), else None. The two are
    returned unchecked: :meth:`bbo.Study.report` checks them."""
    text = line.strip()
    if not (text.startswith("{") and '"step"' in text):
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or set(obj) != {"step", "value"}:
        return None
    return obj["step"], obj["value"]


def parse_output(stdout: str) -> Result:
    """The result of a command from its stdout: its last non-empty line that is not a
    progress line (:func:`progress`)."""
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip() and progress(ln) is None]
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

    reports: bool = False
    """Whether :meth:`evaluate` takes ``report=`` (intermediate values, pruning)."""

    @abstractmethod
    def evaluate(self, trial_id: int, params: dict[str, Any]) -> Result:
        """Evaluate one configuration (never raises for a failing objective). Evaluators
        whose :attr:`reports` is true take ``report=`` too: a :data:`ReportFn` called with
        each intermediate ``(step, value)``; when it returns True the evaluation is
        stopped and its Result is ``pruned``."""

    def timed(
        self, trial_id: int, params: dict[str, Any], report: ReportFn | None = None
    ) -> Result:
        """:meth:`evaluate`, time-stamped in the calling thread as it returns; ``report``
        is handed on where the evaluator takes it."""
        if report is not None and self.reports:
            res = self.evaluate(trial_id, params, report=report)  # type: ignore[call-arg]
        else:
            res = self.evaluate(trial_id, params)
        return res if res.finished_at is not None else replace(res, finished_at=time.time())

    @abstractmethod
    def cancel(self) -> None:
        """Stop every evaluation in flight; later calls return a failure at once."""

    def close(self) -> None:
        """Release processes; the default cancels."""
        self.cancel()


def kill_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by ``pid`` (the process and its children)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


__all__ = [
    "Evaluator",
    "ReportFn",
    "Result",
    "interpret",
    "kill_group",
    "parse_output",
    "progress",
    "tail",
]
