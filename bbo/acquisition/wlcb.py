"""The Wasserstein lower confidence bound (acquisition ``WLCB``), for the generative
surrogate of :mod:`bbo.surrogates.wasserstein` (strategy ``wasserstein``).

In utilities (higher is better, maximized), for a candidate ``x`` with predicted law
``G(x)`` (``K`` sorted atoms; with several members, their Wasserstein-2 barycenter
``Gbar``) and the observed replicate sets ``Y_i``:

* ``bonus="spread"`` (the default)::

      a(x) = mean(Gbar(x)) + kappa * sigma * tanh(s(x) / sigma),
      s(x) = sqrt(mean_m W_2^2(G_m(x), Gbar(x)) + var_loc(x))

  the members' disagreement in Wasserstein space (plus the location GP's variance),
  saturating at ``sigma``, the standard deviation of the observed sets' means;
* ``bonus="distance"`` (the paper's)::

      a(x) = mean(G(x)) + kappa * min_i W_p(G(x), Y_i)

The proposer scores a pool of ``pool_size`` candidates (3/4 scrambled Sobol' points, 1/4
Gaussian perturbations of the 8 best observed points, :func:`candidate_pool`), chooses
``q`` points greedily and polishes each by a few Adam steps on ``a`` over the continuous
columns. A pending point (or one chosen earlier in the batch) blocks the candidates within
``rho`` of it, ``rho`` being half the median nearest-neighbour distance of the observed
points; with ``bonus="distance"`` it also joins the observed sets with its predicted law
(a "believer" set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from bbo.acquisition.optimize import candidate_pool
from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.names import BONUSES as BONUSES  # defined torch-free there
from bbo.surrogates.wasserstein import WassersteinGenerativeModel, wasserstein_to_sets

if TYPE_CHECKING:
    from bbo.acquisition.registry import AcqContext

BLOCK = 2048  # candidates scored per block


@dataclass(frozen=True)
class WLCBConfig:
    """``kappa`` (weight of the bonus), ``p`` (1 or 2: W1 or W2 in the distance bonus),
    ``bonus`` (:data:`BONUSES`), ``pool_size`` candidates, ``polish_steps`` Adam steps
    (0 disables the polish)."""

    kappa: float = 2.0
    p: int = 1
    bonus: str = "spread"
    pool_size: int = 4096
    polish_steps: int = 30


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


def wlcb(ctx: AcqContext, q: int) -> Tensor:
    """``q x d`` points of highest WLCB (see the module docstring). Needs the generative
    model and ``ctx.sets``, the sorted observed utility sets of the rows of
    ``ctx.X_baseline``; ``ctx.wlcb`` holds the settings."""
    model, cfg = ctx.model, ctx.wlcb
    if not isinstance(model, WassersteinGenerativeModel) or ctx.sets is None:
        raise InvalidArgumentError(
            "acquisition 'WLCB' needs the generative model of strategy 'wasserstein'"
        )
    if ctx.n_objectives != 1:
        raise InvalidArgumentError("acquisition 'WLCB' is for one objective")
    X, sets = ctx.X_baseline, list(ctx.sets)
    pending = ctx.X_pending if ctx.X_pending is not None else X[:0]
    means = torch.stack([s.mean() for s in sets]).cpu()
    top = X.cpu()[means.argsort(descending=True)[:8]]
    n_sobol = cfg.pool_size - cfg.pool_size // 4
    bounds = ctx.bounds.cpu().double()
    P = candidate_pool(ctx.space, bounds, top, cfg.pool_size, n_sobol, ctx.seed).to(X)
    dist = torch.cdist(X, X) + torch.eye(len(X), dtype=X.dtype, device=X.device) * 1e9
    rho = 0.5 * float(dist.min(1).values.median())
    with torch.no_grad():
        score = wlcb_score(model, P, sets, cfg.kappa, cfg.p, cfg.bonus)
        if cfg.bonus == "distance":  # the believer sets need the pool's laws
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
            if cfg.bonus == "distance":
                w = wasserstein_to_sets(Qp, [atoms], cfg.p)[:, 0]
                score = torch.minimum(score, mean + cfg.kappa * w)
        blocked |= (P - x).norm(dim=-1) < rho

    for x in pending.to(X):
        believe(x)
    for _ in range(q):
        masked = score.masked_fill(blocked, -torch.inf)
        i = int(masked.argmax())
        x = P[i] if torch.isfinite(masked[i]) else P[int(score.argmax())]
        x = polish(model, ctx.space, cfg, x, sets, [*chosen, *pending.to(X)], rho)
        chosen.append(x)
        believe(x)
    return torch.stack(chosen).detach()


def polish(
    model: WassersteinGenerativeModel,
    space: Space,
    cfg: WLCBConfig,
    x0: Tensor,
    sets: list[Tensor],
    others: list[Tensor],
    rho: float,
) -> Tensor:
    """A few Adam steps (lr 0.01 in the unit cube) on ``a`` from ``x0`` (``d``) over the
    continuous columns; the result is kept only if it scores better and stays ``rho`` away
    from ``others`` (the pending and already chosen points)."""
    discrete, cats = space.levels()
    free = torch.ones_like(x0, dtype=torch.bool)
    for j in [*discrete, *cats]:
        free[j] = False
    if cfg.polish_steps == 0 or not bool(free.any()):
        return x0

    def a(x: Tensor) -> Tensor:
        return wlcb_score(model, x[None], sets, cfg.kappa, cfg.p, cfg.bonus)[0]

    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.01)
    for _ in range(cfg.polish_steps):
        opt.zero_grad()
        (-a(x)).backward()
        x.grad = x.grad * free  # type: ignore[operator]
        opt.step()
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
    x = x.detach()
    far = all(float((x - o).norm()) >= rho for o in others)
    with torch.no_grad():
        better = bool(a(x) > a(x0))
    return x if far and better else x0
