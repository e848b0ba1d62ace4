"""`bbo run` of a multi-fidelity study: the command reads its fidelity (`{epochs}`,
`$BBO_FIDELITY`), reports each epoch, and is stopped at rungs; study.yaml errors name the
field."""

from __future__ import annotations

import json
import textwrap

import pytest

import bbo

# trains "epochs" steps: value (x - 0.3)^2 + 1 / step, prints a progress line per step;
# checks that {epochs} and $BBO_FIDELITY agree and writes what it was asked to a log
TRAIN = textwrap.dedent(
    """
    import json, os, sys
    x, epochs = float(sys.argv[1]), int(sys.argv[2])
    assert epochs == int(os.environ["BBO_FIDELITY"]), (epochs, os.environ["BBO_FIDELITY"])
    with open(sys.argv[3], "a") as log:
        log.write(json.dumps({"trial": int(os.environ["BBO_TRIAL_ID"]), "epochs": epochs}) + "\\n")
    value = None
    for step in range(1, epochs + 1):
        value = (x - 0.3) ** 2 + 1 / step
        print(json.dumps({"step": step, "value": value}), flush=True)
    print(value)
    """
)
FIDELITY = {"name": "epochs", "low": 1, "high": 9}


def test_a_command_runs_to_its_fidelity_and_is_stopped_at_rungs(tmp_path, write_study, invoke):
    (tmp_path / "train.py").write_text(TRAIN)
    log = tmp_path / "asked.jsonl"
    path = write_study(
        objective={"command": ["python", str(tmp_path / "train.py"), "{x}", "{epochs}", str(log)]},
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        fidelity=FIDELITY,
        budget=8,
        workers=1,
    )
    result = invoke("run", path)
    assert result.exit_code == 0, result.output + result.stderr
    asked = [json.loads(line) for line in log.read_text().splitlines()]
    assert [a["epochs"] for a in asked] == [9] * 8
    study = bbo.Study.load("demo", f"sqlite:///{tmp_path / 'study.db'}")
    assert study.spec.fidelity == {**FIDELITY, "eta": 3}
    trials = study.trials
    assert all(t.fidelity == 9 for t in trials)
    states = [t.state for t in trials]
    assert bbo.TrialState.PRUNED in states and bbo.TrialState.COMPLETED in states
    steps = {t.id: max(r.step for r in study.reports(t)) for t in trials}
    for t in trials:  # a stopped trial stopped at a rung of its bracket (1, 3 or 9)
        if t.state == bbo.TrialState.PRUNED:
            assert steps[t.id] in (1, 3) and steps[t.id] >= study.spec.fidelity["low"]
        else:
            assert steps[t.id] == 9 and t.value == pytest.approx((t.params["x"] - 0.3) ** 2 + 1 / 9)


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"fidelity": {"name": "epochs", "low": 9, "high": 3}}, "fidelity",
         "`fidelity.low < fidelity.high` must hold, got low=9, high=3"),
        ({"fidelity": {"name": "epochs", "low": 0, "high": 3}}, "fidelity.low",
         "greater than or equal to 1"),
        ({"fidelity": {"name": "epochs", "high": 3}}, "fidelity.low", "required key is missing"),
        ({"fidelity": {"name": "epochs", "low": 1, "high": 3, "min": 1}}, "fidelity.min",
         "unknown key"),
        ({"fidelity": {"name": "x", "low": 1, "high": 3}}, "fidelity.name",
         "must not be a parameter's name, got 'x'"),
        ({"fidelity": FIDELITY, "pruner": {"name": "asha"}}, "fidelity",
         "`fidelity` and `pruner` exclude each other"),
        ({"objective": {"command": ["echo", "{epochs}"]}}, "objective.command",
         "placeholder {epochs}"),  # no fidelity: an unknown placeholder
    ],
)  # fmt: skip
def test_bad_fidelity_in_study_yaml_names_the_field(write_study, invoke, overrides, field, rule):
    path = write_study(**overrides)
    result = invoke("run", path)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if f"{field}: " in ln]
    assert any(rule in ln for ln in lines), result.stderr


def test_fill_fidelity_keeps_other_placeholders():
    from bbo.run.config_fidelity import fill_fidelity

    command = ["t.py", "--epochs={epochs}", "{x:.3f}", "{{lit}}", "{epochs:04d}"]
    out = fill_fidelity(command, FIDELITY)
    assert out == ["t.py", "--epochs=9", "{x:.3f}", "{{lit}}", "0009"]
    assert [a.format(x=0.5) for a in out] == ["t.py", "--epochs=9", "0.500", "{lit}", "0009"]
