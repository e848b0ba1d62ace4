"""Space: validation, views, sampling, serialization; hypothesis round trips over every
parameter type."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bbo
from bbo.exceptions import InvalidParamsError, InvalidSpaceError

SPACE = bbo.Space(
    {
        "x": bbo.Float(-5.0, 10.0),
        "lr": bbo.Float(1e-5, 1e-1, log=True),
        "layers": bbo.Int(1, 8),
        "act": bbo.Categorical(["relu", "tanh", "gelu"]),
        "bs": bbo.Ordinal([16, 32, 64, 128]),
    }
)

# -- hypothesis strategies: a parameter together with a valid value of it --------------------
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
scalar = st.one_of(st.text(min_size=1, max_size=5), st.integers(-100, 100), st.booleans(), finite)


@st.composite
def float_param(draw):
    log = draw(st.booleans())
    lo = draw(st.floats(1e-6, 1e3) if log else finite)
    width = draw(st.floats(1e-3, 1e4))
    p = bbo.Float(lo, lo + width * (lo if log else 1.0) + 1e-3, log=log)
    t = draw(st.floats(0, 1))
    v = min(max(p.low + t * (p.high - p.low), p.low), p.high)
    return p, v


@st.composite
def int_param(draw):
    log = draw(st.booleans())
    lo = draw(st.integers(1, 1000) if log else st.integers(-1000, 1000))
    p = bbo.Int(lo, lo + draw(st.integers(1, 10_000)), log=log)
    return p, draw(st.integers(p.low, p.high))


def _unique(values):
    out, keys = [], set()
    for v in values:
        k = ("b", v) if isinstance(v, bool) else ("n", float(v)) if not isinstance(v, str) else v
        if k not in keys:
            keys.add(k)
            out.append(v)
    return out


@st.composite
def choice_param(draw):
    opts = _unique(draw(st.lists(scalar, min_size=1, max_size=12)))
    cls = draw(st.sampled_from([bbo.Categorical, bbo.Ordinal]))
    return cls(opts), draw(st.sampled_from(opts))


any_param = st.one_of(float_param(), int_param(), choice_param())


@given(any_param)
@settings(max_examples=300, deadline=None)
def test_encode_decode_round_trip(pv):
    p, v = pv
    u = p.encode(v)
    assert 0.0 <= u <= 1.0
    back = p.decode(u)
    assert p.validate(back) == back
    if isinstance(p, bbo.Float):
        assert back == pytest.approx(v, rel=1e-9, abs=1e-9 * (p.high - p.low))
    else:
        assert back == v and type(back) is type(p.validate(v))


@given(any_param, st.floats(-0.5, 1.5))
@settings(max_examples=300, deadline=None)
def test_decode_of_any_number_is_valid_and_stable(pv, u):
    p, _ = pv
    v = p.decode(u)
    assert p.validate(v) == v
    if p.cardinality is not None:  # discrete: decode(encode(v)) is a fixed point
        assert p.decode(p.encode(v)) == v


@st.composite
def spaces_with_configs(draw):
    params = draw(st.lists(any_param, min_size=1, max_size=6))
    space = bbo.Space({f"p{i}": p for i, (p, _) in enumerate(params)})
    config = {f"p{i}": v for i, (_, v) in enumerate(params)}
    return space, config


@given(spaces_with_configs())
@settings(max_examples=200, deadline=None)
def test_space_views_round_trip(sc):
    space, config = sc
    x = space.encode(config)
    assert x.shape == (space.dim,)
    Z = space.to_onehot(x[None])
    assert Z.shape == (1, space.onehot_dim)
    np.testing.assert_allclose(space.from_onehot(Z)[0], x)
    back = space.decode(x)
    assert space.contains(back)
    assert bbo.Space.from_dict(space.to_dict()) == space


def test_views_shapes_and_dims():
    assert SPACE.dim == 5 and SPACE.onehot_dim == 7
    assert SPACE.categorical_dims == {3: 3}
    assert SPACE.discrete_dims == {2: 8, 4: 4}
    assert SPACE.cardinality is None
    assert bbo.Space({"a": bbo.Int(0, 3), "b": bbo.Categorical(["u", "v"])}).cardinality == 8
    X = SPACE.encode_many(SPACE.sample(5, 0))
    Z = SPACE.to_onehot(X)
    assert Z.shape == (5, 7)
    assert (Z[:, 3:6].sum(1) == 1).all()


def test_from_onehot_takes_argmax_of_relaxed_blocks():
    space = bbo.Space({"a": bbo.Categorical(["r", "g", "b"]), "x": bbo.Float(0, 1)})
    X = space.from_onehot(np.array([[0.2, 0.7, 0.1, 0.25]]))
    assert space.decode(X[0]) == {"a": "g", "x": 0.25}


def test_sample_is_seeded_and_valid():
    a = SPACE.sample(20, np.random.default_rng(3))
    assert a == SPACE.sample(20, 3)
    assert a != SPACE.sample(20, 4)
    assert all(SPACE.contains(c) for c in a)
    assert {c["act"] for c in a} == {"relu", "tanh", "gelu"}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"x": 0.0}, "missing parameter(s) ['lr', 'layers', 'act', 'bs']"),
        ({**SPACE.sample(1, 0)[0], "y": 1}, "unknown parameter(s) ['y']"),
        ({**SPACE.sample(1, 0)[0], "x": 11.0}, "parameter 'x': value 11.0 is outside [-5.0, 10.0]"),
        ({**SPACE.sample(1, 0)[0], "act": "elu"}, "parameter 'act': value 'elu' is not one of"),
        ([1, 2], "params must be a mapping"),
    ],
)
def test_validate_names_parameter_and_rule(params, needle):
    assert not SPACE.contains(params)
    with pytest.raises(InvalidParamsError) as e:
        SPACE.validate(params)
    assert needle in str(e.value)


def test_validate_canonicalizes():
    cfg = {**SPACE.sample(1, 0)[0], "layers": 3.0, "x": 1}
    out = SPACE.validate(cfg)
    assert out["layers"] == 3 and type(out["layers"]) is int
    assert type(out["x"]) is float


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: bbo.Space({}), "at least one parameter"),
        (lambda: bbo.Space({"1x": bbo.Float(0, 1)}), "parameter name '1x' must start with"),
        (lambda: bbo.Space({"a b": bbo.Float(0, 1)}), "parameter name 'a b'"),
        (lambda: bbo.Space({"x": (0, 1)}), "must be a bbo.Float, Int, Categorical or Ordinal"),
        (
            lambda: bbo.Space.from_dict({"x": {"type": "float", "low": 2, "high": 1}}),
            "parameter 'x': Float: `low < high` must hold, got low=2.0, high=1.0",
        ),
        (lambda: bbo.Space.from_dict({"x": {"type": "real"}}), "`type` must be one of"),
        (
            lambda: bbo.Space.from_dict({"x": {"type": "int", "low": 0, "high": 3, "step": 1}}),
            "unknown field(s) ['step']",
        ),
    ],
)
def test_bad_spaces(make, needle):
    with pytest.raises(InvalidSpaceError) as e:
        make()
    assert needle in str(e.value)


def test_decode_rejects_bad_arrays():
    with pytest.raises(InvalidParamsError, match="shape"):
        SPACE.decode(np.zeros(3))
    with pytest.raises(InvalidParamsError, match="finite"):
        SPACE.decode(np.full(5, np.nan))
