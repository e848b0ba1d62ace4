"""Fast checks of the benchmark harness itself (no peer library needed)."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from benchmarks import quality, speed
from benchmarks.methods import PEERS, run_method
from benchmarks.problems import CONSTRAINT, OBJECTIVE, PROBLEMS, make_problem, random_rotation
from benchmarks.report import quality_report
from benchmarks.scoring import count_wins, quartiles, regret_at, regret_trace

SEEDS = [0, 1, 2]


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("seed", SEEDS)
def test_optimum_at_known_optimiser_and_higher_elsewhere(name: str, seed: int) -> None:
    inst = make_problem(name, seed)
    assert inst.space.contains(inst.argmin)
    assert abs(inst.true(inst.argmin) - inst.optimum) < 1e-4
    rng = np.random.default_rng(seed)
    for params in inst.space.sample(200, rng):
        if inst.constraint is not None and inst.constraint(params) > 0:
            continue
        assert inst.true(params) > inst.optimum - 1e-6


@pytest.mark.parametrize("name", ["ackley10", "levy8", "rosenbrock6", "mixed"])
def test_shifted_instances_move_the_optimiser_but_keep_the_value(name: str) -> None:
    a, b = make_problem(name, 0), make_problem(name, 1)
    assert a.argmin != b.argmin
    assert a.optimum == b.optimum
    centre = {k: p.decode(0.5) for k, p in a.space.items()}
    assert a.true(centre) > a.optimum + 1e-3  # the centre of the box is not optimal


def test_random_rotation_is_orthogonal() -> None:
    r = random_rotation(5, np.random.default_rng(3))
    assert np.allclose(r @ r.T, np.eye(5))


def test_regret_of_noisy_problem_uses_true_value_of_best_observed() -> None:
    inst = make_problem("hartmann6-noisy", 0)
    good = dict(inst.argmin)
    bad = {k: 0.9 for k in inst.space.names}
    # the bad point got a lucky observation: it is the incumbent, and pays its true regret
    trace = regret_trace(inst, [(good, {OBJECTIVE: -3.0}), (bad, {OBJECTIVE: -3.5})])
    assert trace[0] == pytest.approx(0.0, abs=1e-4)
    assert trace[1] == pytest.approx(inst.true(bad) - inst.optimum)
    assert regret_at(trace, 1) == trace[0]
    assert regret_at(trace, 10) == trace[1]


def test_regret_of_constrained_problem_counts_feasible_points_only() -> None:
    inst = make_problem("branin-constrained", 0)
    infeasible_min = {"x0": -math.pi, "x1": 12.275}  # a Branin minimiser outside the disk
    feasible = {"x0": 2.5, "x1": 7.5}
    obs = [
        (infeasible_min, inst.observe(infeasible_min, np.random.default_rng(0))),
        (feasible, inst.observe(feasible, np.random.default_rng(0))),
        (dict(inst.argmin), inst.observe(inst.argmin, np.random.default_rng(0))),
    ]
    assert obs[0][1][CONSTRAINT] > 0 and obs[1][1][CONSTRAINT] <= 0
    trace = regret_trace(inst, obs)
    assert trace[0] == inst.regret_cap  # nothing feasible yet
    assert trace[1] == pytest.approx(inst.true(feasible) - inst.optimum)
    assert trace[2] == pytest.approx(0.0, abs=1e-4)


def test_quartiles_and_wins() -> None:
    assert quartiles([1.0, 2.0, 3.0, math.nan]) == (2.0, 1.5, 2.5)
    assert all(math.isnan(x) for x in quartiles([]))
    medians = {"p": {"a": 1.0, "b": 2.0}, "q": {"a": 3.0, "b": 2.0}, "r": {"a": 1.0}}
    assert count_wins(medians, "a", "b") == (1, 2)


def test_tiny_end_to_end_run_prints_finite_table(tmp_path, capsys) -> None:
    argv = ["--methods", "bbo-random,random", "--problems", "branin", "--seeds", "2"]
    argv += ["--budget-mult", "2,4", "--jobs", "1", "--no-install", "--out", str(tmp_path)]
    results = quality.main(argv)
    assert len(results["runs"]) == 4
    for run in results["runs"]:
        assert run["error"] is None and len(run["trace"]) == 8
        assert all(math.isfinite(v) for v in run["trace"])
        assert run["trace"] == sorted(run["trace"], reverse=True)  # noise-free: monotone
    out = capsys.readouterr().out
    assert "budget 2 x d" in out and "budget 4 x d" in out and "branin (d=2, n=8)" in out
    assert "n/a" not in quality_report(results)
    assert list(tmp_path.glob("quality-*.json")) and list(tmp_path.glob("quality-*.md"))


def test_reuse_takes_finished_runs_and_cuts_them_to_the_budget(tmp_path) -> None:
    argv = ["--methods", "random", "--problems", "branin", "--seeds", "2"]
    argv += ["--budget-mult", "4", "--jobs", "1", "--no-install", "--out", str(tmp_path / "a")]
    first = quality.main(argv)
    (saved,) = (tmp_path / "a").glob("quality-*.json")
    argv = ["--methods", "random,bbo-random", "--problems", "branin", "--seeds", "3"]
    argv += ["--budget-mult", "2", "--jobs", "1", "--no-install", "--out", str(tmp_path / "b")]
    second = quality.main([*argv, "--reuse", str(saved)])
    runs = {(r["method"], r["seed"]): r for r in second["runs"]}
    assert len(runs) == 6
    for old in first["runs"]:  # seeds 0 and 1 of random come from the first file, cut to 4
        new = runs[("random", old["seed"])]
        assert new["reused"] and new["trace"] == old["trace"][:4] and new["budget"] == 4
    assert not runs[("random", 2)].get("reused") and len(runs[("random", 2)]["trace"]) == 4
    assert not runs[("bbo-random", 0)].get("reused")
    only = quality.main([*argv, "--reuse", str(saved), "--only-reuse"])  # runs nothing
    assert sorted((r["method"], r["seed"]) for r in only["runs"]) == [("random", 0), ("random", 1)]


def test_method_variants_carry_strategy_options() -> None:
    from benchmarks.harness import csv
    from benchmarks.methods import make_optimizer, parse_bbo

    assert csv("bbo-auto[sources=[de,local];pool_size=8],random") == [
        "bbo-auto[sources=[de,local];pool_size=8]",
        "random",
    ]
    assert parse_bbo("bbo-auto[sources=[de];pool_size=8]") == (
        "auto",
        {"sources": ["de"], "pool_size": 8},
    )
    assert parse_bbo("bbo-gp") == ("gp", {})
    opt = make_optimizer("bbo-random[]", make_problem("branin", 0), 0, 3)
    assert opt.ask()
    with pytest.raises(ValueError, match="not key=value"):
        parse_bbo("bbo-auto[pool_size]")


def test_same_seed_same_run() -> None:
    inst = make_problem("mixed", 0)
    a = run_method("random", inst, 5, seed=4)
    b = run_method("random", inst, 5, seed=4)
    assert a == b
    assert all(inst.space.contains(p) for p, _ in a)


def test_speed_measure_inline() -> None:
    cell = speed.measure("bbo-random", "mixed", n=20, asks=2)
    assert cell["status"] == "ok" and len(cell["times_s"]) == 2


def test_speed_series_with_a_burner_reports_both_medians() -> None:
    (cell,) = speed._series("bbo-random", "mixed", [20], asks=2, max_seconds=60, burner=True)
    assert cell["status"] == "ok" and cell["burner_median_s"] > 0
    from benchmarks.report import _speed_cell

    assert "(x" in _speed_cell(cell)


def test_whole_study_mode_times_every_ask_and_reports_the_regret(tmp_path) -> None:
    inline = speed.measure_study("bbo-random", "branin", budget=12)
    assert inline["status"] == "ok" and inline["total_s"] >= inline["max_s"] > 0
    assert (
        inline["regret"] >= 0
        and inline["regret"] == speed.measure_study("bbo-random", "branin", budget=12)["regret"]
    )  # seeded
    args = speed.parse_args(
        ["--methods", "bbo-random,bbo-sobol", "--problems", "branin", "--sizes", "5",
         "--asks", "1", "--studies", "branin:8", "--no-install", "--out", str(tmp_path)]
    )  # fmt: skip
    results = speed.run(args)
    assert [(c["method"], c["n"], c["status"]) for c in results["studies"]] == [
        ("bbo-random", 8, "ok"),
        ("bbo-sobol", 8, "ok"),
    ]
    from benchmarks.report import speed_report

    text = speed_report(results)
    assert "Whole studies" in text and "branin, 8 evaluations" in text
    with pytest.raises(SystemExit):
        speed.parse_args(["--studies", "branin"])  # no budget


def test_batch_methods_ask_in_batches_or_keep_trials_in_flight() -> None:
    from benchmarks.methods import make_optimizer, split_batch

    assert split_batch("bbo-auto[acquisition=LogEI]@4") == ("bbo-auto[acquisition=LogEI]", 4, False)
    assert split_batch("bbo-gp~3") == ("bbo-gp", 3, True)
    assert split_batch("bbo-auto") == ("bbo-auto", 1, False)
    inst = make_problem("branin", 0)
    obs = run_method("bbo-sobol@3", inst, 7, seed=0)
    assert len(obs) == 7 and all(inst.space.contains(p) for p, _ in obs)
    for method, asked in [("bbo-sobol@3", 9), ("bbo-sobol~3", 9)]:
        opt = make_optimizer(method, inst, 0, 7)
        rng = np.random.default_rng(0)
        for _ in range(7):
            params = opt.ask()
            opt.tell(params, inst.observe(params, rng))
        trials = opt._study.trials  # type: ignore[attr-defined]
        assert len(trials) == asked  # @3: three batches of 3; ~3: 7 told + 2 in flight
        assert sum(t.state.name == "COMPLETED" for t in trials) == 7


def test_speed_scenarios_measure_and_report() -> None:
    from benchmarks import speed_scenarios
    from benchmarks.report import _scenarios_table

    batch = speed_scenarios.measure_batch("branin", n=2, q=3, asks=1)
    assert batch["status"] == "ok" and batch["batch_s"] > 0 and batch["single_s"] > 0
    two = speed_scenarios.measure_two_objective("bbo-auto", n=2, asks=1)
    assert two["status"] == "ok" and two["median_s"] > 0
    assert speed_scenarios.dtlz2(np.array([0.0, 0.5, 0.5, 0.5])) == {"f1": 1.0, "f2": 0.0}
    cells = [
        {"scenario": "batch", "problem": "branin", "n": 2, **batch},
        {"scenario": "two-objective", "method": "bbo-auto", "n": 2, **two},
        {"scenario": "two-objective", "method": "optuna-gp", "n": 50, "status": "limit"},
        {"scenario": "mixed", "method": "bbo-auto", "n": 100, "status": "ok", "median_s": 0.2}
        | {"burner_median_s": 0.3},
    ]
    text = _scenarios_table({"scenarios": cells, "asks": 1}, markdown=False)
    assert "ask(3) vs a single ask, branin n=2" in text and "(target <= 1 s)" in text
    assert "mixed 7-D" in text and "(target <= 0.5 s); x1.50 with a CPU burner" in text
    assert "limit" in text


def test_speed_device_scenario_on_the_cpu_and_an_absent_device(monkeypatch) -> None:
    import torch

    from benchmarks import speed, speed_scenarios
    from benchmarks.report import _scenarios_table

    monkeypatch.setattr(speed_scenarios, "DEVICE_RESTARTS", 4)
    monkeypatch.setattr(speed_scenarios, "DEVICE_RAW", 16)
    cpu = speed_scenarios.measure_device("cpu", "branin", n=12, q=2, asks=1)
    assert cpu["status"] == "ok" and cpu["batch_s"] > 0
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert speed_scenarios.measure_device("cuda", "branin", 12, 2, 1)["status"] == "unavailable"
    args = speed.parse_args(["--device", "cuda", "--methods", "bbo-auto", "--no-install"])
    jobs = [j for j in speed._scenarios(args, ["bbo-auto"]) if j["scenario"] == "device"]
    assert [j["device"] for j in jobs] == ["cuda", "cpu"] and jobs[0]["n"] == 1000
    cells = [
        {"scenario": "device", "problem": "branin", "n": 12, "q": 2, **cpu},
        {"scenario": "device", "problem": "branin", "n": 12, "q": 2, "device": "cuda"}
        | {"status": "unavailable"},
    ]
    text = _scenarios_table({"scenarios": cells, "asks": 1}, markdown=False)
    assert "ask(2), 4 restarts, branin n=12, cpu" in text and "unavailable" in text


_FAST_PEERS = ["optuna-tpe", "optuna-cmaes", "nevergrad-ngopt", "smac-bb"]


@pytest.mark.parametrize("method", _FAST_PEERS)
@pytest.mark.parametrize("problem", ["mixed", "branin-constrained"])
def test_peer_adapters_propose_valid_points(method: str, problem: str) -> None:
    if importlib.util.find_spec(PEERS[method][1]) is None:
        pytest.skip(f"{PEERS[method][1]} is not installed")
    inst = make_problem(problem, 0)
    obs = run_method(method, inst, 4, seed=0)
    assert len(obs) == 4
    assert all(inst.space.contains(p) for p, _ in obs)


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["mixed", "branin-constrained"])
def test_vizier_adapter_proposes_valid_points(problem: str) -> None:
    """Vizier's GP-UCB-PE takes seconds per suggestion (jax compile, 75k acquisition
    evaluations): its first trial is the centre, the second comes from the GP."""
    if importlib.util.find_spec(PEERS["vizier"][1]) is None:
        pytest.skip(f"{PEERS['vizier'][1]} is not installed")
    inst = make_problem(problem, 0)
    obs = run_method("vizier", inst, 2, seed=0)
    assert len(obs) == 2
    assert all(inst.space.contains(p) for p, _ in obs)


def test_server_table_gives_each_scenario_as_a_share_of_the_echo_at_its_client_count():
    from benchmarks.server import table

    rows = [
        {
            "scenario": "bare grpc.aio echo",
            "clients": 32,
            "n": 10,
            "rps": 2000.0,
            "p50": 1,
            "p99": 2,
        },
        {"scenario": "random, SQLite", "clients": 32, "n": 10, "rps": 800.0, "p50": 3, "p99": 9},
        {"scenario": "gp", "clients": 8, "n": 4, "rps": 1.5, "p50": 5, "p99": 6, "batch": 4.0},
    ]
    lines = table(rows).splitlines()
    assert "| 40 % |" in lines[3]  # 800 of the echo's 2000 at 32 clients
    assert "%" not in lines[2] and "%" not in lines[4]  # the echo itself; no 8-client echo


def test_profile_splits_an_ask_into_the_pipeline_steps() -> None:
    from benchmarks.profile import STEPS, profile

    steps, top = profile("bbo-gp", "branin", n=12, asks=1, top=5)
    assert set(steps) == {*STEPS, "total", "rest"}
    assert steps["model fit"] > 0 and steps["acquisition"] > 0 and steps["pools"] == 0
    assert sum(steps[s] for s in [*STEPS, "rest"]) == pytest.approx(steps["total"])
    assert "tottime" in top
