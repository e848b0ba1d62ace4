"""Objective statistics over replicate samples (issue 20): the pure statistics and their
bootstrap, the study's statistic (tells, best, estimate, export), and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError, InvalidValueError, StudyConflictError
from bbo.statistics import MEAN, Statistic, bootstrap, noise_variance
from bbo.study.spec import StudySpec
from bbo.trial import Constraint, Objective, replicate_noise

SPACE = {"x": bbo.Float(0.0, 1.0)}
Y = [float(v) for v in range(10)]  # 0..9


# -- the statistics -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, sign, expected",
    [
        ("mean", 1, 4.5),
        ("median", 1, 4.5),
        ("quantile(0.9)", 1, 8.1),  # numpy's linear interpolation: 0.9 * 9 = 8.1
        ("p50", 1, 4.5),
        ("cvar(0.9)", 1, 9.0),  # the worst 10% of 10 samples: the largest
        ("cvar(0.7)", 1, 8.0),  # mean of 7, 8, 9
        ("cvar(0.7)", -1, 1.0),  # maximize: the lower tail, mean of 0, 1, 2
        ("cvar(0.75)", 1, (9 + 8 + 0.5 * 7) / 2.5),  # a fractional tail weight
        ("mean_std(2)", 1, 4.5 + 2 * np.std(Y, ddof=1)),
        ("mean_std(2)", -1, 4.5 - 2 * np.std(Y, ddof=1)),
        ("exceed(6.5)", 1, 0.3),
        ("exceed(6.5)", -1, 0.3),  # a probability, whatever the direction
    ],
)
def test_statistic_of_a_known_sample(text, sign, expected):
    assert Statistic.parse(text).compute(Y, sign) == pytest.approx(expected, rel=1e-12)


def test_compute_many_equals_row_by_row():
    rng = np.random.default_rng(0)
    Ys = rng.normal(size=(7, 12))
    for text in ("mean", "median", "quantile(0.2)", "cvar(0.8)", "mean_std(1.5)", "exceed(0.3)"):
        s = Statistic.parse(text)
        rows = [s.compute(y, -1.0) for y in Ys]
        np.testing.assert_allclose(s.compute_many(Ys, -1.0), rows, rtol=1e-12)


def test_parse_forms_agree_and_round_trip():
    forms = ["cvar(0.95)", {"name": "cvar", "alpha": 0.95}, Statistic("cvar", 0.95)]
    assert {Statistic.parse(f) for f in forms} == {Statistic("cvar", 0.95)}
    assert Statistic.parse("p95") == Statistic("quantile", 0.95)
    assert Statistic.parse(None) is MEAN
    for s in (Statistic("quantile", 0.25), Statistic("mean_std", 2.0), Statistic("median")):
        assert Statistic.from_dict(s.to_dict()) == s
        assert Statistic.parse(str(s)) == s


@pytest.mark.parametrize(
    "spec, words",
    [
        ("var95", ["`statistic` must be one of", "'var95'"]),
        ("cvar", ["'cvar' needs `alpha`"]),
        ("cvar(1.0)", ["`alpha` must lie in (0, 1)", "1.0"]),
        ("quantile(0)", ["`q` must lie in (0, 1)"]),
        ("mean_std(-1)", ["`lambda` must be >= 0"]),
        ("median(3)", ["takes no parameter"]),
        ({"name": "cvar", "q": 0.9}, ["unknown key(s) ['q']"]),
        (3, ["`statistic` must be a name"]),
    ],
)
def test_bad_statistic_names_the_rule(spec, words):
    with pytest.raises(InvalidArgumentError) as e:
        Statistic.parse(spec)
    for w in words:
        assert w in str(e.value)


@pytest.mark.parametrize(
    "text, need", [("mean", 1), ("median", 2), ("p95", 20), ("cvar(0.9)", 10), ("cvar(0.95)", 20)]
)
def test_minimum_replicates(text, need):
    assert Statistic.parse(text).min_samples() == need


def test_bootstrap_is_seeded_and_brackets_the_value():
    y = np.random.default_rng(1).lognormal(size=40)
    s = Statistic("cvar", 0.9)
    a, b = bootstrap(y, s, seed=3), bootstrap(y, s, seed=3)
    assert a == b
    assert a.value == pytest.approx(s.compute(y))
    assert a.low <= a.high and a.se > 0
    assert a.low <= float(np.quantile(y, 0.95)) <= a.high * 1.5
    # the mean's noise is the exact var/n, the others' the bootstrap's se**2
    assert noise_variance(y, MEAN) == pytest.approx(np.var(y, ddof=1) / 40)
    assert noise_variance(y, s, seed=3) == pytest.approx(a.se**2)


# -- objectives and constraints ---------------------------------------------------------------
def test_constraint_statistic_text_round_trips():
    for text in ("p95(latency) <= 10", "cvar(latency, 0.9) >= 3", "exceed(t, 80) <= 0.05"):
        c = Constraint.parse(text)
        assert Constraint.parse(str(c)) == c
    assert Constraint.parse("p95(latency) <= 10").statistic == Statistic("quantile", 0.95)
    assert str(Constraint.parse("latency <= 10")) == "latency <= 10.0"  # unchanged
    with pytest.raises(InvalidArgumentError, match=r"needs `alpha`: write cvar\(lat, ALPHA\)"):
        Constraint.parse("cvar(lat) <= 1")


def test_spec_stores_the_statistic_and_a_mean_spec_is_unchanged():
    spec = StudySpec.create(SPACE, "maximize", statistic={"name": "cvar", "alpha": 0.9})
    d = spec.to_dict()
    assert d["objectives"] == [
        {"name": "value", "direction": "maximize", "statistic": {"name": "cvar", "alpha": 0.9}}
    ]
    assert StudySpec.from_dict(json.loads(json.dumps(d))) == spec
    plain = StudySpec.create(SPACE).to_dict()
    assert plain["objectives"] == [{"name": "value", "direction": "minimize"}]


def test_per_objective_statistics_and_constraint_statistics_are_stored():
    spec = StudySpec.create(
        SPACE,
        {"a": "minimize", "b": "maximize"},
        constraints=["p95(lat) <= 3"],
        statistic={"a": "p90"},
    )
    assert [o.statistic for o in spec.objectives] == [Statistic("quantile", 0.9), MEAN]
    assert spec.to_dict()["constraints"] == ["quantile(lat, 0.95) <= 3.0"]
    assert StudySpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    with pytest.raises(InvalidArgumentError, match="names objectives \\['c'\\]"):
        StudySpec.create(SPACE, {"a": "minimize"}, statistic={"c": "p90"})


def test_samples_per_metric_give_each_statistic_and_feasibility():
    study = bbo.Study(
        SPACE,
        {"loss": "minimize"},
        constraints=["p90(lat) <= 5"],
        strategy="random",
        seed=0,
        statistic="cvar(0.8)",
    )
    lat_ok, lat_bad = [1.0] * 10, [1.0] * 5 + [6.0] * 5
    a = study.tell(study.ask(), samples={"loss": Y, "lat": lat_bad, "n": [1.0, 2.0]})
    b = study.tell(study.ask(), samples={"loss": [v + 1 for v in Y], "lat": lat_ok})
    assert a.values == {"loss": pytest.approx(8.5), "lat": 6.0, "n": 1.5}  # p90 of lat: 6
    assert a.samples is None and a.metric_samples == {
        "loss": tuple(Y),
        "lat": tuple(lat_bad),
        "n": (1.0, 2.0),
    }
    assert a.replicates("lat") == tuple(lat_bad)
    assert not a.feasible(study.constraints) and b.feasible(study.constraints)
    assert study.best.id == b.id  # a has the lower cvar but violates p90(lat) <= 5
    est = study.estimate(a, "lat")
    assert est is not None and est.value == 6.0


@pytest.mark.parametrize(
    "samples, words",
    [
        ({"loss": Y, "lat": [1.0] * 3}, ["constraint 'lat'", "at least 10", "got 3"]),
        ({"loss": Y[:3], "lat": [1.0] * 10}, ["objective 'loss'", "at least 5", "got 3"]),
        ({"loss": Y}, ["miss the objective or constraint metric(s) ['lat']"]),
        ({"loss": Y, "lat": []}, ["`samples['lat']` must hold at least one replicate"]),
        (Y, ["this study has constraints", "samples={metric: [...]}"]),
    ],
)
def test_bad_per_metric_samples_name_the_metric_and_the_rule(samples, words):
    study = bbo.Study(
        SPACE,
        {"loss": "minimize"},
        constraints=["p90(lat) <= 5"],
        strategy="random",
        statistic="cvar(0.8)",
    )
    with pytest.raises(InvalidValueError) as e:
        study.tell(study.ask(), samples=samples)
    for w in words:
        assert w in str(e.value)


def test_per_metric_samples_survive_sql_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = bbo.Study(
        SPACE,
        {"a": "minimize", "b": "maximize"},
        strategy="random",
        seed=0,
        storage=url,
        name="mo",
        statistic={"a": "median"},
    )
    t = study.tell(study.ask(), samples={"a": [1.0, 3.0, 10.0], "b": [2.0, 4.0]})
    again = bbo.Study.load("mo", url).trial(t.id)
    assert again.metric_samples == {"a": (1.0, 3.0, 10.0), "b": (2.0, 4.0)}
    assert again.values == {"a": 3.0, "b": 3.0} and again == t
    assert study.tell(t, samples={"a": [1.0, 3.0, 10.0], "b": [2.0, 4.0]}) == t  # idempotent


# -- a study -----------------------------------------------------------------------------------
def _study(statistic, direction="minimize", **kw):
    return bbo.Study(SPACE, direction, strategy="random", seed=0, statistic=statistic, **kw)


def test_tell_samples_stores_them_and_the_statistic_as_value():
    study = _study("cvar(0.9)")
    t = study.tell(study.ask(), samples=Y)
    assert t.samples == tuple(Y)  # raw replicates are kept
    assert t.value == t.values["value"] == pytest.approx(9.0)
    est = study.estimate(t)
    assert est is not None and est.value == pytest.approx(9.0)
    assert est == study.estimate(t.id)  # seeded: the same numbers every time
    assert est.low <= 9.0 <= est.high


def test_mean_study_keeps_todays_values():
    study = _study(None)
    t = study.tell(study.ask(), samples=[1.0, 2.0, 4.0])
    assert t.value == pytest.approx(7 / 3)
    assert study.tell(study.ask(), 0.5).value == 0.5  # a plain value is still fine


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"value": 1.0}, ["objective 'value' is the cvar(0.9)", "`samples=[...]`", "10"]),
        ({"samples": [1.0, 2.0, 3.0]}, ["at least 10 replicates", "ceil(1 / (1 - alpha))", "3"]),
    ],
)
def test_tell_without_enough_replicates_is_refused(kwargs, words):
    study = _study("cvar(0.9)")
    t = study.ask()
    with pytest.raises(InvalidValueError) as e:
        study.tell(t, **kwargs)
    for w in words:
        assert w in str(e.value)
    assert study.trial(t.id).state == bbo.TrialState.RUNNING  # nothing stored


def test_best_ranks_by_the_statistic_not_the_mean(tmp_path):
    # a safe point (narrow) and a risky one (lower mean, heavy upper tail)
    rng = np.random.default_rng(0)
    safe = list(1.0 + 0.05 * rng.normal(size=20))
    risky = list(np.where(rng.random(20) < 0.2, 4.0, 0.2) + 0.05 * rng.normal(size=20))
    url = f"sqlite:///{tmp_path / 's.db'}"
    for stat, winner in (("mean", 1), ("cvar(0.9)", 0)):
        study = _study(stat, storage=url, name=stat)
        a, b = study.ask(), study.ask()
        study.tell(a, samples=safe)
        study.tell(b, samples=risky)
        assert study.best_observed.id == (a.id, b.id)[winner]
    reopened = bbo.Study.load("cvar(0.9)", url)
    assert reopened.objectives[0].statistic == Statistic("cvar", 0.9)
    with pytest.raises(StudyConflictError, match="cvar"):
        _study("p90", storage=url, name="cvar(0.9)")


def test_trials_dataframe_and_export_carry_the_interval(tmp_path):
    pytest.importorskip("pandas")
    from bbo.run.tables import export

    study = _study("p90")
    t = study.tell(study.ask(), samples=Y)
    study.tell(study.ask(), failed=True)
    df = study.trials_dataframe()
    est = study.estimate(t)
    assert est is not None
    row = df.iloc[0]
    assert (row["value_se"], row["value_low"], row["value_high"]) == (est.se, est.low, est.high)
    assert math.isnan(df.iloc[1]["value_se"])
    export(study, tmp_path / "t.json")
    first = json.loads((tmp_path / "t.json").read_text())[0]
    assert first["value_low"] == est.low and first["samples"] == Y
    assert "value_se" not in _study(None).trials_dataframe().columns  # mean: unchanged


def test_replicate_noise_uses_the_statistic():
    study = _study("cvar(0.8)")
    done = [study.tell(study.ask(), samples=list(np.arange(10.0) * (i + 1))) for i in range(3)]
    o = study.objectives[0]
    noise = replicate_noise(done, o)
    assert noise is not None
    want = [noise_variance(t.samples, o.statistic, o.sign, seed=t.id) for t in done]
    np.testing.assert_allclose(noise[:, 0], want)
    mean_noise = replicate_noise(done, Objective("value"))
    np.testing.assert_allclose(mean_noise, replicate_noise(done))  # type: ignore[arg-type]


def test_best_of_a_saturated_exceed_study_is_the_point_closest_to_the_threshold():
    # every replicate exceeds 0: the empirical exceedance is 1 at every point, and the
    # recommendation ranks by the GP of the probit score (bbo.strategies.exceed)
    study = _study("exceed(0)")
    rng = np.random.default_rng(0)
    xs = [0.9, 0.5, 0.1, 0.7, 0.3, 0.6]
    for x in xs:
        study.enqueue({"x": x})
    for x in xs:
        study.tell(study.ask(), samples=list(1.0 + 4.0 * x + 0.1 * rng.normal(size=20)))
    assert all(t.value == 1.0 for t in study.trials)  # the frequency cannot rank them
    best = study.best
    assert best.params["x"] == 0.1
    assert best.value == 1.0  # what users see: still the empirical exceedance
    assert study.best_observed.params["x"] == 0.9  # ties: the lower id
