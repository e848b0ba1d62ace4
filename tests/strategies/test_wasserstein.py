"""Strategy ``wasserstein``: batched scoring, a 2-D toy, replicate tells through Python and
``bbo run``, pending points, determinism, option validation, registry acquisitions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

import bbo
from bbo.acquisition.wlcb import wlcb_score
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History
from bbo.strategies.wasserstein import WassersteinStrategy
from bbo.surrogates.wasserstein import (
    GeneratorConfig,
    WassersteinGenerativeModel,
    fit_generator,
    wasserstein_1d,
)

FAST = {"steps": 100, "pool_size": 1024, "polish_steps": 10}
SPACE2 = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})


def quad(p):
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2


def bimodal(p, rng, n=10):
    """Mean ``quad``; half the replicates 0.05 below with sd 0.01, half 0.05 above with an
    x-dependent sd."""
    up = rng.random(n) < 0.5
    lo = rng.normal(-0.05, 0.01, n)
    hi = rng.normal(0.05, 0.005 + 0.03 * p["x"], n)
    return list(quad(p) + np.where(up, hi, lo))


def w_study(**kw):
    opts = {**FAST, **kw.pop("strategy_options", {})}
    return bbo.Study(
        SPACE2, strategy="wasserstein", seed=kw.pop("seed", 0), strategy_options=opts, **kw
    )


def run(study, n, rng):
    for _ in range(n):
        t = study.ask()
        study.tell(t, samples=bimodal(t.params, rng))
    return study


def test_batched_scoring_equals_one_at_a_time(monkeypatch):
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.random((12, 2)))
    sets = [torch.as_tensor(rng.normal(size=r)) for r in (8,) * 10 + (1, 3)]
    model = fit_generator(X, sets, config=GeneratorConfig(steps=30), seed=0)
    sorted_sets = [torch.sort(s)[0] for s in sets]
    P = torch.as_tensor(rng.random((40, 2)))
    import bbo.acquisition.wlcb as ws

    monkeypatch.setattr(ws, "BLOCK", 16)  # several blocks, the last one partial
    with torch.no_grad():
        batched = wlcb_score(model, P, sorted_sets, 2.0, 1)
        single = torch.cat(
            [wlcb_score(model, P[i : i + 1], sorted_sets, 2.0, 1) for i in range(40)]
        )
        # the same by hand: mean of the atoms + 2 * min over the sets of the exact W1
        Q = model.quantiles(P[:5])
    assert torch.allclose(batched, single, rtol=1e-12, atol=1e-12)
    for i in range(5):
        w = min(wasserstein_1d(Q[i], s, 1) for s in sets)
        assert float(batched[i]) == pytest.approx(float(Q[i].mean()) + 2.0 * w)


def test_a_worse_prediction_never_outscores_with_the_spread_bonus_unlike_the_papers():
    """Shift every predicted law by -c (c > 0: worse, in utilities, than every observation):
    the spread bonus is shift-invariant, so the score drops by exactly c; the paper's
    distance bonus with kappa = 2 *rises* for such candidates (min_i W_1 grows by c)."""
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.random((10, 2)))
    sets = [torch.sort(torch.as_tensor(rng.normal(0.5 * x.sum(), 0.1, 8)))[0] for x in X]
    cfg = GeneratorConfig(steps=60, members=3)
    model = fit_generator(X, sets, config=cfg, seed=0)
    top = max(float(s.max()) for s in sets)
    c = top - min(float(s.min()) for s in sets) + 5.0
    worse = WassersteinGenerativeModel(model.generator, model.y_mean - c, model.y_std)
    P = torch.as_tensor(rng.random((200, 2)))
    with torch.no_grad():
        assert float(worse.quantiles(P).max()) < min(float(s.min()) for s in sets)
        a, a_worse = (wlcb_score(m, P, sets, 2.0, 1, "spread") for m in (model, worse))
        d, d_worse = (wlcb_score(m, P, sets, 2.0, 1, "distance") for m in (model, worse))
    torch.testing.assert_close(a_worse, a - c)
    assert bool((d_worse > d).all())  # the documented flaw of the paper's formula


def test_finds_the_optimum_region_of_a_2d_toy_with_replicates():
    study = run(w_study(), 15, np.random.default_rng(0))
    sources = [t.attrs["source"] for t in study.trials]
    assert sources[:5] == ["sobol"] * 5 and set(sources[5:]) == {"wasserstein:WLCB"}
    assert all(t.samples is not None and len(t.samples) == 10 for t in study.trials)
    # the optimum (0.3, 0.7): the replicate means are noisy (sd ~0.016 with 10 replicates),
    # so ask for the region: most model-based points within 0.15 of it (random: 7% of them)
    assert quad(study.best.params) < 0.15**2
    near = [quad(t.params) < 0.15**2 for t in study.trials[5:]]
    assert sum(near) >= 0.6 * len(near)


def test_same_seed_same_suggestions_and_pending_batches_spread():
    a = run(w_study(), 6, np.random.default_rng(1))
    b = run(w_study(), 6, np.random.default_rng(1))
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    first = a.ask(3)
    second = a.ask(2)  # the first three are RUNNING: pending
    X = SPACE2.encode_many([t.params for t in first + second])
    dist = np.linalg.norm(X[:, None] - X[None], axis=-1)[np.triu_indices(5, 1)]
    assert dist.min() > 0.01


def test_single_values_still_work():
    study = w_study()
    for _ in range(8):
        t = study.ask()
        study.tell(t, quad(t.params))
    assert study.trials[-1].attrs["source"] == "wasserstein:WLCB"
    assert study.best.value < 0.05


def test_failures_and_constraint_violations_are_the_worst_point():
    space = SPACE2
    study = bbo.Study(
        space,
        direction={"y": "minimize"},
        constraints=["c <= 0"],
        strategy="wasserstein",
        seed=0,
        strategy_options=FAST,
    )
    strategy = WassersteinStrategy(space, seed=0)
    for i in range(6):
        t = study.ask()
        if i == 0:
            study.tell(t, failed=True)
        else:
            study.tell(t, {"y": quad(t.params), "c": 1.0 if i == 1 else -1.0})
    h = History(space, study.objectives, tuple(study.trials), constraints=study.constraints)
    X, sets = strategy.observations(h)
    assert len(X) == 6 and all(len(s) == 1 for s in sets)
    worst = min(float(s[0]) for s in sets[:4])  # utilities: -y of the 4 feasible points
    assert [float(s[0]) for s in sets[4:]] == [worst, worst]
    assert study.ask().attrs["source"] == "wasserstein:WLCB"


def test_registry_acquisition_runs_on_the_generator():
    study = run(w_study(strategy_options={"acquisition": "qUCB"}), 6, np.random.default_rng(2))
    assert study.trials[-1].attrs["source"] == "wasserstein:qUCB"


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"kappa": -1}, "`kappa` must be >= 0, got -1"),
        ({"p": 3}, "`p` must be 1 or 2, got 3"),
        ({"acquisition": "EI"}, "`acquisition` must be one of"),
        ({"pool_size": 0}, "`pool_size` must be an integer >= 1, got 0"),
        ({"polish_steps": -1}, "`polish_steps` must be an integer >= 0, got -1"),
        ({"bonus": "ucb"}, r"`bonus` must be one of \['spread', 'distance'\], got 'ucb'"),
        ({"members": 0}, "`members` must be an integer >= 1, got 0"),
        ({"location": "mlp"}, r"`location` must be one of \['gp', 'network'\], got 'mlp'"),
        ({"wrong": 1}, "takes no option"),
    ],
)
def test_option_validation(options, match):
    with pytest.raises(InvalidArgumentError, match=match):
        bbo.Study(SPACE2, strategy="wasserstein", strategy_options=options)


def test_several_objectives_are_refused():
    study = bbo.Study(
        SPACE2, direction={"a": "minimize", "b": "minimize"}, strategy="wasserstein", seed=0
    )
    with pytest.raises(InvalidArgumentError, match="optimizes one objective, got 2"):
        study.ask()


SIMULATOR = (
    "import json, sys, random; x = float(sys.argv[1]); y = float(sys.argv[2]); "
    "r = random.Random(sys.argv[1] + sys.argv[2]); "
    "m = (x - 0.3) ** 2 + (y - 0.7) ** 2; "
    "print(json.dumps({{'samples': [m + r.choice([-0.05, 0.05]) + r.gauss(0, 0.01) "
    "for _ in range(8)]}}))"
)


def test_replicates_through_bbo_run(tmp_path):
    from bbo.cli.app import app

    study_file = tmp_path / "study.yaml"
    study_file.write_text(
        yaml.safe_dump(
            {
                "name": "stoch",
                "space": {
                    "x": {"type": "float", "low": 0.0, "high": 1.0},
                    "y": {"type": "float", "low": 0.0, "high": 1.0},
                },
                "objective": {"command": ["python", "-c", SIMULATOR, "{x}", "{y}"]},
                "strategy": {"name": "wasserstein", **FAST, "n_init": 4},
                "budget": 6,
                "workers": 2,
                "seed": 0,
                "storage": f"sqlite:///{tmp_path / 'study.db'}",
            },
            sort_keys=False,
        )
    )
    result = CliRunner().invoke(app, ["run", str(study_file)])
    assert result.exit_code == 0, result.output
    trials = bbo.Study.load("stoch", f"sqlite:///{tmp_path / 'study.db'}").trials
    assert len(trials) == 6 and all(t.state.value == "COMPLETED" for t in trials)
    for t in trials:
        assert t.samples is not None and len(t.samples) == 8
        assert t.value == pytest.approx(np.mean(t.samples))
        assert json.dumps(list(t.samples))  # plain floats
    assert {t.attrs["source"] for t in trials[4:]} == {"wasserstein:WLCB"}
