"""A conditional generative surrogate of a stochastic response, and exact 1-D Wasserstein
distances.

**The generator.** ``G(tau; x) = Q_x(tau)``: a network maps ``x`` (``d`` columns of the
encoded unit cube) to the ``K`` quantiles ``q_k(x) = Q_x(tau_k)`` of the response at the
stratified levels ``tau_k = (k - 1/2) / K``. Monotonicity in ``tau`` is built in::

    q_k(x) = loc(x) + c_k(x) - mean_j c_j(x),   c_k = sum_{j <= k} softplus(h_j(x)),

so ``loc(x)`` is exactly the mean of ``G(x)`` and quantiles never cross. Drawing
``tau ~ U(0, 1)`` and interpolating the knots is inverse-transform sampling, so ``G`` is a
generator in the WGAN sense (latent ``tau``, output a response draw); its law at ``x`` is
represented by the ``K`` equally weighted atoms ``q_1(x) <= ... <= q_K(x)``.

**Training objective.** In one dimension the Wasserstein distance has a closed form, the
``L_p`` distance between quantile functions: ``W_p(mu, nu)^p = int_0^1 |F_mu^-1(t) -
F_nu^-1(t)|^p dt``. So the generator is fitted by minimizing the *exact* squared
2-Wasserstein distance between ``G(x_i)`` and the empirical law of the replicates ``Y_i`` at
every observed ``x_i``, ``(1/n) sum_i W_2^2(G(x_i), Y_i)``, by full-batch Adam. No critic is
needed: a WGAN-GP critic only *approximates* W1 (through a Lipschitz network and a gradient
penalty), is adversarial, and was under-trained in the reference code; the closed form is
exact, cheap and stable. W2^2 rather than W1 for training because it is smooth in the atoms
and its minimizer for one point is the empirical quantile function itself.

**Distances.** Two 1-D empirical laws with ``nu`` and ``nv`` equally weighted sorted atoms
have piecewise-constant quantile functions; merging their breakpoints ``{i/nu} u {j/nv}``
gives ``M <= nu + nv - 1`` intervals of lengths ``w_m`` on which both are constant, so
``W_p^p = sum_m w_m |u_(a_m) - v_(b_m)|^p`` exactly (:func:`merge_plan`). All candidates x
all observed sets are computed at once (:func:`wasserstein_to_sets`). This is the real W_p
(``W_1`` equals ``scipy.stats.wasserstein_distance``), not the energy distance that the
reference code computes under the name "Wdist".

**Ensemble.** With ``members = M > 1`` the generator is a deep ensemble of ``M``
independently initialized networks trained side by side (one batched network; their losses
add, so each member minimizes its own). The predicted law is the members' Wasserstein-2
barycenter, whose quantile function in 1-D is the average of theirs, and
``s(x) = sqrt(mean_m W_2^2(G_m(x), Gbar(x)))`` measures their disagreement: an epistemic
uncertainty in Wasserstein space (:meth:`WassersteinGenerativeModel.spread`).

The model is a botorch ``EnsembleModel``: ``posterior(X)`` is an ``EnsemblePosterior`` whose
``M K`` members are the generators' draws at the stratified latent levels (the mixture of
the members' laws), so the MC acquisition functions of :mod:`bbo.acquisition` run on it
unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from botorch.models.ensemble import EnsembleModel
from botorch.models.model import Model
from torch import Tensor, nn

from bbo.torch_utils import generator

CHUNK = 2**22  # elements of one (candidates x sets x intervals) block in the distance


# -- exact 1-D Wasserstein distances ---------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _plan(nu: int, nv: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # breakpoints in units of 1 / (nu nv), exact integers: i nv (i <= nu) and j nu (j <= nv)
    ends = np.union1d(np.arange(1, nu + 1) * nv, np.arange(1, nv + 1) * nu)
    w = np.diff(ends, prepend=0) / (nu * nv)
    # on the interval (a, b] the quantile index of u is ceil(b / nv) - 1, of v ceil(b / nu) - 1
    return w, -(-ends // nv) - 1, -(-ends // nu) - 1


def merge_plan(nu: int, nv: int, device: torch.device | None = None) -> tuple[Tensor, ...]:
    """``(w, a, b)`` for two sorted samples of sizes ``nu`` and ``nv``: ``M`` interval lengths
    (summing to 1) and the atom of each sample on each interval, so that
    ``W_p^p = sum_m w_m |u[a_m] - v[b_m]|^p``."""
    w, a, b = _plan(int(nu), int(nv))
    return (
        torch.as_tensor(w, dtype=torch.float64, device=device),
        torch.as_tensor(a, device=device),
        torch.as_tensor(b, device=device),
    )


def wasserstein_sorted(U: Tensor, V: Tensor, p: int = 1) -> Tensor:
    """Exact ``W_p`` between every row of ``U`` (``c x nu``) and every row of ``V``
    (``n x nv``), each row a sorted sample (equal weights): a ``c x n`` tensor.
    Differentiable in ``U``; processed in blocks of at most :data:`CHUNK` elements."""
    if p not in (1, 2):
        raise ValueError(f"`p` must be 1 or 2, got {p!r}")
    w, a, b = merge_plan(U.shape[-1], V.shape[-1], U.device)
    w = w.to(U.dtype)
    Va = V[:, b]  # n x M
    step = max(1, CHUNK // max(1, V.shape[0] * len(w)))
    out = []
    for s in range(0, U.shape[0], step):
        Ua = U[s : s + step, a]  # c' x M
        diff = (Ua[:, None, :] - Va[None, :, :]).abs()
        out.append(diff @ w if p == 1 else (diff.square() @ w).clamp_min(1e-30).sqrt())
    return torch.cat(out) if out else U.new_zeros(0, V.shape[0])


def wasserstein_to_sets(U: Tensor, sets: Sequence[Tensor], p: int = 1) -> Tensor:
    """``c x n``: ``W_p`` from each sorted row of ``U`` to each sorted 1-D tensor of ``sets``
    (replicate sets may differ in size; sets of one size are handled in one block)."""
    out = U.new_zeros(U.shape[0], len(sets))
    sizes = torch.tensor([len(s) for s in sets])
    for r in sizes.unique().tolist():
        idx = (sizes == r).nonzero().flatten()
        V = torch.stack([sets[i] for i in idx.tolist()]).to(U)
        out[:, idx.to(U.device)] = wasserstein_sorted(U, V, p)
    return out


def wasserstein_1d(u: Sequence[float], v: Sequence[float], p: int = 1) -> float:
    """``W_p`` between two 1-D samples (unsorted, equal weights within each)."""
    U = torch.sort(torch.as_tensor(np.asarray(u, dtype=float)))[0][None]
    V = torch.sort(torch.as_tensor(np.asarray(v, dtype=float)))[0][None]
    return float(wasserstein_sorted(U, V, p)[0, 0])


# -- the generator ---------------------------------------------------------------------------


def levels(k: int) -> Tensor:
    """The stratified latent levels ``tau_k = (k - 1/2) / K``, ``k = 1..K``."""
    return (torch.arange(k, dtype=torch.float64) + 0.5) / k


class QuantileGenerator(nn.Module):
    """``x`` (``... x d`` in the unit cube) -> the ``K`` sorted quantiles of ``G(x)``
    (``... x K``) in standardized units (see the module docstring for the parametrization).

    With ``members = M > 1`` it is a deep ensemble of ``M`` such networks (independently
    initialized, trained side by side as one batched network): :meth:`members_forward` gives
    every member's quantiles, ``M x ... x K``, and :meth:`forward` their average, which is
    the **Wasserstein-2 barycenter** of the members' laws (in 1-D the barycenter's quantile
    function is the average of the quantile functions)."""

    def __init__(self, d: int, n_quantiles: int = 32, hidden: int = 64, members: int = 1) -> None:
        super().__init__()
        sizes = [(d, hidden), (hidden, hidden), (hidden, n_quantiles)]
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.zeros(members, i, o)) for i, o in sizes]
        )
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(members, 1, o)) for _, o in sizes])

    @property
    def members(self) -> int:
        return int(self.weights[0].shape[0])

    def members_forward(self, X: Tensor) -> Tensor:
        """``... x d -> M x ... x K``: every member's sorted quantiles."""
        lead = X.shape[:-1]
        h = (2.0 * X - 1.0).reshape(1, -1, X.shape[-1]).expand(self.members, -1, -1)
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, W)
            if i < len(self.weights) - 1:
                h = nn.functional.silu(h)
        c = torch.cumsum(nn.functional.softplus(h[..., 1:] - 3.0), dim=-1)
        c = torch.cat([torch.zeros_like(c[..., :1]), c], dim=-1)
        q = h[..., :1] + c - c.mean(-1, keepdim=True)
        return q.reshape(self.members, *lead, q.shape[-1])

    def forward(self, X: Tensor) -> Tensor:
        return self.members_forward(X).mean(0)


