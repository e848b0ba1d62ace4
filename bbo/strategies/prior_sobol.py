"""The initial design under the parameters' priors (:mod:`bbo.space.prior`).

When some parameter of the space has a prior, the model strategies' space-filling design
(:class:`~bbo.strategies.sobol.SobolSearch`) interleaves two sequences: design point ``k``
is, for even ``k``, point ``k // 2`` of a second scrambled Sobol' sequence pushed through
the prior's inverse CDF (:meth:`~bbo.space.prior.SpacePrior.ppf`: a space-filling design
*under the prior*, source ``prior``), and for odd ``k`` point ``k // 2`` of the plain
sequence over the box (source ``sobol``). Half the design follows the user's belief, half
covers the box whatever the belief: a good prior starts the model near the optimum, a
misleading one still leaves it a space-filling half (piBO samples its whole design from
the prior; the half kept over the box bounds what a wrong prior costs).

``random`` draws the same way (:func:`prior_rows`): every other suggestion from the prior.
Both are pure functions of the seed and the suggestion's position ``k``, so a resumed
study continues the same design.
"""

from __future__ import annotations

import numpy as np

from bbo.space import Space
from bbo.space.prior import SpacePrior, space_prior
from bbo.strategies.base import History, Suggestion
from bbo.strategies.sobol import SobolSearch

PRIOR_SOURCE = "prior"


def prior_rows(space: Space, U: np.ndarray, k: int) -> tuple[np.ndarray, list[bool]]:
    """``U`` (``n x d`` uniform points, suggestions ``k .. k+n-1``) with its rows of even
    position pushed through the prior of ``space`` (unchanged without one), and which rows
    were."""
    prior = space_prior(space)
    mask = [prior is not None and (k + i) % 2 == 0 for i in range(len(U))]
    if prior is None or not any(mask):
        return U, mask
    X = np.array(U, dtype=float)
    X[mask] = prior.ppf(X[mask])
    return X, mask


class PriorSobol(SobolSearch):
    """The design of the module docstring; with parameter constraints, the plain
    Sobol' design (the prior does not shape it)."""

    def __init__(self, space: Space, *, seed: int, prior: SpacePrior) -> None:
        super().__init__(space, seed=seed)
        self.prior = prior

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        if self.space.constraints:
            return super().suggest(n, history)
        import torch
        from torch.quasirandom import SobolEngine

        k = history.n_seen
        ks = list(range(k, k + n))
        n_prior = sum(1 for i in ks if i % 2 == 0)
        plain = SobolEngine(self.space.dim, scramble=True, seed=self.seed)
        shaped = SobolEngine(self.space.dim, scramble=True, seed=self.seed + 1)
        for engine, start in ((plain, k // 2), (shaped, (k + 1) // 2)):
            if start:
                engine.fast_forward(start)
        d = self.space.dim
        draw = lambda e, m: e.draw(m, dtype=torch.float64).numpy() if m else np.zeros((0, d))  # noqa: E731
        U_plain = draw(plain, n - n_prior)
        U_prior = self.prior.ppf(draw(shaped, n_prior))
        out, a, b = [], 0, 0
        for i in ks:
            if i % 2 == 0:
                x, source, b = U_prior[b], PRIOR_SOURCE, b + 1
            else:
                x, source, a = U_plain[a], self.name, a + 1
            out.append(Suggestion(self._short(self.space.decode(x)), source))
        return out


def initial_design(space: Space, seed: int) -> SobolSearch:
    """The initial design of ``space``: :class:`PriorSobol` when a parameter has a prior,
    else the plain :class:`SobolSearch`."""
    prior = space_prior(space)
    if prior is None:
        return SobolSearch(space, seed=seed)
    return PriorSobol(space, seed=seed, prior=prior)
