"""Python API comforts (issue 14, item 7): numpy and torch numbers in tells, a short Trial
repr, ``best_trial`` and ``trials_dataframe()`` as Optuna users expect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import bbo

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0), "k": bbo.Int(1, 3)})


@pytest.mark.parametrize(
    "value",
    [np.float32(0.25), np.float64(0.25), np.array(0.25), torch.tensor(0.25), np.int64(0)],
)
def test_tell_takes_numpy_and_torch_scalars(value):
    study = bbo.Study(SPACE, strategy="random", seed=0)
    t = study.tell(study.ask(), value)
    assert t.value == float(value) and type(t.value) is float
    m = study.tell(study.ask(), {"value": value, "extra": torch.tensor(3)})
    assert m.values == {"value": float(value), "extra": 3.0}


def test_tell_takes_replicates_as_arrays_and_refuses_non_scalars():
    study = bbo.Study(SPACE, strategy="random", seed=0)
    t = study.tell(study.ask(), samples=np.array([0.1, 0.3]))
    assert t.samples == (0.1, 0.3) and t.value == pytest.approx(0.2)
    t2 = study.tell(study.ask(), samples=torch.tensor([1.0, 2.0]))
    assert t2.samples == (1.0, 2.0)
    with pytest.raises(bbo.InvalidValueError, match="must be a number, got tensor"):
        study.tell(study.ask(), torch.tensor([1.0, 2.0]))
    with pytest.raises(bbo.InvalidValueError, match="must be a number"):
        study.tell(study.ask(), np.bool_(True))


def test_bool_check_survives_a_numpy_import_in_progress(monkeypatch):
    """A server thread may check a told value while another thread imports numpy: the
    half-initialized module in sys.modules has no ``bool_`` yet (seen as INTERNAL in the
    16-client kill/restart test)."""
    import sys
    import types

    from bbo.trial import _is_bool

    monkeypatch.setitem(sys.modules, "numpy", types.ModuleType("numpy"))
    assert _is_bool(True) and not _is_bool(1.0) and not _is_bool(0)


def test_trial_repr_is_short():
    study = bbo.Study(SPACE, strategy="random", seed=0)
    t = study.ask()
    assert repr(t) == f"Trial(id=0, RUNNING, params={t.params!r})"
    done = study.tell(t, 0.5)
    assert repr(done) == f"Trial(id=0, COMPLETED, value=0.5, params={t.params!r})"


def test_best_trial_and_trials_dataframe():
    study = bbo.Study(SPACE, strategy="random", seed=0)
    with pytest.raises(bbo.InvalidArgumentError, match="no feasible completed trial yet"):
        study.best_trial  # noqa: B018
    for v in (0.4, 0.1, 0.7):
        study.tell(study.ask(), v)
    study.tell(study.ask(), failed=True, reason="OOM")
    assert study.best_trial.value == 0.1 and study.best_trial == study.best
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == 4
    assert list(df["state"]) == ["COMPLETED"] * 3 + ["FAILED"]
    assert list(df["value"][:3]) == [0.4, 0.1, 0.7] and df["reason"][3] == "OOM"
    assert {"params.x", "params.k", "values.value"} <= set(df.columns)
    multi = bbo.Study(SPACE, {"a": "minimize", "b": "maximize"}, strategy="random")
    with pytest.raises(bbo.InvalidArgumentError, match="use `best` \\(the Pareto set\\)"):
        multi.best_trial  # noqa: B018
