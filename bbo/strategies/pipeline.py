"""The model-based BO pipeline shared by ``gp``, ``bnn`` and ``wasserstein``.

Each ask runs the same steps; the strategies differ only in the objects plugged in:

1. **Initial design.** While fewer than ``n_init`` trials exist (``max(5, d + 1)`` by
   default, :func:`default_n_init`), or while the data step has fewer than two observations,
   suggestions come from the scrambled Sobol' sequence (every other one drawn under the
   parameters' priors when they have some: :mod:`bbo.strategies.prior_sobol`).
2. **Data** (a :class:`DataBuilder`): the :class:`TrainData` of this ask, ``X`` (``n x d``
   in the encoded cube), ``Y`` (``n x t``: ``m`` objective utilities, higher is better,
   then ``k`` constraint slacks), optional known noise, the search bounds and, for a
   generative model, the replicate sets. ``gp`` and ``bnn`` use :class:`ImputedData`
   (failed/infeasible imputation, output warping, the local model of large histories);
   ``wasserstein`` its replicate sets (:mod:`bbo.strategies.wasserstein`).
3. **Model** (a :class:`ModelFactory`): ``fit(data, device, seed, state, refit) ->
   (model, state)``, a botorch ``Model`` and its JSON-ready state (kept in
   ``state_dict()``, the warm start of the next fit), plus the factory's default
   acquisition for the ask.
4. **Acquisition**: the named entry of :data:`bbo.acquisition.ACQUISITIONS` (the
   ``acquisition`` option, else the factory's default) maximized for the batch, with the
   RUNNING trials as pending points; for a single point the caller's candidate pools
   compete (:func:`bbo.acquisition.optimize.optimize_one`).
5. **Numerical failures** (``NotPSDError``/``LinAlgError``): the ask is tried once more from
   fresh state, then answered by the Sobol' sequence (source ``sobol-fallback``, logged).

**Seeds.** The ask's seed is ``SeedSequence([seed, n_seen])`` (:func:`ask_seed`): the
model's initialisation, the acquisition's samplers, raw samples and pools are all drawn
from it, so a suggestion is a pure function of the study seed and the history. The fit
and the acquisition run under :func:`bbo.torch_utils.seeded` (botorch draws from torch's
global RNG in places), which also holds the lock of torch's process state.

Sources: ``"<name>:<acquisition>"`` (``":local"`` appended for the local model,
``"<pool>>"`` prepended when a pool's candidate wins), ``"sobol"`` or ``"sobol-fallback"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import torch
from botorch.models.model import Model
from gpytorch.utils.errors import NotPSDError

from bbo.acquisition import AcqContext, get_acquisition
from bbo.runtime import resolve_device
from bbo.space import Space
from bbo.strategies.base import History, Suggestion
from bbo.strategies.exceed import exceed_targets
from bbo.strategies.prior_sobol import initial_design
from bbo.strategies.transfer import (
    PRIOR_DESIGN,
    PRIOR_WARP_DESIGN,
    PriorData,
    prior_data,
    prior_design,
    usable,
)
from bbo.strategies.warps import WARPS, heavy_tailed, power_warp
from bbo.surrogates.gp import GPData
from bbo.torch_utils import seeded, thread_policy
from bbo.trial import replicate_noise

log = logging.getLogger("bbo.pipeline")

REFIT_GROWTH = 20  # refit hyperparameters once the data grew by 1/20 since the last fit


MAX_N_INIT = 10  # the initial design stops growing with the dimension here


def default_n_init(d: int) -> int:
    """Size of the Sobol' initial design for ``d`` columns: ``max(5, min(d + 1, 10))``.

    ``d + 1`` points span the box in low dimensions; in high dimensions a space-filling
    design says little (every point is far from every other), and ``d + 1`` would spend the
    whole budget of a 100-D study of 100 evaluations before the model starts. The GP's
    dimension-scaled lengthscale prior lets it model from 10 points on (Hvarfner et al.,
    2024, "Vanilla Bayesian optimization performs great in high dimensions"; Optuna's
    GPSampler and SAASBO also start after 10). A cap of 20 cost the high-dimensional
    family of docs/benchmarks.md: Hartmann-6 in 100-D 0.125 against 0.074, in 200-D 0.673
    against 0.0053 (with the GP there), Branin in 100-D 0.0018 against 0.0009 (medians of
    10 seeds at 100 evaluations)."""
    return max(5, min(d + 1, MAX_N_INIT))


def ask_seed(seed: int, n_seen: int) -> int:
    """The seed of the ask at position ``n_seen`` of a study seeded ``seed``: the first word
    of ``SeedSequence([seed, n_seen])`` (independent streams for every ask)."""
    return int(np.random.SeedSequence([seed, n_seen]).generate_state(1)[0])


@dataclass(frozen=True)
class TrainData:
    """The training data of one ask. ``X``: ``n x d`` in the encoded cube; ``Y``: ``n x t``,
    the ``n_objectives`` utilities (higher is better) then the constraint slacks
    (feasible where ``<= 0``); ``Yvar``: ``n x t`` known noise variances or None;
    ``bounds``: ``2 x d`` box the acquisition is maximized in; ``local``: the bounds are a
    trust region around the incumbent; ``sets``: the replicate utilities of each row
    (generative surrogates)."""

    X: np.ndarray
    Y: np.ndarray
    n_objectives: int
    bounds: np.ndarray
    Yvar: np.ndarray | None = None
    local: bool = False
    sets: list[np.ndarray] | None = None
    prior: PriorData | None = None  # trials of earlier studies (:mod:`.transfer`)

    def gp_data(self) -> GPData:
        return GPData(self.X, self.Y, self.Yvar)


class DataBuilder(Protocol):
    """The data step: the :class:`TrainData` of an ask, or None while there are fewer than
    two observations (the Sobol' design answers)."""

    def __call__(self, history: History) -> TrainData | None: ...


class ModelFactory(Protocol):
    """The model step: a fitted botorch ``Model`` for ``data`` and its new JSON-ready state
    (``state``: the previous one, the warm start; ``refit=False``: reuse its
    hyperparameters on the new data), and the acquisition an ask uses by default."""

    def fit(
        self,
        data: TrainData,
        *,
        device: torch.device,
        seed: int,
        state: dict[str, Any],
        refit: bool,
    ) -> tuple[Model, dict[str, Any]]: ...

    def default_acquisition(self, q: int, m: int, k: int, p: int) -> str:
        """For ``q`` points, ``m`` objectives, ``k`` constraints, ``p`` pending points."""
        ...


def default_acquisition(q: int, m: int, k: int, p: int) -> str:
    """``qLogNEHVI`` for several objectives; the analytic ``LogEI`` for one point with no
    pending points and no constraints; ``qLogNEI`` otherwise."""
    if m > 1:
        return "qLogNEHVI"
    if q == 1 and k == 0 and p == 0:
        return "LogEI"
    return "qLogNEI"


def known_noise(history: History) -> np.ndarray | None:
    """``n x 1`` squared standard errors when every completed trial has >= 2 replicates
    (one objective, no constraints); else None (noise is inferred)."""
    if history.C.shape[1] or history.Y.shape[1] != 1:
        return None
    return replicate_noise(history.completed, history.objectives[0])


@dataclass(frozen=True)
class ImputedData:
    """The data step of ``gp`` and ``bnn``. ``X`` is the index view of the COMPLETED
    trials, ``Y`` their utilities ``u = -sign * value`` and constraint slacks. FAILED and
    INFEASIBLE trials get the worst observed utility and the worst slack of every
    constraint (SMAC's treatment of crashed runs): the model sees the failure region as
    bad. Replicates on every point give known noise (:func:`known_noise`); for a single
    ``exceed(t)`` objective (no failures, no constraints) the utility is then the probit of
    the smoothed exceedance, graded where the frequency is 0 or 1, and the noise its
    bootstrap variance (:func:`~bbo.strategies.exceed.exceed_targets`, cached per trial);
    otherwise the utilities are warped (``warp``, :mod:`bbo.strategies.warps`). Above ``max_exact``
    points the model is fitted on the ``max_exact`` nearest to the incumbent and the continuous
    columns are searched in their padded bounding box (:meth:`trust_region`)."""

    space: Space
    max_exact: int = 1000
    warp: bool | str = "auto"  # True: "bilog"; a name of WARPS, or "auto"; False: none
    n_design: int = 0  # warp "auto": the first n_design trials are the space-filling design

    def __call__(self, history: History) -> TrainData | None:
        if len(history.completed) < 2:
            return None
        X, U, C = history.X, -history.Y, history.C
        warp = self._warp(history, U)
        bad = np.concatenate([history.X_failed, history.X_infeasible])
        plain = not len(bad) and not C.shape[1]  # no failures, no constraints
        target = exceed_targets(history.completed, history.objectives) if plain else None
        Yvar = known_noise(history) if target is None else target[1]
        if target is not None:  # exceed(t): the probit score (:mod:`.exceed`)
            U = np.concatenate([target[0], U[:, 1:]], axis=1)
        if len(bad):  # impute the worst observed outputs (known noise no longer applies)
            X = np.concatenate([X, bad])
            U = np.concatenate([U, np.tile(U.min(0), (len(bad), 1))])
            C = np.concatenate([C, np.tile(C.max(0), (len(bad), 1))])
            Yvar = None
        bounds = np.stack([np.zeros(self.space.dim), np.ones(self.space.dim)])
        local = len(X) > self.max_exact
        if local:
            keep, bounds = self.trust_region(X, U)
            X, U, C = X[keep], U[keep], C[keep]
            Yvar = Yvar[keep] if Yvar is not None else None
        if warp is not None and Yvar is None:
            U = warp(U)
        Y = np.concatenate([U, C], axis=1)
        prior = prior_data(history, warp if Yvar is None else None)
        return TrainData(X, Y, U.shape[1], bounds, Yvar, local, prior=prior)

    def _warp(self, history: History, U: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        """The output warp of this ask (``n x m -> n x m``; None: none). ``"auto"``:
        ``power_warp`` on the columns whose values over the design (the first ``n_design``
        completed trials) are ``heavy_tailed``, ``bilog_warp`` on the others
        (:mod:`bbo.strategies.warps`)."""
        if not self.warp:
            return None
        if self.warp != "auto":
            return WARPS["bilog" if self.warp is True else str(self.warp)]
        if usable(history):  # decided on the prior's first trials, for both (.transfer)
            heavy = heavy_tailed(-history.Y_prior[:PRIOR_WARP_DESIGN])
        else:
            ids = np.array([t.id for t in history.completed])
            design = np.argsort(ids, kind="stable")[: self.n_design]
            heavy = heavy_tailed(U[design])
        return lambda V: power_warp(V, heavy)

    def trust_region(self, X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the ``max_exact`` points nearest to the incumbent (best first
        utility), and the padded bounding box of their continuous columns (``2 x d``)."""
        best = int(np.argmax(U[:, 0]))
        keep = np.argsort(np.linalg.norm(X - X[best], axis=1), kind="stable")[: self.max_exact]
        lo, hi = X[keep].min(0), X[keep].max(0)
        pad = 0.05 * (hi - lo)
        bounds = np.stack([np.clip(lo - pad, 0, 1), np.clip(hi + pad, 0, 1)])
        discrete, cats = self.space.levels()
        for j in [*discrete, *cats]:
            bounds[:, j] = (0.0, 1.0)
        return keep, bounds


def _restrict(data: TrainData, box: np.ndarray) -> TrainData:
    """``data`` with its search bounds intersected with the ``2 x d`` ``box``."""
    lo = np.maximum(data.bounds[0], box[0])
    hi = np.maximum(lo, np.minimum(data.bounds[1], box[1]))
    return replace(data, bounds=np.stack([lo, hi]))


class BOStrategy:
    """The pipeline of the module docstring, configured by its steps: ``data`` (a
    :class:`DataBuilder`), ``factory`` (a :class:`ModelFactory`), ``acquisition`` (a name of
    :data:`bbo.acquisition.ACQUISITIONS`, None: the factory's default) and ``acq_settings``
    (the :class:`~bbo.acquisition.AcqContext` fields: ``config``, ``mc_samples``, ``beta``,
    ``wlcb``). ``name`` prefixes the sources; ``device`` is the process's runtime setting
    (:func:`bbo.runtime.resolve_device`)."""

    def __init__(
        self,
        name: str,
        space: Space,
        *,
        seed: int,
        data: DataBuilder,
        factory: ModelFactory,
        acquisition: str | None,
        n_init: int | None,
        acq_settings: Mapping[str, Any],
        device: str | torch.device | None = None,
    ) -> None:
        self.name = name
        self.space = space
        self.seed = int(seed)
        self.data = data
        self.factory = factory
        self.acquisition = acquisition
        self.n_init = n_init or default_n_init(space.dim)
        self.acq_settings = dict(acq_settings)
        self.device = resolve_device(device)
        self._sobol = initial_design(space, seed)  # Sobol', half under the priors if any
        self._state: dict[str, Any] = {}

    def state_dict(self) -> dict[str, Any]:
        return self._state

    def _prior_model(self, prior: PriorData) -> Model:
        """The factory's GP of the prior trials (:mod:`bbo.strategies.transfer`)."""
        fit: Callable[[PriorData, torch.device], Model] = self.factory.prior_model  # type: ignore[attr-defined]
        return fit(prior, self.device)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._state = dict(state)

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        return self.propose(n, history)

    def propose(
        self,
        n: int,
        history: History,
        pools: dict[str, np.ndarray] | None = None,
        acquisition: str | None = None,
        region: Callable[[Model, TrainData], np.ndarray] | None = None,
    ) -> list[Suggestion]:
        """:meth:`suggest`, where for a single point the named candidate sets ``pools``
        (``k x d`` in the encoded cube) compete with the acquisition optimizer's point; the
        suggestion's source is ``"<pool>><name>:<acquisition>"`` when a candidate wins.
        ``acquisition`` overrides the strategy's choice for this ask; ``region`` maps the fitted
        model and the data to a ``2 x d`` box (a trust region) that restricts the search,
        intersected with the data step's bounds."""
        data = self.data(history)
        prior = getattr(self.factory, "uses_prior", False) and usable(history)
        n_init = min(self.n_init, PRIOR_DESIGN) if prior else self.n_init
        if history.n_seen < n_init or data is None:
            if prior:
                return prior_design(n, history, self._sobol, self._prior_model, self.device)
            return self._sobol.suggest(n, history)
        seed = ask_seed(self.seed, history.n_seen)
        m, k = data.n_objectives, data.Y.shape[1] - data.n_objectives
        pending = history.X_pending
        acq = acquisition or self.acquisition
        acq = acq or self.factory.default_acquisition(n, m, k, len(pending))
        n_fit = self._state.get("n_fit")
        refit = n_fit is None or len(data.X) >= n_fit + max(1, n_fit // REFIT_GROWTH)
        for state in (self._state, {}) if self._state else ({},):  # a numerical failure:
            try:  # once more from fresh state
                with seeded(seed, self.device), thread_policy(len(data.X)):
                    model, self._state = self.factory.fit(
                        data, device=self.device, seed=seed, state=state, refit=refit or not state
                    )
                    if region is not None:
                        data = _restrict(data, region(model, data))
                    Xc, winner = self._maximize(model, acq, n, data, pending, seed, pools or {})
            except (NotPSDError, torch.linalg.LinAlgError) as err:
                log.warning("%s ask at n=%d failed numerically: %s", self.name, len(data.X), err)
                continue
            source = f"{self.name}:{acq}" + (":local" if data.local else "")
            if winner is not None:
                source = f"{winner}>{source}"
            return [Suggestion(p, source) for p in self.space.decode_many(Xc)]
        self._state = {}
        return [Suggestion(s.params, "sobol-fallback") for s in self._sobol.suggest(n, history)]

    def _maximize(
        self,
        model: Model,
        acq: str,
        n: int,
        data: TrainData,
        pending: np.ndarray,
        seed: int,
        pools: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, str | None]:
        """The acquisition ``acq`` of ``model`` maximized for ``n`` points (``n x d``) in
        ``data.bounds`` with the ``p x d`` ``pending`` points; for one point the candidate
        ``pools`` compete. Also returns the winning pool's name (None: the optimizer's)."""
        t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=self.device)  # noqa: E731
        ctx = AcqContext(
            model=model,
            space=self.space,
            X_baseline=t(data.X),
            Y=t(data.Y[:, : data.n_objectives]),
            n_objectives=data.n_objectives,
            n_constraints=data.Y.shape[1] - data.n_objectives,
            X_pending=t(pending) if len(pending) else None,
            bounds=t(data.bounds),
            seed=seed,
            pools={k: t(v) for k, v in pools.items()},
            sets=[torch.sort(t(s))[0] for s in data.sets] if data.sets is not None else None,
            **self.acq_settings,
        )
        return get_acquisition(acq)(ctx, n).detach().cpu().numpy(), ctx.winner
