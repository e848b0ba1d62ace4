"""Tables and the ECDF plot from saved results: plain text for the terminal, Markdown for
docs/, PNG.

``python -m benchmarks.report benchmarks/results/quality-....json`` prints the tables of a
saved run again (quality or speed, told apart by the file's ``kind``; ``--png`` also writes
the quality ECDF plot next to the JSON).

A quality report has, per budget, one regret table per problem family (median [q25, q75]
over seeds per problem and method), then the mean rank of every method per family and over
all problems (methods ranked by median regret on each problem, ties averaged, 1 = best).
:func:`ecdf_plot` draws the COCO-style runtime ECDF (see its docstring). Results saved before
the families existed (no ``families``, ``budget_dim`` or ``regret_scale`` in the file) are
reported the same way: families come from the current registry ("other" for unknown
names), ``budget_dim`` defaults to ``dim``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.problems import FAMILIES, family_of
from benchmarks.scoring import count_wins, mean_ranks, quartiles, regret_at

#: ECDF regret targets, relative to each problem's regret scale: 1, 10^-0.5, ..., 10^-6
ECDF_TARGETS = 10.0 ** (-np.arange(13) / 2.0)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.1e}"


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def regret_table(
    runs: Sequence[dict[str, Any]],
    mult: int,
    methods: Sequence[str],
    problems: Sequence[str],
    markdown: bool = False,
) -> tuple[dict[str, dict[str, float]], list[list[str]]]:
    """Median regret per (problem, method) at budget ``mult x d``, and the table rows
    (cells ``median [q25, q75]``; the best median of a row is marked ``*`` in text and bold
    in Markdown)."""
    medians: dict[str, dict[str, float]] = {}
    rows: list[list[str]] = []
    for prob in problems:
        cells: dict[str, tuple[float, float, float, int]] = {}
        for m in methods:
            rs = [r for r in runs if r["problem"] == prob and r["method"] == m]
            vals = [regret_at(r["trace"], mult * _bdim(r)) for r in rs if not r.get("error")]
            cells[m] = (*quartiles(vals), len(rs) - len(vals))
        medians[prob] = {m: c[0] for m, c in cells.items()}
        finite = [c[0] for c in cells.values() if math.isfinite(c[0])]
        best = min(finite) if finite else math.nan
        first = next((r for r in runs if r["problem"] == prob), {"dim": 0})
        row = [f"{prob} (d={first['dim']}, n={mult * _bdim(first)})"]
        for m in methods:
            med, q25, q75, failed = cells[m]
            text = f"{_fmt(med)} [{_fmt(q25)}, {_fmt(q75)}]" if math.isfinite(med) else "n/a"
            if math.isfinite(med) and med == best:
                text = f"**{text}**" if markdown else "*" + text
            if failed:
                text += f" ({failed} failed)"
            row.append(text)
        rows.append(row)
    return medians, rows


def _bdim(run: dict[str, Any]) -> int:
    """The ``d`` of the run's budgets (``dim`` in files saved before ``budget_dim``)."""
    return int(run.get("budget_dim") or run.get("dim") or 0)


def families_of(results: dict[str, Any]) -> dict[str, list[str]]:
    """Family -> the results' problems in it, in the order of :data:`FAMILIES` ("other"
    last), from the file's own ``families`` mapping when it has one."""
    saved = results.get("families") or {}
    out: dict[str, list[str]] = {}
    for prob in results["problems"]:
        out.setdefault(saved.get(prob) or family_of(prob), []).append(prob)
    order = [*FAMILIES, *sorted(set(out) - set(FAMILIES))]
    return {f: out[f] for f in order if f in out}


def rank_table(
    medians: dict[str, dict[str, float]],
    families: dict[str, list[str]],
    methods: Sequence[str],
    markdown: bool = False,
) -> str:
    """Mean rank of each method per family and over all problems (lowest marked)."""
    rows = []
    groups = dict(families)
    if len(families) > 1:
        groups["all"] = [p for ps in families.values() for p in ps]
    for fam, probs in groups.items():
        ranks = mean_ranks({p: medians[p] for p in probs if p in medians}, methods)
        finite = [v for v in ranks.values() if math.isfinite(v)]
        best = min(finite) if finite else math.nan
        row = [f"{fam} ({len(probs)})"]
        for m in methods:
            text = f"{ranks[m]:.2f}" if math.isfinite(ranks[m]) else "n/a"
            if math.isfinite(ranks[m]) and ranks[m] == best:
                text = f"**{text}**" if markdown else "*" + text
            row.append(text)
        rows.append(row)
    return _grid(["family (problems)", *methods], rows, markdown)