class WassersteinGenerativeModel(EnsembleModel):
    """botorch model of one output. Its law at ``x`` is the equal mixture of the ``M``
    members' ``K``-atom laws; the ``M K`` atoms are the ensemble members of the posterior.
    ``forward``: ``batch x q x d -> batch x (M K) x q x 1``."""

    def __init__(
        self,
        generator: QuantileGenerator,
        y_mean: float,
        y_std: float,
        location: Model | None = None,
    ) -> None:
        super().__init__()
        self.generator = generator
        self.y_mean = float(y_mean)
        self.y_std = float(y_std)
        self.location = location
        self._num_outputs = 1

    def location_moments(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """``... x n x d -> (... x n x 1, ... x n)``: the location model's posterior mean and
        variance of the mean response, point by point (each point its own batch, so no
        joint ``n x n`` covariance is formed); zeros without a location model."""
        if self.location is None:
            return X.new_zeros((*X.shape[:-1], 1)), X.new_zeros(X.shape[:-1])
        post: Any = self.location.posterior(X.unsqueeze(-2))  # a GPyTorchPosterior
        return post.mean[..., 0, :], post.variance[..., 0, 0]

    def _offset(self, X: Tensor) -> Tensor:
        return self.location_moments(X)[0] if self.location is not None else X.new_zeros(1)

    def location_variance(self, X: Tensor) -> Tensor:
        """``... x n x d -> ... x n``: the location model's posterior variance of the mean
        response (0 without a location model)."""
        return self.location_moments(X)[1]

    def quantiles(self, X: Tensor) -> Tensor:
        """``... x n x d -> ... x n x K``: the sorted atoms of ``G(x)`` in data units (with
        several members, of their Wasserstein barycenter)."""
        return self._offset(X) + self.y_mean + self.y_std * self.generator(X)

    def member_quantiles(self, X: Tensor, offset: Tensor | None = None) -> Tensor:
        """``... x n x d -> M x ... x n x K``: every member's sorted atoms in data units
        (``offset``: the location model's mean at ``X`` when already computed)."""
        offset = self._offset(X) if offset is None else offset
        return offset + self.y_mean + self.y_std * self.generator.members_forward(X)

    def mean(self, X: Tensor) -> Tensor:
        """``... x n x d -> ... x n``: ``E[G(x)]``."""
        return self.quantiles(X).mean(-1)

    def spread(self, X: Tensor) -> Tensor:
        """``... x n x d -> ... x n``: the epistemic spread in Wasserstein space,
        ``s(x) = sqrt(mean_m W_2^2(G_m(x), Gbar(x)))``, the root mean squared W2 distance of
        the members' laws to their barycenter ``Gbar`` (in 1-D ``W_2^2`` between two
        ``K``-atom laws is the mean squared difference of their sorted atoms). Zero with
        one member. It is >= the standard deviation of the members' means, and grows where
        the members also disagree about the law's spread or shape."""
        offset, loc_var = self.location_moments(X)
        Q = self.member_quantiles(X, offset)
        var = (Q - Q.mean(0)).square().mean((0, -1)) + loc_var
        return var.clamp_min(1e-30).sqrt()

    def forward(self, X: Tensor) -> Tensor:
        Q = self.member_quantiles(X)  # M x batch x q x K
        Q = Q.movedim(0, -2).flatten(-2)  # batch x q x (M K)
        return Q.transpose(-1, -2).unsqueeze(-1)

    def sample(self, X: Tensor, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` independent draws ``G(tau; x)`` per point, ``... x n_X x n``: a member
        ``m`` uniformly at random and ``tau ~ U(0, 1)``; ``tau`` between two knots
        interpolates them linearly; in the outer half-cells the law is the outer atom (the
        atoms are the law's K-point representation)."""
        Qm = self.member_quantiles(X)
        M, K = Qm.shape[0], Qm.shape[-1]
        shape = (*Qm.shape[1:-1], n)
        m = torch.randint(M, shape, generator=generator).to(Qm.device)
        tau = torch.rand(shape, generator=generator, dtype=Qm.dtype).to(Qm.device)
        Q = Qm.movedim(0, -2).flatten(-2)  # ... x n_X x (M K): member m's atoms at m K + k
        pos = (tau * K - 0.5).clamp(0, K - 1)
        lo = pos.floor().long().clamp(max=K - 2) if K > 1 else pos.long()
        frac = (pos - lo).clamp(0, 1)
        q_lo = Q.gather(-1, m * K + lo)
        q_hi = Q.gather(-1, m * K + (lo + 1).clamp(max=K - 1))
        return q_lo + frac * (q_hi - q_lo)


# -- fitting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorConfig:
    """``n_quantiles`` atoms ``K``, ``hidden`` units per layer, ``members`` networks in the
    ensemble, ``steps`` of full-batch Adam at learning rate ``lr`` with ``weight_decay``."""

    n_quantiles: int = 32
    hidden: int = 64
    members: int = 1
    steps: int = 200
    lr: float = 2e-2
    weight_decay: float = 1e-4


def fit_generator(
    X: Tensor,
    sets: Sequence[Tensor],
    *,
    config: GeneratorConfig | None = None,
    seed: int = 0,
    location: Model | None = None,
) -> WassersteinGenerativeModel:
    """Fit ``G`` to observations: ``X`` (``n x d``, unit cube) and ``sets[i]`` the replicate
    samples at ``X[i]`` (any sizes >= 1). Minimizes ``(1/n) sum_i W_2^2(G(x_i), Y_i)``
    exactly, outputs standardized by the pooled mean and standard deviation of every sample.
    Deterministic given ``seed``; returns the model in eval mode on ``X``'s device.

    ``location``: a fitted botorch model of the mean response (e.g. a GP on the replicate
    means): the networks then learn the law *around* its posterior mean ``mu(x)`` (they are
    fitted to ``Y_i - mu(x_i)``) and ``G(x) = mu(x) + R(x)``; far from the data ``R``'s
    location is small and the mean reverts to the location model's."""
    cfg = config or GeneratorConfig()
    if location is not None:
        with torch.no_grad():
            post: Any = location.posterior(X)
            mu = post.mean[..., 0]
        sets = [s.to(X) - mu[i] for i, s in enumerate(sets)]
    pooled = torch.cat([s.flatten() for s in sets]).to(X)
    y_mean = float(pooled.mean())
    y_std = float(pooled.std()) if len(pooled) > 1 else 0.0
    y_std = y_std if y_std > 1e-12 else 1.0
    sorted_sets = [torch.sort((s.to(X) - y_mean) / y_std)[0] for s in sets]
    gen = generator(seed)
    net = QuantileGenerator(X.shape[-1], cfg.n_quantiles, cfg.hidden, cfg.members)
    with torch.no_grad():  # seeded initialization, independent of the global RNG
        for W, b in zip(net.weights, net.biases):
            bound = 1.0 / np.sqrt(W.shape[1])  # fan-in
            W.copy_(torch.empty(W.shape).uniform_(-bound, bound, generator=gen))
            b.copy_(torch.empty(b.shape).uniform_(-0.1, 0.1, generator=gen))
    net = net.to(device=X.device, dtype=X.dtype)
    # the training loss by replicate-set size: (index of points, their sets, the merge plan)
    sizes = torch.tensor([len(s) for s in sorted_sets])
    groups = []
    for r in sizes.unique().tolist():
        idx = (sizes == r).nonzero().flatten()
        V = torch.stack([sorted_sets[i] for i in idx.tolist()])
        w, a, b = merge_plan(cfg.n_quantiles, r, X.device)
        groups.append((idx.to(X.device), V[:, b], w.to(X), a))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n = len(sorted_sets)
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * (1.0 - 0.9 * step / cfg.steps)
        opt.zero_grad()
        Q = net.members_forward(X)  # M x n x K; members are independent, their losses add
        loss = sum(((Q[:, idx][..., a] - Vb).square() @ w).sum() for idx, Vb, w, a in groups) / n
        loss.backward()  # type: ignore[union-attr,unused-ignore]
        opt.step()
    model = WassersteinGenerativeModel(net, y_mean, y_std, location)
    model.eval()
    return model
