"""Learning-curve problems of ``python -m benchmarks.pruning``: a value at every step
(epoch) of a trial, lower is better, and the value at ``max_step`` is what counts.

* ``mlp-digits``: real training of a small torch MLP on scikit-learn's digits (shipped
  with the package, no download): Adam, log learning rate, hidden width, weight decay,
  dropout; the value is the validation cross-entropy after each epoch. One thread, seeded
  from the benchmark seed and the configuration, deterministic: the same configuration
  gives the same curve in every method's run. No known optimum.
* ``lc-exp``: ``f(x) + g(x) exp(-step / tau(x))`` with crossing curves: the parameter
  that lowers the final value (``capacity``) also slows the decay, so the configurations
  that lead after 1, 3 or 9 steps are not the best at the end (early stopping misleads).
* ``lc-pow``: ``f(x) + g(x) step^(-alpha(x))`` (power-law decay): a larger learning rate
  decays faster (it leads early) but ends worse past ``1e-1.6``.

The known optimum of a synthetic problem (the best value at ``max_step``) is found once
numerically: the best of 4096 Sobol' points polished with L-BFGS-B.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import bbo

Params = Mapping[str, Any]


@dataclass(frozen=True)
class CurveProblem:
    """A learning-curve problem: ``curve(params, seed)`` yields the value after steps
    ``1, 2, ..., max_step`` (lazily: an early stop costs only the steps taken)."""

    name: str
    space: bbo.Space
    max_step: int
    curve: Callable[[Params, int], Iterator[float]]
    final: Callable[[Params], float] | None = None  # closed form at max_step (synthetic)

    @property
    def optimum(self) -> float | None:
        """The best value at ``max_step`` (None when unknown: real training)."""
        if self.final is None:
            return None
        return _optimum(self.name, self.max_step)


# -- synthetic ----------------------------------------------------------------------------
def _exp_parts(p: Params) -> tuple[float, float, float]:
    """``(f, g, tau)`` of ``lc-exp``: capacity near 0.75 is best at the end but decays
    slowly (``tau`` from 1.5 to 15.5 steps)."""
    c, a, b = p["capacity"], p["a"], p["b"]
    f = 0.1 + (c - 0.75) ** 2 + 0.5 * (a - 0.35) ** 2 + 0.3 * (b - 0.5) ** 2
    f += 0.05 * (1 - math.cos(6 * math.pi * (b - 0.5)))  # ripples along b
    return f, 1.0 + 1.5 * c, 1.5 + 14.0 * c**2


def _pow_parts(p: Params) -> tuple[float, float, float]:
    """``(f, g, alpha)`` of ``lc-pow``: ``z = log10(lr)``; the final value wants ``z``
    near -2, the decay rate ``alpha`` grows with ``z`` (0.3 to 1.3)."""
    z = math.log10(p["lr"])
    f = 0.2 + 0.15 * (z + 2) ** 2 + (p["width"] - 0.6) ** 2 + 0.5 * (p["reg"] - 0.2) ** 2
    f += 0.2 * p["noise"]  # a nuisance dimension: best at its bound
    return f, 2.0 + p["width"], 0.3 + 0.25 * (z + 4)


def _exp_value(p: Params, step: int) -> float:
    f, g, tau = _exp_parts(p)
    return f + g * math.exp(-step / tau)


def _pow_value(p: Params, step: int) -> float:
    f, g, alpha = _pow_parts(p)
    return f + g * step ** (-alpha)


def _synthetic(
    name: str, space: bbo.Space, value: Callable[[Params, int], float], max_step: int
) -> CurveProblem:
    def curve(p: Params, seed: int) -> Iterator[float]:
        for step in range(1, max_step + 1):
            yield value(p, step)

    return CurveProblem(name, space, max_step, curve, lambda p: value(p, max_step))


EXP_SPACE = bbo.Space({"capacity": bbo.Float(0.0, 1.0), "a": bbo.Float(0.0, 1.0),
                       "b": bbo.Float(0.0, 1.0)})  # fmt: skip
POW_SPACE = bbo.Space(
    {
        "lr": bbo.Float(1e-4, 1.0, log=True),
        "width": bbo.Float(0.0, 1.0),
        "reg": bbo.Float(0.0, 1.0),
        "noise": bbo.Float(0.0, 1.0),
    }
)
_VALUES: dict[str, tuple[bbo.Space, Callable[[Params, int], float]]] = {
    "lc-exp": (EXP_SPACE, _exp_value),
    "lc-pow": (POW_SPACE, _pow_value),
}


@functools.cache
def _optimum(name: str, max_step: int) -> float:
    """The best value at ``max_step`` of a synthetic problem: the best of 4096 Sobol'
    points of the encoded cube, polished by L-BFGS-B from the best 8."""
    from scipy.optimize import minimize
    from scipy.stats import qmc

    space, value = _VALUES[name]
    f = lambda u: value(space.decode(np.clip(u, 0.0, 1.0)), max_step)  # noqa: E731
    U = qmc.Sobol(len(space), scramble=True, seed=0).random(4096)
    vals = np.array([f(u) for u in U])
    best = float(vals.min())
    for i in np.argsort(vals)[:8]:
        res = minimize(f, U[i], method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(space))
        best = min(best, float(res.fun))
    return best


# -- real training ------------------------------------------------------------------------
MLP_SPACE = bbo.Space(
    {
        "lr": bbo.Float(1e-4, 1e-1, log=True),
        "hidden": bbo.Int(8, 256, log=True),
        "weight_decay": bbo.Float(1e-6, 1e-1, log=True),
        "dropout": bbo.Float(0.0, 0.6),
    }
)
BATCH = 128


@functools.lru_cache(maxsize=1)
def digits_split() -> tuple[Any, Any, Any, Any]:
    """``(X_train, y_train, X_val, y_val)`` torch tensors: scikit-learn's 1797 digits
    (8x8 images, 10 classes), pixels scaled to [0, 1], a fixed stratified 2/3 : 1/3 split."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=1 / 3, stratify=y, random_state=0)
    f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    g = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return f(Xtr), g(ytr), f(Xva), g(yva)


