"""Issue 14, item 4: the model libraries' numerical warnings (linear_operator's "added
jitter", botorch's "all training points are infeasible", ...) never reach the terminal;
bbo counts them and logs them at DEBUG. Other warnings still show."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import torch
from botorch.exceptions.warnings import BotorchWarning, InputDataWarning
from linear_operator.utils.warnings import NumericalWarning

import bbo
from bbo import torch_utils

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
FAST = {"num_restarts": 2, "raw_samples": 32, "mc_samples": 32}


def test_a_gp_ask_on_all_infeasible_data_prints_no_botorch_warning(caplog):
    """The situation of the issue: every told point violates the constraint, and botorch
    warns "When all training points are infeasible ..." from inside the acquisition."""
    study = bbo.Study(SPACE, strategy="gp", seed=0, strategy_options=FAST, constraints=["c <= 0"])
    rng = np.random.default_rng(0)
    for _ in range(8):
        study.add({"x": rng.random(), "y": rng.random()}, {"value": rng.random(), "c": 1.5})
    before = torch_utils.model_warnings
    caplog.set_level(logging.DEBUG, logger="bbo")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        trial = study.ask()
    assert trial.attrs["source"].startswith("gp")
    assert [str(w.message) for w in shown] == []
    assert torch_utils.model_warnings > before
    logged = [r.getMessage() for r in caplog.records if r.name == "bbo.model"]
    assert any("training points are infeasible" in m for m in logged), logged
    assert f"model warning ({torch_utils.model_warnings} so far)" in logged[-1]


def test_model_warnings_are_counted_other_warnings_still_show(caplog):
    caplog.set_level(logging.DEBUG, logger="bbo")
    before = torch_utils.model_warnings
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with torch_utils.seeded(0, torch.device("cpu")):
            for _ in range(3):  # each one counts, not just the first of a location
                warnings.warn(
                    "A not p.d., added jitter of 1.0e-08 to the diagonal",
                    NumericalWarning,
                    stacklevel=1,
                )
            warnings.warn("Input data is not standardized", InputDataWarning, stacklevel=1)
            warnings.warn("something of botorch", BotorchWarning, stacklevel=1)
            warnings.warn("the user's own warning", UserWarning, stacklevel=1)
            warnings.warn("old API", DeprecationWarning, stacklevel=1)
        warnings.warn("after the block", NumericalWarning, stacklevel=1)
    assert [(w.category, str(w.message)) for w in shown] == [
        (UserWarning, "the user's own warning"),
        (DeprecationWarning, "old API"),
        (NumericalWarning, "after the block"),  # outside a model block: not bbo's to hide
    ]
    assert torch_utils.model_warnings == before + 5
    logged = [r.getMessage() for r in caplog.records if r.name == "bbo.model"]
    assert logged[0] == (
        f"model warning ({before + 1} so far): NumericalWarning: "
        "A not p.d., added jitter of 1.0e-08 to the diagonal"
    )
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "bbo.model")


def test_warnings_filters_are_restored_after_the_block():
    filters = list(warnings.filters)
    shown = warnings.showwarning
    with torch_utils.seeded(1, torch.device("cpu")):
        pass
    assert warnings.filters == filters and warnings.showwarning is shown
