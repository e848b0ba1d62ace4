"""The accelerator path of the acquisition optimizer (:func:`bbo.acquisition.optimize.on_device`):
torch gradient steps on the device, all restarts as one tensor problem, instead of scipy's
L-BFGS-B on the host. No GPU is lent to CI, so it runs here on the CPU (``device_steps``),
the same code a CUDA device takes."""

from __future__ import annotations

import torch

from bbo.acquisition import get_acquisition
from bbo.acquisition.optimize import OptimizerConfig, on_device, optimize, refine
from bbo.acquisition.registry import AcqContext, _CachedLogEI
from bbo.space import Float, Space
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp
from bbo.torch_utils import seeded

CPU = torch.device("cpu")
BOUNDS = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
SPACE = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})


def _model(n: int = 12):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(n, 2, generator=g, dtype=torch.float64)
    Y = -(X - 0.3).pow(2).sum(-1, keepdim=True) * 7 + torch.sin(9 * X[:, :1])
    model, _ = fit_gp(GPData(X.numpy(), Y.numpy()), cat_dims=[], device=CPU, state=None)
    return X, Y, model


def test_on_device_follows_the_tensor_unless_forced() -> None:
    assert not on_device(BOUNDS)
    assert on_device(BOUNDS, True)
    assert not on_device(BOUNDS, False)
    assert on_device(torch.empty(0, device="meta"))


def test_device_steps_reach_the_maxima_that_lbfgsb_reaches() -> None:
    X, _, model = _model()
    cache = CachedGP.from_model(model)
    assert cache is not None
    with torch.no_grad():
        best_f = cache.mean(X).max()
    acqf = _CachedLogEI(model, best_f, cache)
    starts = torch.rand(16, 1, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    _, v_lbfgs = refine(acqf, starts, BOUNDS, 200)
    X_dev, v_dev = refine(acqf, starts, BOUNDS, 200, device_steps=True)
    assert X_dev.shape == (16, 2) and v_dev.shape == (16,)
    assert ((X_dev >= 0) & (X_dev <= 1)).all()
    with torch.no_grad():  # the values returned are the acquisition's at the points
        torch.testing.assert_close(acqf(X_dev.unsqueeze(-2)), v_dev)
    assert float(v_dev.max()) > float(v_lbfgs.max()) - 0.05  # log EI: within 5 % in EI
    assert (v_dev >= acqf(starts).detach() - 1e-9).all()  # no restart got worse


def test_a_batch_and_a_qlognei_search_run_with_device_steps() -> None:
    X, Y, model = _model()
    config = OptimizerConfig(num_restarts=8, raw_samples=64, maxiter=50, device_steps=True)
    ctx = AcqContext(model, SPACE, X, Y, 1, 0, None, BOUNDS, seed=3, config=config)
    with seeded(0, CPU):
        batch = get_acquisition("LogEI")(ctx, 4)  # the Kriging believer's four searches
    assert batch.shape == (4, 2) and ((batch >= 0) & (batch <= 1)).all()
    assert torch.cdist(batch, batch).add(torch.eye(4)).min() > 1e-4
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement

    with seeded(0, CPU):
        q = optimize(qLogNoisyExpectedImprovement(model, X), SPACE, BOUNDS, 2, config, seed=5)
    assert q.shape == (2, 2) and ((q >= 0) & (q <= 1)).all()
