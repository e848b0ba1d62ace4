"""Rich display for ``bbo run``: a progress bar on a terminal, one line per trial otherwise,
and a summary table at the end."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bbo.study import Study, Trial, TrialState

_PARETO_ROWS = 10


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


class RunDisplay:
    """A :class:`bbo.run.runner.Reporter`: progress bar (terminal) or plain lines (pipes)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self._task: Any = None

    def started(self, study: Study, finished: int, budget: int) -> None:
        self.console.print(
            f"study [bold]{study.name}[/] at {study.storage.url}: "
            f"{finished}/{budget} trials finished"
        )
        if finished >= budget or not self.console.is_terminal:
            return
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._task = self.progress.add_task(fmt_best(study.best), total=budget, completed=finished)
        self.progress.start()

    def told(self, trial: Trial, finished: int, best: Trial | list[Trial] | None) -> None:
        if self.progress is not None:
            self.progress.update(self._task, completed=finished, description=fmt_best(best))
            if trial.state != TrialState.COMPLETED:
                self.progress.console.print(_trial_line(trial))
            return
        self.console.print(
            f"[{finished}] {_trial_line(trial)} | {fmt_best(best)}", highlight=False, soft_wrap=True
        )

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _trial_line(t: Trial) -> str:
    if t.state == TrialState.COMPLETED:
        shown = fmt_params(t.values) if len(t.values) > 1 else _fmt(t.value)
        return f"trial {t.id} COMPLETED {shown} ({fmt_params(t.params)})"
    return f"trial {t.id} {t.state.value}: {t.reason or ''} ({fmt_params(t.params)})"


def print_summary(console: Console, study: Study) -> None:
    """Trials by state, the best trial (or the Pareto set), storage and name."""
    trials = study.trials
    counts = Counter(t.state.value for t in trials)
    table = Table(title=f"study {study.name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("storage", study.storage.url)
    for state in TrialState:
        if counts.get(state.value):
            table.add_row(state.value, str(counts[state.value]))
    best = study.best
    if isinstance(best, list):
        table.add_row("Pareto set", f"{len(best)} trial(s)")
    elif best is not None:
        table.add_row("best value", _fmt(best.value))
        table.add_row("best params", fmt_params(best.params))
        table.add_row("best trial", str(best.id))
    console.print(table)
    if isinstance(best, list) and best:
        console.print(_pareto_table(study, best))
    failed = [t for t in trials if t.state == TrialState.FAILED]
    for t in failed[-3:]:
        console.print(f"failed: trial {t.id}: {t.reason}", highlight=False)


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
