"""The risk benchmark's problems (benchmarks/risk_problems.py): seeded replicates, the true
statistic from the known law, and, on every problem, a mean-optimal design that is a bad
design for the risk statistic (so the benchmark measures something)."""

from __future__ import annotations

import numpy as np
import pytest

from bbo.statistics import Statistic
from bbo.testing.stochastic import PROBLEMS as STOCHASTIC
from benchmarks import risk
from benchmarks.risk_problems import PROBLEMS, STATISTICS, _Paper

MEAN = Statistic("mean")
CVAR = Statistic("cvar", 0.9)

# problem -> (the mean's optimum (u*, or found by RiskProblem.optimum), the cvar(0.9)
# optimum found by RiskProblem.optimum, its true cvar(0.9), the least cvar(0.9) regret of
# the mean's optimum); designs rounded to 3 decimals
DESIGNS: dict[str, tuple[tuple[float, ...], tuple[float, ...], float, float]] = {
    "skew-1d": ((0.25,), (0.75,), 0.357, 0.5),
    "bimodal-2d": ((0.674, 0.16), (0.216, 0.901), 0.558, 0.5),
    "hetero-2d": ((0.2, 0.2), (0.26, 0.686), 0.397, 0.4),
    "camel-skew": ((0.37, 0.61), (0.546, 0.52), 0.360, 0.5),
    "ackley-hetero": ((0.37, 0.61), (0.37, 0.51), 1.508, 0.5),
    "levi-bimodal": ((0.37, 0.61), (0.437, 0.61), 0.740, 0.4),
    "himmelblau-skew": ((0.122, 0.172), (0.219, 0.813), 0.113, 1.0),
    "rosenbrock2-hetero": ((0.75, 0.75), (0.853, 1.0), 0.568, 0.5),
    "tang-bimodal": ((0.21, 0.21), (0.21, 0.775), 2.769, 0.4),
}


def test_every_paper_function_is_log1p_f_on_the_stochastic_problems_box() -> None:
    for key, name in (("camel", "three-hump-camel"), ("rosenbrock8", "rosenbrock8")):
        paper, prob = _Paper(key), STOCHASTIC[name]
        rng = np.random.default_rng(0)
        for params in prob.space.sample(5, rng):
            x = prob.vector(params)
            assert paper(paper.unit(x)[None, :])[0] == pytest.approx(prob.mean(params))
        assert paper(paper.ustar[None, :])[0] == pytest.approx(0.0, abs=1e-9)


def test_replicates_are_seeded_and_centred_jumps_keep_the_mean() -> None:
    prob = PROBLEMS["levi-bimodal"]
    x = np.array([0.37, 0.61])
    a = prob.sample(x, 20, np.random.default_rng(3))
    assert np.array_equal(a, prob.sample(x, 20, np.random.default_rng(3)))
    # a second mode 1.5 above with weight 0.15 at u*, centred: the mean is log(1 + f) = 0
    many = prob.sample(x, 200_000, np.random.default_rng(4))
    assert many.mean() == pytest.approx(0.0, abs=0.01)
    assert np.mean(many > 1.0) == pytest.approx(0.15, abs=0.005)


def test_the_true_statistic_at_a_known_point() -> None:
    # hetero-2d at its bowl's bottom: N(0, 0.52^2); cvar(0.9) = s phi(z_0.9) / 0.1
    s = 0.02 + 0.5
    cvar = s * np.exp(-(1.2815515655446004**2) / 2) / np.sqrt(2 * np.pi) / 0.1
    got = PROBLEMS["hetero-2d"].true(np.array([[0.2, 0.2]]), CVAR)[0]
    # 20,000 common draws (seeded): within a few standard errors of the law's value
    assert got == pytest.approx(cvar, abs=0.03)
    assert got == pytest.approx(0.9031, abs=1e-3)
    q = PROBLEMS["hetero-2d"].true(
        np.array([[0.2, 0.2]]), STATISTICS["quantile"](PROBLEMS["hetero-2d"])
    )
    assert q[0] == pytest.approx(s * 1.2815515655446004, abs=0.03)
    assert q[0] == pytest.approx(0.6530, abs=1e-3)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_mean_optimal_and_cvar_optimal_designs_differ(name: str) -> None:
    prob = PROBLEMS[name]
    mean_opt, risk_opt, fstar, gap = DESIGNS[name]
    X = np.array([mean_opt, risk_opt])
    mean = prob.true(X, MEAN)
    cvar = prob.true(X, CVAR)
    # the mean prefers its optimum, the cvar the other design, by a wide margin
    assert mean[0] < mean[1]
    assert cvar[1] == pytest.approx(fstar, abs=0.01)  # (the design is rounded)
    assert cvar[0] - cvar[1] > gap
    assert np.linalg.norm(X[0] - X[1]) > 0.05  # levi: two of its local minima over
    # and no random design beats the cvar optimum
    rng = np.random.default_rng(1)
    assert prob.true(rng.random((256, prob.dim)), CVAR).min() > fstar - 1e-3