def config_seed(p: Params, seed: int) -> int:
    """A training seed from the benchmark seed and the configuration (the same curve for the
    same configuration in every method's run)."""
    key = repr(sorted((k, round(float(v), 12)) for k, v in p.items())) + f"/{seed}"
    return zlib.crc32(key.encode())


def mlp_curve(p: Params, seed: int, max_step: int) -> Iterator[float]:
    """Train ``64 -> hidden -> 10`` (ReLU, dropout) with Adam, mini-batches of 128; yield the
    validation cross-entropy after each epoch (about 10-20 ms an epoch on one thread)."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    Xtr, ytr, Xva, yva = digits_split()
    gen = torch.Generator().manual_seed(config_seed(p, seed))
    torch.manual_seed(config_seed(p, seed))  # layer initialisation
    hidden = int(p["hidden"])
    model = nn.Sequential(
        nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(float(p["dropout"])), nn.Linear(hidden, 10)
    )
    opt = torch.optim.Adam(
        model.parameters(), lr=float(p["lr"]), weight_decay=float(p["weight_decay"])
    )
    loss_fn = nn.CrossEntropyLoss()
    n = len(ytr)
    for _ in range(max_step):
        model.train()
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, BATCH):
            idx = order[i : i + BATCH]
            opt.zero_grad()
            loss_fn(model(Xtr[idx]), ytr[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = float(loss_fn(model(Xva), yva))
        yield val if math.isfinite(val) else 1e3  # a diverged run: a large finite loss


# -- registry -----------------------------------------------------------------------------
PROBLEMS = ("mlp-digits", "lc-exp", "lc-pow")


def make_curve_problem(name: str, max_step: int) -> CurveProblem:
    """The problem ``name`` with ``max_step`` steps (epochs)."""
    if name == "mlp-digits":
        return CurveProblem(name, MLP_SPACE, max_step, lambda p, seed: mlp_curve(p, seed, max_step))
    if name in _VALUES:
        space, value = _VALUES[name]
        return _synthetic(name, space, value, max_step)
    raise KeyError(f"unknown pruning problem {name!r}; choose from {list(PROBLEMS)}")


__all__ = ["PROBLEMS", "CurveProblem", "config_seed", "digits_split", "make_curve_problem"]