def _wins_line(medians: dict[str, dict[str, float]], methods: Sequence[str]) -> str:
    if "bbo-auto" not in methods:
        return ""
    parts = []
    for other in ("optuna-gp", "botorch-vanilla"):
        if other in methods:
            k, n = count_wins(medians, "bbo-auto", other)
            parts.append(f"better than {other} on {k}/{n} problems")
    return ("bbo-auto " + ", ".join(parts)) if parts else ""


def quality_report(results: dict[str, Any], markdown: bool = False) -> str:
    """Per budget multiplier: one regret table per family, the bbo-auto comparison line and
    the mean ranks per family and overall."""
    runs = results["runs"]
    methods = results["methods"]
    seeds = results["seeds"]
    families = families_of(results)
    mark = "bold" if markdown else "*"
    out = []
    for mult in results["budget_mults"]:
        title = (
            f"Simple regret at budget {mult} x d (median [q25, q75] over {len(seeds)} seeds; "
            f"{mark} = best median)"
        )
        out.append(("### " if markdown else "") + title)
        medians: dict[str, dict[str, float]] = {}
        for fam, probs in families.items():
            meds, rows = regret_table(runs, mult, methods, probs, markdown)
            medians |= meds
            if len(families) > 1:
                out.append(("#### " if markdown else "") + f"family {fam}")
            out.append(_grid(["problem", *methods], rows, markdown))
            if len(families) > 1:
                out.append("")
        line = _wins_line(medians, methods)
        if line:
            out.append(line)
        out.append("")
        out.append(
            ("#### " if markdown else "")
            + f"Mean rank by median regret at budget {mult} x d (1 = best; {mark} = lowest)"
        )
        out.append(rank_table(medians, families, methods, markdown))
        out.append("")
    total = sum(r["wall_s"] for r in runs)
    per = {m: sum(r["wall_s"] for r in runs if r["method"] == m) for m in methods}
    reused = sum(bool(r.get("reused")) for r in runs)
    wall = f"Wall time {results.get('wall_s', math.nan):.0f} s ({results.get('jobs')} workers)"
    if reused:  # their wall times were spent in earlier runs
        wall += f", {reused} of {len(runs)} runs taken from earlier result files"
    out.append(
        f"{wall}; time per method summed over its runs (s): "
        + ", ".join(f"{m} {per[m]:.0f}" for m in methods)
        + f"; total {total:.0f}"
    )
    return "\n".join(out) + "\n"


def speed_report(results: dict[str, Any], markdown: bool = False) -> str:
    """Seconds per ask by method, per problem and history size."""
    rows = []
    methods = results["methods"]
    cells = {(c["method"], c["problem"], c["n"]): c for c in results["cells"]}
    for prob in results["problems"]:
        for n in results["sizes"]:
            row = [f"{prob} n={n}"]
            row += [_speed_cell(cells.get((m, prob, n))) for m in methods]
            rows.append(row)
    title = (
        "Seconds per ask (median of "
        f"{results['asks']} asks after a warm-up; limit {results['max_seconds']} s)"
    )
    if any("burner_median_s" in c for c in results["cells"]):
        title += "; (xR): R times slower with a CPU-burning process on the other core"
    head = ("### " if markdown else "") + title
    out = head + "\n" + _grid(["problem / history", *methods], rows, markdown) + "\n"
    return out + _studies_table(results, markdown) + _scenarios_table(results, markdown)


