"""Progress lines and pruning in ``bbo run``'s evaluators and runner, with real processes."""

from __future__ import annotations

import json
import sys
import textwrap
import time

import pytest

import bbo
from bbo.run.config import StudyConfig
from bbo.run.objective import CommandEvaluator, PythonEvaluator, Result, parse_output, progress
from bbo.run.runner import Runner, Status, evaluator_for, open_study

# prints {"step": s, "value": v} for s = 0..n-1 (v = x + 1 / (s + 1)), then x; with a third
# argument "stubborn" it ignores SIGTERM and prints forever
CURVE = textwrap.dedent(
    """
    import json, signal, sys, time
    x, n = float(sys.argv[1]), int(sys.argv[2])
    stubborn = len(sys.argv) > 3
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    s = 0
    while s < n or stubborn:
        print(json.dumps({"step": s, "value": x + 1 / (s + 1)}), flush=True)
        s += 1
        time.sleep(0.02)
    print("log line")
    print(x)
    """
)


@pytest.fixture
def curve(tmp_path):
    """The path of the CURVE script (a file: ``{`` in ``-c`` code would be a placeholder)."""
    path = tmp_path / "curve.py"
    path.write_text(CURVE)
    return str(path)


class Calls:
    """A report callback: records ``(step, value)`` and says prune from ``prune_at`` on."""

    def __init__(self, prune_at: int | None = None, refuse: bool = False) -> None:
        self.seen: list[tuple[object, object]] = []
        self.prune_at, self.refuse = prune_at, refuse

    def __call__(self, step: object, value: object) -> bool:
        if self.refuse:
            raise bbo.InvalidValueError("a reported `value` must be finite, got nan")
        self.seen.append((step, value))
        return self.prune_at is not None and step >= self.prune_at  # type: ignore[operator]


def test_progress_lines_are_recognised_exactly():
    assert progress('{"step": 3, "value": 0.41}\n') == (3, 0.41)
    assert progress('{"value": 1, "step": 0}') == (0, 1)
    assert progress('{"step": 3, "value": 0.41, "extra": 1}') is None  # a metrics result
    assert progress('{"loss": 0.4}') is None and progress("0.5") is None
    assert progress('{"step": 1, "value"') is None  # not JSON
    # the result is the last line that is no progress line
    out = '{"step": 0, "value": 2}\n0.5\n{"step": 1, "value": 1}\n'
    assert parse_output(out) == Result(value=0.5)


def test_a_command_reports_its_progress_lines_as_they_come(tmp_path, curve):
    calls = Calls()
    ev = CommandEvaluator([sys.executable, curve, "{x}", "3"], cwd=tmp_path)
    res = ev.timed(0, {"x": 0.5}, report=calls)
    assert res.value == 0.5 and not res.pruned and res.finished_at is not None
    assert calls.seen == [(0, 1.5), (1, 1.0), (2, 0.5 + 1 / 3)]
    # without a callback (e.g. on Ray) the progress lines are skipped, the result stays
    assert ev.evaluate(0, {"x": 0.25}).value == 0.25


def test_a_pruned_command_is_stopped_with_sigterm(tmp_path, curve):
    ev = CommandEvaluator([sys.executable, curve, "{x}", "1000"], cwd=tmp_path)
    t0 = time.monotonic()
    res = ev.evaluate(0, {"x": 0.5}, report=Calls(prune_at=2))
    assert res == Result(pruned=True, pruned_step=2)
    assert time.monotonic() - t0 < 10  # not the 20 s it would print for


def test_a_command_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path, curve):
    argv = [sys.executable, curve, "{x}", "1", "stubborn"]
    ev = CommandEvaluator(argv, cwd=tmp_path, prune_grace=0.5)
    calls = Calls(prune_at=1)
    t0 = time.monotonic()
    res = ev.evaluate(0, {"x": 0.5}, report=calls)
    took = time.monotonic() - t0
    assert res.pruned and res.pruned_step == 1
    assert 0.5 <= took < 10  # SIGKILL after the grace period
    assert calls.seen[-1][0] == 1  # nothing reported after the prune


def test_a_refused_progress_line_fails_the_trial(tmp_path, curve):
    ev = CommandEvaluator([sys.executable, curve, "{x}", "1000"], cwd=tmp_path)
    res = ev.evaluate(0, {"x": 0.5}, report=Calls(refuse=True))
    assert res.failed and "refused: a reported `value` must be finite" in (res.reason or "")


OBJECTIVE = textwrap.dedent(
    """
    import bbo

    def train(x, trial):
        for step in range(5):
            if trial.report(x + 1 / (step + 1), step):
                raise bbo.TrialPruned()
        return x

    def plain(x):
        return x * 2

    def bad(x, trial):
        trial.report(float("nan"), 0)
        return x
    """
)


@pytest.fixture
def module(tmp_path):
    (tmp_path / "objmod.py").write_text(OBJECTIVE)
    return tmp_path


def _python(target: str, where) -> PythonEvaluator:
    return PythonEvaluator(target, cwd=where, paths=[where])


