"""`bbo run` options and the setup errors a new user hits first (each exits 2 and says what
to do, before anything is stored)."""

from __future__ import annotations

import json

import bbo


def _url(tmp_path):
    return f"sqlite:///{tmp_path / 'study.db'}"


def test_dry_run_prints_the_plan_and_stores_nothing(tmp_path, write_study, invoke):
    path = write_study(budget=9, workers=3, objective={"command": ["echo", "{x:.3f}"]})
    result = invoke("run", path, "--dry-run", "--budget", "12")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "dry run: nothing was stored or evaluated" in out
    assert "new study (the file" in out and "study.db will be created)" in out
    assert "│ budget       │ 12 finished trials" in out  # --budget overrides the file
    assert "│ command      │ echo {x:.3f}" in out
    assert "│ space.x      │ float {'low': -1.0, 'high': 1.0, 'log': False}" in out
    assert not (tmp_path / "study.db").exists()


def test_budget_seed_overrides_and_json_lines_log(tmp_path, write_study, invoke):
    path = write_study(budget=2, seed=0)
    result = invoke("run", path, "--budget", "3", "--seed", "7", "--log-format", "json")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]  # every line is JSON
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("running") == 3 and kinds.count("trial") == 3
    study = bbo.Study.load("demo", _url(tmp_path))
    assert study.seed == 7
    told = [e for e in events if e["event"] == "trial"]
    assert [e["finished"] for e in told] == [1, 2, 3]
    by_id = {t.id: t for t in study.trials}
    for e in told:
        t = by_id[e["trial"]]
        assert e["state"] == "COMPLETED" and e["value"] == t.value and e["params"] == t.params
        assert e["budget"] == 3 and e["evals_per_s"] > 0
    end = events[-1]
    assert end["status"] == "completed" and end["finished"] == 3
    assert end["best"]["trial"] == study.best.id and end["best"]["value"] == study.best.value


def test_command_not_found_exits_2_before_storing(tmp_path, write_study, invoke):
    path = write_study(objective={"command": ["pyhton", "f.py", "{x}"]})
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{path}: objective.command: 'pyhton' was not found on PATH; check the spelling, "
        "install it, or give its path"
    )
    path = write_study(objective={"command": ["./missing.sh", "{x}"], "cwd": "."})
    result = invoke("run", path)
    assert result.exit_code == 2
    assert f"'./missing.sh' does not exist (looked for {tmp_path}/missing.sh)" in result.stderr
    assert not (tmp_path / "study.db").exists()


def test_name_clash_is_refused_and_new_starts_a_study_beside_it(tmp_path, write_study, invoke):
    assert invoke("run", write_study(budget=1)).exit_code == 0
    other = {"x": {"type": "float", "low": -2.0, "high": 1.0}}
    path = write_study(budget=2, space=other)
    result = invoke("run", path)
    assert result.exit_code == 2
    err = result.stderr
    assert f"{path}: study 'demo' already exists with a different definition" in err
    assert "rerun with --new to start a new study 'demo-2' beside the stored one" in err

    assert invoke("run", path, "--new").exit_code == 0
    again = invoke("run", path, "--new")  # --new resumes the study it created
    assert again.exit_code == 0 and "already reached" in again.stdout
    names = sorted(r.name for r in bbo.Study.load("demo", _url(tmp_path)).storage.list_studies())
    assert names == ["demo", "demo-2"]
    assert len(bbo.Study.load("demo-2", _url(tmp_path)).trials) == 2
    assert len(bbo.Study.load("demo", _url(tmp_path)).trials) == 1


def test_malformed_and_unreachable_storage(tmp_path, write_study, invoke):
    path = write_study(storage="sqlite:/study.db")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert "storage URL 'sqlite:/study.db' is malformed" in result.stderr
    path = write_study(storage="mysql://localhost/db")
    assert "unsupported scheme 'mysql'" in invoke("run", path).stderr
    path = write_study(storage="postgresql://bbo:pw@127.0.0.1:1/bbo")  # nothing listens on 1
    result = invoke("run", path)
    assert result.exit_code == 2
    assert "is unreachable" in result.stderr
    assert "check the host, port, database name and credentials" in result.stderr


def test_max_failures_stops_the_run_with_exit_1(tmp_path, write_study, invoke):
    path = write_study(
        objective={"command": ["sh", "-c", "echo 'Traceback: boom' >&2; exit 2", "{x}"]},
        budget=10,
        workers=1,
        max_failures=2,
    )
    result = invoke("run", path)
    assert result.exit_code == 1
    assert f"{path}: stopped after 2 failed evaluation(s) (max_failures: 2)" in result.stderr
    assert "last: trial 1: exit code 2" in result.stderr
    assert "rerun the same command to resume" in result.stderr
    assert len(bbo.Study.load("demo", _url(tmp_path)).trials) == 2


def test_device_is_checked_at_start_and_never_stored(tmp_path, write_study, invoke):
    path = write_study(budget=2, seed=0)
    bad = invoke("run", path, "--device", "tpu")
    assert bad.exit_code == 2
    assert "--device must be one of ['auto', 'cpu', 'cuda', 'cuda:N', 'mps'], got 'tpu'" in (
        bad.output
    )
    assert not (tmp_path / "study.db").exists()  # refused before anything was stored
    good = invoke("run", path, "--device", "cpu", "--log-format", "json")
    assert good.exit_code == 0, good.output
    stored = bbo.Study.load("demo", _url(tmp_path)).storage.get_study("demo").spec
    assert "device" not in json.dumps(stored)
