"""Learning curves: the data behind them, the figure (lines, styles, SVG), ``bbo plot
--kind learning-curves`` and the report's section."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import bbo
from bbo.study import TrialState
from bbo.viz import NO_REPORTS, figures
from bbo.viz.curves import CurveData, select, thin
from bbo.viz.curves_plot import learning_curves
from bbo.viz.theme import BEST, BLUE, ORANGE


def _train(study: bbo.Study, n: int, epochs: int = 27) -> None:
    """``n`` trials of the docs/pruning.md loop: loss (lr - 0.3)^2 + 1 / epoch."""
    for _ in range(n):
        trial = study.ask()
        lr = trial.params["lr"]
        for epoch in range(1, epochs + 1):
            loss = (lr - 0.3) ** 2 + 1.0 / epoch
            if trial.report(loss, step=epoch):
                study.tell(trial, pruned=True)
                break
        else:
            study.tell(trial, loss)


@pytest.fixture(scope="module")
def curves_study(tmp_path_factory):
    """'curves' (SQLite): 20 trials under ASHA, then one RUNNING trial with 2 reports and a
    FAILED one with 1."""
    url = f"sqlite:///{tmp_path_factory.mktemp('curves') / 'c.db'}"
    study = bbo.Study(
        {"lr": bbo.Float(0.0, 1.0)},
        direction="minimize",
        strategy="random",
        seed=0,
        storage=url,
        name="curves",
        pruner={"name": "asha", "min_resource": 1, "reduction_factor": 3},
    )
    _train(study, 20)
    running = study.ask()
    running.report(2.0, step=1)
    running.report(1.5, step=2)
    failed = study.ask()
    failed.report(3.0, step=1)
    study.tell(failed, failed=True)
    return url, study


def test_curve_data_holds_every_report_by_trial(curves_study):
    _, study = curves_study
    c = CurveData.of(study)
    assert c.n_trials == 22 and c.n_reports == len(study.reports())
    assert [cv.trial for cv in c.curves] == list(range(22))
    for cv in c.curves:
        reps = study.reports(cv.trial)
        np.testing.assert_array_equal(cv.steps, [r.step for r in reps])
        np.testing.assert_array_equal(cv.values, [r.value for r in reps])
        assert cv.state == study.trials[cv.trial].state
    states = {s: sum(t.state == s for t in study.trials) for s in TrialState}
    assert c.states == {s: k for s, k in states.items() if k}
    assert c.states[TrialState.PRUNED] > 0 and c.states[TrialState.COMPLETED] > 0
    assert c.best == study.best.id and c.note == ""


def test_figure_lines_styles_and_best(curves_study):
    _, study = curves_study
    c = CurveData.of(study)
    fig = learning_curves(c)
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "value (minimize)")
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    assert sorted(lines) == sorted(f"trial-{i}" for i in range(22))
    for cv in c.curves:
        ln = lines[f"trial-{cv.trial}"]
        np.testing.assert_array_equal(ln.get_ydata(), cv.values)
        if cv.trial == c.best:
            assert (ln.get_color(), ln.get_linewidth()) == (BEST, 2.4)
        elif cv.state == TrialState.PRUNED:
            assert (ln.get_color(), ln.get_linestyle()) == (ORANGE, "--")
        elif cv.state == TrialState.COMPLETED:
            assert (ln.get_color(), ln.get_linestyle()) == (BLUE, "-")
    best = study.best
    np.testing.assert_array_equal(
        lines[f"trial-{best.id}"].get_ydata(), [r.value for r in study.reports(best)]
    )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    n = c.states
    assert legend[-1] == f"best (trial {best.id})"
    assert f"pruned ({n[TrialState.PRUNED]})" in legend
    assert f"completed ({n[TrialState.COMPLETED]})" in legend
    assert "running (1)" in legend and "failed (1)" in legend
    # one cross per pruned trial, where it stopped
    crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(crosses) == n[TrialState.PRUNED]
    # the SVG names every trial's line (gid), the best one included
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    assert set(re.findall(r'id="(trial-\d+)"', svg)) == set(lines)
    assert "Learning curves: curves" in svg


def test_many_trials_are_capped_and_thinned(curves_study):
    _, study = curves_study
    c = CurveData.of(study, max_curves=5, max_points=4)
    ids = [cv.trial for cv in c.curves]
    assert len(ids) == 5 and c.best in ids and ids == sorted(ids)
    assert 0 in ids and 21 in ids  # evenly spaced: first and last kept
    assert c.n_trials == 22 and c.thinned
    assert all(len(cv.steps) <= 4 for cv in c.curves)
    full = study.reports(c.best)
    cv = c.curve(c.best)
    assert cv is not None and cv.steps[0] == full[0].step and cv.steps[-1] == full[-1].step
    assert c.note == "5 of 22 trials drawn (evenly spaced, and the best); at most 4 points a curve"
    fig = learning_curves(c)
    assert c.note in [t.get_text() for t in fig.texts]


def test_select_and_thin_are_deterministic():
    assert select(list(range(5)), 3, 10) == [0, 1, 2, 3, 4]
    assert select(list(range(100)), 42, 5) == [0, 33, 42, 66, 99]
    assert select(list(range(100)), None, 3) == [0, 50, 99]
    assert thin(3, 5) == [0, 1, 2]
    assert thin(10, 4) == [0, 3, 6, 9]


def test_plot_kind_learning_curves(curves_study, stored, invoke, tmp_path):
    import matplotlib.image as mpimg

    url, _ = curves_study
    out = tmp_path / "p"
    r = invoke("plot", "curves", "--out", out, "--storage", url, "--kind", "learning-curves")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [f"learning-curves: {out / 'learning-curves.png'}"]
    assert sorted(p.name for p in out.iterdir()) == ["learning-curves.png"]
    img = mpimg.imread(out / "learning-curves.png")
    assert img.shape[1] >= 900 and img[..., :3].std() > 0.05
    # commas and repeats; order follows the plot list
    r = invoke("plot", "curves", "--out", out, "--storage", url,
               "--kind", "learning-curves,history", "--kind", "slices")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert [ln.split(":")[0] for ln in r.stdout.splitlines()] == [
        "history", "slices", "learning-curves"
    ]  # fmt: skip
    # a study without reports: explicitly asked, skipped with the reason, exit 1
    demo_url = stored[0]
    r = invoke("plot", "plotdemo", "--out", tmp_path / "q", "--storage", demo_url,
               "--kind", "learning-curves")  # fmt: skip
    assert r.exit_code == 1
    assert f"learning-curves: skipped ({NO_REPORTS})" in r.stdout
    bad = invoke("plot", "curves", "--out", out, "--storage", url, "--kind", "curves")
    assert bad.exit_code == 2 and "plot kind(s) ['curves'] unknown; kinds are" in bad.stderr


def test_all_plots_include_learning_curves_only_with_reports(curves_study, stored):
    _, study = curves_study
    figs, skipped = figures(study)
    assert "learning-curves" in figs and "learning-curves" not in skipped
    _, demo, _ = stored
    figs, skipped = figures(demo, kinds=["history", "learning-curves"])
    assert list(figs) == ["history"] and skipped == {"learning-curves": NO_REPORTS}


def test_report_section_only_with_reports(curves_study, tmp_path):
    from bbo.viz.report import render

    _, study = curves_study
    page = render(study)
    assert '<h2 id="learning-curves">Learning curves</h2>' in page
    assert re.search(r'<figure id="plot-learning-curves"><img alt="Learning curves" [^>]*'
                     r'src="data:image/png;base64,', page)  # fmt: skip
    n = sum(t.state == TrialState.PRUNED for t in study.trials)
    assert f"{n} trial(s) pruned" in page
    plain = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=0)
    for x in (0.1, 0.5, 0.9):
        plain.add({"x": x}, x)
    page = render(plain)
    assert "learning-curves" not in page and "Learning curves" not in page
