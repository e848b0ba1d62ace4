"""Property test of the boundary (issue 15): for every RPC, random *valid* requests are
answered OK and random *invalid* ones get a mapped error status, never INTERNAL or UNKNOWN.

Unlike tests/server/test_fuzz.py (hostile bytes, any status but UNKNOWN), each request here
is built valid or invalid on purpose, so the test also checks that the server accepts
everything the contract allows. Deterministic (``derandomize=True``) and small.
"""

from __future__ import annotations

import itertools
import math

import grpc
import pytest
from bbo.server.app import SERVICE_NAME, ServerConfig, ServerThread
from bbo.server.service import Limits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bbo.api.v1 import optimizer_pb2 as pb

LIMITS = Limits(max_ask=8, max_samples=50, max_text=64, max_ids=20, max_page=100)
PROPS = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BAD = {grpc.StatusCode.OK, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
STUDY = "prop"
names = itertools.count()


@pytest.fixture(scope="module")
def call():
    with (
        ServerThread("memory://", ServerConfig(limits=LIMITS)) as srv,
        grpc.insecure_channel(srv.target) as ch,
    ):

        def send(method: str, request) -> tuple[grpc.StatusCode, object]:
            out = getattr(pb, type(request).__name__.replace("Request", "Response"), None)
            fn = ch.unary_unary(
                f"/{SERVICE_NAME}/{method}",
                request_serializer=type(request).SerializeToString,
                response_deserializer=(out or pb.Study).FromString,
            )
            try:
                return grpc.StatusCode.OK, fn(request, timeout=10)
            except grpc.RpcError as e:
                return e.code(), e.details()

        spec = pb.StudySpec(space=[_float("x", 0.0, 1.0)], strategy="random", seed=0)
        code, _ = send("CreateStudy", pb.CreateStudyRequest(name=STUDY, spec=spec))
        assert code == grpc.StatusCode.OK
        yield send


def _float(name: str, low: float, high: float) -> pb.Parameter:
    return pb.Parameter(name=name, float_param=pb.FloatParam(low=low, high=high))


# ----------------------------------------------------------------------------- generators
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,10}", fullmatch=True)
choice = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=9)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
nonfinite = st.sampled_from([math.nan, math.inf, -math.inf])
long_text = st.integers(LIMITS.max_text + 1, 3 * LIMITS.max_text).map(lambda n: "n" * n)


@st.composite
def valid_param(draw, pname: str) -> pb.Parameter:
    kind = draw(st.sampled_from(["float", "int", "cat"]))
    if kind == "float":
        low = draw(finite)
        return _float(pname, low, low + draw(st.floats(1e-3, 1e6)))
    if kind == "int":
        low = draw(st.integers(-(2**53), 2**53 - 1))
        high = draw(st.integers(low + 1, min(low + 10**6, 2**53)))
        return pb.Parameter(name=pname, int_param=pb.IntParam(low=low, high=high))
    choices = draw(st.lists(choice, min_size=1, max_size=4, unique=True))
    cat = pb.CategoricalParam(choices=[pb.Scalar(string_value=c) for c in choices])
    return pb.Parameter(name=pname, categorical_param=cat)


pruners = st.sampled_from([
    {}, {"name": "median"}, {"name": "asha", "reduction_factor": 3},
    {"name": "hyperband", "max_resource": 27}, {"name": "percentile", "percentile": 25.0},
    {"name": "patience", "patience": 2}, {"name": "threshold", "upper": 1.5},
])  # fmt: skip
bad_pruner = st.sampled_from([
    {"name": "magic"}, {"name": "asha", "reduction_factor": 1}, {"name": "percentile"},
    {"name": "median", "no_such_option": 1}, {"name": 3}, {"name": "median", "n_warmup_steps": -1},
    {"reduction_factor": 3},
])  # fmt: skip


@st.composite
def valid_spec(draw) -> pb.StudySpec:
    pnames = draw(st.lists(name, min_size=1, max_size=3, unique=True))
    onames = draw(st.lists(name, max_size=2, unique=True))
    directions = st.sampled_from([0, 1, 2])
    return pb.StudySpec(
        space=[draw(valid_param(n)) for n in pnames],
        objectives=[pb.Objective(name=o, direction=draw(directions)) for o in onames],
        strategy=draw(st.sampled_from(["", "random", "sobol"])),
        seed=draw(st.integers(0, 2**31)),
        pruner=draw(pruners),
    )


