"""Adapters for the peer libraries SMAC3 and OSS Vizier (imported lazily, dev-only).

Each runs the library's recommended default configuration, seeded, one suggestion at a time:

* ``smac-bb``: SMAC3's ``BlackBoxFacade`` (GP with MCMC-free ML-II hyperparameters, EI, Sobol
  initial design) with a scenario of ``n_trials=budget``, ``deterministic=True``, driven by
  ``ask()`` / ``tell(TrialInfo, TrialValue)``; its run files go to a temporary directory.
  SMAC has no outcome constraints, so the constraint is ignored.
* ``vizier``: OSS Vizier's default designer (``Algorithm.DEFAULT`` is GP-UCB-PE,
  ``VizierGPUCBPEBandit``) run in-process through ``vizier.algorithms``, seeded through its
  jax ``rng``. The constraint is ignored: GP-UCB-PE is single-metric, and Vizier's way to
  state an unknown constraint (completing a trial as *infeasible*) made google-vizier 0.1.24's
  designer return NaN acquisitions and empty suggestions (on ``branin-constrained``).

HEBO is not among them: its releases need numpy < 1.25 or a pymoo API that is gone (see
``benchmarks/requirements.txt``).
"""

from __future__ import annotations

import tempfile
import warnings
from typing import Any

import numpy as np

from bbo import Categorical, Float, Int, Ordinal, Space
from benchmarks.problems import OBJECTIVE, Instance


def _native(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _choices(space: Space) -> dict[str, list[Any]]:
    """Categorical / ordinal options keyed by parameter name (by their ``str`` in peers that
    take string labels only)."""
    return {n: list(p.options) for n, p in space.items() if isinstance(p, Categorical | Ordinal)}


# ---------------------------------------------------------------------------- SMAC3


class SmacBlackBox:
    """SMAC3 ``BlackBoxFacade`` with a deterministic ``n_trials=budget`` scenario."""

    def __init__(self, instance: Instance, seed: int, budget: int) -> None:
        import ConfigSpace as CS
        from smac import BlackBoxFacade, Scenario

        warnings.filterwarnings("ignore", module="smac")
        self._space = instance.space
        self._labels = {n: {str(o): o for o in opts} for n, opts in _choices(self._space).items()}
        cs = CS.ConfigurationSpace(seed=seed)
        for name, p in self._space.items():
            if isinstance(p, Float):
                cs.add(CS.Float(name, (p.low, p.high), log=p.log))
            elif isinstance(p, Int):
                cs.add(CS.Integer(name, (p.low, p.high), log=p.log))
            elif isinstance(p, Categorical):
                cs.add(CS.Categorical(name, list(self._labels[name])))
            elif isinstance(p, Ordinal):
                cs.add(CS.OrdinalHyperparameter(name, list(self._labels[name])))
            else:
                raise ValueError(f"no ConfigSpace hyperparameter for {name!r}: {p!r}")
        self._cs = cs
        self._tmp = tempfile.TemporaryDirectory(prefix="smac-")
        scenario = Scenario(
            cs,
            deterministic=True,
            n_trials=budget,
            seed=seed,
            output_directory=self._tmp.name,  # type: ignore[arg-type]
        )
        self._smac = BlackBoxFacade(
            scenario, target_function=_never_called, overwrite=True, logging_level=40
        )
        self._info: Any = None
        self._seed: int | None = None  # the trial seed SMAC uses (one: deterministic)

    def _value(self, metrics: dict[str, float]) -> Any:
        from smac.runhistory.dataclasses import TrialValue

        return TrialValue(cost=float(metrics[OBJECTIVE]))

    def ask(self) -> dict[str, Any]:
        self._info = self._smac.ask()
        self._seed = self._info.seed
        values = dict(self._info.config)
        return {
            n: (self._labels[n][str(values[n])] if n in self._labels else _native(values[n]))
            for n in self._space.names
        }

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._smac.tell(self._info, self._value(metrics), save=False)
        self._info = None

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        from ConfigSpace import Configuration
        from smac.runhistory.dataclasses import TrialInfo

        values = {n: (str(v) if n in self._labels else v) for n, v in params.items()}
        info = TrialInfo(Configuration(self._cs, values=values), seed=self._seed or 0)
        self._smac.tell(info, self._value(metrics), save=False)


def _never_called(config: Any, seed: int = 0) -> float:
    raise RuntimeError("the benchmark drives SMAC by ask/tell; the target is never called")


# ---------------------------------------------------------------------------- Vizier


class VizierDefault:
    """OSS Vizier's default designer (GP-UCB-PE), in-process, seeded."""

    def __init__(self, instance: Instance, seed: int, budget: int) -> None:
        import jax
        from vizier import algorithms as vza
        from vizier._src.algorithms.designers import gp_ucb_pe
        from vizier.service import pyvizier as vz

        warnings.filterwarnings("ignore", module="vizier")
        self._vz, self._vza = vz, vza
        self._space = instance.space
        self._labels = {n: {str(o): o for o in opts} for n, opts in _choices(self._space).items()}
        self._discrete: set[str] = set()  # numeric ordinals, a Vizier DISCRETE parameter
        problem = vz.ProblemStatement()
        root = problem.search_space.root
        for name, p in self._space.items():
            if isinstance(p, Float | Int):
                scale = vz.ScaleType.LOG if p.log else vz.ScaleType.LINEAR
                add = root.add_float_param if isinstance(p, Float) else root.add_int_param
                add(name, p.low, p.high, scale_type=scale)
            elif isinstance(p, Ordinal) and all(
                isinstance(o, int | float) and not isinstance(o, bool) for o in p.options
            ):
                root.add_discrete_param(name, [float(o) for o in p.options])
                self._labels[name] = {str(float(o)): o for o in p.options}
                self._discrete.add(name)
            elif isinstance(p, Categorical | Ordinal):
                root.add_categorical_param(name, list(self._labels[name]))
            else:
                raise ValueError(f"no Vizier parameter for {name!r}: {p!r}")
        problem.metric_information.append(
            vz.MetricInformation(name=OBJECTIVE, goal=vz.ObjectiveMetricGoal.MINIMIZE)
        )
        self._designer = gp_ucb_pe.VizierGPUCBPEBandit(problem, rng=jax.random.PRNGKey(seed))
        self._trial: Any = None
        self._uid = 0

    def _complete(self, trial: Any, metrics: dict[str, float]) -> None:
        trial.complete(self._vz.Measurement(metrics={OBJECTIVE: float(metrics[OBJECTIVE])}))
        self._designer.update(self._vza.CompletedTrials([trial]), self._vza.ActiveTrials())

    def ask(self) -> dict[str, Any]:
        (suggestion,) = self._designer.suggest(count=1)
        self._uid += 1
        self._trial = suggestion.to_trial(self._uid)
        values = self._trial.parameters.as_dict()
        out: dict[str, Any] = {}
        for name, p in self._space.items():
            v = _native(values[name])
            if name in self._labels:
                out[name] = self._labels[name][str(v)]
            elif isinstance(p, Int):
                out[name] = round(float(v))
            else:
                out[name] = float(v)
        return out

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._complete(self._trial, metrics)
        self._trial = None

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._uid += 1
        trial = self._vz.Trial(id=self._uid)
        for name, v in params.items():
            if name in self._discrete:
                trial.parameters[name] = float(v)
            elif name in self._labels:
                trial.parameters[name] = str(v)
            else:
                trial.parameters[name] = v
        self._complete(trial, metrics)
