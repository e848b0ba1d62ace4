"""Fully Bayesian MLP by Hamiltonian Monte Carlo (kind ``hmc``).

Model (Neal 1996), on standardized targets ``z`` (``n x t``) and one-hot inputs::

    theta ~ N(0, diag(s_p^2))                       (BatchedMLP.prior_std)
    z_ij | theta ~ N(f_j(x_i; theta), sigma^2)        sigma = ``noise`` (0.1), fixed

so the state ``q = theta`` (``P`` numbers) has the potential energy
``U(q) = 1/(2 sigma^2) sum_ij (f_j(x_i; q) - z_ij)^2 + 1/2 |q / s_p|^2`` (``-log``
posterior up to a constant). HMC simulates ``H(q, p) = U(q) + |p|^2 / 2`` with the
leapfrog integrator::

    p <- p - eps/2 grad U(q);   q <- q + eps p;   p <- p - eps/2 grad U(q)   (L times)

and accepts the end point with probability ``min(1, exp(H_0 - H_L))``. ``c`` chains run
in lock-step as one batched tensor (one forward/backward per leapfrog step for all chains).

* **Start.** Each chain starts from a MAP fit (Adam, :func:`map_train`) of its own prior
  draw, so warm-up is spent on the posterior's typical set, not on the climb to it.
* **Step size.** During ``warmup`` iterations each chain adapts ``log eps`` by the dual
  averaging of Hoffman & Gelman (2014, Alg. 5) towards acceptance ``target_accept``;
  sampling uses the averaged ``eps``. The number of leapfrog steps is drawn uniformly in
  ``[L/2, L]`` per iteration (shared by the chains) to avoid periodic trajectories.
* **Draws.** After warm-up each chain keeps every ``thin``-th state until it holds
  ``ceil(samples / chains)`` draws; the draws form an :class:`MLPEnsemble` (the posterior
  over the latent function ``f``).
* **Noise.** The noise level is fixed, not sampled: with a vague prior on ``sigma`` the
  chains settled at ``sigma ~ 0.6`` on a 6-point toy, explaining the data as noise (the
  function-space volume of the network prior outweighs the fit on small data), which is
  useless for optimization. ``noise = 0.1`` standardized units fits a smooth response
  closely and still tolerates mild noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from bbo.surrogates.bnn.common import BatchedMLP, OneHot, Standardizer
from bbo.surrogates.bnn.ensemble import MLPEnsemble, map_train
from bbo.torch_utils import generator


def potential(mlp: BatchedMLP, theta: Tensor, Z: Tensor, Y: Tensor, noise: float) -> Tensor:
    """``U(theta)`` per chain: ``theta`` is ``c x P``, ``Z`` ``n x D``, ``Y`` ``n x t``;
    returns ``c``."""
    resid = mlp.forward(theta, Z) - Y  # c x n x t
    nll = 0.5 * (resid**2).sum((1, 2)) / noise**2
    return nll + 0.5 * ((theta / mlp.prior_std(theta)) ** 2).sum(-1)


def _grad(U_fn: Callable[[Tensor], Tensor], q: Tensor) -> tuple[Tensor, Tensor]:
    q = q.detach().requires_grad_(True)
    U = U_fn(q)
    (g,) = torch.autograd.grad(U.sum(), q)
    return U.detach(), g


def hmc_sample(
    U_fn: Callable[[Tensor], Tensor],
    q0: Tensor,
    *,
    gen: torch.Generator,
    warmup: int,
    draws: int,
    thin: int,
    leapfrog: int,
    target_accept: float = 0.8,
) -> tuple[Tensor, Tensor]:
    """Run ``c`` chains from ``q0`` (``c x k``) on the potential ``U_fn`` (``c x k`` ->
    ``c``, the chains' energies; chains must not interact). Returns the draws
    (``c * draws x k``, draw-major) and each chain's mean acceptance probability after
    warm-up (``c``)."""
    c = q0.shape[0]
    q = q0.clone()
    U, g = _grad(U_fn, q)
    # dual averaging state (Hoffman & Gelman 2014): mu = log(10 eps_0), gamma, t0, kappa
    log_eps = torch.full((c,), math.log(1e-3), device=q0.device, dtype=q0.dtype)
    mu, gamma, t0, kappa = log_eps + math.log(10.0), 0.05, 10.0, 0.75
    h_bar = torch.zeros_like(log_eps)
    log_eps_bar = log_eps.clone()
    kept: list[Tensor] = []
    acc: list[Tensor] = []
    for it in range(warmup + draws * thin):
        eps = torch.exp(log_eps if it < warmup else log_eps_bar)[:, None]
        L = int(torch.randint(leapfrog // 2, leapfrog + 1, (1,), generator=gen, device=gen.device))
        p0 = torch.randn(q.shape, generator=gen, device=q.device, dtype=q.dtype)
        q1, p, g1 = q, p0 - 0.5 * eps * g, g
        for step in range(max(1, L)):
            q1 = q1 + eps * p
            U1, g1 = _grad(U_fn, q1)
            p = p - (eps if step < L - 1 else 0.5 * eps) * g1
        log_ratio = (U + 0.5 * (p0**2).sum(-1)) - (U1 + 0.5 * (p**2).sum(-1))
        log_ratio = torch.nan_to_num(log_ratio, nan=-math.inf)
        alpha = torch.exp(log_ratio.clamp(max=0.0))
        accept = torch.rand(c, generator=gen, device=q.device, dtype=q.dtype) < alpha
        q = torch.where(accept[:, None], q1, q)
        U = torch.where(accept, U1, U)
        g = torch.where(accept[:, None], g1, g)
        if it < warmup:  # dual averaging of log eps towards the target acceptance
            m = it + 1
            h_bar = (1 - 1 / (m + t0)) * h_bar + (target_accept - alpha) / (m + t0)
            log_eps = mu - math.sqrt(m) / gamma * h_bar
            w = m ** (-kappa)
            log_eps_bar = w * log_eps + (1 - w) * log_eps_bar
        else:
            acc.append(alpha)
            if (it - warmup + 1) % thin == 0:
                kept.append(q.clone())
    return torch.cat(kept), torch.stack(acc).mean(0)


def fit_hmc(
    X: Tensor,
    Y: Tensor,
    *,
    categorical_dims: dict[int, int],
    seed: int,
    samples: int = 32,
    chains: int = 4,
    hidden: Sequence[int] = (32, 32),
    warmup: int = 200,
    thin: int = 5,
    leapfrog: int = 20,
    map_epochs: int = 200,
    noise: float = 0.1,
) -> MLPEnsemble:
    """HMC posterior of an MLP on ``X`` (``n x d`` index view), ``Y`` (``n x t``): an
    :class:`MLPEnsemble` of ``chains * ceil(samples / chains)`` posterior draws. Same
    seed and data -> same draws; the device and dtype are ``X``'s."""
    onehot = OneHot(X.shape[-1], categorical_dims)
    Z = onehot.transform(X)
    scaler = Standardizer(Y)
    Yz = scaler.transform(Y)
    mlp = BatchedMLP(onehot.out_dim, hidden, Y.shape[-1])
    gen = generator(seed, X.device)
    theta = map_train(
        mlp, mlp.init(chains, gen, X), Z, Yz, epochs=map_epochs, noise=noise, anchored=False
    )
    q, _ = hmc_sample(
        lambda q: potential(mlp, q, Z, Yz, noise),
        theta,
        gen=gen,
        warmup=warmup,
        draws=-(-samples // chains),
        thin=thin,
        leapfrog=leapfrog,
    )
    return MLPEnsemble(q, mlp, onehot, scaler)