@st.composite
def invalid_spec(draw) -> pb.StudySpec:
    spec = draw(valid_spec())
    flaw = draw(st.sampled_from(
        ["empty", "bounds", "nan", "int", "dup", "strategy", "direction", "op", "long", "unset",
         "pruner"]
    ))  # fmt: skip
    p = spec.space[0]
    if flaw == "pruner":
        spec.pruner.Clear()
        spec.pruner.update(draw(bad_pruner))
    elif flaw == "empty":
        del spec.space[:]
    elif flaw == "bounds":
        spec.space[0].CopyFrom(_float(p.name, 1.0, draw(st.floats(-1e6, 1.0))))
    elif flaw == "nan":
        spec.space[0].CopyFrom(_float(p.name, draw(nonfinite), 1.0))
    elif flaw == "int":
        high = draw(st.integers(2**53 + 1, 2**63 - 1))
        spec.space[0].CopyFrom(pb.Parameter(name=p.name, int_param=pb.IntParam(high=high)))
    elif flaw == "dup":
        spec.space.append(spec.space[0])
    elif flaw == "strategy":
        spec.strategy = draw(st.sampled_from(["magic", "GP ", "random!"]))
    elif flaw == "direction":
        spec.objectives.append(pb.Objective(name="zz", direction=draw(st.integers(3, 99))))
    elif flaw == "op":
        spec.constraints.append(pb.Constraint(metric="m", op=0, bound=1.0))
    elif flaw == "long":
        spec.space[0].name = draw(long_text)
    else:
        spec.space[0].ClearField("kind")
    return spec


count = st.integers(0, LIMITS.max_ask)
lease = st.just(0.0) | st.floats(0.01, LIMITS.max_lease)
bad_lease = nonfinite | st.floats(-1e9, -1e-9) | st.floats(LIMITS.max_lease * 1.01, 1e300)
study_bad = st.sampled_from(["", "no-such-study"]) | long_text
trial_ids = st.lists(st.integers(-(2**63), 2**63 - 1), max_size=LIMITS.max_ids)
states = st.lists(st.integers(1, 5), max_size=3)


# ---------------------------------------------------------------------------------- tests
def _ok(call, method: str, request) -> object:
    code, res = call(method, request)
    assert code == grpc.StatusCode.OK, (method, request, res)
    return res


def _refused(call, method: str, request) -> None:
    code, details = call(method, request)
    assert code not in BAD, (method, code, request, details)


@PROPS
@given(spec=valid_spec(), valid=st.booleans(), bad=invalid_spec(), bad_name=st.just("") | long_text)
def test_create_get_delete_study(call, spec, valid, bad, bad_name):
    study = f"p-{next(names)}"
    if not valid:
        _refused(call, "CreateStudy", pb.CreateStudyRequest(name=study, spec=bad))
        _refused(call, "CreateStudy", pb.CreateStudyRequest(name=bad_name, spec=spec))
        _refused(call, "GetStudy", pb.GetStudyRequest(name=bad_name or "absent"))
        _refused(call, "DeleteStudy", pb.DeleteStudyRequest(name=bad_name or "absent"))
        return
    _ok(call, "CreateStudy", pb.CreateStudyRequest(name=study, spec=spec))
    got = _ok(call, "GetStudy", pb.GetStudyRequest(name=study))
    assert got.spec.space == spec.space
    assert _ok(call, "ListStudies", pb.ListStudiesRequest()).studies
    _ok(call, "DeleteStudy", pb.DeleteStudyRequest(name=study))


@PROPS
@given(
    n=count, client=st.just("") | name, secs=lease, valid=st.booleans(),
    bad_n=st.integers(-(2**31), -1) | st.integers(LIMITS.max_ask + 1, 2**31 - 1),
    bad_secs=bad_lease, bad_study=study_bad, flaw=st.integers(0, 3),
)  # fmt: skip
def test_ask(call, n, client, secs, valid, bad_n, bad_secs, bad_study, flaw):
    req = pb.AskRequest(study=STUDY, count=n, client_id=client, lease_seconds=secs)
    if valid:
        res = _ok(call, "Ask", req)
        assert len(res.trials) == max(n, 1)
        return
    if flaw == 0:
        req.count = bad_n
    elif flaw == 1:
        req.lease_seconds = bad_secs
    elif flaw == 2:
        req.study = bad_study
    else:
        req.client_id = "c" * (LIMITS.max_text + 1)
    _refused(call, "Ask", req)


results = st.one_of(
    st.builds(dict, value=finite),
    st.builds(dict, values=st.fixed_dictionaries({"value": finite})),
    st.builds(dict, samples=st.lists(finite, min_size=1, max_size=LIMITS.max_samples)),
    st.builds(dict, failed=st.just(True), reason=text),
    st.builds(dict, infeasible=st.just(True)),
)
bad_results = st.one_of(
    st.builds(dict, value=nonfinite),
    st.builds(dict, values=st.fixed_dictionaries({"value": nonfinite})),
    st.builds(dict, values=st.fixed_dictionaries({"other": finite})),  # objective missing
    st.builds(dict, value=finite, values=st.fixed_dictionaries({"value": finite})),
    st.builds(dict, samples=st.lists(finite, min_size=LIMITS.max_samples + 1, max_size=80)),
    st.builds(dict, samples=st.lists(nonfinite, min_size=1, max_size=3)),
    st.builds(dict, value=finite, reason=long_text),
)