def _scenarios_table(results: dict[str, Any], markdown: bool) -> str:
    """The batch, two-objective and mixed-space asks (:mod:`benchmarks.speed_scenarios`),
    each with its slowdown beside a CPU burner when ``--burner`` measured it."""
    rows = []
    for c in results.get("scenarios") or []:
        ok = c.get("status") == "ok"
        if c["scenario"] == "batch":
            what = f"bbo-auto ask({c['q']}) vs a single ask, {c['problem']} n={c['n']}"
            shown = (
                f"{_fmt(c['batch_s'])} s vs {_fmt(c['single_s'])} s: "
                f"{c['batch_s'] / c['single_s']:.1f}x (target <= 3x)"
                if ok
                else str(c.get("status"))
            )
        elif c["scenario"] == "device":
            restarts = c.get("restarts", "256")
            what = f"bbo-auto ask({c['q']}), {restarts} restarts, {c['problem']} n={c['n']}"
            what += f", {c['device']}"
            shown = f"{_fmt(c['batch_s'])} s" if ok else str(c.get("status"))
        elif c["scenario"] == "mixed":
            what = f"{c['method']} ask, mixed 7-D (4 Float, 2 Int, 1 Categorical), n={c['n']}"
            shown = f"{_fmt(c['median_s'])} s (target <= 0.5 s)" if ok else str(c.get("status"))
        else:
            what = f"{c['method']} ask, 2-objective DTLZ2 d=4, n={c['n']}"
            shown = f"{_fmt(c['median_s'])} s" if ok else str(c.get("status"))
            if c["method"] == "bbo-auto":
                shown += " (target <= 1 s)"
        shown += _burner_note(c)
        rows.append([what, shown])
    if not rows:
        return ""
    head = ("### " if markdown else "") + (
        "Batches, several objectives and a mixed space "
        f"(median of {results['asks']} asks after a warm-up)"
    )
    return "\n" + head + "\n" + _grid(["scenario", "seconds"], rows, markdown) + "\n"


def _burner_note(cell: dict[str, Any]) -> str:
    """``"; xR with a CPU burner"``: how many times slower the scenario's main figure was
    beside a CPU-burning process (target <= 1.5x), or ``""`` when not measured."""
    for key in ("batch_s", "median_s"):
        if f"burner_{key}" in cell and cell.get(key):
            return f"; x{cell[f'burner_{key}'] / cell[key]:.2f} with a CPU burner"
    return ""


def _studies_table(results: dict[str, Any], markdown: bool) -> str:
    """Whole studies: seconds in asks (and final regret) per method, with each method's
    time as a multiple of Optuna GPSampler's when it ran."""
    studies = results.get("studies") or []
    if not studies:
        return ""
    methods = results["methods"]
    cells = {(c["method"], c["problem"], c["n"]): c for c in studies}
    ref = "optuna-gp"
    rows = []
    for prob, n in dict.fromkeys((c["problem"], c["n"]) for c in studies):
        row = [f"{prob}, {n} evaluations"]
        base = cells.get((ref, prob, n), {})
        for m in methods:
            c = cells.get((m, prob, n))
            if c is None or c.get("status") != "ok":
                row.append("skipped" if c is None else str(c.get("status")))
                continue
            text = f"{_fmt(c['total_s'])} s, regret {_fmt(c['regret'])}"
            if base.get("status") == "ok" and m != ref and c["total_s"] > 0:
                text += f", {base['total_s'] / c['total_s']:.2f}x"
            row.append(text)
        rows.append(row)
    repeats = max((len(c.get("totals_s", [])) for c in studies), default=0)
    each = (
        f"median of {repeats} fresh processes, the methods taking turns"
        if repeats > 1
        else ("one fresh process")
    )
    title = (
        f"Whole studies: seconds in asks from the first ask to the last ({each}, "
        f"seed 0, imports excluded), final simple regret, and Nx: {ref}'s seconds over the "
        "method's in the same run (above 1: faster)"
    )
    head = ("### " if markdown else "") + title
    return "\n" + head + "\n" + _grid(["study", *methods], rows, markdown) + "\n"


