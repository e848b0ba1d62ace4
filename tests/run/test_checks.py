"""bbo.run.checks: which problems are the setup's (issue 14, item 3), and the runner's rules."""

from __future__ import annotations

import bbo
from bbo.run.checks import (
    CONFIG_PREFIX,
    command_problem,
    fit_result,
    result_problem,
    script_args,
)
from bbo.run.objective import Result
from bbo.run.runner import Runner, Status, evaluator_for, open_study
from bbo.study.spec import StudySpec

from .test_runner import config


def test_script_args_finds_the_scripts_of_a_command():
    assert script_args(["python", "-u", "train.py", "--lr", "{lr}"]) == ["train.py"]
    assert script_args(["python3", "-W", "ignore", "t.py"]) == ["t.py"]
    assert script_args(["python", "-c", "print(1)", "x.py"]) == ["x.py"]
    assert script_args(["python", "-m", "pkg.mod"]) == []
    assert script_args(["bash", "run.sh", "{x}"]) == ["run.sh"]
    assert script_args(["Rscript", "fit.R", "--out=o.py"]) == ["fit.R"]
    assert script_args(["python", "{script}.py"]) == []  # a template is not checked


def test_command_problem_names_the_missing_script(tmp_path):
    (tmp_path / "train.py").write_text("")
    assert command_problem(["python", "train.py"], tmp_path, {}) is None
    why = command_problem(["python", "trian.py", "{x}"], tmp_path, {})
    assert why is not None and why.startswith("the script 'trian.py' does not exist")


SPEC = StudySpec.create({"x": bbo.Float(0.0, 1.0)})
TWO = StudySpec.create({"x": bbo.Float(0.0, 1.0)}, {"a": "minimize", "b": "maximize"})


def test_one_metric_is_the_single_objective_and_mismatches_are_named():
    assert fit_result(SPEC, Result(value={"loss": 0.5})) == Result(value=0.5)
    assert fit_result(TWO, Result(value={"a": 0.5})) == Result(value={"a": 0.5})
    assert result_problem(SPEC, Result(value=0.5)) is None
    why = result_problem(SPEC, Result(value={"loss": 1.0, "acc": 2.0}))
    assert why is not None and "['acc', 'loss'], which lack ['value']" in why
    why = result_problem(TWO, Result(value=1.0))
    assert why is not None and "returned a single number, but the study has objectives" in why
    assert result_problem(TWO, Result(value={"a": 1.0, "b": float("nan")})) is None


def test_a_bad_output_after_a_result_of_this_run_is_the_points_failure(tmp_path):
    # trial 0 prints a number, trial 1 garbage: the setup works, so trial 1 is FAILED
    code = "import os; i = int(os.environ['BBO_TRIAL_ID']); print('oops' if i == 1 else i)"
    cfg = config(tmp_path, ["python", "-c", code], budget=3, workers=1)
    study = open_study(cfg)
    result = Runner(study, evaluator_for(cfg, tmp_path), budget=3, workers=1).run()
    assert result.status == Status.COMPLETED
    states = [t.state for t in study.trials]
    assert states == [bbo.TrialState.COMPLETED, bbo.TrialState.FAILED, bbo.TrialState.COMPLETED]


def test_a_rerun_without_a_fix_records_the_retried_point_failed(tmp_path):
    code = "import os; i = int(os.environ['BBO_TRIAL_ID']); print('oops' if i < 2 else i)"
    cfg = config(tmp_path, ["python", "-c", code], budget=2, workers=1)
    study = open_study(cfg)
    first = Runner(study, evaluator_for(cfg, tmp_path), budget=2, workers=1).run()
    assert first.status == Status.CONFIG_ERROR and first.config_error is not None
    assert first.config_error.startswith("trial 0: the command printed no number")
    (t0,) = study.trials
    assert t0.state == bbo.TrialState.ABANDONED and t0.reason.startswith(CONFIG_PREFIX)
    # the retry of trial 0 (trial 1) prints garbage again: FAILED, the run goes on
    again = Runner(study, evaluator_for(cfg, tmp_path), budget=2, workers=1).run()
    assert again.status == Status.COMPLETED
    t1, t2 = study.trials[1:]
    assert (t1.retry_of, t1.state, t2.state) == (0, bbo.TrialState.FAILED, bbo.TrialState.COMPLETED)
