"""`executor: ray`: a short study on a local Ray instance (ray.init on this machine)."""

from __future__ import annotations

import os

import pytest
import yaml

import bbo

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'bbo[ray]')")

OBJECTIVES = """
import os

def where(x, n):
    import ray
    ctx = ray.get_runtime_context()
    task = int(ctx.get_task_id() is not None)
    cpus = ctx.get_assigned_resources().get("CPU", 0.0)
    return {"loss": (x - 0.25) ** 2 + n, "pid": os.getpid(), "task": task, "cpus": cpus}
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_study_runs_as_ray_tasks_with_resources(tmp_path, invoke, local_ray):
    (tmp_path / "objectives.py").write_text(OBJECTIVES)
    url = f"sqlite:///{tmp_path / 'ray.db'}"
    base = {
        "space": {
            "x": {"type": "float", "low": -1.0, "high": 1.0},
            "n": {"type": "int", "low": 0, "high": 3},
        },
        "strategy": {"name": "sobol"},
        "workers": 2,
        "seed": 0,
        "storage": url,
        "executor": {"type": "ray", "resources": {"num_cpus": 1}},
    }
    py = {
        **base,
        "name": "py",
        "budget": 6,
        "objective": {"python": "objectives:where", "direction": {"loss": "minimize"}},
    }
    cmd = {
        **base,
        "name": "cmd",
        "budget": 4,
        "objective": {
            "command": [
                "python",
                "-c",
                "import os, sys; print(float(sys.argv[1]) + int(os.environ['N']))",
                "{x}",
            ],
            "env": {"N": "100"},
            "timeout": 30,
        },
    }
    for study in (py, cmd):
        path = tmp_path / f"{study['name']}.yaml"
        path.write_text(yaml.safe_dump(study))
        result = invoke("run", path)
        assert result.exit_code == 0, result.output

    trials = bbo.Study.load("py", url).trials
    assert [t.state for t in trials] == [bbo.TrialState.COMPLETED] * 6
    for t in trials:
        assert t.value == pytest.approx((t.params["x"] - 0.25) ** 2 + t.params["n"], rel=1e-12)
        assert t.values["task"] == 1 and t.values["cpus"] == 1.0  # a Ray task holding 1 CPU
        assert t.values["pid"] != os.getpid()
    cmd_trials = bbo.Study.load("cmd", url).trials
    assert [t.value for t in cmd_trials] == [pytest.approx(t.params["x"] + 100) for t in cmd_trials]
    assert ray.is_initialized()  # bbo used the caller's Ray and left it running
