"""Proto <-> bbo conversion: round trips and the errors of malformed messages."""

from __future__ import annotations

import pytest
from bbo.server import convert as cv
from hypothesis import given, seed, settings
from hypothesis import strategies as st

import bbo
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import InvalidArgumentError, InvalidSpaceError, InvalidValueError
from bbo.study.spec import StudySpec
from bbo.trial import Constraint, Objective, Report, Trial, TrialState

SPACE = bbo.Space(
    {
        "x": bbo.Float(-5.0, 10.0),
        "lr": bbo.Float(1e-5, 1e-1, log=True),
        "layers": bbo.Int(1, 8),
        "units": bbo.Int(16, 1024, log=True),
        "act": bbo.Categorical(["relu", "tanh"]),
        "flag": bbo.Categorical([True, False]),
        "mixed": bbo.Categorical([1, 2.5, "auto"]),
        "bs": bbo.Ordinal([16, 32, 64]),
    }
)


def test_spec_round_trip():
    spec = StudySpec(
        space=SPACE,
        objectives=(Objective("loss", "minimize"), Objective("acc", "maximize")),
        constraints=(Constraint("latency", "<=", 20.0), Constraint("mem", ">=", -1.5)),
        strategy="gp",
        strategy_options={"n_init": 5, "acquisition": "qLogNEI", "nested": {"a": [1, 2.5]}},
        seed=123,
    )
    msg = cv.spec_to_pb(spec)
    back = cv.spec_from_pb(pb.StudySpec.FromString(msg.SerializeToString()))
    assert back == spec and list(back.space) == list(SPACE)  # order kept
    assert back.strategy_options["n_init"] == 5 and isinstance(back.strategy_options["n_init"], int)
    assert back.seed == 123 and back.objectives == spec.objectives
    msg.ClearField("seed")
    assert cv.spec_from_pb(msg).seed is None


@pytest.mark.parametrize(
    "pruner",
    [
        {"name": "median"},
        {"name": "percentile", "percentile": 25.0, "n_warmup_steps": 2},
        {"name": "patience", "patience": 3, "min_delta": 0.5},
        {"name": "threshold", "lower": -1.0},
        {"name": "asha", "min_resource": 1, "reduction_factor": 3},
        {"name": "hyperband", "max_resource": 81},
    ],
)
def test_the_pruner_round_trips_with_every_option(pruner):
    spec = StudySpec.create(SPACE, pruner=pruner)
    assert spec.pruner is not None and set(pruner) < set(spec.pruner)  # every option
    msg = pb.StudySpec.FromString(cv.spec_to_pb(spec).SerializeToString())
    assert cv.spec_from_pb(msg) == spec
    assert not cv.spec_to_pb(StudySpec.create(SPACE)).HasField("pruner")


def test_an_empty_or_none_pruner_is_no_pruner():
    msg = cv.spec_to_pb(StudySpec.create(SPACE))
    assert cv.spec_from_pb(msg).pruner is None
    msg.pruner.update({})
    assert cv.spec_from_pb(msg).pruner is None
    msg.pruner.update({"name": "none"})
    assert cv.spec_from_pb(msg).pruner is None


def test_a_report_round_trips():
    r = Report(trial=3, step=7, value=0.25, reported_at=1.5e9, seq=12)
    assert cv.report_from_pb(pb.TrialReport.FromString(cv.report_to_pb(r).SerializeToString())) == r


def test_defaults_of_an_almost_empty_spec():
    msg = pb.StudySpec(space=[pb.Parameter(name="x", int_param=pb.IntParam(low=0, high=3))])
    spec = cv.spec_from_pb(msg)
    assert spec.objectives == (Objective("value", "minimize"),)
    assert spec.strategy == "auto" and spec.constraints == () and spec.seed is None
    assert spec.space == bbo.Space({"x": bbo.Int(0, 3)})


def test_trial_round_trip():
    full = Trial(
        id=7,
        params={"x": 1.5, "layers": 3, "act": "tanh", "flag": False},
        state=TrialState.COMPLETED,
        values={"value": 0.25, "latency": 3.0},
        value=0.25,
        samples=(0.2, 0.3),
        reason="ok",
        attrs={"source": "gp", "request_id": "r", "acq": 0.125, "n": 4},
        retry_of=2,
        client_id="w-1",
        lease_expires_at=None,
        created_at=1700000000.5,
        finished_at=1700000001.25,
    )
    running = Trial(id=0, params={"x": 0.0}, lease_expires_at=1700000100.0, created_at=1.0)
    for t in (full, running):
        msg = pb.Trial.FromString(cv.trial_to_pb(t).SerializeToString())
        assert cv.trial_from_pb(msg) == t
    assert type(cv.trial_from_pb(cv.trial_to_pb(full)).params["layers"]) is int
    assert type(cv.trial_from_pb(cv.trial_to_pb(full)).params["flag"]) is bool


