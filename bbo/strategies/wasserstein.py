"""Optimization with a generative surrogate in the Wasserstein space (strategy
``wasserstein``), after Ramazyan, Hushchyn & Derkach (2024), "Global Optimisation of
Black-Box Functions with Generative Models in the Wasserstein Space".

Each ask:

1. **Initial design.** Sobol' points while fewer than ``n_init`` trials exist (or fewer than
   two have completed).
2. **Data.** Every COMPLETED trial contributes its replicate samples (``tell(samples=...)``)
   or its single value (a one-atom set), as utilities ``u = -sign * y`` (higher is better).
   FAILED and INFEASIBLE trials, and completed trials that violate an outcome constraint,
   become a one-atom set at the worst observed utility.
3. **Surrogate.** The conditional generator ``G(tau; x)`` of
   :mod:`bbo.surrogates.wasserstein`, a deep ensemble of ``members`` (5) quantile networks,
   each fitted by minimizing the exact ``W_2^2`` between its law at ``x_i`` and the
   replicates ``Y_i``. The predicted law is the members' Wasserstein-2 barycenter ``Gbar``.
   With ``location="gp"`` (the default) a GP (:func:`bbo.surrogates.gp.fit_gp`, the ``gp``
   strategy's model) is fitted to the replicate means with their squared standard errors as
   known noise, and the networks learn the law around its posterior mean: with 5-25 points
   a network is a poor prior for the mean, the GP's smoothness prior a good one (see
   docs/wasserstein.md). The GP's posterior variance joins the members' spread ``s(x)``.
4. **Acquisition** (a Wasserstein lower confidence bound, here in utilities, maximized)::

       a(x) = mean(Gbar(x)) + kappa * s(x),   s(x) = sqrt(mean_m W_2^2(G_m(x), Gbar(x)))

   (``bonus="spread"``, the default; ``kappa = 2``): the bonus is the *epistemic*
   uncertainty, how far apart in Wasserstein space the members' laws are, which is large
   away from the data and does not depend on the level of the prediction. The paper's
   formula, ``bonus="distance"``::

       a(x) = mean(G(x)) + kappa * min_i W_p(G(x), Y_i)

   measures instead how far the predicted law is from every *observed* law. For a
   candidate predicted worse than every observation (``G(x)`` below every ``Y_i``),
   ``min_i W_1 = min_i mean(Y_i) - mean(G(x))``, so ``a = kappa * m_worst - (kappa - 1)
   mean(G(x))`` *grows as the prediction gets worse* when ``kappa > 1``: the paper's
   ``kappa = 2`` sends asks to wherever the network extrapolates to poor values (the
   corners). The spread bonus is invariant to shifting a prediction, so a worse prediction
   with the same uncertainty always scores lower. The acquisition is evaluated on a pool
   of ``pool_size`` scrambled Sobol' points plus Gaussian perturbations of the best
   observed points, in blocks on the device; the best candidate is then polished by a few
   Adam steps on ``a`` (continuous columns only; discrete columns stay on their levels).
5. **Batches and pending points.** Points are chosen greedily. A pending point (a RUNNING
   trial, or one chosen earlier in the batch) excludes the candidates closer than ``rho``
   to it, ``rho`` being half the median nearest-neighbour distance of the observed points
   in the unit cube; with ``bonus="distance"`` it is also treated as observed with its
   predicted law ``G(x_p)`` (a "believer" set: candidates that look like it lose their
   bonus).

With single values only, every ``Y_i`` is a point mass: ``G`` is fitted towards point masses
and ``W_p(G(x), delta_y) = (E|G(x) - y|^p)^(1/p)``, so the bonus becomes a distance in
*value* between the prediction at ``x`` and the nearest observed value; the response's spread
and shape, which the method is built on, are no longer seen.

``acquisition`` may also name any entry of :data:`bbo.acquisition.ACQUISITIONS` (``qLogNEI``,
``qUCB``, ``TS``, ``PM``): the generator is a botorch model whose posterior members are its
draws, so those run on it unchanged (pending points as botorch handles them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from bbo.acquisition import (
    AcqContext,
    OptimizerConfig,
    get_acquisition,
    levels,
    resolve_device,
)
from bbo.acquisition.optimize import candidate_pool
from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.base import History, Suggestion
from bbo.strategies.sobol import SobolSearch
from bbo.surrogates.wasserstein import (
    GeneratorConfig,
    WassersteinGenerativeModel,
    fit_generator,
    wasserstein_to_sets,
)
from bbo.torch_utils import seeded, thread_policy
from bbo.trial import TrialState

BLOCK = 2048  # candidates scored per block


def _positive_int(name: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InvalidArgumentError(
            f"wasserstein option `{name}` must be an integer >= 1, got {v!r}"
        )
    return v


BONUSES = ("spread", "distance")
LOCATIONS = ("gp", "network")


def wlcb_score(
    model: WassersteinGenerativeModel,
    X: Tensor,
    sets: list[Tensor],
    kappa: float,
    p: int,
    bonus: str = "distance",
) -> Tensor:
    """The acquisition for the ``c x d`` candidates ``X`` (utilities, maximized): a ``c``
    tensor, computed in blocks of :data:`BLOCK` candidates, each candidate's atoms together.

    * ``bonus="distance"`` (the paper's): ``a(x) = mean(G(x)) + kappa * min_i W_p(G(x), Y_i)``
      against the sorted observed sets ``Y_i``;
    * ``bonus="spread"``: ``a(x) = mean(G(x)) + kappa * sigma * tanh(s(x) / sigma)`` with
      ``s`` the members' Wasserstein spread around their barycenter
      (:meth:`~bbo.surrogates.wasserstein.WassersteinGenerativeModel.spread`) and ``sigma``
      the standard deviation of the observed sets' means: the uncertainty saturates at the
      scale of the data, as a GP's posterior sd does at its prior sd, instead of growing
      without bound where the networks extrapolate (the box's corners)."""
    out = []
    if bonus == "spread":
        means = torch.stack([y.mean() for y in sets])
        scale = float(means.std()) if len(means) > 1 else 0.0
        scale = scale if scale > 1e-12 else 1.0
    for s in range(0, X.shape[0], BLOCK):
        if bonus == "spread":
            Xb = X[s : s + BLOCK]
            offset, loc_var = model.location_moments(Xb)
            Qm = model.member_quantiles(Xb, offset)  # M x c' x K
            Q = Qm.mean(0)
            var = (Qm - Q).square().mean((0, -1)) + loc_var
            spread = var.clamp_min(1e-30).sqrt()
            b = scale * torch.tanh(spread / scale)
        else:
            Q = model.quantiles(X[s : s + BLOCK])  # c' x K, sorted
            b = wasserstein_to_sets(Q, sets, p).min(-1).values  # c' x n -> c'
        out.append(Q.mean(-1) + kappa * b)
    return torch.cat(out)


class WassersteinStrategy:
    """Generative-surrogate BO with options ``kappa`` (2), ``bonus`` (``"spread"``: the
    members' Wasserstein spread; ``"distance"``: the paper's distance to the observed laws),
    ``members`` (5 generators), ``location`` (``"gp"``: the networks learn the law around
    a GP's mean; ``"network"``: their own), ``p`` (1 or 2: W1 or W2 in the distance bonus),
    ``acquisition`` (``"WLCB"`` or a registry name), ``n_init``,
    ``pool_size`` (4096), ``polish_steps`` (30; 0 disables), ``n_quantiles`` (32), ``hidden``
    (64), ``steps`` (150 Adam steps per fit) and ``device``."""

    name = "wasserstein"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        kappa: float = 2.0,
        p: int = 1,
        bonus: str = "spread",
        members: int = 5,
        location: str = "gp",
        acquisition: str = "WLCB",
        n_init: int | None = None,
        pool_size: int = 4096,
        polish_steps: int = 30,
        n_quantiles: int = 32,
        hidden: int = 64,
        steps: int = 150,
        device: str = "auto",
    ) -> None:
        self.space = space
        self.seed = int(seed)
        if isinstance(kappa, bool) or not isinstance(kappa, (int, float)) or not kappa >= 0:
            raise InvalidArgumentError(f"wasserstein option `kappa` must be >= 0, got {kappa!r}")
        self.kappa = float(kappa)
        if p not in (1, 2) or isinstance(p, bool):
            raise InvalidArgumentError(f"wasserstein option `p` must be 1 or 2, got {p!r}")
        self.p = int(p)
        if bonus not in BONUSES:
            raise InvalidArgumentError(
                f"wasserstein option `bonus` must be one of {list(BONUSES)}, got {bonus!r}"
            )
        self.bonus = bonus
        if location not in LOCATIONS:
            raise InvalidArgumentError(
                f"wasserstein option `location` must be one of {list(LOCATIONS)}, got {location!r}"
            )
        self.location = location
        if acquisition != "WLCB":
            get_acquisition(acquisition)
        self.acquisition = acquisition
        self.n_init = _positive_int("n_init", n_init) if n_init is not None else None
        self.pool_size = _positive_int("pool_size", pool_size)
        if isinstance(polish_steps, bool) or not isinstance(polish_steps, int) or polish_steps < 0:
            raise InvalidArgumentError(
                f"wasserstein option `polish_steps` must be an integer >= 0, got {polish_steps!r}"
            )
        self.polish_steps = polish_steps
        self.config = GeneratorConfig(
            n_quantiles=_positive_int("n_quantiles", n_quantiles),
            hidden=_positive_int("hidden", hidden),
            members=_positive_int("members", members),
            steps=_positive_int("steps", steps),
        )
        try:
            self.device = resolve_device(device)
        except RuntimeError as e:
            raise InvalidArgumentError(f"wasserstein option `device`: {e}") from None
        self._sobol = SobolSearch(space, seed=seed)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None

    # -- data ---------------------------------------------------------------------------------
    def observations(self, history: History) -> tuple[np.ndarray, list[np.ndarray]]:
        """``n x d`` encoded points and, for each, its utility samples (``-sign * y``); bad
        points (failed, infeasible, constraint-violating) as one atom at the worst utility."""
        if len(history.objectives) != 1:
            raise InvalidArgumentError(
                f"strategy 'wasserstein' optimizes one objective, got {len(history.objectives)}"
            )
        obj = history.objectives[0]
        good: list[tuple[Mapping[str, Any], np.ndarray]] = []
        bad: list[Mapping[str, Any]] = []
        for t in history.trials:
            if t.state == TrialState.COMPLETED and t.feasible(history.constraints):
                ys = t.samples if t.samples is not None else (t.values[obj.name],)
                good.append((t.params, -obj.sign * np.asarray(ys, dtype=float)))
            elif t.state in (TrialState.COMPLETED, TrialState.FAILED, TrialState.INFEASIBLE):
                bad.append(t.params)
        if not good:
            return np.zeros((0, self.space.dim)), []
        worst = min(float(u.min()) for _, u in good)
        sets = [u for _, u in good] + [np.array([worst])] * len(bad)
        X = self.space.encode_many([p for p, _ in good] + bad)
        return X, sets

    # -- suggest ------------------------------------------------------------------------------
    def suggest(self, n: int, history: History) -> list[Suggestion]:
        n_init = self.n_init or max(5, self.space.dim + 1)
        X_np, sets_np = self.observations(history)
        if history.n_seen < n_init or len(sets_np) < 2:
            return self._sobol.suggest(n, history)
        seed = int(np.random.SeedSequence([self.seed, history.n_seen]).generate_state(1)[0])
        t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=self.device)  # noqa: E731
        X = t(X_np)
        pending = history.X_pending
        with seeded(seed, self.device), thread_policy(len(X_np)):
            loc = self._location(X_np, sets_np) if self.location == "gp" else None
            model = fit_generator(
                X, [t(s) for s in sets_np], config=self.config, seed=seed, location=loc
            )
            if self.acquisition != "WLCB":
                Xc = self._registry(model, X, sets_np, pending, n, seed)
            else:
                Xc = self._wlcb(model, X, [torch.sort(t(s))[0] for s in sets_np], pending, n, seed)
        source = f"wasserstein:{self.acquisition}"
        return [Suggestion(p, source) for p in self.space.decode_many(Xc)]

    def _location(self, X: np.ndarray, sets: list[np.ndarray]) -> Any:
        """A GP on the replicate means (utilities) with their squared standard errors as
        known noise when every point has >= 2 replicates (else an inferred noise level):
        :func:`bbo.surrogates.gp.fit_gp`, the model of the ``gp`` strategy."""
        from bbo.surrogates.gp import GPData, fit_gp

        Y = np.array([[float(s.mean())] for s in sets])
        Yvar = None
        if all(len(s) >= 2 for s in sets):
            Yvar = np.array([[float(s.var(ddof=1)) / len(s)] for s in sets])
        cat_dims = sorted(levels(self.space)[1])
        model, _ = fit_gp(GPData(X, Y, Yvar), cat_dims=cat_dims, device=self.device, state=None)
        return model

    def _registry(
        self,
        model: WassersteinGenerativeModel,
        X: Tensor,
        sets: list[np.ndarray],
        pending: np.ndarray,
        n: int,
        seed: int,
    ) -> np.ndarray:
        Y = torch.tensor([[float(s.mean())] for s in sets], dtype=X.dtype, device=X.device)
        ctx = AcqContext(
            model=model,
            space=self.space,
            X_baseline=X,
            Y=Y,
            n_objectives=1,
            n_constraints=0,
            X_pending=torch.as_tensor(pending).to(X) if len(pending) else None,
            bounds=torch.stack([torch.zeros(X.shape[1]), torch.ones(X.shape[1])]).to(X),
            seed=seed,
            config=OptimizerConfig(num_restarts=4, raw_samples=256),
            mc_samples=self.config.n_quantiles,
        )
        return get_acquisition(self.acquisition)(ctx, n).detach().cpu().numpy()

    def _pool(self, X: Tensor, sets: list[Tensor], seed: int) -> Tensor:
        """``pool_size`` candidates: 3/4 scrambled Sobol' points, 1/4 Gaussian perturbations
        (sd 0.05) of the 8 best observed points by mean; discrete columns on their levels
        (:func:`bbo.acquisition.optimize.candidate_pool`)."""
        means = torch.stack([s.mean() for s in sets]).cpu()
        top = X.cpu()[means.argsort(descending=True)[:8]]
        bounds = torch.stack([torch.zeros(X.shape[1]), torch.ones(X.shape[1])]).double()
        n_sobol = self.pool_size - self.pool_size // 4
        return candidate_pool(self.space, bounds, top, self.pool_size, n_sobol, seed).to(X)

    def _wlcb(
        self,
        model: WassersteinGenerativeModel,
        X: Tensor,
        sets: list[Tensor],
        pending: np.ndarray,
        n: int,
        seed: int,
    ) -> np.ndarray:
        P = self._pool(X, sets, seed)
        dist = torch.cdist(X, X) + torch.eye(len(X), dtype=X.dtype, device=X.device) * 1e9
        rho = 0.5 * float(dist.min(1).values.median())
        with torch.no_grad():
            score = wlcb_score(model, P, sets, self.kappa, self.p, self.bonus)
            if self.bonus == "distance":  # the believer sets need the pool's laws
                Qp = torch.cat([model.quantiles(P[s : s + BLOCK]) for s in range(0, len(P), BLOCK)])
                mean = Qp.mean(-1)
        blocked = torch.zeros(len(P), dtype=torch.bool, device=P.device)
        chosen: list[Tensor] = []

        def believe(x: Tensor) -> None:
            """Treat ``x`` as observed with its predicted law; block the ball around it."""
            nonlocal score, blocked
            with torch.no_grad():
                atoms = model.quantiles(x[None])[0]  # K, sorted
                sets.append(atoms)
                if self.bonus == "distance":
                    w = wasserstein_to_sets(Qp, [atoms], self.p)[:, 0]
                    score = torch.minimum(score, mean + self.kappa * w)
            blocked |= (P - x).norm(dim=-1) < rho

        for x in torch.as_tensor(pending).to(X):
            believe(x)
        for _ in range(n):
            masked = score.masked_fill(blocked, -torch.inf)
            i = int(masked.argmax())
            x = P[i] if torch.isfinite(masked[i]) else P[int(score.argmax())]
            x = self._polish(model, x, sets, chosen, rho, pending)
            chosen.append(x)
            believe(x)
        return torch.stack(chosen).detach().cpu().numpy()

    def _polish(
        self,
        model: WassersteinGenerativeModel,
        x0: Tensor,
        sets: list[Tensor],
        chosen: list[Tensor],
        rho: float,
        pending: np.ndarray,
    ) -> Tensor:
        """A few Adam steps (lr 0.01 in the unit cube) on ``a`` from ``x0`` over the continuous
        columns; the result is kept only if it scores better and stays ``rho`` away from the
        pending and already chosen points."""
        discrete, cats = levels(self.space)
        free = torch.ones_like(x0, dtype=torch.bool)
        for j in [*discrete, *cats]:
            free[j] = False
        if self.polish_steps == 0 or not bool(free.any()):
            return x0

        def a(x: Tensor) -> Tensor:
            return wlcb_score(model, x[None], sets, self.kappa, self.p, self.bonus)[0]

        x = x0.clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=0.01)
        for _ in range(self.polish_steps):
            opt.zero_grad()
            (-a(x)).backward()
            x.grad = x.grad * free  # type: ignore[operator]
            opt.step()
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
        x = x.detach()
        others = [*chosen, *torch.as_tensor(pending).to(x0)]
        far = all(float((x - o).norm()) >= rho for o in others)
        with torch.no_grad():
            better = bool(a(x) > a(x0))
        return x if far and better else x0
