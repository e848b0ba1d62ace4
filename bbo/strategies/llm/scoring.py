"""Scoring a candidate pool with the GP acquisition (LLAMBO-style use of the LLM).

With ``mode: gp`` the LLM is a candidate *proposer*: it fills a pool of ``pool_size``
configurations (the fallback design tops the pool up when it falls short), and the GP of
:mod:`bbo.strategies.gp`'s model picks the batch. The data are prepared as the ``gp``
strategy prepares them (utilities ``u = -sign * value`` of the first objective, warped by
:func:`bbo.strategies.gp.bilog_warp`; constraint slacks as extra outputs; FAILED and
INFEASIBLE trials imputed with the worst observed outputs). The acquisition is
``qLogNEI`` (Ament et al. 2023) with the RUNNING trials as pending points; the batch is
chosen greedily: the best-scoring candidate joins the pending points and the rest are
scored again, ``n`` times (sequential greedy batch selection, as botorch's
``optimize_acqf_discrete``). The fit and the scoring run on the process's device
(:func:`bbo.runtime.resolve_device`), under :func:`bbo.torch_utils.seeded` so that botorch's
draws from torch's global RNG are a function of the ask's seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bbo.space import Space
from bbo.strategies.base import History

if TYPE_CHECKING:
    import torch


def select(
    space: Space,
    history: History,
    pool: np.ndarray,
    n: int,
    *,
    seed: int,
    state: dict[str, Any] | None,
    device: torch.device | None = None,
) -> tuple[list[int], list[float], dict[str, Any]]:
    """Choose ``n`` rows of ``pool`` (``c x d``, index view, ``c >= n``). Returns their
    indices in order of choice, the log-acquisition value of each when chosen, and the GP
    state (hyperparameters, for a warm start next time). The work runs on ``device`` (the
    CPU when ``None``)."""
    import torch
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.sampling import SobolQMCNormalSampler

    from bbo.strategies.gp import bilog_warp
    from bbo.surrogates.gp import GPData, fit_gp
    from bbo.torch_utils import seeded, thread_policy

    X, U, C = history.X, -history.Y[:, :1], history.C
    bad = np.concatenate([history.X_failed, history.X_infeasible])
    if len(bad):
        X = np.concatenate([X, bad])
        U = np.concatenate([U, np.tile(U.min(0), (len(bad), 1))])
        C = np.concatenate([C, np.tile(C.max(0), (len(bad), 1))])
    U = bilog_warp(U)
    data = GPData(X, np.concatenate([U, C], axis=1))
    k = C.shape[1]
    device = device or torch.device("cpu")
    t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=device)  # noqa: E731
    pending = history.X_pending
    chosen: list[int] = []
    values: list[float] = []
    with seeded(seed, device), thread_policy(len(X)):
        model, new_state = fit_gp(
            data, cat_dims=sorted(space.categorical_dims), device=device, state=state
        )
    with seeded(seed, device), torch.no_grad():
        cands = t(pool).unsqueeze(1)  # c x 1 x d
        for _ in range(min(n, len(pool))):
            acqf = qLogNoisyExpectedImprovement(
                model,
                X_baseline=t(X),
                sampler=SobolQMCNormalSampler(torch.Size([128]), seed=seed),
                objective=GenericMCObjective(_first),
                constraints=[_slack(1 + j) for j in range(k)] or None,
                X_pending=t(pending) if len(pending) else None,
                prune_baseline=True,
            )
            a = acqf(cands)
            if chosen:
                a[chosen] = -torch.inf
            i = int(torch.argmax(a))
            chosen.append(i)
            values.append(float(a[i]))
            pending = np.concatenate([pending.reshape(-1, space.dim), pool[i : i + 1]])
    return chosen, values, new_state


def _first(Z: Any, X: Any = None) -> Any:
    return Z[..., 0]


def _slack(j: int) -> Any:
    def slack(Z: Any) -> Any:
        return Z[..., j]

    return slack