def test_a_python_function_with_a_trial_argument_reports_and_is_pruned(module):
    ev = _python("objmod:train", module)
    try:
        calls = Calls(prune_at=2)
        res = ev.timed(7, {"x": 0.5}, report=calls)
        assert res.pruned and res.pruned_step == 2 and res.value is None
        assert calls.seen == [(0, 1.5), (1, 1.0), (2, 0.5 + 1 / 3)]
        full = Calls()
        assert ev.timed(8, {"x": 0.5}, report=full).value == 0.5  # not pruned: completes
        assert len(full.seen) == 5
        assert ev.evaluate(9, {"x": 0.5}).value == 0.5  # no callback: reports go nowhere
    finally:
        ev.close()


def test_python_reports_refused_by_the_study_raise_in_the_function(module):
    ev = _python("objmod:bad", module)
    plain = _python("objmod:plain", module)
    try:
        res = ev.timed(0, {"x": 0.5}, report=Calls(refuse=True))
        assert res.failed and "InvalidValueError" in (res.reason or "")
        assert plain.timed(0, {"x": 0.5}, report=Calls()).value == 1.0  # no trial argument
    finally:
        ev.close()
        plain.close()


def _config(tmp_path, objective, **kw) -> StudyConfig:
    return StudyConfig.model_validate(
        {
            "name": "p",
            "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
            "objective": objective,
            "storage": f"sqlite:///{tmp_path / 'p.db'}",
            "seed": 5,
            "strategy": {"name": "sobol"},
            **kw,
        }
    )


@pytest.mark.parametrize("kind", ["command", "python"])
def test_the_runner_prunes_and_counts_pruned_trials(tmp_path, module, curve, kind):
    objective = (
        {"command": [sys.executable, curve, "{x}", "5"]}
        if kind == "command"
        else {"python": "objmod:train"}
    )
    # ASHA, eta 2, rungs at steps 1, 2, 4: about half the trials stop at each rung
    pruner = {"name": "asha", "min_resource": 1, "reduction_factor": 2}
    cfg = _config(tmp_path, objective, budget=8, pruner=pruner)
    study = open_study(cfg)
    result = Runner(study, evaluator_for(cfg, module), budget=8, workers=1).run()
    assert result.status == Status.COMPLETED
    trials = study.trials
    assert len(trials) == 8 and all(t.state.finished for t in trials)
    pruned = [t for t in trials if t.state == bbo.TrialState.PRUNED]
    done = [t for t in trials if t.state == bbo.TrialState.COMPLETED]
    assert pruned and done
    reports = {}
    for r in study.reports():
        reports.setdefault(r.trial, []).append(r)
    for t in pruned:
        step = t.attrs["pruned_at_step"]
        assert t.reason == f"pruned at step {step}" and step in (1, 2, 4)
        assert reports[t.id][-1].step == step and t.value == reports[t.id][-1].value
    for t in done:  # completed: every step reported, the printed result as value
        assert [r.step for r in reports[t.id]] == [0, 1, 2, 3, 4]
        assert t.value == pytest.approx(t.params["x"])
    # the best completed trial kept running: a better curve never loses to a worse one
    assert study.best.id in {t.id for t in done}


def test_study_yaml_pruner_errors_name_the_file_and_field(tmp_path):
    from bbo.exceptions import ConfigError
    from bbo.run.config import load_config

    path = tmp_path / "s.yaml"
    doc = _config(tmp_path, {"command": ["echo", "{x}"]}, budget=2).model_dump(mode="json")
    doc["pruner"] = {"name": "asha", "reduction_factor": 1}
    doc.pop("executor", None)
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert f"{path}: pruner" in str(e.value)
    assert "`pruner.reduction_factor` must be an integer >= 2, got 1" in str(e.value)
    doc["pruner"] = {"name": "medain"}
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=r"pruner\.name: must be one of .*did you mean `median`"):
        load_config(path)


FLAKY = textwrap.dedent(
    """
    import json, os, sys
    first = not os.path.exists("attempted")
    open("attempted", "a").close()
    for s in range(4 if first else 6):
        print(json.dumps({"step": s, "value": s + (0.5 if first else 0.25)}), flush=True)
    if first:
        sys.exit(3)  # the first attempt crashes after step 3
    print(0.125)
    """
)


def test_a_retried_evaluation_keeps_the_first_attempts_reports(tmp_path):
    (tmp_path / "flaky.py").write_text(FLAKY)
    objective = {"command": [sys.executable, str(tmp_path / "flaky.py")], "retries": 1}
    objective["cwd"] = str(tmp_path)
    cfg = _config(tmp_path, objective, budget=1, pruner={"name": "median"})
    study = open_study(cfg)
    Runner(study, evaluator_for(cfg, tmp_path), budget=1, workers=1, retries=1).run()
    (t,) = study.trials
    assert t.state == bbo.TrialState.COMPLETED and t.value == 0.125 and t.attrs["attempts"] == 2
    # steps 0-3 from the first attempt (the retry's differ and are skipped), 4-5 new
    got = [(r.step, r.value) for r in study.reports(t)]
    assert got == [(0, 0.5), (1, 1.5), (2, 2.5), (3, 3.5), (4, 4.25), (5, 5.25)]
