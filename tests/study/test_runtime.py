"""Runtime settings apart from the definition, one StudySpec, and asks that stay
deterministic when two studies run them concurrently (the server's thread pool)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading

import pytest
import torch

import bbo
from bbo.exceptions import InvalidArgumentError, StudyConflictError
from bbo.runtime import DEVICE_ENV, requested_device, resolve_device
from bbo.study import Study, StudySpec
from bbo.study.storage import NewTrial, TrialResult, open_storage
from bbo.trial import TrialState

SPACE = bbo.Space({"x": bbo.Float(-2.0, 3.0), "k": bbo.Int(1, 8), "c": bbo.Categorical(["a", "b"])})
NO_CUDA = not torch.cuda.is_available()


def f(p: dict) -> float:
    return (p["x"] - 0.7) ** 2 + 0.1 * p["k"] + (0.3 if p["c"] == "a" else 0.0)


# -- device: a runtime setting, checked where it enters, never stored --------------------------
@pytest.mark.parametrize(
    "device,message",
    [
        ("tpu", "`device` must be one of ['auto', 'cpu', 'cuda', 'cuda:N', 'mps'], got 'tpu'"),
        ("cuda:x", "`device` must be one of"),
        pytest.param(
            "cuda",
            "`device` is 'cuda' but CUDA is not available on this host",
            marks=pytest.mark.skipif(not NO_CUDA, reason="this host has CUDA"),
        ),
    ],
)
def test_a_bad_device_is_refused_before_anything_is_stored(tmp_path, device, message):
    url = f"sqlite:///{tmp_path}/s.db"
    with pytest.raises(InvalidArgumentError) as e:
        Study(SPACE, strategy="gp", storage=url, name="s", device=device)
    assert message in str(e.value)
    assert open_storage(url).list_studies() == []


def test_the_environment_variable_is_named_in_its_error(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "gpu0")
    with pytest.raises(InvalidArgumentError, match=r"\$BBO_DEVICE must be one of .* got 'gpu0'"):
        Study(SPACE, strategy="random")
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert requested_device() == torch.device("cpu")
    monkeypatch.delenv(DEVICE_ENV)
    assert requested_device() is None  # nothing asked: strategies resolve auto themselves
    assert resolve_device("auto").type == ("cpu" if NO_CUDA else "cuda")


def test_device_is_not_an_option_and_is_never_stored(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    with pytest.raises(InvalidArgumentError, match="`device` is not a strategy option"):
        Study(SPACE, strategy="gp", strategy_options={"device": "cpu"}, storage=url, name="s")
    study = Study(SPACE, strategy="gp", seed=1, storage=url, name="s", device="cpu")
    stored = open_storage(url).get_study("s").spec
    assert "device" not in json.dumps(stored)
    assert stored["strategy_options"] == {} and stored["seed"] == 1
    assert study.created and not Study.load("s", url).created


def test_a_study_stored_with_a_device_option_still_opens_and_resumes(tmp_path):
    """Before 0.2 the device was a strategy option and so part of the stored spec: such a
    study (made on a GPU host, say) must open on any host and continue its run."""
    url = f"sqlite:///{tmp_path}/old.db"
    old_spec = {
        "space": SPACE.to_dict(),
        "objectives": [{"name": "value", "direction": "minimize"}],
        "constraints": [],
        "strategy": "gp",
        "strategy_options": {"device": "cuda", "n_init": 4},
        "seed": 5,
    }
    st = open_storage(url)
    rec, created = st.get_or_create_study("old", old_spec)
    assert created
    done = [{"x": 0.1 * i, "k": i + 1, "c": "ab"[i % 2]} for i in range(5)]
    made = st.create_trials(rec.id, [NewTrial(params=p) for p in done])
    st.finish_trials(
        rec.id,
        [(t.id, TrialResult(TrialState.COMPLETED, values={"value": f(t.params)}, value=f(t.params)))
         for t in made],
    )  # fmt: skip
    study = Study.load("old", url)
    assert study.spec.strategy_options == {"n_init": 4} and study.seed == 5
    t = study.ask()
    assert t.attrs["source"].startswith("gp:")
    study.tell(t, f(t.params))
    assert sum(t.state == TrialState.COMPLETED for t in study.trials) == 6
    # and reopening with the Python API (same definition) resumes it
    again = Study(SPACE, strategy="gp", strategy_options={"n_init": 4}, storage=url, name="old")
    assert again.seed == 5 and not again.created


def test_open_takes_one_spec_and_says_whether_it_created(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    spec = StudySpec.create(SPACE, {"loss": "minimize"}, strategy="sobol", seed=3)
    first = Study.open(spec, url, name="a")
    assert first.created and first.spec == spec
    second = Study.open(StudySpec.create(SPACE, {"loss": "minimize"}, strategy="random"), url,
                        name="a")  # fmt: skip
    assert not second.created and second.seed == 3 and second.spec.strategy == "random"
    other = StudySpec.create(bbo.Space({"y": bbo.Float(0, 1)}), {"loss": "minimize"})
    with pytest.raises(StudyConflictError, match="already exists with a different definition"):
        Study.open(other, url, name="a")


@pytest.mark.parametrize("seed", [-1, 2**63, True, 1.5])
def test_a_seed_out_of_the_stored_range_is_refused(seed):
    with pytest.raises(InvalidArgumentError, match=r"`seed` must be an integer in \[0, 2\*\*63"):
        StudySpec.create(SPACE, seed=seed)


def test_worker_names_the_process_that_evaluates(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    study = Study(SPACE, strategy="random", seed=0, storage=url, name="s", worker="shell")
    t = study.ask()
    assert t.attrs["worker"] == "shell"
    with pytest.raises(InvalidArgumentError, match="`worker` must be a non-empty string"):
        Study(SPACE, strategy="random", worker="")


# -- concurrent asks give what sequential asks give --------------------------------------------
OPTS = {"n_init": 3, "num_restarts": 2, "raw_samples": 64, "mc_samples": 32}


def _drive(study: Study, n: int, out: list) -> None:
    for _ in range(n):
        t = study.ask()
        out.append(t.params)
        study.tell(t, f(t.params))


def test_two_studies_asking_in_threads_suggest_what_they_suggest_alone():
    """torch's global RNG and thread count are process state: two asks running at once on
    the server's pool must not perturb each other (same seed, same tells, same points)."""
    n = 7
    alone = []
    for seed in (1, 2):
        out: list = []
        _drive(Study(SPACE, strategy="gp", seed=seed, strategy_options=OPTS), n, out)
        alone.append(out)
    together: list[list] = [[], []]
    studies = [Study(SPACE, strategy="gp", seed=s, strategy_options=OPTS) for s in (1, 2)]
    threads = [
        threading.Thread(target=_drive, args=(s, n, together[i])) for i, s in enumerate(studies)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert together == alone
    assert alone[0] != alone[1]  # the seeds matter: the comparison is not vacuous


# -- the CLI checks --device at start ------------------------------------------------------------
def test_bbo_serve_refuses_a_bad_device_at_start(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "bbo.cli.app", "serve", "--storage", f"sqlite:///{tmp_path}/s.db",
         "--port", "0", "--device", "tpu"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "--device must be one of ['auto', 'cpu', 'cuda', 'cuda:N', 'mps'], got 'tpu'" in r.stderr


def test_a_stored_spec_never_holds_a_device(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    Study(SPACE, strategy="sobol", storage=url, name="s", device="cpu")
    con = sqlite3.connect(f"{tmp_path}/s.db")
    rows = [r[0] for r in con.execute("select spec from studies")]
    assert rows and all("device" not in r for r in rows)


def test_options_that_cannot_be_stored_are_refused_before_storing(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    with pytest.raises(InvalidArgumentError, match=r"cmaes option `sigma0` must be a number"):
        Study(SPACE, strategy="cmaes", strategy_options={"sigma0": float("nan")},
              storage=url, name="s")  # fmt: skip
    assert open_storage(url).list_studies() == []
