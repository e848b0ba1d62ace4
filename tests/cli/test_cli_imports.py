"""Commands that compute no suggestion from a model never import torch (issue 14, item 8),
those that suggest nothing never import numpy or pydantic, and those that print no table
never import rich: each runs in a fresh process, as the ``bbo`` executable does, and
Python's import-time report says what was imported. (How long they take is ``python -m
benchmarks.cli``.)"""

from __future__ import annotations

import sys

import pytest
import yaml

import bbo
from benchmarks.cli import imports, imports_torch

from .conftest import study_dict


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = bbo.Study(
        bbo.Space({"x": bbo.Float(0.0, 1.0)}), storage=url, name="c", strategy="random", seed=0
    )
    for _ in range(5):
        t = study.ask()
        study.tell(t, t.params["x"])
    study.ask()  # trial 5 is RUNNING, for `bbo tell`
    return url


@pytest.mark.parametrize(
    "args",
    [
        ["studies"],
        ["show", "c"],
        ["trials", "c"],
        ["export", "c", "t.csv"],
        ["ask", "--study", "c"],
        ["tell", "--study", "c", "--trial", "5", "--value", "0.5"],
    ],
    ids=lambda a: a[0],
)
def test_everyday_commands_never_import_torch(url, tmp_path, args):
    cli = [sys.executable, "-m", "bbo.cli.app"]
    assert not imports_torch([*cli, *args, "--storage", url], tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["studies"],
        ["show", "c"],
        ["trials", "c"],
        ["export", "c", "t.csv"],
        ["tell", "--study", "c", "--trial", "5", "--value", "0.5"],
    ],
    ids=lambda a: a[0],
)
@pytest.mark.parametrize("module", ["numpy", "pydantic"])
def test_commands_that_suggest_nothing_never_import_numpy_or_pydantic(
    url, tmp_path, args, module
):  # pydantic: typer 0.29 builds a TypeAdapter per option (pyproject keeps typer < 0.29)
    cli = [sys.executable, "-m", "bbo.cli.app"]
    assert not imports([*cli, *args, "--storage", url], tmp_path, module)


@pytest.mark.parametrize(
    "args",
    [
        ["export", "c", "t.csv"],
        ["ask", "--study", "c"],
        ["tell", "--study", "c", "--trial", "5", "--value", "0.5"],
    ],
    ids=lambda a: a[0],
)
def test_commands_printing_no_table_never_import_rich(url, tmp_path, args):
    cli = [sys.executable, "-m", "bbo.cli.app"]
    assert not imports([*cli, *args, "--storage", url], tmp_path, "rich")


@pytest.mark.parametrize(
    "strategy",
    [None, {"name": "gp", "kernel": "matern52"}, {"name": "bnn"}, {"name": "wasserstein"}],
    ids=lambda s: "default" if s is None else s["name"],
)
def test_checking_a_study_file_never_imports_torch(tmp_path, strategy):
    """``bbo run --dry-run`` checks the whole file, the strategy's options included (so a
    typo there is reported before torch is loaded), and builds no strategy."""
    study = study_dict(tmp_path)
    del study["strategy"]
    if strategy is not None:  # None: no strategy section, the default (auto)
        study["strategy"] = strategy
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    cli = [sys.executable, "-m", "bbo.cli.app"]
    assert not imports_torch([*cli, "run", str(path), "--dry-run"], tmp_path)


@pytest.mark.parametrize("code", ["import torch", "import bbo.torch_utils"])
def test_the_import_report_does_see_torch(tmp_path, code):  # the checks above can fail,
    assert imports_torch([sys.executable, "-c", code], tmp_path)  # torch imported by bbo too


@pytest.mark.parametrize("module", ["rich", "pydantic"])
def test_the_import_report_does_see_rich_and_pydantic(tmp_path, module):
    assert imports([sys.executable, "-c", f"import {module}"], tmp_path, module)
