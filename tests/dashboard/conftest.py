"""Real parts for the dashboard tests: a SQLite file of studies, ``bbo dashboard`` running
as a process on a loopback port, and Debian's headless Chromium driven by Playwright
(``executable_path``: Playwright never downloads a browser here).

Browser tests skip, naming what is missing, when chromium (scripts/deps/chromium.sh) or
the playwright package (``pip install -e '.[dev]'``) is absent.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bbo

pytest.importorskip("starlette", reason="the dashboard needs pip install 'bbo[dashboard]'")
pytest.importorskip("plotly", reason="the dashboard needs pip install 'bbo[dashboard]'")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
try:
    import playwright.sync_api  # noqa: F401

    PLAYWRIGHT = True
except ImportError:
    PLAYWRIGHT = False

needs_browser = pytest.mark.skipif(
    CHROMIUM is None or not PLAYWRIGHT,
    reason="chromium is not installed (scripts/deps/chromium.sh installs Debian's chromium)"
    if CHROMIUM is None
    else "playwright is not installed (pip install -e '.[dev]')",
)
STDERR_LINE = "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB <GPU 0>"


def branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def make_studies(url: str) -> None:
    """'demo' (4 parameters, 24 completed, 1 failed with a stderr tail, reports on 6
    trials) and 'mo' (two objectives, 20 completed) in the storage ``url``."""
    rng = np.random.default_rng(0)
    space = bbo.Space(
        {
            "x1": bbo.Float(-5.0, 10.0),
            "x2": bbo.Float(0.0, 15.0),
            "lr": bbo.Float(1e-4, 1e-1, log=True),
            "act": bbo.Categorical(["relu", "tanh", "gelu"]),
        }
    )
    demo = bbo.Study(space, "minimize", strategy="sobol", seed=0, storage=url, name="demo")
    for i, p in enumerate(space.sample(25, rng)):
        if i == 5:
            tail = f"loading data\nTraceback (most recent call last):\n{STDERR_LINE}\n"
            demo.add(p, failed=True, reason="exit code 1", attrs={"stderr_tail": tail})
            continue
        demo.add(p, branin(p["x1"], p["x2"]) + abs(math.log10(p["lr"]) + 2))
    for trial in demo.ask(6):  # learning curves: reports at steps 0..4, then the final value
        for step in range(5):
            demo.report(trial, 50.0 / (step + 1) + trial.id, step)
        demo.tell(trial, 10.0 + trial.id)
    mo_space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    mo = bbo.Study(
        mo_space, {"f1": "minimize", "f2": "minimize"}, strategy="sobol", storage=url, name="mo"
    )
    for p in mo_space.sample(20, rng):
        g = 1 + 9 * p["y"]
        mo.add(p, {"f1": p["x"], "f2": g * (1 - math.sqrt(p["x"] / g))})


class Dashboard:
    """``bbo dashboard`` as a process: its base ``url``, and :meth:`get` for its JSON."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        cmd = [sys.executable, "-m", "bbo.cli.app", "dashboard", "--port", "0", *args]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "bbo dashboard: serving URL on http://..."
        m = re.search(r"on (http://\S+)$", line.strip())
        if m is None:
            self.stop()
            raise AssertionError(f"no address printed: {line!r} {self.proc.stderr.read()!r}")  # type: ignore[union-attr]
        self.url = m.group(1)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        req = urllib.request.Request(self.url + path.lstrip("/"), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'dash.db'}"
    make_studies(url)
    return url


@pytest.fixture(scope="module")
def server(stored: str) -> Iterator[Dashboard]:
    d = Dashboard(["--storage", stored])
    yield d
    d.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (1400 x 1000) that fails the test on a JavaScript error."""
    errors: list[str] = []
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    pg.close()
    assert errors == [], errors


def wait_until(cond: Any, timeout: float = 30.0, every: float = 0.1) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(every)
    raise AssertionError("timed out waiting")
