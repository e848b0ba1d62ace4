"""``python -m benchmarks.cli``: how long the CLI's everyday commands take, end to end.

Each command runs in a fresh process (``python -m bbo.cli.app ...``, as the ``bbo``
executable does) against a SQLite study of ``--trials`` random-search trials in a temporary
folder; the table gives the median wall time of ``--repeats`` runs, the target of issue 14
(``tell``, ``show``, ``trials``, ``studies``, ``export`` under 0.5 s; ``ask`` with a
non-model strategy under 1 s), and whether the process imported torch (read from
``PYTHONPROFILEIMPORTTIME``'s report: torch alone costs 2-3 s to import on a busy machine).
``import bbo`` is the floor every command pays. Run it on an idle machine: timings of a
loaded CPU say nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TARGETS = {"tell": 0.5, "show": 0.5, "trials": 0.5, "studies": 0.5, "export": 0.5, "ask": 1.0}


def _make_study(folder: Path, trials: int) -> str:
    import bbo

    url = f"sqlite:///{folder / 'cli.db'}"
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 8)})
    study = bbo.Study(space, storage=url, name="cli", strategy="random", seed=0)
    for _ in range(trials):
        t = study.ask()
        study.tell(t, (t.params["x"] - 0.3) ** 2 + t.params["n"])
    return url


def _time(argv: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds and stdout of one run."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-2000:]}")
    return seconds, proc.stdout


def imports(argv: list[str], cwd: Path, module: str) -> bool:
    """Whether one run of ``argv`` (untimed: the import report slows it) imported the
    package ``module``, directly or from another module (the report indents those);
    RuntimeError if it failed (a failed command imports little and proves nothing)."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-2000:]}")
    report = (line for line in proc.stderr.splitlines() if line.startswith("import time:"))
    return module in (line.split("|")[-1].strip() for line in report)


def imports_torch(argv: list[str], cwd: Path) -> bool:
    """Whether one run of ``argv`` imported torch (see :func:`imports`)."""
    return imports(argv, cwd, "torch")


def measure(trials: int, repeats: int) -> list[dict[str, object]]:
    """One row per command: ``command``, ``median_s``, ``target_s``, ``torch``."""
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _make_study(folder, trials)
        cli = [sys.executable, "-m", "bbo.cli.app"]
        store = ["--storage", url]
        commands: dict[str, list[str]] = {
            "import bbo": [sys.executable, "-c", "import bbo"],
            "studies": [*cli, "studies", *store],
            "show": [*cli, "show", "cli", *store],
            "trials": [*cli, "trials", "cli", *store],
            "export": [*cli, "export", "cli", str(folder / "t.csv"), *store],
            "ask": [*cli, "ask", "--study", "cli", *store],
        }
        for name, argv in commands.items():
            times = [_time(argv, folder)[0] for _ in range(repeats)]
            rows.append(_row(name, times, imports_torch(argv, folder)))
        times, torch = [], False  # tell: each run tells a trial asked just before (untimed)
        for i in range(repeats + 1):
            asked = _time(commands["ask"], folder)[1]
            trial = asked.split('"trial": ')[1].split(",")[0]
            tell = [*cli, "tell", "--study", "cli", "--trial", trial, "--value", "1.0", *store]
            if i == repeats:
                torch = imports_torch(tell, folder)
            else:
                times.append(_time(tell, folder)[0])
        rows.append(_row("tell", times, torch))
    return rows


def _row(name: str, times: list[float], torch: bool) -> dict[str, object]:
    return {
        "command": name,
        "median_s": statistics.median(times),
        "target_s": TARGETS.get(name),
        "torch": torch,
    }


def table(rows: Sequence[dict[str, object]]) -> str:
    out = ["| command | median s | target s | imports torch |", "|---|---|---|---|"]
    for r in rows:
        target = r["target_s"]
        t = float(r["median_s"])  # type: ignore[arg-type]
        mark = "" if target is None else (" ok" if t <= float(target) else " OVER")  # type: ignore[arg-type]
        out.append(
            f"| `{r['command']}` | {t:.3f}{mark} | {target if target is not None else '-'} "
            f"| {'yes' if r['torch'] else 'no'} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> list[dict[str, object]]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cli", description=__doc__)
    p.add_argument("--trials", type=int, default=200, help="trials in the study (default 200)")
    p.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    args = p.parse_args(argv)
    rows = measure(args.trials, args.repeats)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
