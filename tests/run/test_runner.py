"""The runner loop on a real SQLite study: leases are kept alive, failures never crash."""

from __future__ import annotations

import bbo
from bbo.run.config import StudyConfig
from bbo.run.runner import Runner, Status, evaluator_for, open_study


def config(tmp_path, command, **kw) -> StudyConfig:
    return StudyConfig.model_validate(
        {
            "name": "r",
            "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
            "objective": {"command": command},
            "storage": f"sqlite:///{tmp_path / 'r.db'}",
            "seed": 3,
            "strategy": {"name": "sobol"},
            **kw,
        }
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def started(self, study, finished, budget):
        self.events.append(("started", finished, budget))

    def asked(self, trials):
        pass

    def retrying(self, trial, attempt, res):
        self.events.append(("retry", trial.id, attempt, res.reason))

    def told(self, trial, finished, best):
        self.events.append(("told", trial.id, finished))


def test_heartbeats_keep_long_evaluations_leased(tmp_path):
    # trial ids 0, 2, ... take 0.2 s, odd ids 2.4 s: asks for new trials happen while an odd
    # one runs past its 0.8 s lease, so only heartbeats keep it from being abandoned (0.8 s,
    # not less: on a loaded machine a heartbeat can come 0.4 s late)
    code = (
        "import os, time; i = int(os.environ['BBO_TRIAL_ID']); "
        "time.sleep(2.4 if i % 2 else 0.2); print(i)"
    )
    cfg = config(tmp_path, ["python", "-c", code], budget=5, workers=2)
    rec = Recorder()
    study = open_study(cfg)
    result = Runner(
        study, evaluator_for(cfg, tmp_path), budget=5, workers=2, reporter=rec, lease=0.8
    ).run()
    assert result.status == Status.COMPLETED
    trials = study.trials
    assert [t.state for t in trials] == [bbo.TrialState.COMPLETED] * 5
    assert [t.value for t in trials] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert rec.events[0] == ("started", 0, 5)
    assert sorted(e[1] for e in rec.events[1:]) == [0, 1, 2, 3, 4]
    assert all(e[0] == "told" for e in rec.events[1:])
    assert [e[2] for e in rec.events[1:]] == [1, 2, 3, 4, 5]


def test_already_done_runs_nothing(tmp_path):
    cfg = config(tmp_path, ["echo", "{x}"], budget=2)
    study = open_study(cfg)
    assert Runner(study, evaluator_for(cfg, tmp_path), budget=2, workers=1).run().status == (
        Status.COMPLETED
    )
    again = Runner(study, evaluator_for(cfg, tmp_path), budget=2, workers=3).run()
    assert again.status == Status.ALREADY_DONE and len(study.trials) == 2


def test_budget_counts_failures_and_never_overshoots(tmp_path):
    cfg = config(
        tmp_path,
        ["python", "-c", "import sys; sys.exit(float(sys.argv[1]) < 0.5)", "{x}"],
        budget=7,
        workers=3,
    )
    study = open_study(cfg)
    Runner(study, evaluator_for(cfg, tmp_path), budget=7, workers=3).run()
    states = [t.state for t in study.trials]
    assert len(states) == 7 and all(s.finished for s in states)
    # exit code 1 below 0.5 -> FAILED; otherwise no stdout -> FAILED as well, with reasons
    assert {t.reason for t in study.trials} <= {
        "exit code 1",
        "the command printed nothing on stdout; print the result last",
    }


def test_crashed_evaluations_are_retried_for_the_same_trial(tmp_path):
    # the first attempt of each trial exits 3, the second prints the trial id
    marks = tmp_path / "marks"
    marks.mkdir()
    script = (
        'f="$0/$BBO_TRIAL_ID"; if [ -e "$f" ]; then echo "$BBO_TRIAL_ID"; '
        'else touch "$f"; exit 3; fi'
    )
    cfg = config(tmp_path, ["sh", "-c", script, str(marks)], budget=3, workers=2)
    rec = Recorder()
    study = open_study(cfg)
    result = Runner(
        study, evaluator_for(cfg, tmp_path), budget=3, workers=2, reporter=rec, retries=2
    ).run()
    assert result.status == Status.COMPLETED and result.failed == 0
    trials = study.trials
    assert [t.value for t in trials] == [0.0, 1.0, 2.0]  # no new trial per retry
    assert [t.attrs["attempts"] for t in trials] == [2, 2, 2]
    retries = sorted(e[1:] for e in rec.events if e[0] == "retry")
    assert retries == [(i, 1, "exit code 3") for i in range(3)]


def test_retries_run_out_then_failed_and_max_failures_stops_the_run(tmp_path):
    cfg = config(tmp_path, ["sh", "-c", "echo broken >&2; exit 1"], budget=20, workers=2)
    study = open_study(cfg)
    result = Runner(
        study, evaluator_for(cfg, tmp_path), budget=20, workers=2, retries=1, max_failures=3
    ).run()
    assert result.status == Status.FAILURES
    trials = study.trials
    failed = [t for t in trials if t.state == bbo.TrialState.FAILED]
    assert 3 <= result.failed == len(failed) <= 4  # a result already in when the stop came
    assert all(t.attrs["stderr_tail"] == "broken" for t in failed)
    # the retry was spent, except on a first attempt that finished as the run stopped
    assert sum(t.attrs["attempts"] == 2 for t in failed) >= 3
    assert len(trials) < 20
    rest = [t for t in trials if t.state != bbo.TrialState.FAILED]
    assert all(t.state == bbo.TrialState.ABANDONED for t in rest)
    assert all(t.reason == "bbo run stopped: max_failures=3 reached" for t in rest)
