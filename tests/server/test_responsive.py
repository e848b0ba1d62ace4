"""While an Ask fits a GP (off the event loop), Heartbeat, Tell and ListTrials stay fast;
concurrent GP Asks are answered from one q-batch with distinct points."""

from __future__ import annotations

import threading
import time

import numpy as np

import bbo
from bbo.space import params_key

SPACE = bbo.Space({"x": bbo.Float(-5.0, 10.0), "y": bbo.Float(0.0, 15.0)})


def branin(p: dict) -> float:
    x, y = p["x"], p["y"]
    return float(
        (y - 5.1 / (4 * np.pi**2) * x**2 + 5 / np.pi * x - 6) ** 2
        + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x)
        + 10
    )


def test_calls_stay_fast_while_a_gp_ask_computes(server, client):
    # a deliberately heavy acquisition optimization: the ask must outlast several calls
    # however fast the machine (a default q=3 ask on 13 points takes ~0.04 s when idle)
    heavy = {"acquisition": "qLogNEI", "raw_samples": 4096, "num_restarts": 32}
    local = bbo.Study(
        SPACE,
        strategy="gp",
        seed=0,
        storage=server.service.storage,
        name="gp-resp",
        strategy_options=heavy,
    )
    s = client.get_study("gp-resp")
    held = s.ask(lease=60.0)  # a worker's trial to heartbeat (initial design: no GP yet)
    for p in SPACE.sample(12, np.random.default_rng(0)):
        local.add(p, branin(p))
    box: list = []
    asker = threading.Thread(target=lambda: box.append(s.ask(3)))  # one q-batch of 3
    t0 = time.perf_counter()
    asker.start()
    latencies = []
    while asker.is_alive():
        a = time.perf_counter()
        assert s.heartbeat([held], 60.0) == 1
        s.get_trials(since=10)
        latencies.append(time.perf_counter() - a)
    ask_time = time.perf_counter() - t0
    asker.join()
    told = s.tell(held, branin(held.params))  # a tell lands fine after the batch
    assert told.state == bbo.TrialState.COMPLETED
    (batch,) = box
    assert len(batch) == 3 and all(t.attrs["source"].startswith("gp") for t in batch)
    assert len({params_key(t.params) for t in local.trials}) == 16  # 1 + 12 + 3, distinct
    # the GP ask took a while; the calls in between were answered meanwhile, quickly
    assert len(latencies) >= 3, (ask_time, latencies)
    assert max(latencies) < max(0.5, ask_time / 3), (ask_time, latencies)
