"""``bbo studies``, ``bbo show``, ``bbo trials``, ``bbo export``: read a storage."""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

import json
import sys
import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import StorageOption, fail, open_existing, open_existing_storage

if TYPE_CHECKING:
    from rich.console import Console

    from .grid import Justify

NameArg = Annotated[
    str,
    typer.Argument(
        help="study name, its study file (study.yaml) or a FILE.db holding one study",
        show_default=False,
    ),
]


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _console() -> "Console":
    from rich.console import Console  # lazy: ask, tell and export print no table

    c = Console(highlight=False)
    return c if c.is_terminal else Console(highlight=False, width=200)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def studies(
    storage: StorageOption = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """List the studies of a storage with their trial counts and best values."""
    from bbo.study.spec import StudySpec
    from bbo.trial import TrialState

    st = open_existing_storage(storage)
    rows: list[dict[str, Any]] = []
    for r in st.list_studies():
        spec = StudySpec.from_dict(r.spec)
        trials = st.get_trials(r.id)
        counts = Counter(t.state for t in trials)
        done = [t for t in trials if t.state == TrialState.COMPLETED and t.value is not None]
        best = None
        if len(spec.objectives) == 1 and done:
            o = spec.objectives[0]
            best = min((o.sign * t.values[o.name], t.id) for t in done)[0] * o.sign
        rows.append(
            {
                "name": r.name,
                "trials": len(trials),
                "completed": counts[TrialState.COMPLETED],
                "failed": counts[TrialState.FAILED],
                "running": counts[TrialState.RUNNING],
                "pruned": counts[TrialState.PRUNED],
                "best": best,
                "objectives": {o.name: o.direction for o in spec.objectives},
                "params": list(spec.space),
                "strategy": spec.strategy,
                "created_at": r.created_at,
            }
        )
    if fmt == Format.json:
        typer.echo(json.dumps(rows, indent=1))
        return
    if fmt == Format.csv:
        fail("bbo studies: --format is table or json")
    from rich.table import Table

    table = Table(title=f"studies in {st.url}")
    for col in ("name", "trials", "completed", "failed", "running", "best", "objectives",
                "strategy", "created"):  # fmt: skip
        table.add_column(col, justify="right" if col in ("trials", "best") else "left")
    for row in rows:
        objs = ", ".join(f"{k} ({v[:3]})" for k, v in row["objectives"].items())
        table.add_row(
            row["name"],
            str(row["trials"]),
            str(row["completed"]),
            str(row["failed"]),
            str(row["running"]),
            _fmt(row["best"]),
            objs,
            row["strategy"],
            _when(row["created_at"]),
        )
    if not rows:
        table.caption = "no studies yet"
    _console().print(table)


def show(name: NameArg, storage: StorageOption = None) -> None:
    """Summary of one study: space, objectives, trials by state and source, the best."""
    from rich.table import Table

    from .display import print_summary

    study = open_existing(name, storage)
    console = _console()
    space = Table(title="space", show_header=True)
    for col in ("parameter", "type", "domain"):
        space.add_column(col)
    for pname, p in study.space.items():
        d = p.to_dict()
        kind = d.pop("type")
        space.add_row(pname, kind, ", ".join(f"{k}={v}" for k, v in d.items()))
    console.print(space)
    if study.space.constraints:
        texts = "; ".join(study.space.constraint_texts)
        console.print(f"parameter constraints: {texts}", markup=False)
    objs = ", ".join(
        f"{o.direction} {o.name}" + ("" if o.statistic.is_mean else f" ({o.statistic})")
        for o in study.objectives
    )
    cons = ", ".join(str(c) for c in study.constraints)
    console.print(f"objectives: {objs}" + (f"; constraints: {cons}" if cons else ""))
    console.print(f"strategy: {study.spec.strategy}, seed {study.seed}")
    fid, pruner = study.spec.fidelity, study.spec.pruner
    if fid:  # the study stops trials at its rungs itself (docs/pruning.md)
        console.print(
            f"fidelity: {fid['name']} from {fid['low']} to {fid['high']}, eta {fid['eta']} "
            "(asynchronous Hyperband brackets)",
            markup=False,
        )
    elif pruner:
        opts = ", ".join(f"{k}={v}" for k, v in pruner.items() if k != "name")
        console.print(f"pruner: {pruner['name']}" + (f" ({opts})" if opts else ""), markup=False)
    queued = study.queued_count
    if queued:
        console.print(f"queued: {queued} point(s), asked before any suggestion")
    if study.spec.prior_studies:
        priors = ", ".join(
            f"{n} ({k} of {c} completed trials usable)"
            for n, (k, c) in study.prior_summary().items()
        )
        console.print(f"prior studies: {priors or 'none left'}", markup=False)
    for i, e in enumerate(study.space_edits, 1):  # bbo space edit
        console.print(
            f"space edit {i} ({_when(e.created_at)}): {'; '.join(e.changes)}", markup=False
        )
    print_summary(console, study, sources=True)
    _print_estimate(console, study)


def _print_estimate(console: Any, study: Any) -> None:
    """The best trial's statistic with its bootstrap interval (a statistic other than the
    mean of replicates, one objective)."""
    from bbo.run.tables import has_statistic

    best: Any = study.best if has_statistic(study) else None
    est = study.estimate(best) if best is not None else None
    if est is None:
        return
    console.print(
        f"best {study.objectives[0].statistic}: {_fmt(est.value)} (trial {best.id}, "
        f"{len(best.samples)} replicates; bootstrap se {_fmt(est.se)}, "
        f"{est.level:.0%} interval [{_fmt(est.low)}, {_fmt(est.high)}])",
        markup=False,
    )


def trials(
    name: NameArg,
    storage: StorageOption = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.table,
    state: Annotated[
        str | None, typer.Option(help="only trials in this state, e.g. COMPLETED")
    ] = None,
    failed: Annotated[
        bool,
        typer.Option(
            "--failed",
            help="only FAILED trials, each with its reason and the last lines of its "
            "stderr (or Python traceback)",
        ),
    ] = False,
) -> None:
    """Print the trials of a study as a table, CSV or JSON."""
    from bbo.run.tables import compact, records, trial_dict, write_csv
    from bbo.trial import TrialState

    from .grid import print_grid

    study = open_existing(name, storage)
    rows = study.trials
    if failed:
        if state is not None and state.upper() != TrialState.FAILED.value:
            fail(f"--failed lists FAILED trials; it cannot be combined with --state {state}")
        state = TrialState.FAILED.value
    if state is not None:
        valid = [s.value for s in TrialState]
        if state.upper() not in valid:
            fail(f"--state must be one of {valid}, got {state!r}")
        rows = [t for t in rows if t.state.value == state.upper()]
    if fmt == Format.json:
        typer.echo(json.dumps([trial_dict(t) for t in rows], indent=1))
        return
    cols, recs = records(study, rows)
    if fmt == Format.csv:
        write_csv(sys.stdout, compact(study, cols), recs)
        return
    if failed:
        _print_failed(study, rows)
        return
    hidden = ("created_at", "finished_at", "retry_of", "samples", "error_tail")
    shown = [c for c in cols if c not in hidden]
    if len(study.objectives) == 1:  # `value` already shows it
        shown = [c for c in shown if c != f"values.{study.objectives[0].name}"]
    columns: list[tuple[str, Justify]] = []
    for c in shown:
        numeric = any(isinstance(r.get(c), (int, float)) and c != "trial" for r in recs)
        header = c.removeprefix("params.").removeprefix("values.")
        columns.append((header, "right" if numeric or c == "trial" else "left"))
    cells = [[_fmt(r.get(c)) for c in shown] for r in recs]
    print_grid(_console(), f"trials of {study.name}", columns, cells)


def _print_failed(study: Any, rows: list[Any]) -> None:
    """``bbo trials NAME --failed``: each failed trial, its params and reason, then the last
    lines of its stderr or traceback."""
    from bbo.run.tables import short_tail

    from .display import fmt_params, print_tail

    console = _console()
    if not rows:
        console.print(f"no failed trials in {study.name}", markup=False)
        return
    console.print(f"{len(rows)} failed trial(s) of {study.name}", markup=False)
    for t in rows:
        console.print(
            f"trial {t.id} FAILED: {t.reason or ''} ({fmt_params(t.params)})",
            markup=False,
            soft_wrap=True,
        )
        print_tail(console, short_tail(t))


def export(
    name: NameArg,
    out: Annotated[
        Path, typer.Argument(help="out.csv, out.json or out.parquet", show_default=False)
    ],
    storage: StorageOption = None,
) -> None:
    """Write every trial of a study to a CSV, JSON or Parquet file (by its suffix)."""
    from bbo.exceptions import BboError
    from bbo.run.tables import export as write

    study = open_existing(name, storage)
    if out.suffix.lower() not in (".csv", ".json", ".parquet"):
        fail(f"{out}: the suffix picks the format: .csv, .json or .parquet")
    try:
        n = write(study, out)
    except BboError as e:
        fail(f"{out}: {e}")
    except OSError as e:
        fail(f"{out}: cannot write: {e.strerror or e}")
    typer.echo(f"wrote {n} trial(s) of {study.name} to {out}")
