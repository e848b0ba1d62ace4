"""Screenshots of ``bbo dashboard`` for docs/dashboard.md, and its 10,000-trial timing.

    .venv/bin/python scripts/dashboard_screenshots.py            # writes docs/img/dashboard-*.png
    .venv/bin/python scripts/dashboard_screenshots.py --timing   # also: a 10,000-trial study page

It makes a SQLite file of demo studies in a temporary folder (a real ``bbo run`` of a
command that fails on part of the space, so failed trials carry their stderr; a
two-objective study; trials that report learning curves), starts a real ``bbo dashboard``
on a loopback port and drives Debian's Chromium (/usr/bin/chromium) with Playwright. No
browser is downloaded.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

import bbo
from bbo.study.storage import NewTrial, open_storage

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
SIM = """\
import math, sys
x1, x2 = float(sys.argv[1]), float(sys.argv[2])
print("loading data", file=sys.stderr)
if x1 > 8.5:
    raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
print((x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10)
"""


def build(folder: Path) -> str:
    """The demo studies in ``folder/demo.db``; its URL."""
    url = f"sqlite:///{folder / 'demo.db'}"
    (folder / "sim.py").write_text(SIM)
    study = {
        "name": "branin",
        "space": {
            "x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15},
        },
        "objective": {"command": [sys.executable, str(folder / "sim.py"), "{x1}", "{x2}"]},
        "strategy": {"name": "gp"},
        "budget": 40,
        "workers": 2,
        "seed": 0,
        "storage": url,
    }
    (folder / "branin.yaml").write_text(yaml.safe_dump(study))
    subprocess.run([sys.executable, "-m", "bbo.cli.app", "run", str(folder / "branin.yaml")],
                   cwd=ROOT, check=False, capture_output=True)  # fmt: skip
    rng = np.random.default_rng(0)
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    mo = bbo.Study(space, {"f1": "minimize", "f2": "minimize"}, strategy="sobol", storage=url,
                   name="zdt1")  # fmt: skip
    for p in space.sample(60, rng):
        g = 1 + 9 * p["y"]
        mo.add(p, {"f1": p["x"], "f2": g * (1 - math.sqrt(p["x"] / g))})
    nets = bbo.Space({"lr": bbo.Float(1e-4, 1e-1, log=True), "width": bbo.Int(16, 256),
                      "act": bbo.Categorical(["relu", "tanh", "gelu"])})  # fmt: skip
    curves = bbo.Study(nets, "minimize", strategy="sobol", seed=1, storage=url, name="mlp")
    for trial in curves.ask(16):
        p = trial.params
        floor = (
            0.05
            + abs(math.log10(p["lr"]) + 2.5) * 0.1
            + 0.02 * ["gelu", "relu", "tanh"].index(p["act"])
        )
        loss = 1.0
        for epoch in range(20):
            loss = floor + (1 - floor) * math.exp(-(epoch + 1) * p["width"] / 400)
            curves.report(trial, loss, epoch)
        curves.tell(trial, loss)
    return url


def big(url: str, n: int = 10_000) -> str:
    """A study of ``n`` completed trials (4 parameters) in ``url``, written in one batch."""
    space = bbo.Space({"x1": bbo.Float(-5.0, 10.0), "x2": bbo.Float(0.0, 15.0),
                       "lr": bbo.Float(1e-4, 1e-1, log=True),
                       "act": bbo.Categorical(["relu", "tanh", "gelu"])})  # fmt: skip
    study = bbo.Study(space, "minimize", strategy="sobol", storage=url, name="big")
    rng = np.random.default_rng(0)
    new = []
    for p in space.sample(n, rng):
        v = (p["x2"] - 0.13 * p["x1"] ** 2 + 1.6 * p["x1"] - 6) ** 2 + abs(math.log10(p["lr"]) + 2)
        new.append(NewTrial(p, state=bbo.TrialState.COMPLETED, values={"value": v}, value=v))
    st = open_storage(url)
    st.create_trials(st.get_study(study.name).id, new)
    return study.name


def serve(url: str) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "bbo.cli.app", "dashboard", "--storage", url, "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    m = re.search(r"on (http://\S+)$", proc.stdout.readline().strip())
    assert m is not None, "bbo dashboard printed no address"
    return proc, m.group(1)


def shoot(base: str, timing: bool) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})

        def snap(path: str, wait: str, name: str, full: bool = False) -> None:
            page.goto(base + path)
            page.wait_for_selector(wait.split(",")[0], timeout=60_000)
            if path.startswith("study/"):  # the surrogate contour comes after the other plots
                page.wait_for_selector("#plot-contour:not([hidden])", timeout=60_000)
            for plot in page.query_selector_all(
                '.plot[id^="plot-"]:not([hidden])'
            ):  # drawn when in view
                plot.scroll_into_view_if_needed()
                page.wait_for_selector(f"#{plot.get_attribute('id')}[data-rendered]")
            page.evaluate("() => window.scrollTo(0, 0)")
            page.wait_for_timeout(600)
            page.screenshot(path=str(OUT / f"dashboard-{name}.png"), full_page=full)
            print(f"wrote docs/img/dashboard-{name}.png")

        snap("", "#studies tr[data-study]", "studies")
        snap("study/branin", "#plot-history[data-rendered]", "study", full=True)
        snap("study/zdt1", "#plot-pareto[data-rendered]", "pareto", full=True)
        snap("study/mlp", "#plot-history[data-rendered]", "curves", full=True)
        page.goto(base + "study/branin")
        page.wait_for_selector("#trials tr[data-trial]")
        page.uncheck('#state-filter input[value="COMPLETED"]')
        page.wait_for_timeout(300)
        page.locator("#trials").screenshot(path=str(OUT / "dashboard-failed.png"))
        print("wrote docs/img/dashboard-failed.png")
        failed = page.query_selector("#trials tbody tr.click td.FAILED")
        if failed is not None:
            failed.click()
            page.wait_for_selector("#stderr")
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / "dashboard-trial.png"), full_page=True)
            print("wrote docs/img/dashboard-trial.png")
        snap("compare?s=branin&s=mlp", "#compare-1[data-rendered]", "compare")
        if timing:
            kinds = ["history", "parallel", "slices", "importance"]
            for attempt in ("first load (cold server)", "reload", "reload"):
                t0 = time.perf_counter()
                page.goto(base + "study/big")
                page.wait_for_selector('#trials tr[data-trial="9999"]', timeout=60_000)
                table = time.perf_counter() - t0
                page.wait_for_selector("#plot-history[data-rendered]", timeout=60_000)
                first = time.perf_counter() - t0
                for k in kinds:  # the rest, scrolled into view one by one
                    page.locator(f"#plot-{k}").scroll_into_view_if_needed()
                    page.wait_for_selector(f"#plot-{k}[data-rendered]", timeout=60_000)
                every = time.perf_counter() - t0
                print(
                    f"10,000-trial study page, {attempt}: trials table {table:.2f} s, first "
                    f"plot {first:.2f} s, every plot scrolled through {every:.2f} s"
                )
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timing", action="store_true", help="also time a 10,000-trial study page")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = build(Path(tmp))
        if args.timing:
            big(url)
        proc, base = serve(url)
        try:
            shoot(base, args.timing)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
