"""Several processes asking and telling one study at once (PostgreSQL and SQLite tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bbo.space import params_key
from bbo.study.storage import open_storage
from bbo.trial import TrialState

ROOT = Path(__file__).resolve().parents[2]

_WORKER = r"""
import json, os, sys, time
import bbo
import bbo.study.storage.sql  # import SQLAlchemy (and below psycopg) before the start line
from bbo.exceptions import ConcurrentUpdateError

url, idx, batch, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if url.startswith("postgresql"):
    import psycopg
space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(-1.0, 1.0), "k": bbo.Int(0, 3)})
print("ready", flush=True)
end = time.time() + 120
while not os.path.exists(go):  # every process opens the (empty) storage at once
    assert time.time() < end, "never started"
    time.sleep(0.002)
study = bbo.Study(space, strategy="random", seed=7, storage=url, name="shared")
open(f"{go}.{idx}", "w").close()  # opened: wait for the others, then ask together
while not all(os.path.exists(f"{go}.{i}") for i in range(4)):
    assert time.time() < end, "the others never opened the study"
    time.sleep(0.002)
t0 = time.time()
batches, aborted = [], 0
while len(batches) < 25 // batch:
    try:
        asked = study.ask(batch)
    except ConcurrentUpdateError:  # lost the race too often in a row: ABORTED, retry
        aborted += 1
        assert aborted < 100, "starved"
        continue
    batches.append([t.id for t in asked])
    for t in asked:  # the value is a function of the point: a misrouted tell would show
        p = t.params
        study.tell(t, p["x"] + 10 * p["y"] + 100 * p["k"])
print(json.dumps({"worker": idx, "pid": os.getpid(), "batches": batches, "aborted": aborted,
                  "t0": t0, "t1": time.time()}))
"""


def shared_study_run(url: str, tmp_path: Path) -> None:
    """4 processes x 25 asks+tells on one study (two ask one at a time, two in batches of
    5), started together; checks that nothing is duplicated, lost or misrouted."""
    go = tmp_path / "go"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, str(i), str(batch), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i, batch in enumerate([1, 1, 5, 5])
    ]
    for p in procs:  # imports done everywhere: start them together
        assert p.stdout is not None and p.stdout.readline() == "ready\n", p.communicate()
    go.touch()
    reports = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr[-3000:]
        reports.append(json.loads(stdout.strip().splitlines()[-1]))

    st = open_storage(url)
    (rec,) = st.list_studies()
    trials = st.get_trials(rec.id)
    # trial numbers: 0..99, each handed to exactly one process
    assert [t.id for t in trials] == list(range(100))
    # the ask lock makes the processes take turns: no ask lost its insert 8 times in a row
    assert sum(r["aborted"] for r in reports) == 0
    handed = [i for r in reports for b in r["batches"] for i in b]
    assert sorted(handed) == list(range(100))
    # a batch is numbered contiguously (one create_trials under the study lock)
    for r in reports:
        for b in r["batches"]:
            assert b == list(range(b[0], b[0] + len(b)))
    # no lost or misrouted tell: every trial COMPLETED with its own point's value, by the
    # process that asked for it
    owner = {i: r["pid"] for r in reports for b in r["batches"] for i in b}
    for t in trials:
        p = t.params
        assert t.state == TrialState.COMPLETED
        assert t.value == pytest.approx(p["x"] + 10 * p["y"] + 100 * p["k"], abs=0, rel=0)
        assert f":{owner[t.id]}:" in t.attrs["worker"]
    # no duplicate point, although every process draws from the same seeded stream
    assert len({params_key(t.params) for t in trials}) == 100
    # the processes did run at the same time
    assert max(r["t0"] for r in reports) < min(r["t1"] for r in reports)
    st.close()
