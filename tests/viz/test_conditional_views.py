"""A study with conditional parameters in `bbo show` (each parameter's `when`), the HTML
report (the space table with "active when"; every plot drawn) and the slices plot."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import bbo

pytest.importorskip("matplotlib", reason="plots need matplotlib (pip install 'bbo[plot]')")

SPACE = bbo.Space(
    {
        "optimizer": bbo.Categorical(["sgd", "adam"]),
        "momentum": bbo.Float(0.0, 1.0, when={"optimizer": ["sgd"]}),
        "beta": bbo.Float(0.0, 1.0, when={"optimizer": ["adam"]}),
        "layers": bbo.Int(1, 3),
        "width": bbo.Ordinal([8, 16], when={"layers": [2, 3]}),
    }
)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('cond') / 'c.db'}"
    study = bbo.Study(SPACE, strategy="random", seed=0, storage=url, name="condviz")
    for p in SPACE.sample(12, 0):
        study.add(p, (p.get("momentum", 0.5) + p.get("beta", 0.7)) * p["layers"])
    return url, study


def test_show_lists_each_parameters_condition(stored):
    from bbo.cli.app import app

    url, _ = stored
    result = CliRunner().invoke(app, ["show", "condviz", "--storage", url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if "momentum" in ln)
    assert "when={'optimizer': ['sgd']}" in line


def test_report_has_the_space_table_and_draws_every_plot(stored):
    from bbo.viz.report import render

    _, study = stored
    html = render(study)
    table = html[html.index('<table id="space">') :]
    table = table[: table.index("</table>")]
    assert '<td class="l">momentum</td>' in table
    assert "optimizer in [&#x27;sgd&#x27;]" in table or "optimizer in ['sgd']" in table
    assert '<td class="l">always</td>' in table
    assert "Slices per parameter: not drawn" not in html
    flat = bbo.Study(bbo.Space({"x": bbo.Float(0.0, 1.0)}), strategy="random", seed=0)
    flat.add({"x": 0.5}, 1.0)
    assert '<table id="space">' not in render(flat)  # a flat space: no table
