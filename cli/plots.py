"""``bbo plot`` and ``bbo report``."""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

from pathlib import Path
from typing import Annotated

import typer

from .common import StorageOption, fail, open_existing
from .inspect import NameArg


def plot(
    name: NameArg,
    out: Annotated[Path, typer.Option("--out", help="folder for the PNG files")] = Path("plots"),
    storage: StorageOption = None,
    params: Annotated[
        str | None,
        typer.Option(help="two parameters for the surrogate contour, e.g. x1,x2"),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="only these plots (repeat, or separate with commas): history, parallel, "
            "slices, pareto, contour, importance, learning-curves",
        ),
    ] = None,
) -> None:
    """Write PNG plots: history, parallel coordinates, slices, Pareto front, surrogate,
    parameter importance (PED-ANOVA), learning curves (when trials reported values)."""
    from bbo.exceptions import BboError
    from bbo.viz import check_kinds, write_plots

    kinds = None if kind is None else [k.strip() for ks in kind for k in ks.split(",") if k.strip()]
    try:
        check_kinds(kinds)
    except BboError as e:
        fail(f"--kind: {e}")
    study = open_existing(name, storage)
    pair = _pair(params)
    try:
        files, skipped = write_plots(study, out, contour_params=pair, kinds=kinds)
    except BboError as e:
        fail(f"plot: {e}")
    for k, path in files.items():
        typer.echo(f"{k}: {path}")
    for k, why in skipped.items():
        typer.echo(f"{k}: skipped ({why})")
    if kinds is not None and not files:
        fail("plot: nothing drawn", code=1)


def _pair(params: str | None) -> tuple[str, str] | None:
    if params is None:
        return None
    parts = [p.strip() for p in params.split(",") if p.strip()]
    if len(parts) != 2:
        fail(f"--params names two parameters separated by a comma, got {params!r}")
    return parts[0], parts[1]


def report(
    name: NameArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="the HTML file to write")] = Path(
        "report.html"
    ),
    storage: StorageOption = None,
    params: Annotated[
        str | None,
        typer.Option(help="two parameters for the surrogate contour, e.g. x1,x2"),
    ] = None,
) -> None:
    """Write one self-contained HTML page: plots inline, tables of the best and all trials."""
    from bbo.exceptions import BboError
    from bbo.viz.report import write_report

    study = open_existing(name, storage)
    try:
        write_report(study, output, contour_params=_pair(params))
    except BboError as e:
        fail(f"report: {e}")
    typer.echo(f"wrote {output}")
