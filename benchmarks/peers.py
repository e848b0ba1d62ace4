"""Adapters for the peer libraries Optuna and Nevergrad (imported lazily, dev-only).

* ``optuna-gp`` / ``optuna-tpe`` / ``optuna-cmaes``: Optuna's GPSampler, TPESampler and
  CmaEsSampler, seeded, driven with ``study.ask(distributions)`` / ``study.tell``. The
  outcome constraint is reported with ``Trial.set_constraint`` (Optuna 5's replacement of the
  deprecated ``constraints_func``); GP and TPE model it, CMA-ES ignores it (as Optuna does).
  CmaEsSampler handles the float dimensions and samples the others with its independent
  (random) sampler, as Optuna does.
* ``nevergrad-ngopt``: Nevergrad's NGOpt wizard on a ``ng.p.Dict`` of Scalars / Log /
  integer-cast Scalars / Choice, told the constraint as ``constraint_violation``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from bbo import Categorical, Float, Int, Space
from benchmarks.problems import CONSTRAINT, OBJECTIVE, Instance


def _optuna_distributions(space: Space) -> dict[str, Any]:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for name, p in space.items():
        if isinstance(p, Float):
            out[name] = FloatDistribution(p.low, p.high, log=p.log)
        elif isinstance(p, Int):
            out[name] = IntDistribution(p.low, p.high, log=p.log)
        elif isinstance(p, Categorical):
            out[name] = CategoricalDistribution(list(p.choices))
        else:
            raise ValueError(f"no Optuna distribution for parameter {name!r}: {p!r}")
    return out


class OptunaSampler:
    """An Optuna study with a given sampler, asked one trial at a time."""

    def __init__(self, instance: Instance, sampler: Any) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message=".*independent sampl.*")
        self._optuna = optuna
        self._instance = instance
        self._dists = _optuna_distributions(instance.space)
        self._study = optuna.create_study(direction="minimize", sampler=sampler)
        self._trial: Any = None

    def _constraints(self, metrics: Mapping[str, float]) -> dict[str, float] | None:
        if self._instance.constraint is None:
            return None
        return {CONSTRAINT: float(metrics[CONSTRAINT])}

    def ask(self) -> dict[str, Any]:
        self._trial = self._study.ask(self._dists)
        return dict(self._trial.params)

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        for key, value in (self._constraints(metrics) or {}).items():
            self._trial.set_constraint(key, value)
        self._study.tell(self._trial, metrics[OBJECTIVE])
        self._trial = None

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._study.add_trial(
            self._optuna.trial.create_trial(
                params=dict(params),
                distributions=self._dists,
                value=metrics[OBJECTIVE],
                constraints=self._constraints(metrics),
            )
        )


def optuna_gp(instance: Instance, seed: int, budget: int) -> OptunaSampler:
    """Optuna GPSampler (defaults: 10 random startup trials)."""
    from optuna.samplers import GPSampler

    return OptunaSampler(
        instance,
        GPSampler(seed=seed, deterministic_objective=instance.noise_std == 0),
    )


def optuna_tpe(instance: Instance, seed: int, budget: int) -> OptunaSampler:
    """Optuna TPESampler (defaults)."""
    from optuna.samplers import TPESampler

    return OptunaSampler(instance, TPESampler(seed=seed))


def optuna_cmaes(instance: Instance, seed: int, budget: int) -> OptunaSampler:
    """Optuna CmaEsSampler (defaults; random sampling of non-float dimensions)."""
    from optuna.samplers import CmaEsSampler, RandomSampler

    return OptunaSampler(
        instance,
        CmaEsSampler(
            seed=seed, independent_sampler=RandomSampler(seed=seed), warn_independent_sampling=False
        ),
    )


def _native(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


class NevergradNGOpt:
    """Nevergrad NGOpt with the run's budget, seeded through the parametrization."""

    def __init__(self, instance: Instance, seed: int, budget: int) -> None:
        import nevergrad as ng

        warnings.filterwarnings("ignore", module="nevergrad")
        self._instance = instance
        self._ng = ng
        params: dict[str, Any] = {}
        for name, p in instance.space.items():
            if isinstance(p, Float):
                cls = ng.p.Log if p.log else ng.p.Scalar
                params[name] = cls(lower=p.low, upper=p.high)
            elif isinstance(p, Int):
                params[name] = ng.p.Scalar(lower=p.low, upper=p.high).set_integer_casting()
            elif isinstance(p, Categorical):
                params[name] = ng.p.Choice(list(p.choices))
            else:
                raise ValueError(f"no Nevergrad parameter for {name!r}: {p!r}")
        param = ng.p.Dict(**params)
        param.random_state = np.random.RandomState(seed)
        self._opt = ng.optimizers.NGOpt(parametrization=param, budget=budget, num_workers=1)
        self._cand: Any = None

    def _tell(self, cand: Any, metrics: Mapping[str, float]) -> None:
        if self._instance.constraint is not None:
            viol = max(float(metrics[CONSTRAINT]), 0.0)
            self._opt.tell(cand, metrics[OBJECTIVE], constraint_violation=[viol])
        else:
            self._opt.tell(cand, metrics[OBJECTIVE])

    def ask(self) -> dict[str, Any]:
        self._cand = self._opt.ask()
        return {k: _native(v) for k, v in self._cand.value.items()}

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._tell(self._cand, metrics)
        self._cand = None

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._tell(self._opt.parametrization.spawn_child(new_value=dict(params)), metrics)
