"""Issue 14, item 11: --dry-run fails on a CONFLICT, duplicate keys are errors, typos get a
"did you mean", and CLI errors speak in CLI words."""

from __future__ import annotations

import json

import pytest
import yaml


def test_dry_run_exits_non_zero_on_a_conflict(tmp_path, write_study, invoke):
    assert invoke("run", write_study(budget=1)).exit_code == 0
    path = write_study(budget=1, space={"x": {"type": "float", "low": 0.0, "high": 2.0}})
    result = invoke("run", path, "--dry-run")
    assert result.exit_code == 2
    assert "CONFLICT" in result.stdout and "stored: CONFLICT" in result.stderr


def test_duplicate_keys_are_an_error(tmp_path, write_study, invoke):
    path = write_study()
    path.write_text(path.read_text() + "budget: 9\n")
    result = invoke("run", path, "--dry-run")
    assert result.exit_code == 2
    line = len(path.read_text().splitlines())
    assert f"{path}: line {line}, column 1: duplicate key 'budget' (first on line" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"budjet": 3}, "budjet: unknown key (did you mean `budget`?); the keys here are name,"),
        (
            {"space": {"x": {"type": "float", "low": 0, "hihg": 1}}},
            "space.x.hihg: unknown key (did you mean `high`?); the keys here are type, low,",
        ),
        (
            {"objective": {"command": ["true"], "timout": 3}},
            "objective.timout: unknown key (did you mean `timeout`?)",
        ),
        (  # the keys as written in a file (aliases: `lambda`, not the field's `lambda_`)
            {"objective": {"command": ["true"], "name": "loss"}},
            "objective.name: unknown key (name the objective's metric in `direction`: "
            "`direction: {loss: minimize}`); the keys here are direction, constraints, "
            "statistic, q, alpha, lambda, threshold,",
        ),
        ({"strategy": {"name": "gpp"}}, "got 'gpp' (did you mean `gp`?)"),
        (
            {"strategy": {"name": "gp", "n_inti": 3}},
            "takes no option(s) ['n_inti'] (did you mean `n_init`?); its options are [",
        ),
    ],
)
def test_typos_get_a_did_you_mean(write_study, invoke, overrides, expected):
    result = invoke("run", write_study(**overrides), "--dry-run")
    assert result.exit_code == 2
    assert expected in result.stderr


def test_tell_errors_speak_cli(tmp_path, write_study, invoke):
    path = write_study(budget=1)
    data = yaml.safe_load(path.read_text())
    data["objective"]["direction"] = {"a": "minimize", "b": "minimize"}
    path.write_text(yaml.safe_dump(data))
    assert invoke("run", path, "--dry-run").exit_code == 0
    from bbo.run.config import load_config
    from bbo.run.runner import open_study

    open_study(load_config(path)[0])
    trial = json.loads(invoke("ask", "--study", path).stdout)["trial"]
    result = invoke("tell", "--study", path, "--trial", trial, "--value", "1")
    assert result.exit_code == 2
    assert "tell a mapping" not in result.stderr
    assert "tell --json '{\"METRIC\": V, ...}' with every metric, not --value" in result.stderr


def test_tell_json_of_one_metric_is_the_single_objective(tmp_path, write_study, invoke):
    path = write_study(budget=1)
    from bbo.run.config import load_config
    from bbo.run.runner import open_study

    open_study(load_config(path)[0])
    trial = json.loads(invoke("ask", "--study", path).stdout)["trial"]
    told = invoke("tell", "--study", path, "--trial", trial, "--json", '{"loss": 0.25}')
    assert told.exit_code == 0, told.output
    assert json.loads(told.stdout)["value"] == 0.25


def test_exports_have_iso_times_integer_columns_and_no_repeated_column(tmp_path, invoke):
    import csv
    from datetime import datetime

    import pyarrow.parquet as pq

    import bbo

    url = f"sqlite:///{tmp_path / 'e.db'}"
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 8)})
    s = bbo.Study(space, strategy="sobol", seed=0, storage=url, name="e")
    for t in s.ask(2):
        s.tell(t, {"value": t.params["x"], "epochs": 3})
    assert invoke("export", "e", tmp_path / "out.csv", "--storage", url).exit_code == 0
    with open(tmp_path / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert "values.value" not in rows[0] and rows[0]["value"]  # `value` is the objective
    assert rows[0]["values.epochs"] == "3" and rows[0]["params.n"].isdigit()
    created = datetime.fromisoformat(rows[0]["created_at"])
    assert created.tzinfo is not None and abs(created.timestamp() - s.trials[0].created_at) < 1e-3
    assert invoke("export", "e", tmp_path / "out.parquet", "--storage", url).exit_code == 0
    schema = pq.read_table(tmp_path / "out.parquet").schema
    assert str(schema.field("values.epochs").type) == "int64"
    assert str(schema.field("retry_of").type) == "int64"
    assert str(schema.field("created_at").type).startswith("timestamp")
