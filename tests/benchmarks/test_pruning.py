"""The pruning benchmark's pieces: the learning-curve problems, one run's bookkeeping of
epochs, the scores and the report, and a tiny end-to-end run (1 seed, 2 full trials)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from benchmarks import pruning
from benchmarks.pruning_methods import METHODS, best_at, run_curves
from benchmarks.pruning_problems import PROBLEMS, make_curve_problem


@pytest.mark.parametrize("name", ["lc-exp", "lc-pow"])
def test_synthetic_optimum_is_below_every_final_value(name):
    prob = make_curve_problem(name, 27)
    assert prob.optimum is not None and prob.final is not None
    for params in prob.space.sample(300, np.random.default_rng(0)):
        curve = list(prob.curve(params, 0))
        assert len(curve) == 27 and curve[-1] == pytest.approx(prob.final(params))
        assert curve[-1] >= prob.optimum - 1e-9
        assert all(a >= b for a, b in itertools.pairwise(curve))  # decreasing to f(x)


def test_synthetic_curves_cross():
    """What leads early is not what wins at the end (early stopping can mislead)."""
    exp = make_curve_problem("lc-exp", 27)
    slow, fast = {"capacity": 0.75, "a": 0.35, "b": 0.5}, {"capacity": 0.3, "a": 0.35, "b": 0.5}
    cs, cf = list(exp.curve(slow, 0)), list(exp.curve(fast, 0))
    assert cs[2] > cf[2] and cs[8] > cf[8] and cs[-1] < cf[-1]  # steps 3, 9, 27
    pw = make_curve_problem("lc-pow", 27)
    base = {"width": 0.6, "reg": 0.2, "noise": 0.0}
    hi, good = list(pw.curve({**base, "lr": 0.1}, 0)), list(pw.curve({**base, "lr": 0.02}, 0))
    assert hi[2] < good[2] and hi[-1] > good[-1]


def test_mlp_digits_trains_deterministically():
    pytest.importorskip("sklearn")
    prob = make_curve_problem("mlp-digits", 2)
    p = {"lr": 0.01, "hidden": 32, "weight_decay": 1e-5, "dropout": 0.1}
    a, b = list(prob.curve(p, 0)), list(prob.curve(p, 0))
    assert a == b and len(a) == 2 and all(math.isfinite(v) for v in a)
    assert a[1] < a[0] < math.log(10) + 0.2  # validation cross-entropy falls from ~ln 10
    assert list(prob.curve(p, 1)) != a  # another seed, another initialisation
    assert prob.optimum is None and set(PROBLEMS) == {"mlp-digits", "lc-exp", "lc-pow"}


def test_run_counts_epochs_and_stops_at_the_budget():
    prob = make_curve_problem("lc-exp", 9)
    calls = iter(range(1000))
    told: list[float | None] = []

    def ask():
        i = next(calls)
        # odd trials are pruned at step 2 (the pruner's answer to their second report)
        return (
            {"capacity": 0.5, "a": 0.1 * (i % 10), "b": 0.5},
            lambda v, s: i % 2 == 1 and s == 2,
            told.append,
        )

    trials = run_curves(ask, prob, 0, budget=30)
    assert [t["steps"] for t in trials] == [9, 2, 9, 2, 9]
    assert [t["epochs"] for t in trials] == [9, 11, 20, 22, 31]
    assert [t["final"] is None for t in trials] == [False, True, False, True, False]
    assert told == [t["final"] for t in trials]
    f0, f2 = trials[0]["final"], trials[2]["final"]
    assert best_at(trials, 8) == math.inf and best_at(trials, 9) == f0
    assert best_at(trials, 30) == min(f0, f2)


def _results():
    """A hand-made result: B = 2 x 9 = 18 epochs, two methods, one problem, two seeds."""

    def run(method, seed, finals):
        trials, spent = [], 0
        for steps, final in finals:
            spent += steps
            trials.append({"epochs": spent, "steps": steps, "final": final})
        return {"method": method, "problem": "lc-exp", "seed": seed, "optimum": 0.5,
                "trials": trials, "wall_s": 1.0, "error": None}  # fmt: skip

    runs = [
        run("bbo-auto", 0, [(9, 1.0), (9, 0.8)]),
        run("bbo-auto", 1, [(9, 0.9), (9, 0.6)]),  # target: median(0.8, 0.6) = 0.7
        run("bbo-auto+asha", 0, [(1, None), (1, None), (9, 0.65), (9, 0.9)]),  # 11 epochs
        run("bbo-auto+asha", 1, [(3, None), (9, 0.75), (9, 0.7)]),  # reaches at 21 > B
    ]
    return {"methods": ["bbo-auto", "bbo-auto+asha"], "problems": ["lc-exp"], "seeds": [0, 1],
            "max_step": 9, "trials": 2, "budget": 18, "jobs": 1, "wall_s": 3.0,
            "runs": runs}  # fmt: skip


def test_scores_targets_and_report():
    res = _results()
    assert pruning.target_of(res, "lc-exp") == pytest.approx(0.7)
    # seed 0 reaches 0.7 after 11 epochs, seed 1 after 21 > B: not within the budget
    assert pruning.reach(res, "lc-exp", "bbo-auto+asha") == (math.inf, 1, 2)
    assert pruning.epochs_to_reach(res["runs"][2], 0.7, 18) == 11.0
    assert pruning.epochs_to_reach(res["runs"][3], 0.7, 18) == math.inf
    assert pruning.epochs_to_reach(res["runs"][3], 0.7, 21) == 21.0
    assert pruning.reach(res, "lc-exp", "bbo-auto") == (math.inf, 1, 2)  # 0.8 > 0.7 on seed 0
    runs = res["runs"]
    assert pruning.score(runs[2], 6) == math.inf  # nothing ran all epochs by then
    assert pruning.score(runs[2], 11) == pytest.approx(0.15)  # regret: 0.65 - 0.5
    text = pruning.pruning_report(res)
    assert "Best final value at B/3 = 6 epochs" in text and "Best final value at B = 18" in text
    assert "lc-exp (regret)" in text and "> B (1/2)" in text
    assert "bbo-auto+asha: reaches full-budget bbo-auto's final value within B/3 on 0/1" in text
    res["runs"][3]["trials"][1]["final"] = 0.7  # now seed 1 reaches it after 12 epochs
    assert pruning.reach(res, "lc-exp", "bbo-auto+asha") == (11.5, 2, 2)
    md = pruning.pruning_report(res, markdown=True)
    assert "| problem | bbo-auto | bbo-auto+asha |" in md


def test_tiny_run_end_to_end(tmp_path, capsys):
    pytest.importorskip("optuna")
    out = tmp_path / "results"
    argv = ["--seeds", "1", "--trials", "2", "--max-step", "3", "--problems", "lc-exp,lc-pow",
            "--jobs", "1", "--out", str(out)]  # fmt: skip
    res = pruning.main(argv)
    assert len(res["runs"]) == 2 * len(METHODS) and not any(r["error"] for r in res["runs"])
    for r in res["runs"]:
        assert r["trials"][-1]["epochs"] >= 6 and r["max_step"] == 3 and r["budget"] == 6
        assert all(t["final"] is None or t["steps"] == 3 for t in r["trials"])
    (saved,) = out.glob("pruning-*.json")
    assert not list(out.glob("*.partial.jsonl"))  # complete: the JSON holds every run
    data = json.loads(saved.read_text())
    assert data["kind"] == "pruning" and data["methods"] == list(METHODS)
    md = saved.with_suffix(".md").read_text()
    assert all(m in md for m in METHODS) and "Epochs to reach full-budget bbo-auto" in md
    printed = capsys.readouterr().out
    assert "Best final value at B/3 = 2 epochs" in printed and f"saved {saved}" in printed
    # --report prints the saved run's tables again
    assert pruning.main(["--report", str(saved)])["runs"] == data["runs"]
    assert capsys.readouterr().out == printed.split("saved ")[0]
    # --reuse takes every finished run instead of rerunning it
    again = pruning.run(pruning.parse_args([*argv, "--reuse", str(saved)]))
    assert all(r.get("reused") for r in again["runs"]) and len(again["runs"]) == len(res["runs"])


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        pruning.parse_args(["--problems", "nope"])
    with pytest.raises(SystemExit):
        pruning.parse_args(["--methods", "bbo-gp+asha"])
    args = pruning.parse_args([])
    assert (args.max_step, args.trials, args.seeds) == (27, 20, 5)
    full = pruning.parse_args(["--full"])
    assert (full.max_step, full.seeds) == (81, 10) and "optuna-tpe" in full.methods


def test_model_use_variants_of_pruned_auto():
    """``bbo-auto+asha/rung``: the study's models use PRUNED trials as ``rung`` says; the
    verdicts name every variant; a bad suffix is refused."""
    from benchmarks.pruning_methods import VARIANTS, make_method

    assert "bbo-auto+hyperband/offset" in VARIANTS and "bbo-auto+asha/exclude" in VARIANTS
    assert "bbo-auto+asha-lc/predicted" in VARIANTS and "bbo-auto+fidelity/predicted" in VARIANTS
    prob = make_curve_problem("lc-pow", 3)
    for method in ("bbo-auto+asha/rung", "bbo-auto+hyperband-lc/predicted"):
        trials = run_curves(make_method(method, prob, 0), prob, 0, budget=12)
        assert trials and trials[-1]["epochs"] >= 12
    assert pruning.parse_args(["--methods", "bbo-auto+median/offset"]).methods == [
        "bbo-auto+median/offset"
    ]
    with pytest.raises(SystemExit):
        pruning.parse_args(["--methods", "bbo-auto+asha/sometimes"])
    with pytest.raises(ValueError, match="unknown method"):
        make_method("bbo-random/rung", prob, 0)
    res = _results()
    for r in res["runs"][2:]:
        r["method"] = "bbo-auto+asha/rung"
    res["methods"] = ["bbo-auto", "bbo-auto+asha/rung"]
    assert "bbo-auto+asha/rung: reaches full-budget" in pruning.pruning_report(res)