def test_rosenbrock8_hetero_risk_optimum_moves_down_the_valley() -> None:
    prob = PROBLEMS["rosenbrock8-hetero"]
    ustar = np.full(8, 0.75)  # x = (1, ..., 1)
    # RiskProblem.optimum(CVAR) (Sobol' points and u*, then L-BFGS-B): 1.2308 at
    arg = np.array([0.745, 0.741, 0.732, 0.716, 0.686, 0.639, 0.576, 0.522])
    cvar = prob.true(np.stack([ustar, arg]), CVAR)
    assert cvar[1] == pytest.approx(1.2308, abs=0.01)
    assert cvar[0] - cvar[1] > 0.5
    assert np.linalg.norm(arg - ustar) > 0.2
    mean = prob.true(np.stack([ustar, arg]), MEAN)
    assert mean[0] < mean[1]
    rng = np.random.default_rng(1)
    assert prob.true(rng.random((256, 8)), CVAR).min() > cvar[1]


def test_optimum_search_finds_the_low_skew_well() -> None:
    fstar, arg = PROBLEMS["skew-1d"].optimum(CVAR)
    assert fstar == pytest.approx(0.3565, abs=1e-3)
    assert arg == pytest.approx([0.751], abs=0.005)


def test_summary_counts_the_targets() -> None:
    def run(method: str, problem: str, regret: float) -> dict[str, object]:
        return {"method": method, "problem": problem, "error": None, "trace": [regret]}

    results = {
        "problems": ["a", "b"],
        "methods": ["gp-stat", "gp-mean", "wasserstein"],
        "runs": [
            run("gp-stat", "a", 0.2),
            run("wasserstein", "a", 0.1),
            run("gp-mean", "a", 0.5),
            run("gp-stat", "b", 0.1),
            run("wasserstein", "b", 0.3),
            run("gp-mean", "b", 0.05),
        ],
    }
    text = risk.summary(results)
    assert "a: best bbo method wasserstein 0.1 vs gp-mean 0.5 (lower); per seed lower on 1" in text
    assert "b: best bbo method gp-stat 0.1 vs gp-mean 0.05 (NOT lower); per seed lower on 0" in text
    assert "below gp-mean on 1 of 2 problems" in text
    assert "wasserstein below gp-stat on 1 of 2 problems" in text


def test_bbo_auto_runs_and_records_its_sources() -> None:
    rec = risk.run_one("bbo-auto", "skew-1d", "cvar", seed=0, budget=6, replicates=20)
    assert rec["error"] is None and len(rec["trace"]) == 6
    # skew-1d's laws are exponential everywhere: the first model-based ask is the generator's
    assert rec["sources"][:5] == ["sobol"] * 5
    assert rec["sources"][5] == "skewed>wasserstein:WLCB"


def test_auto_lines_say_which_model_auto_used_and_whether_it_was_the_better() -> None:
    def run(method: str, regret: float, sources: list[str] | None = None) -> dict[str, object]:
        rec = {"method": method, "problem": "a", "error": None, "trace": [regret]}
        return rec if sources is None else {**rec, "sources": sources}

    results = {
        "problems": ["a"],
        "methods": ["gp-stat", "gp-mean", "wasserstein", "bbo-auto"],
        "runs": [
            run("gp-stat", 0.3),
            run("wasserstein", 0.1),
            run("gp-mean", 0.5),
            run("bbo-auto", 0.1, ["sobol", "gp:LogEI", *["skewed>wasserstein:WLCB"] * 3]),
        ],
    }
    lines = risk.auto_lines(results)
    assert lines[0] == (
        "a: bbo-auto 0.1, generator on 75% of its asks; better of the two wasserstein (matched)"
    )
    assert lines[-1] == "bbo-auto's model matched the better one on 1 of 1"


