"""Resume, determinism across processes, kill -9, and several writers on one SQLite file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import bbo
from bbo.space import params_key
from tests.study.shared_study import shared_study_run

SPACE = bbo.Space(
    {"x": bbo.Float(-5.0, 10.0), "k": bbo.Int(1, 50, log=True), "c": bbo.Categorical(["a", "b"])}
)

# A script that drives a study and prints its suggestions as JSON (one process = one run).
DRIVER = textwrap.dedent(
    """
    import json, sys
    import bbo
    space = bbo.Space({"x": bbo.Float(-5.0, 10.0), "k": bbo.Int(1, 50, log=True),
                       "c": bbo.Categorical(["a", "b"])})
    url, name, strategy, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    study = bbo.Study(space, seed=11, strategy=strategy, storage=url, name=name)
    out = []
    for _ in range(n):
        t = study.ask()
        out.append(t.params)
        study.tell(t, t.params["x"] ** 2 + t.params["k"])
    print(json.dumps(out))
    """
)


def _objective(p):
    return p["x"] ** 2 + p["k"]


def _drive(study, n):
    out = []
    for _ in range(n):
        t = study.ask()
        out.append(t.params)
        study.tell(t, _objective(t.params))
    return out


def _run_driver(tmp_path, url, name, strategy, n):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    res = subprocess.run(
        [sys.executable, str(script), url, name, strategy, str(n)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_reopened_study_resumes_exactly(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    for strategy in ("sobol", "random"):
        reference = _drive(bbo.Study(SPACE, seed=5, strategy=strategy), 9)
        first = bbo.Study(SPACE, seed=5, strategy=strategy, storage=url, name=strategy)
        part = _drive(first, 4)
        before = first.trials
        reopened = bbo.Study(SPACE, strategy=strategy, storage=url, name=strategy)  # seed kept
        assert reopened.seed == 5 and reopened.trials == before
        loaded = bbo.Study.load(strategy, url)
        assert loaded.trials == before and loaded.spec == reopened.spec
        assert part + _drive(reopened, 5) == reference


def test_same_suggestions_across_processes(tmp_path):
    in_process = _drive(bbo.Study(SPACE, seed=11, strategy="random"), 6)
    a = _run_driver(tmp_path, "memory://", "a", "random", 6)
    b = _run_driver(tmp_path, f"sqlite:///{tmp_path / 'b.db'}", "b", "random", 6)
    assert a == b == in_process
    s = _run_driver(tmp_path, "memory://", "s", "sobol", 6)
    assert s == _drive(bbo.Study(SPACE, seed=11, strategy="sobol"), 6)


def test_kill_9_between_ask_and_tell_loses_nothing(tmp_path):
    db = tmp_path / "k.db"
    script = tmp_path / "victim.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            import bbo
            space = bbo.Space({{"x": bbo.Float(-5.0, 10.0), "k": bbo.Int(1, 50, log=True),
                               "c": bbo.Categorical(["a", "b"])}})
            study = bbo.Study(space, seed=2, storage="sqlite:///{db}", name="k")
            for _ in range(5):
                t = study.ask()
                study.tell(t, t.params["x"] ** 2 + t.params["k"])
            pending = study.ask(2)
            print("asked", flush=True)
            time.sleep(60)
            """
        )
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "asked"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    study = bbo.Study.load("k", f"sqlite:///{db}")
    before = study.trials
    assert [t.state.value for t in before] == ["COMPLETED"] * 5 + ["RUNNING"] * 2
    assert all(t.value == _objective(t.params) for t in before[:5])
    # the next ask sees the dead worker, abandons its trials and offers their points again
    r1, r2 = study.ask(2)
    assert (r1.retry_of, r2.retry_of) == (5, 6)
    assert (r1.params, r2.params) == (before[5].params, before[6].params)
    after = study.trials
    assert after[:5] == before[:5]
    assert {after[5].state, after[6].state} == {bbo.TrialState.ABANDONED}
    assert "is gone" in after[5].reason


WRITER = textwrap.dedent(
    """
    import sys
    import bbo
    space = bbo.Space({"x": bbo.Float(-5.0, 10.0), "k": bbo.Int(1, 50, log=True),
                       "c": bbo.Categorical(["a", "b"])})
    study = bbo.Study(space, seed=4, strategy="sobol", storage=sys.argv[1], name="shared")
    for _ in range(int(sys.argv[2])):
        for t in study.ask(2):
            study.tell(t, t.params["x"])
    """
)


def test_several_processes_share_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    bbo.Study(SPACE, seed=4, strategy="sobol", storage=url, name="shared")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    t0 = time.time()
    procs = [subprocess.Popen([sys.executable, str(script), url, "8"]) for _ in range(3)]
    assert [p.wait(timeout=240) for p in procs] == [0, 0, 0], time.time() - t0
    trials = bbo.Study.load("shared", url).trials
    assert [t.id for t in trials] == list(range(48))
    assert all(t.state == bbo.TrialState.COMPLETED for t in trials)
    assert len({params_key(t.params) for t in trials}) == 48  # no point handed out twice


def test_four_processes_share_one_study_on_sqlite(tmp_path):
    shared_study_run(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path)


def test_sqlite_asks_take_turns_across_processes(tmp_path):
    """A process holding study 1's ask lock makes another process's ask of study 1 wait
    (not of study 2); the lock goes with its holder when that one is killed."""
    from bbo.study.storage import filelock

    db = str(tmp_path / "s.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from bbo.study.storage import filelock\n"
            "with filelock.ask_lock(sys.argv[1], 1):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            db,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with filelock.ask_lock(db, 2):  # another study: no wait
            pass
        got = threading.Event()

        def take() -> None:
            with filelock.ask_lock(db, 1):
                got.set()

        th = threading.Thread(target=take, daemon=True)
        th.start()
        assert not got.wait(0.5)  # waits for the other process
        holder.kill()  # kill -9: the kernel drops its lock
        assert got.wait(10)
    finally:
        holder.kill()
        holder.wait(10)


def _racing(study, other, action):
    """Make ``other`` write to the study between ``study``'s proposal and its insert."""
    propose = study._propose
    calls = []

    def racing(*args):
        trials, new = propose(*args)
        calls.append(new)
        if len(calls) == 1:
            action(other, new)
        return trials, new

    study._propose = racing
    return calls


def test_concurrent_distinct_trial_keeps_the_proposal(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    a = bbo.Study(SPACE, strategy="random", seed=1, storage=url, name="r")
    b = bbo.Study.load("r", url)
    calls = _racing(a, b, lambda other, new: other.add({"x": 0.0, "k": 1, "c": "b"}, 1.0))
    t = a.ask()
    assert len(calls) == 1  # not recomputed
    assert t.id == 1 and t.params == calls[0][0].params
    assert len({params_key(x.params) for x in a.trials}) == 2


def test_concurrent_duplicate_forces_a_new_proposal(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    a = bbo.Study(SPACE, strategy="random", seed=1, storage=url, name="r")
    b = bbo.Study.load("r", url)
    calls = _racing(a, b, lambda other, new: other.add(new[0].params, 1.0))
    t = a.ask()
    assert len(calls) == 2  # the first proposal collided and was recomputed
    assert t.id == 1 and params_key(t.params) != params_key(calls[0][0].params)
