"""Graceful shutdown (what SIGTERM triggers in ``bbo serve``): a Tell in flight when the
stop begins finishes and is stored; calls after it are refused."""

from __future__ import annotations

import threading
import time

import pytest
from bbo.server.app import ServerThread

import bbo
from bbo import exceptions as ex
from bbo.study.storage import MemoryStorage


class SlowTells(MemoryStorage):
    """The in-memory storage, with a 0.5 s write of each result (a slow disk)."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()

    def finish_trial(self, study_id, trial_id, result):
        self.writing.set()
        time.sleep(0.5)
        return super().finish_trial(study_id, trial_id, result)


def test_in_flight_tell_finishes_during_graceful_stop():
    storage = SlowTells()
    srv = ServerThread(storage)
    client = bbo.connect(srv.target, retry_timeout=0.5)
    study = client.create_study(bbo.Space({"x": bbo.Float(0, 1)}), name="g", strategy="random")
    trial = study.ask()
    box: list = []
    teller = threading.Thread(target=lambda: box.append(study.tell(trial, 0.75)))
    teller.start()
    assert storage.writing.wait(10)  # the tell is being written now
    stopper = threading.Thread(target=srv.stop)
    stopper.start()
    teller.join(10)
    stopper.join(20)
    assert box and box[0].value == 0.75  # answered OK ...
    stored = storage.get_trials(storage.get_study("g").id)
    assert stored[0].state == bbo.TrialState.COMPLETED and stored[0].value == 0.75  # ... stored
    with pytest.raises(ex.ServiceUnavailableError):
        study.ask()
    client.close()
