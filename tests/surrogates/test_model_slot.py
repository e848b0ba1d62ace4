"""ModelSlot (bbo.surrogates.gp): a refilled model is the freshly built one, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from bbo.surrogates.gp import GPData, ModelSlot, fit_gp

CPU = torch.device("cpu")


def _data(n: int, d: int, cats: list[int], seed: int = 0, noise: bool = False) -> GPData:
    rng = np.random.default_rng([seed, n])
    X = rng.random((n, d))
    for j in cats:
        X[:, j] = rng.integers(0, 3, n) / 2.0
    y = np.sin(5.0 * X[:, 0]) + X[:, 1:].sum(1) ** 2
    Y = ((y - y.mean()) / y.std())[:, None]
    return GPData(X, Y, np.full_like(Y, 0.01) if noise else None)


def _fits(datas: list[GPData], cats: list[int], slot: ModelSlot | None) -> list[Any]:
    """The chained fits of ``datas`` (each warm-started from the previous state; the third
    from no state at all), as (model, state) pairs, the models' outputs read at once."""
    out, state = [], None
    Xt = torch.as_tensor(np.random.default_rng(9).random((5, datas[0].X.shape[1])))
    for i, data in enumerate(datas):
        model, state = fit_gp(
            data, cat_dims=cats, device=CPU, state=None if i == 2 else state, slot=slot
        )
        with torch.no_grad():
            mean = model.posterior(Xt).mean.numpy().copy()
        assert not model.training  # handed back in eval mode, as a new one
        out.append((model, state, mean))
    return out


@pytest.mark.parametrize("cats", [[], [2]])
def test_refilled_model_fits_as_a_fresh_one(cats: list[int]) -> None:
    datas = [_data(n, 4, cats) for n in (8, 9, 11, 12, 30)]
    slot = ModelSlot()
    kept = _fits(datas, cats, slot)
    fresh = _fits(datas, cats, None)
    for (_, s_slot, mean_slot), (_, s_new, mean_new) in zip(kept, fresh):
        assert s_slot == s_new  # the same hyperparameters, bit for bit
        np.testing.assert_array_equal(mean_slot, mean_new)
    # the slot's model is refilled (a fit from the priors beside the warm start, which
    # fit_gp adds now and then, is built anew); without a slot every fit builds its own
    assert len({id(m) for m, _, _ in kept}) < len(kept)
    assert len({id(m) for m, _, _ in fresh}) == len(fresh)


def test_a_model_of_another_structure_is_built_and_kept() -> None:
    slot = ModelSlot()
    first, _ = fit_gp(_data(10, 3, []), cat_dims=[], device=CPU, state=None, slot=slot)
    wider, _ = fit_gp(_data(10, 4, []), cat_dims=[], device=CPU, state=None, slot=slot)
    assert wider is not first
    again, _ = fit_gp(_data(12, 4, []), cat_dims=[], device=CPU, state=None, slot=slot)
    assert again is wider
    assert again.train_inputs[0].shape == (12, 4)


def test_fixed_noise_models_are_not_kept() -> None:
    slot = ModelSlot()
    a, _ = fit_gp(_data(10, 3, [], noise=True), cat_dims=[], device=CPU, state=None, slot=slot)
    b, _ = fit_gp(_data(11, 3, [], noise=True), cat_dims=[], device=CPU, state=None, slot=slot)
    assert a is not b
    assert a.train_inputs[0].shape == (10, 3)  # the first model is left as it was