@pytest.mark.parametrize(
    ("params", "exc", "needle"),
    [
        ([], InvalidSpaceError, "at least one parameter"),
        ([pb.Parameter(name="x")], InvalidSpaceError, "must set one of float/int"),
        ([pb.Parameter(float_param=pb.FloatParam(low=0, high=1))], InvalidSpaceError, "name"),
        (
            [pb.Parameter(name="x", float_param=pb.FloatParam(low=3, high=1))],
            InvalidSpaceError,
            "`low < high` must hold, got low=3.0, high=1.0",
        ),
        (
            [pb.Parameter(name="x", float_param=pb.FloatParam(low=0, high=1))] * 2,
            InvalidSpaceError,
            "unique, got 'x' twice",
        ),
        (
            [pb.Parameter(name="c", categorical_param=pb.CategoricalParam(choices=[pb.Scalar()]))],
            InvalidValueError,
            "must set one of its values",
        ),
        (
            [pb.Parameter(name="x", float_param=pb.FloatParam(low=0, high=float("nan")))],
            InvalidSpaceError,
            "finite",
        ),
    ],
)
def test_malformed_spaces_name_the_field_and_rule(params, exc, needle):
    with pytest.raises(exc) as e:
        cv.space_from_pb(params)
    assert needle in str(e.value)


def test_bad_enums_are_invalid_arguments():
    space = [pb.Parameter(name="x", float_param=pb.FloatParam(low=0, high=1))]
    with pytest.raises(InvalidArgumentError, match=r"objectives\[0\].direction"):
        cv.spec_from_pb(pb.StudySpec(space=space, objectives=[pb.Objective(name="v", direction=9)]))
    with pytest.raises(InvalidArgumentError, match=r"constraints\[0\].op"):
        cv.spec_from_pb(pb.StudySpec(space=space, constraints=[pb.Constraint(metric="m")]))
    with pytest.raises(InvalidArgumentError, match="other than UNSPECIFIED"):
        cv.state_from_pb(0, "states[0]")


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
_finite = st.floats(allow_nan=False, allow_infinity=False)
_scalar = (st.booleans() | st.integers(-(2**63), 2**63 - 1) | _finite | st.text(max_size=8)).filter(
    lambda v: not (isinstance(v, str) and "\ud800" <= v[:1] <= "\udfff")
)


@seed(11)
@settings(max_examples=150, deadline=None, database=None)
@given(
    id=st.integers(0, 2**62),
    params=st.dictionaries(_text, _scalar, max_size=5),
    state=st.sampled_from(list(TrialState)),
    values=st.dictionaries(_text, _finite, max_size=4),
    value=st.none() | _finite,
    samples=st.none() | st.lists(_finite, min_size=1, max_size=5).map(tuple),
    reason=st.none() | _text,
    attrs=st.dictionaries(_text, st.text(max_size=8) | st.booleans() | st.integers(-99, 99)),
    retry_of=st.none() | st.integers(0, 2**62),
    client_id=st.none() | _text,
    times=st.tuples(st.floats(1.0, 2e9), st.none() | st.floats(1.0, 2e9)),
)
def test_any_trial_round_trips(id, params, state, values, value, samples, reason, attrs,
                               retry_of, client_id, times):  # fmt: skip
    t = Trial(
        id=id,
        params=params,
        state=state,
        values=values,
        value=value,
        samples=samples,
        reason=reason,
        attrs=attrs,
        retry_of=retry_of,
        client_id=client_id,
        lease_expires_at=times[1],
        created_at=times[0],
        finished_at=times[1],
    )
    back = cv.trial_from_pb(pb.Trial.FromString(cv.trial_to_pb(t).SerializeToString()))
    assert back == t
    assert all(type(back.params[k]) is type(v) for k, v in params.items())


def test_prior_studies_and_points_round_trip():
    spec = StudySpec.create({"x": bbo.Float(0.0, 1.0)}, prior_studies=["a", "b"])
    msg = cv.spec_to_pb(spec)
    assert list(msg.prior_studies) == ["a", "b"]
    assert cv.spec_from_pb(msg).prior_studies == ("a", "b")
    assert cv.spec_from_pb(pb.StudySpec(space=msg.space)).prior_studies == ()
    point = {"x": 0.5, "n": 3, "c": "relu", "b": True}
    assert cv.point_from_pb(cv.point_to_pb(point), "points[0]") == point
    with pytest.raises(InvalidValueError) as err:
        cv.point_from_pb(pb.Point(params={"x": pb.Scalar()}), "points[2]")
    assert "`points[2].params['x']`: a Scalar must set one of its values" in str(err.value)
