"""The benchmark problems and families: known optima, seeded instances, BBOB's f_opt, the
family mapping, ranks, the per-family report and the ECDF plot (fast; no peer needed)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks import quality
from benchmarks.problems import (
    CONSTRAINT,
    FAMILIES,
    OBJECTIVE,
    PROBLEMS,
    bbob,
    family_of,
    make_problem,
    problem_dims,
)
from benchmarks.report import ecdf_curves, families_of, quality_report
from benchmarks.scoring import mean_ranks, regret_scale, regret_trace


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_argmin_attains_the_optimum_and_random_points_do_not_beat_it(name: str) -> None:
    for seed in (0, 1):
        inst = make_problem(name, seed)
        assert inst.space.contains(inst.argmin)
        assert inst.true(inst.argmin) == pytest.approx(inst.optimum, abs=1e-4)
        if inst.constraint is not None:
            assert inst.constraint(inst.argmin) <= 1e-9
        rng = np.random.default_rng([seed, 5])
        for params in inst.space.sample(40, rng):
            if inst.constraint is None or inst.constraint(params) <= 0:
                assert inst.true(params) > inst.optimum - 1e-6
        # the regret of the optimiser itself is 0, even when observed with noise
        obs = [(dict(inst.argmin), inst.observe(inst.argmin, rng))]
        assert regret_trace(inst, obs) == [pytest.approx(0.0, abs=1e-4)]
        centre = {k: p.decode(0.5) for k, p in inst.space.items()}
        assert inst.true(centre) > inst.optimum + 1e-3, "the box centre must not be optimal"
        assert problem_dims(name) == (inst.dim, inst.budget_dim)


_SEEDED = [n for f in ("mixed", "high-dim", "bbob") for n in FAMILIES[f]]
_SEEDED += ["ackley10", "ackley20", "levy8", "rosenbrock6", "hartmann6-constrained"]
_SEEDED += ["rastrigin10-constrained", "bbob-f21-d5-noise5"]


@pytest.mark.parametrize("name", _SEEDED)
def test_instances_differ_by_seed(name: str) -> None:
    a, b = make_problem(name, 0), make_problem(name, 1)
    pts = a.space.sample(5, np.random.default_rng(0))
    differs = a.argmin != b.argmin or any(a.true(p) != b.true(p) for p in pts)
    if a.constraint is not None:
        differs |= any(a.constraint(p) != b.constraint(p) for p in pts)
    assert differs


def test_families_cover_every_problem_once_with_the_required_sizes() -> None:
    names = [n for ns in FAMILIES.values() for n in ns]
    assert sorted(names) == sorted(PROBLEMS) and len(names) == len(set(names))
    assert set(FAMILIES) == {"classic", "mixed", "noise", "constrained", "high-dim", "bbob"}
    assert len(FAMILIES["mixed"]) >= 3 and len(FAMILIES["constrained"]) >= 3
    assert len(FAMILIES["bbob"]) == 24 * 4 and len(FAMILIES["high-dim"]) >= 4
    assert all(make_problem(n, 0).dim >= 100 for n in FAMILIES["high-dim"])
    assert all(family_of(n) == f for f, ns in FAMILIES.items() for n in ns)
    assert family_of("no-such-problem") == "other"
    assert set(quality.FULL["problems"]) == set(PROBLEMS)
    assert {family_of(n) for n in quality.SMALL["problems"]} == set(FAMILIES)


@pytest.mark.parametrize("dim", bbob.DIMS)
def test_bbob_f_opt_is_below_random_and_perturbed_points(dim: int) -> None:
    rng = np.random.default_rng(dim)
    for function in bbob.FUNCTIONS:
        for instance in (1, 2):
            x_opt, f_opt = bbob.optimum(function, dim, instance)
            f = bbob.coco_problem(function, dim, instance)
            x = np.array(x_opt)
            assert np.all(np.abs(x) <= 5.0)
            random = rng.uniform(-5.0, 5.0, (100, dim))
            near = np.clip(x + rng.normal(0.0, 1e-3, (20, dim)), -5.0, 5.0)
            values = [f(p) for p in np.vstack([random, near])]
            assert min(values) >= f_opt - 1e-9, (function, dim, instance)


def test_bbob_instance_follows_the_seed() -> None:
    inst = make_problem("bbob-f15-d5", 3)
    assert inst.info["coco_instance"] == 4 and inst.space.dim == 5
    assert bbob.parse_name("bbob-f15-d5") == (15, 5)
    with pytest.raises(ValueError):
        bbob.parse_name("branin")


def test_noise_levels_and_heteroscedastic_noise_grow() -> None:
    sds = [make_problem(f"hartmann6-noise{level}", 0).noise_std for level in (1, 5, 20)]
    assert 0 < sds[0] < sds[1] < sds[2]
    het = make_problem("branin-hetnoise5", 0)
    assert het.noise_sd is not None and het.noise_std > 0
    assert het.noise_sd(het.optimum) < het.noise_sd(het.optimum + 50.0)
    rng = np.random.default_rng(0)
    ys = [het.observe(het.argmin, rng)[OBJECTIVE] for _ in range(200)]
    assert np.std(ys) == pytest.approx(het.noise_sd(het.optimum), rel=0.3)


def test_embedded_problem_ignores_the_other_coordinates() -> None:
    inst = make_problem("hartmann6-emb100", 0)
    x = dict(inst.argmin)
    ignored = [k for k in x if inst.true({**x, k: 1.0 - x[k]}) == inst.true(x)]
    assert len(ignored) == 100 - 6 and inst.budget_dim == 10


def test_constrained_10d_optimum_is_on_an_active_constraint() -> None:
    inst = make_problem("rastrigin10-constrained", 2)
    assert inst.constraint is not None
    assert inst.constraint(inst.argmin) == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(0)
    x = np.array([inst.argmin[k] for k in inst.space.names])
    for _ in range(200):  # feasible neighbours are no better
        p = dict(zip(inst.space.names, np.clip(x + rng.normal(0, 0.05, 10), -5, 5)))
        if inst.constraint(p) <= 0:
            assert inst.true(p) >= -1e-9
    assert inst.regret_cap > 0
    assert inst.feasible({OBJECTIVE: 0.0, CONSTRAINT: 0.0})


def test_regret_scale_is_positive() -> None:
    assert regret_scale(make_problem("branin", 0), 0) > 1.0


def test_mean_ranks_average_ties_and_put_missing_last() -> None:
    medians = {
        "p": {"a": 1.0, "b": 1.0, "c": 2.0},
        "q": {"a": 3.0, "b": math.nan, "c": 2.0},
        "r": {"a": math.nan, "b": math.nan, "c": math.nan},  # skipped
    }
    ranks = mean_ranks(medians, ["a", "b", "c"])
    assert ranks == {"a": (1.5 + 2) / 2, "b": (1.5 + 3) / 2, "c": (3 + 1) / 2}


def _fake_results() -> dict:
    runs = []
    for prob, dim in (("branin", 2), ("hartmann6", 6), ("old-problem", 3)):
        for m, factor in (("good", 0.01), ("bad", 1.0)):
            for seed in (0, 1):
                trace = [factor * 10 / (i + 1) for i in range(4 * dim)]
                runs.append(
                    {"method": m, "problem": prob, "seed": seed, "dim": dim, "trace": trace}
                    | {"error": None, "wall_s": 1.0}
                )
    return {
        "kind": "quality",
        "methods": ["good", "bad"],
        "problems": ["branin", "hartmann6", "old-problem"],
        "seeds": [0, 1],
        "budget_mults": [2, 4],
        "runs": runs,
        "wall_s": 1.0,
        "jobs": 1,
    }


def test_report_of_an_old_file_groups_by_family_and_ranks(tmp_path) -> None:
    res = _fake_results()
    assert families_of(res) == {"classic": ["branin", "hartmann6"], "other": ["old-problem"]}
    text = quality_report(res)
    assert "family classic" in text and "family other" in text
    assert "Mean rank" in text and "all (3)" in text
    grid = np.array([0.5, 1.0, 4.0])
    curves = ecdf_curves(res, res["problems"], grid)
    assert np.all(np.diff(curves["good"]) >= 0) and np.all(curves["good"] >= curves["bad"])
    md = quality_report(res, markdown=True)
    assert "#### family classic" in md and "**1.00**" in md


def test_families_flag_selects_the_preset_problems_and_writes_the_png(tmp_path, capsys) -> None:
    argv = ["--methods", "random", "--families", "constrained,mixed", "--seeds", "1"]
    argv += ["--budget-mult", "1", "--jobs", "1", "--no-install", "--out", str(tmp_path)]
    results = quality.main(argv)
    small = quality.SMALL["problems"]
    want = [p for p in small if family_of(p) in ("constrained", "mixed")]
    assert results["problems"] == want
    assert all(r["error"] is None and r["regret_scale"] > 0 for r in results["runs"])
    out = capsys.readouterr().out
    assert "family constrained" in out and "family mixed" in out and "Mean rank" in out
    (png,) = tmp_path.glob("quality-*.png")
    assert png.stat().st_size > 10_000
    saved = json.loads(next(tmp_path.glob("quality-*.json")).read_text())
    assert saved["families"]["mixed"] == "mixed"
