"""``bbo run`` for ``objective: external``: watch the trials that outside workers ask and
tell (a study served over gRPC) and report them, running nothing."""

from __future__ import annotations

import time

from bbo.run.runner import Reporter, RunResult, Status, _StopFlag
from bbo.study import Study, TrialState


class Watcher:
    """Runs nothing: reports the trials that outside workers ask and tell (``objective:
    external``, the study served over gRPC) until ``budget`` trials are finished, or
    SIGINT/SIGTERM. It polls the storage every ``poll`` seconds."""

    def __init__(
        self, study: Study, *, budget: int, reporter: Reporter | None = None, poll: float = 0.5
    ) -> None:
        self.study, self.budget, self.reporter, self.poll = study, budget, reporter, poll
        self._stop = _StopFlag()

    def run(self) -> RunResult:
        trials = self.study.trials
        finished = sum(t.state.finished for t in trials)
        if self.reporter:
            self.reporter.started(self.study, finished, self.budget)
        if finished >= self.budget:
            return RunResult(Status.ALREADY_DONE, self.study)
        running: set[int] = set()
        over = {t.id for t in trials if t.state != TrialState.RUNNING}
        failed = 0
        with self._stop.installed():
            while self._stop.signal is None:
                trials = self.study.trials
                finished = sum(t.state.finished for t in trials)
                new = [t for t in trials if t.state == TrialState.RUNNING and t.id not in running]
                running |= {t.id for t in new}
                if new and self.reporter:
                    self.reporter.asked(new)
                ended = [t for t in trials if t.state != TrialState.RUNNING and t.id not in over]
                over |= {t.id for t in ended}
                failed += sum(t.state == TrialState.FAILED for t in ended)
                if ended and self.reporter:
                    best = self.study.best
                    for t in ended:
                        self.reporter.told(t, finished, best)
                if finished >= self.budget:
                    return RunResult(Status.COMPLETED, self.study, failed=failed)
                deadline = time.monotonic() + self.poll
                while time.monotonic() < deadline and self._stop.signal is None:
                    time.sleep(min(0.05, self.poll))
        return RunResult(Status.INTERRUPTED, self.study, failed=failed)


__all__ = ["Watcher"]
