"""The model-based pipeline's configuration: typed options of gp/bnn/wasserstein/auto
(``device`` is a runtime setting), the WLCB acquisition in the registry, the factories."""

from __future__ import annotations

import pytest

import bbo
from bbo.acquisition import ACQUISITIONS, MODEL_ACQUISITIONS
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import STRATEGY_NAMES, options_class, strategy_class, validate_options
from bbo.strategies.bnn import BNNFactory, BNNOptions, BNNStrategy
from bbo.strategies.gp import GPFactory, GPOptions, GPStrategy
from bbo.strategies.names import ACQUISITION_NAMES
from bbo.strategies.options import RUNTIME_NOT_OPTION
from bbo.strategies.pipeline import ask_seed, default_n_init
from bbo.strategies.portfolio import AutoOptions, AutoStrategy
from bbo.strategies.wasserstein import GeneratorFactory, WassersteinOptions, WassersteinStrategy

SPACE2 = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})


@pytest.mark.parametrize("name", ["gp", "bnn", "wasserstein", "auto"])
def test_device_is_a_runtime_setting_not_an_option(name):
    with pytest.raises(InvalidArgumentError) as e:
        validate_options(name, {"device": "cpu"})
    assert str(e.value) == RUNTIME_NOT_OPTION


@pytest.mark.parametrize(
    ("cls", "opts_type"),
    [
        (GPStrategy, GPOptions),
        (BNNStrategy, BNNOptions),
        (WassersteinStrategy, WassersteinOptions),
        (AutoStrategy, AutoOptions),
    ],
)
def test_options_parsed_or_as_keywords_build_the_same_strategy(cls, opts_type):
    assert cls.Options is opts_type
    a = cls(SPACE2, seed=0, n_init=3)
    b = cls(SPACE2, seed=0, options=opts_type.parse({"n_init": 3}))
    assert a.options == b.options and a.options.given() == {"n_init": 3}
    with pytest.raises(InvalidArgumentError, match="not both"):
        cls(SPACE2, seed=0, options=b.options, n_init=3)


def test_auto_takes_every_gp_option_flat():
    opts = AutoOptions.parse({"beta": 2, "mixed_kernel": "additive", "sources": ["de"]})
    assert isinstance(opts, GPOptions) and opts.beta == 2.0 and opts.sources == ("de",)
    strategy = AutoStrategy(SPACE2, seed=0, options=opts)
    assert strategy.gp.options is opts and strategy.gp.name == "gp"
    with pytest.raises(InvalidArgumentError, match="auto option `n_init`"):
        AutoOptions.parse({"n_init": 0})


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_the_torch_free_options_class_is_the_strategy_s(name):
    assert options_class(name) is strategy_class(name).Options


def test_the_torch_free_acquisition_names_are_the_registry_s():
    """The options check acquisitions against :mod:`bbo.strategies.names` (no torch): a
    registry entry added without it would be refused as an option."""
    assert tuple(ACQUISITIONS) == ACQUISITION_NAMES
    assert set(MODEL_ACQUISITIONS) <= set(ACQUISITIONS)


def test_wlcb_is_in_the_registry_but_not_a_gp_choice():
    assert "WLCB" in ACQUISITIONS and "WLCB" not in MODEL_ACQUISITIONS
    assert WassersteinOptions.parse({"acquisition": "qUCB"}).acquisition == "qUCB"
    with pytest.raises(InvalidArgumentError, match="gp option `acquisition` must be one of"):
        GPOptions.parse({"acquisition": "WLCB"})


def test_the_strategies_are_one_pipeline_with_different_factories():
    gp, bnn = GPStrategy(SPACE2, seed=0), BNNStrategy(SPACE2, seed=0, kind="hmc")
    w = WassersteinStrategy(SPACE2, seed=0)
    assert isinstance(gp.factory, GPFactory) and isinstance(bnn.factory, BNNFactory)
    assert isinstance(w.factory, GeneratorFactory)
    assert gp.factory.default_acquisition(1, 1, 0, 0) == "LogEI"
    assert bnn.factory.default_acquisition(1, 1, 0, 0) == "qLogNEI"  # MC over the draws
    assert w.factory.default_acquisition(1, 1, 0, 0) == "WLCB"
    assert gp.n_init == bnn.n_init == w.n_init == default_n_init(2) == 5
    assert ask_seed(0, 7) == ask_seed(0, 7) != ask_seed(0, 8)


@pytest.mark.parametrize("d,n", [(1, 5), (2, 5), (6, 7), (9, 10), (10, 10), (100, 10), (300, 10)])
def test_the_initial_design_stops_growing_at_10_points(d, n):
    """``d + 1`` Sobol' points span a low-dimensional box; past 9 columns the model starts
    after 10 points (a 100-D study of 100 evaluations would otherwise never leave Sobol')."""
    assert default_n_init(d) == n
    space = bbo.Space({f"x{i}": bbo.Float(0.0, 1.0) for i in range(d)})
    assert GPStrategy(space, seed=0).n_init == n