@PROPS
@given(result=results, valid=st.booleans(), bad=bad_results, flaw=st.integers(0, 3))
def test_tell(call, result, valid, bad, flaw):
    (trial,) = _ok(call, "Ask", pb.AskRequest(study=STUDY)).trials
    if valid:
        res = _ok(call, "Tell", pb.TellRequest(study=STUDY, trial_id=trial.id, **result))
        assert res.trial.state != pb.TRIAL_STATE_RUNNING
        return
    if flaw == 0:
        req = pb.TellRequest(study=STUDY, trial_id=trial.id, **bad)
    elif flaw == 1:
        req = pb.TellRequest(study=STUDY, **result)  # no trial_id
    elif flaw == 2:
        req = pb.TellRequest(study=STUDY, trial_id=trial.id + 10**6, **result)
    else:
        req = pb.TellRequest(study="no-such-study", trial_id=trial.id, **result)
    _refused(call, "Tell", req)
    trials = _ok(call, "ListTrials", pb.ListTrialsRequest(study=STUDY, since=trial.id - 1))
    assert trials.trials[0].state == pb.TRIAL_STATE_RUNNING


@PROPS
@given(
    ids=trial_ids, secs=lease, valid=st.booleans(), bad_secs=bad_lease,
    bad_study=study_bad, flaw=st.integers(0, 2),
)  # fmt: skip
def test_heartbeat(call, ids, secs, valid, bad_secs, bad_study, flaw):
    req = pb.HeartbeatRequest(study=STUDY, trial_ids=ids, lease_seconds=secs)
    if valid:
        _ok(call, "Heartbeat", req)
        return
    if flaw == 0:
        req.lease_seconds = bad_secs
    elif flaw == 1:
        req.study = bad_study
    else:
        req.trial_ids.extend([0] * (LIMITS.max_ids + 1))
    _refused(call, "Heartbeat", req)


@PROPS
@given(
    size=st.integers(0, LIMITS.max_page), since=st.none() | st.integers(-(2**63), 2**63 - 1),
    token=st.just("") | st.integers(0, 2**63 - 1).map(str), wanted=states,
    valid=st.booleans(), flaw=st.integers(0, 3),
    bad_size=st.integers(-(2**31), -1) | st.integers(LIMITS.max_page + 1, 2**31 - 1),
    bad_token=st.text(min_size=1, max_size=30).filter(lambda t: not t.isdigit())
    | st.integers(2**63, 10**40).map(str),
    bad_state=st.integers(7, 2**31 - 1) | st.just(0),  # 6: PRUNED
)  # fmt: skip
def test_list_trials(call, size, since, token, wanted, valid, flaw, bad_size, bad_token, bad_state):
    req = pb.ListTrialsRequest(study=STUDY, page_size=size, page_token=token, states=wanted)
    if since is not None:
        req.since = since
    if valid:
        _ok(call, "ListTrials", req)
        return
    if flaw == 0:
        req.page_size = bad_size
    elif flaw == 1:
        req.page_token = bad_token
    elif flaw == 2:
        req.states.append(bad_state)
    else:
        req.study = "no-such-study"
    _refused(call, "ListTrials", req)


@PROPS
@given(valid=st.booleans(), bad_study=study_bad)
def test_get_best(call, valid, bad_study):
    if valid:
        _ok(call, "GetBest", pb.GetBestRequest(study=STUDY))
    else:
        _refused(call, "GetBest", pb.GetBestRequest(study=bad_study))


@PROPS
@given(
    steps=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=4, unique=True),
    values=st.lists(finite, min_size=4, max_size=4), valid=st.booleans(),
    flaw=st.integers(0, 6), bad_value=nonfinite, bad_step=st.integers(-(2**63), -1),
)  # fmt: skip
def test_report(call, steps, values, valid, flaw, bad_value, bad_step):
    (trial,) = _ok(call, "Ask", pb.AskRequest(study=STUDY)).trials
    steps = sorted(steps)
    for step, value in zip(steps, values):
        req = pb.ReportRequest(study=STUDY, trial_id=trial.id, step=step, value=value)
        assert _ok(call, "Report", req).report.step == step
        assert _ok(call, "Report", req).report.value == value  # a retry
    if valid:
        _ok(call, "Tell", pb.TellRequest(study=STUDY, trial_id=trial.id, pruned=True))
        return
    last, value = steps[-1], values[len(steps) - 1]
    req = pb.ReportRequest(study=STUDY, trial_id=trial.id, step=last, value=value)
    if flaw == 0:
        req.value = bad_value
    elif flaw == 1:
        req.step = bad_step
    elif flaw == 2:
        req.ClearField(("trial_id", "step", "value")[bad_step % 3])
    elif flaw == 3:
        req.study = "no-such-study"
    elif flaw == 4:
        req.value = value + 1.0  # another value at a reported step
    elif flaw == 5 and last > 0:
        req.step = last - 1  # backwards
    else:
        req.trial_id = trial.id + 10**6
    _refused(call, "Report", req)