def _speed_cell(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "skipped"
    if cell.get("status") == "limit":
        return ">limit"
    if cell.get("status") == "error":
        return "error"
    if "burner_median_s" in cell:  # measured again beside a CPU-burning process
        return f"{_fmt(cell['median_s'])} (x{cell['burner_median_s'] / cell['median_s']:.2f})"
    return _fmt(cell["median_s"])


def ecdf_curves(
    results: dict[str, Any], problems: Sequence[str], grid: np.ndarray
) -> dict[str, np.ndarray]:
    """Method -> the ECDF over ``grid`` (evaluations / d) on ``problems``: the fraction of
    (run, target) pairs whose incumbent regret after ``floor(g x d)`` evaluations is at
    most ``target x scale`` (see :func:`ecdf_plot`)."""
    runs = [r for r in results["runs"] if r["problem"] in problems]
    fallback: dict[str, float] = {}  # files without regret_scale: worst first regret
    for r in runs:
        if r["trace"]:
            fallback[r["problem"]] = max(fallback.get(r["problem"], 0.0), r["trace"][0])
    out: dict[str, np.ndarray] = {}
    for m in results["methods"]:
        rows = []
        for r in (r for r in runs if r["method"] == m):
            trace = np.asarray(r["trace"], dtype=float)
            if r.get("error") or trace.size == 0:
                rows.append(np.zeros(grid.size))
                continue
            scale = r.get("regret_scale") or fallback.get(r["problem"]) or 1.0
            n = np.floor(grid * _bdim(r) + 1e-9).astype(int)
            reg = np.where(n >= 1, trace[np.clip(n, 1, trace.size) - 1], np.inf)
            hit = reg[:, None] <= ECDF_TARGETS[None, :] * scale
            rows.append(hit.mean(axis=1))
        if rows:
            out[m] = np.mean(rows, axis=0)
    return out


def ecdf_plot(results: dict[str, Any], path: Path) -> Path | None:
    """Write the COCO-style runtime ECDF of a quality run to ``path`` (PNG); return it, or
    None when matplotlib is missing or there are no runs.

    One panel per family and one for all problems. For each method, the curve at ``x`` is
    the fraction of (problem, seed, target) triples solved after ``x x d`` evaluations
    (``d`` = the budget dimension), over the 13 regret targets ``10^0, 10^-0.5, ..., 10^-6``
    times the problem's regret *scale* (the median regret of 64 uniformly random points of
    the instance, stored per run as ``regret_scale``), where solved means the incumbent's
    regret is at most the target. Relative targets make problems of different scales
    comparable (absolute COCO targets would only suit BBOB); the easiest target is what a
    random point reaches half the time, the hardest is a million times closer. Higher and
    further left is better; the area under a curve is the mean of the number of targets
    hit, over the log-budget. Failed runs count as solving nothing. Vertical lines mark the
    budget multipliers of the tables.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter
    except ImportError:
        return None
    if not results.get("runs"):
        return None
    families = families_of(results)
    panels = dict(families)
    if len(families) > 1:
        panels["all"] = list(results["problems"])
    top = max(results["budget_mults"])
    grid = np.logspace(np.log10(0.1), np.log10(top), 200)
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(5.2 * ncols, 3.8 * nrows), squeeze=False, sharey=True
    )
    styles = ["-", "--", "-.", ":"]
    colours = plt.get_cmap("tab10").colors
    handles = {}
    nseeds = len(results["seeds"])
    for ax, (fam, probs) in zip(axes.flat, panels.items()):
        for i, (m, curve) in enumerate(ecdf_curves(results, probs, grid).items()):
            (line,) = ax.step(
                grid,
                curve,
                where="post",
                color=colours[i % len(colours)],
                linestyle=styles[(i // len(colours)) % len(styles)],
                linewidth=1.8,
                label=m,
            )
            handles[m] = line
        for mult in results["budget_mults"]:
            ax.axvline(mult, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(grid[0], grid[-1] * 1.08)
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if t <= top]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{fam} ({len(probs)} problem(s) x {nseeds} seed(s))", fontsize=10)
        ax.set_xlabel("evaluations / d")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction of (run, target) solved")
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="lower center",
        ncol=min(len(handles), 5),
        frameon=False,
    )
    fig.suptitle(
        "Runtime ECDF: regret targets 1 .. 1e-6 x the regret of a typical random point",
        fontsize=11,
    )
    legend_rows = -(-len(handles) // 5)
    fig.tight_layout(rect=(0, 0.05 * legend_rows / nrows + 0.02, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    paths = list(argv if argv is not None else sys.argv[1:])
    if not paths:
        sys.exit("usage: python -m benchmarks.report RESULTS.json [--markdown] [--png]")
    md = "--markdown" in paths
    png = "--png" in paths
    for p in (x for x in paths if x not in ("--markdown", "--png")):
        res = json.loads(Path(p).read_text())
        print(quality_report(res, md) if res["kind"] == "quality" else speed_report(res, md))
        if png and res["kind"] == "quality":
            out = ecdf_plot(res, Path(p).with_suffix(".png"))
            if out:
                print(f"wrote {out}")


if __name__ == "__main__":
    main()
