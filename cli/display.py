"""What ``bbo run`` shows: a rich live display (terminal), plain lines (pipes), or JSON lines
(``--log-format json``), and the summary table at the end."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

from rich.table import Column, Table

from bbo.run.tables import short_tail
from bbo.run.tables import trial_dict as trial_json
from bbo.study import Study, Trial, TrialState

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from bbo.run.objective import Result

_PARETO_ROWS = 10
SHOWN_FAILURES = 3  # failures whose stderr/traceback tail the live display and summary show
__all__ = ["JsonLog", "RunDisplay", "best_json", "print_summary", "source_counts", "trial_json"]


def fmt_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def fmt_best(best: Trial | list[Trial] | None) -> str:
    if best is None:
        return "best: -"
    if isinstance(best, list):
        return f"Pareto set: {len(best)} trial(s)"
    return f"best: {_fmt(best.value)} (trial {best.id})"


class _Counts:
    """Running / failed / pruned / told-per-second bookkeeping shared by the reporters."""

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.failed = 0
        self.pruned = 0
        self.told = 0
        self.t0 = time.monotonic()

    def asked(self, trials: list[Trial]) -> None:
        self.running |= {t.id for t in trials}

    def told_one(self, trial: Trial) -> None:
        self.running.discard(trial.id)
        self.told += 1
        self.failed += trial.state == TrialState.FAILED
        self.pruned += trial.state == TrialState.PRUNED

    @property
    def rate(self) -> float:
        """Evaluations told per second since the run started."""
        return self.told / max(time.monotonic() - self.t0, 1e-9)


class RunDisplay:
    """A :class:`bbo.run.runner.Reporter`: a live progress display on a terminal (bar,
    evaluations/s, running and failed counts, best value and its params), one line per
    trial otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self._task: Any = None
        self.counts = _Counts()
        self._best: Trial | list[Trial] | None = None
        self._failed_command = ""
        self._tails_shown = 0

    def started(self, study: Study, finished: int, budget: int) -> None:
        self.counts.t0 = time.monotonic()
        self._failed_command = failed_command(study)
        self.console.print(
            f"study [bold]{study.name}[/] at {study.storage.url}: "
            f"{finished}/{budget} trials finished"
        )
        self._best = study.best
        if finished >= budget or not self.console.is_terminal:
            return
        from rich.progress import (  # lazy: `bbo show` prints no progress bar
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        # count and elapsed time never give way: on a narrow terminal the best value and
        # the status are cut short (ellipsis), the bar shrinks, the numbers stay
        self.progress = Progress(
            TextColumn("[bold]{task.description}", table_column=_cut(max_width=28)),
            BarColumn(bar_width=16),
            MofNCompleteColumn(table_column=Column(no_wrap=True)),
            TimeElapsedColumn(table_column=Column(no_wrap=True)),
            TextColumn("{task.fields[status]}", table_column=_cut(ratio=1)),
            console=self.console,
            refresh_per_second=4,
            expand=True,
        )
        self._task = self.progress.add_task(
            fmt_best(self._best), total=budget, completed=finished, status=self._status()
        )
        self.progress.start()

    def _status(self) -> str:
        c = self.counts
        parts = [f"{c.rate:.2f} eval/s", f"running {len(c.running)}", f"failed {c.failed}"]
        if c.pruned:
            parts.append(f"pruned {c.pruned}")
        if isinstance(self._best, Trial):
            parts.append(f"best params: {fmt_params(self._best.params)}")
        return " | ".join(parts)

    def asked(self, trials: list[Trial]) -> None:
        self.counts.asked(trials)
        if self.progress is not None:
            self.progress.update(self._task, status=self._status())

    def retrying(self, trial: Trial, attempt: int, res: Result) -> None:
        line = f"trial {trial.id}: attempt {attempt} failed ({res.reason}); retrying"
        (self.progress.console if self.progress else self.console).print(line, highlight=False)

    def told(self, trial: Trial, finished: int, best: Trial | list[Trial] | None) -> None:
        self.counts.told_one(trial)
        self._best = best
        if self.progress is not None:
            self.progress.update(
                self._task, completed=finished, description=fmt_best(best), status=self._status()
            )
            if trial.state != TrialState.COMPLETED:
                self.progress.console.print(_trial_line(trial), highlight=False, markup=False)
                self._print_tail(self.progress.console, trial)
            return
        self.console.print(
            f"[{finished}] {_trial_line(trial)} | {fmt_best(best)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        self._print_tail(self.console, trial)

    def _print_tail(self, console: Console, trial: Trial) -> None:
        """Under the first :data:`SHOWN_FAILURES` failures, the last lines of their stderr
        (or traceback); after that, once, where to find the others."""
        lines = short_tail(trial)
        if not lines:
            return
        self._tails_shown += 1
        if self._tails_shown <= SHOWN_FAILURES:
            print_tail(console, lines)
        elif self._tails_shown == SHOWN_FAILURES + 1:
            console.print(
                f"  (the output of further failures: {self._failed_command})",
                highlight=False,
                markup=False,
            )

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _cut(ratio: int | None = None, max_width: int | None = None) -> Column:
    """A text column that is cut short with an ellipsis rather than pushing others out."""
    return Column(no_wrap=True, overflow="ellipsis", ratio=ratio, max_width=max_width)


def best_json(best: Trial | list[Trial] | None) -> Any:
    if best is None:
        return None
    if isinstance(best, list):
        return [{"trial": t.id, "values": t.values, "params": t.params} for t in best]
    return {"trial": best.id, "value": best.value, "params": best.params}


class JsonLog:
    """A Reporter writing one JSON object per event (``--log-format json``), for CI logs.

    Events: ``start``, ``running`` (per asked trial), ``retry``, ``trial`` (per told trial,
    with ``finished``, ``budget`` and the current ``best``; a failed one carries its
    ``reason`` and ``error_tail``, the last lines of stderr or the traceback) and, from
    the CLI, ``end``.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self.counts = _Counts()
        self.budget = 0

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "time": round(time.time(), 3), **fields})
        out = self.stream or sys.stdout
        out.write(line + "\n")
        out.flush()

    def started(self, study: Study, finished: int, budget: int) -> None:
        self.counts.t0 = time.monotonic()
        self.budget = budget
        self.emit(
            "start",
            study=study.name,
            storage=study.storage.url,
            finished=finished,
            budget=budget,
            best=best_json(study.best),
        )

    def asked(self, trials: list[Trial]) -> None:
        self.counts.asked(trials)
        for t in trials:
            self.emit("running", trial=t.id, params=t.params, source=t.attrs.get("source"))

    def retrying(self, trial: Trial, attempt: int, res: Result) -> None:
        self.emit("retry", trial=trial.id, attempt=attempt, reason=res.reason)

    def told(self, trial: Trial, finished: int, best: Trial | list[Trial] | None) -> None:
        self.counts.told_one(trial)
        self.emit(
            "trial",
            **trial_json(trial),
            finished=finished,
            budget=self.budget,
            running=len(self.counts.running),
            failed=self.counts.failed,
            pruned=self.counts.pruned,
            evals_per_s=round(self.counts.rate, 4),
            best=best_json(best),
        )

    def stop(self) -> None:
        pass


def _trial_line(t: Trial) -> str:
    if t.state == TrialState.COMPLETED:
        shown = fmt_params(t.values) if len(t.values) > 1 else _fmt(t.value)
        return f"trial {t.id} COMPLETED {shown} ({fmt_params(t.params)})"
    if t.state == TrialState.PRUNED:
        step = t.attrs.get("pruned_at_step")
        at = f" at step {step}" if step is not None else ""
        return f"trial {t.id} PRUNED{at}: last value {_fmt(t.value)} ({fmt_params(t.params)})"
    return f"trial {t.id} {t.state.value}: {t.reason or ''} ({fmt_params(t.params)})"


def failed_command(study: Study) -> str:
    """The command that lists every failed trial of ``study`` with its output."""
    return f"bbo trials {study.name} --failed --storage {study.storage.url}"


def print_tail(console: Console, lines: list[str]) -> None:
    """A failure's last stderr/traceback lines, indented under its line."""
    for line in lines:
        console.print(f"    | {line}", highlight=False, markup=False, soft_wrap=True)


def source_counts(trials: list[Trial]) -> Counter[str]:
    """How many trials each proposal source (``attrs["source"]``) produced."""
    return Counter(str(t.attrs.get("source", "unknown")) for t in trials)


def print_summary(
    console: Console, study: Study, *, sources: bool = False, failures: bool = True
) -> None:
    """Trials by state, the best trial (or the Pareto set), storage and name; with
    ``sources``, the trials per proposal source; with ``failures``, the last failures and
    their output tails (``bbo run`` showed them as they came: it prints where they are)."""
    trials = study.trials
    counts = Counter(t.state.value for t in trials)
    table = Table(title=f"study {study.name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("storage", study.storage.url)
    for state in TrialState:
        if counts.get(state.value):
            table.add_row(state.value, str(counts[state.value]))
    if sources and trials:
        by_source = source_counts(trials)
        table.add_row("sources", ", ".join(f"{k}: {v}" for k, v in sorted(by_source.items())))
    best = study.best
    if isinstance(best, list):
        table.add_row("Pareto set", f"{len(best)} trial(s)")
    elif best is not None:
        table.add_row("best value", _fmt(best.value))
        table.add_row("best params", fmt_params(best.params))
        table.add_row("best trial", str(best.id))
        observed = study.best_observed
        if observed is not None and observed.id != best.id:  # noisy: the model recommends
            table.add_row("best observed", f"trial {observed.id}: {_fmt(observed.value)}")
            table.caption = (
                "noisy objective: the best trial is the one of best predicted value "
                "(GP posterior mean), not the luckiest observation"
            )
    console.print(table)
    if isinstance(best, list) and best:
        console.print(_pareto_table(study, best))
    failed = [t for t in trials if t.state == TrialState.FAILED]
    if not failures:
        if failed:
            console.print(f"(failed trials: {failed_command(study)})", highlight=False)
        return
    for t in failed[-SHOWN_FAILURES:]:
        console.print(f"failed: trial {t.id}: {t.reason}", highlight=False, markup=False)
        print_tail(console, short_tail(t))
    if len(failed) > SHOWN_FAILURES:
        console.print(
            f"({len(failed) - SHOWN_FAILURES} more failed: {failed_command(study)})",
            highlight=False,
            markup=False,
        )


def _pareto_table(study: Study, best: list[Trial]) -> Table:
    names = [o.name for o in study.objectives]
    table = Table(title="Pareto set")
    for col in ["trial", *names, "params"]:
        table.add_column(col)
    for t in best[:_PARETO_ROWS]:
        table.add_row(str(t.id), *(_fmt(t.values[n]) for n in names), fmt_params(t.params))
    if len(best) > _PARETO_ROWS:
        table.caption = f"{len(best) - _PARETO_ROWS} more"
    return table