# exceed: problem -> (the exceed-optimal design found by RiskProblem.optimum, rounded; the
# least exceedance gap of the mean's optimum; the least share of 1024 Sobol' points whose
# exceedance is above 0.99: the plateau, a property of the function)
EXCEED: dict[str, tuple[tuple[float, ...], float, float]] = {
    "skew-1d": ((0.751,), 0.15, 0.3),
    "bimodal-2d": ((0.349, 0.635), 0.06, 0.3),
    "hetero-2d": ((0.559, 0.467), 0.14, 0.3),
    "camel-skew": ((0.545, 0.521), 0.06, 0.95),
    "ackley-hetero": ((0.37, 0.511), 0.015, 0.95),  # nearly degenerate: the mean's is close
    "levi-bimodal": ((0.337, 0.61), 0.04, 0.99),
    "himmelblau-skew": ((0.219, 0.813), 0.2, 0.99),
    "rosenbrock2-hetero": ((0.853, 1.0), 0.13, 0.95),
    "rosenbrock8-hetero": ((0.747, 0.744, 0.737, 0.725, 0.702, 0.664, 0.607, 0.544), 0.05, 0.99),
    "tang-bimodal": ((0.332, 0.21), 0.09, 0.95),
}


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_closed_form_exceedance_is_the_frequency_over_the_common_draws(name: str) -> None:
    prob = PROBLEMS[name]
    X = np.random.default_rng(0).random((64, prob.dim))
    X = np.vstack([X, np.array(EXCEED[name][0])[None, :]])
    exact = prob.exceedance(X, prob.threshold)
    draws = Statistic("exceed", prob.threshold).compute_many(prob._draw(X, *prob._common))
    # 20,000 draws: a standard error of at most 0.0035
    assert np.abs(exact - draws).max() < 0.015
    assert prob.true(X, STATISTICS["exceed"](prob)) == pytest.approx(exact)


@pytest.mark.parametrize("name", list(EXCEED))
def test_threshold_is_the_best_90th_percentile_and_the_mean_optimum_is_worse(name: str) -> None:
    prob = PROBLEMS[name]
    design, gap, plateau = EXCEED[name]
    mean_opt = prob.start if prob.start is not None else DESIGNS[name][0]
    X = np.array([mean_opt, design])
    # the rule: t = min_x Q_0.9(x), so the best design exceeds it one time in ten
    assert prob.true(X[1:], Statistic("quantile", 0.9))[0] == pytest.approx(
        prob.threshold, abs=0.02
    )
    exceed = prob.exceedance(X, prob.threshold)
    assert exceed[1] == pytest.approx(0.1, abs=0.01)
    assert exceed[0] - exceed[1] > gap
    rng = np.random.default_rng(1)
    assert prob.exceedance(rng.random((256, prob.dim)), prob.threshold).min() > 0.095
    # how much of the box is a plateau at 1 (the paper's functions: almost all of it)
    from scipy.stats import qmc

    S = qmc.Sobol(prob.dim, seed=0).random(1024)
    assert np.mean(prob.exceedance(S, prob.threshold) > 0.99) > plateau


def test_budget_per_dim_gives_each_problem_its_own_budget_and_the_report_its_own_end() -> None:
    names = ["--statistic", "cvar", "--problems", "skew-1d,camel-skew,rosenbrock8-hetero"]
    scaled = risk.budgets(risk.parse_args([*names, "--budget-per-dim", "12"]))
    assert scaled == {"skew-1d": 24, "camel-skew": 24, "rosenbrock8-hetero": 96}
    assert set(risk.budgets(risk.parse_args(names)).values()) == {24}  # the default: one budget
    with pytest.raises(SystemExit):
        risk.parse_args([*names, "--budget-per-dim", "0"])

    def run(problem: str, n: int) -> dict[str, object]:  # regret i + 1 after evaluation i
        trace = [float(i + 1) for i in range(n)]
        return {
            "method": "gp-stat",
            "problem": problem,
            "error": None,
            "trace": trace,
            "trace_emp": trace,
            "ask_cpu_s": [0.1],
        }

    results = {
        "statistic": "cvar(0.9)",
        "seeds": [0],
        "replicates": 20,
        "budget": 4,
        "budgets": {"a": 4, "b": 8},
        "problems": ["a", "b"],
        "methods": ["gp-stat"],
        "runs": [run("a", 4), run("b", 8)],
    }
    text = risk.report(results, markdown=True)
    assert "| problem | method | rec@B/2 | rec@B | emp@B |" in text
    assert "| a (B=4) | gp-stat | 2 [2, 2] | 4 [4, 4] | 4 [4, 4] |" in text  # evaluations 2, 4
    assert "| b (B=8) | gp-stat | 4 [4, 4] | 8 [8, 8] | 8 [8, 8] |" in text  # and 4, 8
    del results["budgets"], results["runs"][1]  # one budget: the header names it, as before
    results["problems"] = ["a"]
    assert "| a | gp-stat | 2 [2, 2] | 4 [4, 4] |" in risk.report(results, markdown=True)
    assert "| rec@2 | rec@4 | emp@4 |" in risk.report(results, markdown=True)


def test_paired_counts_the_seeds_run_by_both_methods() -> None:
    def run(method: str, seed: int, regret: float) -> dict[str, object]:
        return {"method": method, "problem": "a", "seed": seed, "error": None, "trace": [regret]}

    finals = {"gp-stat": [0.1, 0.5, 0.3, 0.2], "gp-mean": [0.2, 0.4, 0.3 + 1e-9]}  # seed 3 alone
    runs = [run(m, s, v) for m, vals in finals.items() for s, v in enumerate(vals)]
    assert risk.paired({"runs": runs}, "a", "gp-stat", "gp-mean") == (1, 1, 1)
