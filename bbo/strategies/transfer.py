"""Warm start from earlier studies: their GP as the prior mean of this study's GP.

The study passes the COMPLETED trials of its ``prior_studies`` in :attr:`History.prior`
(params matched to this space). The GP pipeline (``gp``, and ``auto`` through it) uses them
as Google Vizier's stacked GPs do (Golovin et al., 2017, "Google Vizier", section 3.3):

1. **Prior GP.** A GP is fitted on the prior trials (utilities ``u = -sign * value``
   under the study's own output warp; with the warp ``"auto"``, which columns are
   heavy-tailed is judged on the first :data:`PRIOR_WARP_DESIGN` prior trials, for the
   prior and the study alike, since the study's first points are no longer a
   space-filling design); its posterior mean is ``m_p(x)``. At most :data:`MAX_PRIOR`
   trials (the latest) are used.
2. **Alignment.** This study's (warped) utilities ``y`` at its points ``X`` are regressed
   on ``m_p(X)`` with a ridge that shrinks towards the prior being right::

       (a, b) = argmin  sum_i (y_i - a m_p(x_i) - b)^2 + LAMBDA ((a - 1)^2 + b^2)

   A shifted copy of the problem (the same shape at another level or scale) keeps
   ``a`` near 1 and inherits the prior's whole shape from the second evaluation on; a
   misleading prior loses its weight as this study's data come in (``a -> 0`` when
   ``m_p`` does not explain ``y``). ``a`` is kept ``>= 0``: a prior that the data find
   reversed is dropped (``a = 0``), not extrapolated upside down, which sent the search
   to the far corners of a mirrored problem in the benchmark.
3. **Residual GP.** The study's GP is fitted on ``y - (a m_p(X) + b)``; the model the
   acquisition sees predicts ``a m_p(x) + b + r(x)`` with the residual GP's variance
   (:class:`PriorMeanModel`). What this study observed is always explained by the model:
   the prior only decides what is expected where nothing was observed yet.
4. **Design.** With a prior, the Sobol' initial design shrinks to :data:`PRIOR_DESIGN`
   points, the first being the point of best predicted value of the prior GP
   (:func:`prior_design`); the model proposes from then on. (Two points left the model stuck in
   a wrong basin of a shifted Branin in the benchmark; the full design wasted the
   prior's head start.)

It applies to one objective without outcome constraints; other studies ignore the prior.
The prior GP is fitted under a fixed seed, so a suggestion stays a pure function of the
study seed, the history and the prior trials.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from botorch.models.model import Model
from botorch.posteriors.gpytorch import GPyTorchPosterior
from gpytorch.distributions import MultivariateNormal

from bbo.space import params_key
from bbo.strategies.base import History, Suggestion
from bbo.strategies.exceed import exceed_targets
from bbo.strategies.warps import heavy_tailed, power_warp

if TYPE_CHECKING:
    from botorch.models import SingleTaskGP

    from bbo.strategies.sobol import SobolSearch

MAX_PRIOR = 1000  # prior trials in the prior GP (the latest ones)
LAMBDA = 0.5  # weight of the alignment's shrinkage towards a = 1, b = 0, in points
PRIOR_SEED = 0x5052  # the prior GP's fit is seeded by this, whatever the ask's seed
PRIOR_DESIGN = 3  # initial design with a prior: the prior GP's best point, then Sobol'
PRIOR_WARP_DESIGN = 20  # warp "auto" with a prior: heavy tails judged on its first trials
CANDIDATES = 1024  # Sobol' points where the prior GP's best predicted point is looked for
_CACHE_SIZE = 8


@dataclass(frozen=True)
class PriorData:
    """The prior trials as the model sees them: ``X`` ``p x d`` in the encoded cube, ``U``
    ``p x 1`` z-scored (bilog-warped) utilities, higher is better."""

    X: np.ndarray
    U: np.ndarray

    def key(self) -> str:
        h = hashlib.sha1(np.ascontiguousarray(self.X).tobytes())
        h.update(np.ascontiguousarray(self.U).tobytes())
        return h.hexdigest()


def usable(history: History) -> bool:
    """Whether the prior applies: prior trials, one objective, no outcome constraints."""
    return bool(history.prior) and len(history.objectives) == 1 and not history.constraints


def prior_data(
    history: History, warp: Callable[[np.ndarray], np.ndarray] | None
) -> PriorData | None:
    """The :class:`PriorData` of ``history`` (the latest :data:`MAX_PRIOR` trials, their
    utilities mapped by ``warp``, the study's own output warp), or None when the prior
    does not apply (:func:`usable`) or holds fewer than two trials. For an ``exceed(t)``
    objective whose prior trials all hold replicates the utilities are, as the study's own,
    the probit scores ``-s z_i`` at this study's ``t`` (:mod:`bbo.strategies.exceed`),
    unwarped: the prior's frequency would be flat where the study's target is graded."""
    if not usable(history) or len(history.prior) < 2:
        return None
    X, U = history.X_prior[-MAX_PRIOR:], -history.Y_prior[-MAX_PRIOR:]
    target = exceed_targets(history.prior[-MAX_PRIOR:], history.objectives)
    if target is not None:  # exceed(t): the study's own probit score, never warped
        return PriorData(X, target[0])
    return PriorData(X, warp(U) if warp is not None else U)


def prior_design(
    n: int,
    history: History,
    sobol: SobolSearch,
    prior_model: Callable[[PriorData], Any],
    device: torch.device,
) -> list[Suggestion]:
    """The initial design with a prior (:func:`usable`): the point of best predicted value
    of the prior GP (``prior_model``), among the prior trials' points and
    :data:`CANDIDATES` Sobol' points (source ``"prior"``), unless it is already a trial or
    pending; then the Sobol' points."""
    heavy = heavy_tailed(-history.Y_prior[:PRIOR_WARP_DESIGN])  # warp "auto", as the model's
    data = prior_data(history, lambda V: power_warp(V, heavy))
    if data is None:
        return sobol.suggest(n, history)
    from torch.quasirandom import SobolEngine

    space = history.space
    engine = SobolEngine(space.dim, scramble=True, seed=PRIOR_SEED)
    cand = np.concatenate([data.X, engine.draw(CANDIDATES).double().numpy()])
    points: list[Mapping[str, Any]] = list(space.decode_many(cand))
    cand = space.encode_many(points)  # on the space's grid and levels
    best = space.decode_many(cand[[int(np.argmax(prior_mean_at(prior_model(data), cand, device)))]])
    taken = {params_key(t.params) for t in history.trials}
    taken |= {params_key(p) for p in history.extra_pending}
    if params_key(best[0]) in taken:
        return sobol.suggest(n, history)
    first = [Suggestion(dict(best[0]), "prior")]
    return first + sobol.suggest(n - 1, history.with_pending([best[0]])) if n > 1 else first


def align(m: np.ndarray, y: np.ndarray, lam: float = LAMBDA) -> tuple[float, float]:
    """``(a, b)`` of the ridge regression of ``y`` (``n``) on ``m`` (``n``) shrunk towards
    ``(1, 0)`` with weight ``lam`` (module docstring, step 2), with ``a >= 0``."""
    A = np.array([[m @ m + lam, m.sum()], [m.sum(), len(m) + lam]])
    rhs = np.array([m @ y + lam, y.sum()])
    a, b = np.linalg.solve(A, rhs)
    if a < 0:  # an anti-correlated prior is not extrapolated: no prior mean at all
        return 0.0, float(y.sum() / (len(y) + lam))
    return float(a), float(b)


class PriorMeanModel(Model):
    """``a m_p(x) + b + r(x)``: the residual GP ``residual`` shifted by the scaled posterior
    mean of the prior GP ``prior`` (one output). Its posterior at ``X`` (``batch x q x d``)
    is the residual's multivariate normal with the shifted mean, differentiable in ``X``
    (what botorch's acquisition functions and optimizers need)."""

    def __init__(self, residual: SingleTaskGP, prior: SingleTaskGP, a: float, b: float) -> None:
        super().__init__()
        self.residual = residual
        self.prior = prior
        self.a = a
        self.b = b

    @property
    def num_outputs(self) -> int:
        return 1

    @property
    def batch_shape(self) -> torch.Size:
        return self.residual.batch_shape

    def prior_mean(self, X: torch.Tensor) -> torch.Tensor:
        """``a m_p(X) + b``: ``... x q`` for ``X`` ``... x q x d``."""
        return self.a * self.prior.posterior(X).mean[..., 0] + self.b

    def posterior(
        self,
        X: torch.Tensor,
        output_indices: list[int] | None = None,
        observation_noise: bool | torch.Tensor = False,
        posterior_transform: Any = None,
        **kwargs: Any,
    ) -> GPyTorchPosterior:
        post = self.residual.posterior(X, observation_noise=observation_noise)
        assert isinstance(post, GPyTorchPosterior)  # one output: never a transformed one
        mvn = post.distribution
        shifted = MultivariateNormal(mvn.mean + self.prior_mean(X), mvn.lazy_covariance_matrix)
        out = GPyTorchPosterior(shifted)
        return posterior_transform(out) if posterior_transform is not None else out

    def forward(self, X: torch.Tensor) -> MultivariateNormal:  # pragma: no cover - unused
        return self.posterior(X).distribution


_lock = threading.Lock()
_prior_gps: OrderedDict[tuple[Any, ...], SingleTaskGP] = OrderedDict()


def prior_gp(
    prior: PriorData, cat_dims: Sequence[int], device: torch.device, **kw: Any
) -> SingleTaskGP:
    """The GP of the prior trials (fitted once per process for the same trials, settings
    and device, under :data:`PRIOR_SEED`: the same model whether cached or not)."""
    from bbo.surrogates.gp import GPData, fit_gp

    key = (prior.key(), tuple(cat_dims), str(device), tuple(sorted(kw.items())))
    with _lock:
        if key in _prior_gps:
            _prior_gps.move_to_end(key)
            return _prior_gps[key]
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.default_generator.manual_seed(PRIOR_SEED)
        model, _ = fit_gp(
            GPData(prior.X, prior.U, None), cat_dims=cat_dims, device=device, state=None, **kw
        )
    with _lock:
        _prior_gps[key] = model
        while len(_prior_gps) > _CACHE_SIZE:
            _prior_gps.popitem(last=False)
    return model


def prior_mean_at(model: Any, X: np.ndarray, device: torch.device) -> np.ndarray:
    """``m_p`` at ``X`` (``n x d``): ``n``."""
    with torch.no_grad():
        t = torch.as_tensor(X, dtype=torch.float64, device=device)
        return model.posterior(t).mean[..., 0].cpu().numpy()


__all__ = [
    "LAMBDA",
    "MAX_PRIOR",
    "PriorData",
    "PriorMeanModel",
    "align",
    "prior_data",
    "prior_design",
    "prior_gp",
    "prior_mean_at",
    "usable",
]
