"""Scrambled Sobol' sequence: a space-filling design."""

from __future__ import annotations

from bbo.strategies.base import History, StatelessStrategy, Suggestion


class SobolSearch(StatelessStrategy):
    """Points ``k .. k+n-1`` of an Owen-scrambled Sobol' sequence in the index view, where
    ``k = history.n_seen``: the design continues where the study is, across resumes and
    processes. Scrambling is seeded by the study seed."""

    name = "sobol"

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        import torch  # lazy: torch is heavy to import
        from torch.quasirandom import SobolEngine

        engine = SobolEngine(self.space.dim, scramble=True, seed=self.seed)
        if history.n_seen:
            engine.fast_forward(history.n_seen)
        X = engine.draw(n, dtype=torch.float64).numpy()
        return [Suggestion(p, self.name) for p in self.space.decode_many(X)]
