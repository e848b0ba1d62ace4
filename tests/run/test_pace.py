"""Parallel pacing: results are told with the time their evaluation ended, asks overlap the
evaluations, and one worker keeps the sequential ask/tell order. Real SQLite studies; the
asks are made slow on purpose (a wrapper sleeps) so that the margins are wide."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.run.config import StudyConfig
from bbo.run.objective import Evaluator, Result
from bbo.run.pace import Pace
from bbo.run.runner import Runner, Status, evaluator_for, open_study, tell_result


def config(tmp_path, command, strategy="sobol", **kw) -> StudyConfig:
    return StudyConfig.model_validate(
        {
            "name": "p",
            "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
            "objective": {"command": command},
            "storage": f"sqlite:///{tmp_path / 'p.db'}",
            "seed": 5,
            "strategy": {"name": strategy},
            "budget": 10,
            **kw,
        }
    )


def slow_asks(study: bbo.Study, seconds: float, log: list[tuple[float, float]]) -> None:
    """Make every ask of ``study`` take ``seconds`` more; ``log`` gets (start, end)."""
    ask = study.ask

    def slow(*args: Any, **kw: Any) -> Any:
        start = time.time()
        time.sleep(seconds)
        out = ask(*args, **kw)
        log.append((start, time.time()))
        return out

    study.ask = slow  # type: ignore[method-assign]


SLEEP = ["sh", "-c", "sleep 0.3; echo 1"]


def test_a_result_is_told_with_the_time_its_evaluation_ended(tmp_path):
    # 0.3 s evaluations, 0.8 s asks: before, a result waited for the ask in progress and
    # a 0.3 s evaluation was recorded as 1.1 s or more
    cfg = config(tmp_path, SLEEP)
    study = open_study(cfg)
    asks: list[tuple[float, float]] = []
    slow_asks(study, 0.8, asks)
    result = Runner(study, evaluator_for(cfg, tmp_path), budget=6, workers=2).run()
    assert result.status == Status.COMPLETED
    trials = study.trials
    assert [t.state for t in trials] == [bbo.TrialState.COMPLETED] * 6
    for t in trials:
        assert t.finished_at is not None
        assert 0.25 <= t.finished_at - t.created_at <= 1.0, t


def test_two_workers_evaluate_together_when_asks_are_slow(tmp_path):
    cfg = config(tmp_path, SLEEP)
    study = open_study(cfg)
    asks: list[tuple[float, float]] = []
    slow_asks(study, 0.5, asks)
    Runner(study, evaluator_for(cfg, tmp_path), budget=8, workers=2).run()
    spans = [(t.created_at, t.finished_at or 0.0) for t in study.trials]
    overlapping = [
        i
        for i, (a, b) in enumerate(spans)
        if any(j != i and c < b and a < d for j, (c, d) in enumerate(spans))
    ]
    assert len(overlapping) >= 6, spans  # pairs, not one evaluation after the other
    # batches, asked while evaluations ran: fewer asks than trials, and an ask started
    # while an evaluation was running
    assert len(asks) <= 5
    assert any(c < a < d for a, _ in asks for c, d in spans), (asks, spans)


def test_one_worker_asks_after_each_tell_as_a_plain_loop_does(tmp_path):
    # the order of asks and tells, hence a seeded study's trials, is the sequential one
    cfg = config(tmp_path, ["echo", "{x}"], strategy="cmaes")
    study = open_study(cfg)
    Runner(study, evaluator_for(cfg, tmp_path), budget=12, workers=1).run()
    plain = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="cmaes", seed=5)
    for _ in range(12):
        t = plain.ask()
        plain.tell(t, float(f"{t.params['x']}"))
    assert [t.params for t in study.trials] == [t.params for t in plain.trials]


class Stamped(Evaluator):
    """Returns 1.0, finished at a fixed time, without running anything."""

    def evaluate(self, trial_id: int, params: dict[str, Any]) -> Result:
        return Result(value=1.0, finished_at=1_000.0 + trial_id)

    def cancel(self) -> None:
        pass


def test_the_stored_finish_time_is_the_result_s(tmp_path):
    cfg = config(tmp_path, ["true"])
    study = open_study(cfg)
    Runner(study, Stamped(), budget=3, workers=2).run()
    assert [t.finished_at for t in study.trials] == [1_000.0, 1_001.0, 1_002.0]
    # without a time, the result is stamped when evaluate returns
    t = study.ask()
    before = time.time()
    res = Stamped.timed(Stamped(), t.id, t.params)
    assert res.finished_at == 1_000.0 + t.id
    told = tell_result(study, t, Result(value=2.0))
    assert told.finished_at is not None and told.finished_at >= before


@pytest.mark.parametrize("storage", [None, "sqlite"])
def test_tell_takes_an_explicit_finish_time(tmp_path, storage):
    url = f"sqlite:///{tmp_path / 's.db'}" if storage else None
    study = bbo.Study({"x": bbo.Float(0.0, 1.0)}, seed=1, storage=url, name="s")
    a, b, c = study.ask(3)
    assert study.tell(a, 1.0, finished_at=12.5).finished_at == 12.5
    assert study.tell(b, failed=True, finished_at=13).finished_at == 13.0
    with pytest.raises(InvalidArgumentError, match="`finished_at` must be finite"):
        study.tell(c, 1.0, finished_at=float("nan"))
    with pytest.raises(InvalidArgumentError, match="unix time"):
        study.tell(c, 1.0, finished_at="now")  # type: ignore[arg-type]
    assert study.trial(c.id).state == bbo.TrialState.RUNNING


def test_ctrl_c_during_an_ask_abandons_its_trials_and_a_rerun_resumes(tmp_path):
    cfg = config(tmp_path, SLEEP)
    study = open_study(cfg)
    ask = study.ask
    calls = []

    def interrupted(*args: Any, **kw: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:  # the second ask: two trials are running
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.3)
        return ask(*args, **kw)

    study.ask = interrupted  # type: ignore[method-assign]
    result = Runner(study, evaluator_for(cfg, tmp_path), budget=4, workers=2).run()
    assert result.status == Status.INTERRUPTED
    states = [t.state for t in study.trials]
    assert bbo.TrialState.RUNNING not in states
    abandoned = [t for t in study.trials if t.state == bbo.TrialState.ABANDONED]
    assert abandoned and all(t.reason == "interrupted" for t in abandoned)
    assert set(result.abandoned) == {t.id for t in abandoned}
    study.ask = ask  # type: ignore[method-assign]
    again = Runner(study, evaluator_for(cfg, tmp_path), budget=4, workers=2).run()
    assert again.status == Status.COMPLETED
    assert sum(t.state.finished for t in study.trials) == 4


def test_pace_asks_ahead_for_evaluations_about_to_end():
    pace = Pace(workers=2)
    assert pace.slots(10.0, [9.0], queued=0) == 1  # nothing known: the free slot only
    pace.asked(3.0)  # the first ask builds the strategy: not counted
    pace.evaluated(1.0)
    assert pace.slots(9.99, [9.0], queued=0) == 1
    pace.asked(0.5)
    pace.evaluated(1.0)
    # one started at 9.0 ends at 10.0: an ask started at 9.6 returns after that
    assert pace.slots(9.6, [9.0], queued=0) == 2
    assert pace.slots(9.4, [9.0], queued=0) == 1
    assert pace.due(9.4, [9.0]) == pytest.approx(0.1)
    assert pace.slots(9.6, [9.0], queued=2) == 0
    quick = Pace(workers=2)
    quick.asked(1.0)
    quick.asked(0.01)  # an initial design: asked when a slot is free, never ahead
    quick.evaluated(1.0)
    assert quick.slots(9.999, [9.0], queued=0) == 1 and quick.due(9.0, [9.0]) is None
    one = Pace(workers=1)
    one.asked(5.0)
    one.asked(5.0)
    one.evaluated(1.0)
    assert one.slots(9.9, [9.0], queued=0) == 0  # one worker never asks ahead
    assert one.due(9.0, [9.0]) is None
