"""Uniform random search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bbo.strategies.base import History, StatelessStrategy, Suggestion
from bbo.strategies.options import Options
from bbo.strategies.prior_sobol import PRIOR_SOURCE, prior_rows


@dataclass(frozen=True)
class RandomOptions(Options):
    """``random`` takes no options."""

    strategy = "random"


class RandomSearch(StatelessStrategy):
    """Independent uniform draws in the index view (log-uniform for ``log=True``).

    The generator is seeded from ``(seed, history.n_seen)``, so the ``k``-th suggestion of
    a study depends only on the seed and ``k``: a resumed study continues the same stream.
    With parameter constraints the draws are rejection-sampled into the feasible set
    (:meth:`bbo.space.Space.sample`; an error when it is too small a fraction of the box).
    When parameters have priors (:mod:`bbo.space.prior`), every other draw is from the
    prior (source ``prior``, :func:`bbo.strategies.prior_sobol.prior_rows`).
    """

    name = "random"
    Options = RandomOptions

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        rng = np.random.default_rng([self.seed, history.n_seen])
        if self.space.constraints:
            return [Suggestion(p, self.name) for p in self.space.sample(n, rng)]
        X, shaped = prior_rows(self.space, rng.random((n, self.space.dim)), history.n_seen)
        return [
            Suggestion(p, PRIOR_SOURCE if s else self.name)
            for p, s in zip(self.space.decode_many(X), shaped)
        ]
