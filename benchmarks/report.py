"""Tables from saved results: plain text for the terminal and Markdown for docs/.

``python -m benchmarks.report benchmarks/results/quality-....json`` prints the tables of a
saved run again (quality or speed, told apart by the file's ``kind``).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.scoring import count_wins, quartiles, regret_at


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
            vals = [regret_at(r["trace"], mult * r["dim"]) for r in rs if not r.get("error")]
            cells[m] = (*quartiles(vals), len(rs) - len(vals))
        medians[prob] = {m: c[0] for m, c in cells.items()}
        finite = [c[0] for c in cells.values() if math.isfinite(c[0])]
        best = min(finite) if finite else math.nan
        dim = next((r["dim"] for r in runs if r["problem"] == prob), 0)
        row = [f"{prob} (d={dim}, n={mult * dim})"]
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
    """One table per budget multiplier, plus the bbo-auto comparison line."""
    runs = results["runs"]
    methods, problems = results["methods"], results["problems"]
    seeds = results["seeds"]
    out = []
    for mult in results["budget_mults"]:
        medians, rows = regret_table(runs, mult, methods, problems, markdown)
        mark = "bold" if markdown else "*"
        title = (
            f"Simple regret at budget {mult} x d (median [q25, q75] over {len(seeds)} seeds; "
            f"{mark} = best median)"
        )
        out.append(("### " if markdown else "") + title)
        out.append(_grid(["problem", *methods], rows, markdown))
        line = _wins_line(medians, methods)
        if line:
            out.append(line)
        out.append("")
    total = sum(r["wall_s"] for r in runs)
    per = {m: sum(r["wall_s"] for r in runs if r["method"] == m) for m in methods}
    out.append(
        f"Wall time {results.get('wall_s', math.nan):.0f} s ({results.get('jobs')} workers); "
        f"CPU time per method (s): "
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
    return head + "\n" + _grid(["problem / history", *methods], rows, markdown) + "\n"


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


def main(argv: Sequence[str] | None = None) -> None:
    paths = list(argv if argv is not None else sys.argv[1:])
    if not paths:
        sys.exit("usage: python -m benchmarks.report RESULTS.json [--markdown]")
    md = "--markdown" in paths
    for p in (x for x in paths if x != "--markdown"):
        res = json.loads(Path(p).read_text())
        print(quality_report(res, md) if res["kind"] == "quality" else speed_report(res, md))


if __name__ == "__main__":
    main()
