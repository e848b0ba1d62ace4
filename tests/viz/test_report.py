"""`bbo report`: one self-contained HTML page, checked in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(stored, tmp_path_factory):
    from bbo.cli.app import app
    from typer.testing import CliRunner

    url, study, _ = stored
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", "plotdemo", "-o", str(out), "--storage", url])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}"
    return out, study


def test_report_is_self_contained(report):
    path, _ = report
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["'](?!data:)""", text)  # nothing fetched
    assert len(re.findall(r'src="data:image/png;base64,', text)) == 5  # no Pareto: 1 objective
    assert "Pareto front: not drawn (single-objective study)" in text


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (scripts/deps/chromium.sh installs Debian's chromium)",
)
def test_report_renders_in_headless_chromium(report, tmp_path):
    import matplotlib.image as mpimg

    path, study = report
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    # the page's load handler counted the images the browser decoded
    assert 'data-images-decoded="5"' in html
    assert '<h1 id="title">Study plotdemo</h1>' in html
    trials = re.search(r'<table id="trials">.*?</table>', html, re.S)
    assert trials is not None
    rows = re.findall(r"<tr[ >]", trials.group(0))
    assert len(rows) == 1 + len(study.trials)  # header + one row a trial
    best = re.search(r'<table id="best">.*?</table>', html, re.S)
    assert best is not None and f"<td>{study.best.id}</td>" in best.group(0)
    assert 'class="l FAILED">FAILED' in html

    shot = tmp_path / "report.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1800", path.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    img = mpimg.imread(shot)
    assert img.shape[:2] == (1800, 1200)
    assert img[..., :3].std() > 0.08  # text, tables and plots, not a blank page


FAILING = """\
import sys
x = float(sys.argv[1])
print("loading data", file=sys.stderr)
if x > 0:
    raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB <GPU 0>")
print(x ** 2)
"""


def test_report_shows_failed_trials_with_their_stderr(tmp_path):
    """Issue 14: a command that raised shows in the report with its reason and the last
    lines of its stderr, not only `exit code 1`."""
    import yaml
    from bbo.cli.app import app
    from typer.testing import CliRunner

    import bbo

    (tmp_path / "train.py").write_text(FAILING)
    study = {
        "name": "oom",
        "space": {"x": {"type": "float", "low": -1.0, "high": 1.0}},
        "objective": {"command": ["python", str(tmp_path / "train.py"), "{x}"]},
        "strategy": {"name": "sobol"},
        "budget": 6,
        "seed": 0,
        "storage": f"sqlite:///{tmp_path / 'oom.db'}",
    }
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study))
    runner = CliRunner()
    runner.invoke(app, ["run", str(tmp_path / "study.yaml")])
    out = tmp_path / "report.html"
    url = study["storage"]
    result = runner.invoke(app, ["report", "oom", "-o", str(out), "--storage", url])
    assert result.exit_code == 0, result.output
    page = out.read_text()

    failed = [t for t in bbo.Study.load("oom", url).trials if t.state == bbo.TrialState.FAILED]
    assert failed and all(t.params["x"] > 0 for t in failed)
    section = page[page.index('<div id="failed">') : page.index("All trials")]
    assert f"Failed trials ({len(failed)})" in page
    for t in failed:
        assert f"<b>trial {t.id}</b>: exit code 1" in section
    # the traceback's last line, escaped, inside a <pre>
    line = "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB &lt;GPU 0&gt;"
    assert section.count(line) == len(failed)
    assert "loading data" in section  # stderr before the traceback, within the last 5 lines


def test_report_counts_abandoned_and_infeasible_trials_and_prints_its_table(tmp_path):
    """Issue 14: the summary counts ABANDONED and infeasible trials (told INFEASIBLE, or
    violating an outcome constraint); the trial table prints whole (no scroll box on paper,
    the header on each page); the importance plot is in."""
    import numpy as np

    import bbo
    from bbo.viz.report import render

    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = bbo.Study(space, strategy="sobol", seed=0, storage=url, constraints=["mem <= 1"])
    for i, p in enumerate(space.sample(12, np.random.default_rng(0))):
        study.add(p, {"value": p["x"] + p["y"], "mem": float(i % 4)})  # i % 4 > 1: violates
    study.add({"x": 0.5, "y": 0.5}, infeasible=True, reason="out of memory")
    study.add({"x": 0.6, "y": 0.5}, failed=True, reason="crashed")
    study.abandon(study.ask(2))
    page = render(study)

    def card(key: str) -> str:
        m = re.search(rf'<div class="card " id="count-{key}">(.*)', page)  # one line a card
        assert m is not None, key
        return m.group(1)

    assert '<div class="v">16</div>' in card("trials")
    assert '<div class="v">12</div>' in card("completed")
    assert '<div class="v">1</div>' in card("failed")
    assert '<div class="v">2</div>' in card("abandoned")
    assert '<div class="v">7</div>' in card("infeasible")  # 1 told, 6 violate mem <= 1
    assert "1 told infeasible, 6 violate a constraint" in card("infeasible")
    assert page.count('class="l ABANDONED">ABANDONED') == 2
    table = re.search(r'<table id="trials"><thead>.*?</thead><tbody>.*?</tbody></table>', page)
    assert table is not None and len(re.findall(r"<tr[ >]", table.group(0))) == 1 + 16
    css = page[page.index("@media print") :]
    assert re.search(r"\.scroll \{ max-height: none; overflow: visible;", css)
    assert "thead { display: table-header-group; }" in css
    assert 'id="plot-importance"' in page
