"""Scrambled Sobol' sequence: a space-filling design."""

from __future__ import annotations

from dataclasses import dataclass

from bbo.strategies.base import History, StatelessStrategy, Suggestion
from bbo.strategies.options import Options


@dataclass(frozen=True)
class SobolOptions(Options):
    """``sobol`` takes no options."""

    strategy = "sobol"


class SobolSearch(StatelessStrategy):
    """Points ``k .. k+n-1`` of an Owen-scrambled Sobol' sequence in the index view, where
    ``k = history.n_seen``: the design continues where the study is, across resumes and
    processes. Scrambling is seeded by the study seed (the engine draws from a generator of
    its own, never from torch's global RNG); the points are computed on the CPU."""

    name = "sobol"
    Options = SobolOptions

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        import torch  # lazy: torch is heavy to import
        from torch.quasirandom import SobolEngine

        engine = SobolEngine(self.space.dim, scramble=True, seed=self.seed)
        if history.n_seen:
            engine.fast_forward(history.n_seen)
        X = engine.draw(n, dtype=torch.float64).numpy()
        return [Suggestion(p, self.name) for p in self.space.decode_many(X)]
