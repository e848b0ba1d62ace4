"""Scrambled Sobol' sequence: a space-filling design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bbo.space import Float
from bbo.strategies.base import History, StatelessStrategy, Suggestion
from bbo.strategies.options import Options

DIGITS = 10  # a Sobol' coordinate has 32 bits (about 9.6 decimal digits) of resolution


@dataclass(frozen=True)
class SobolOptions(Options):
    """``sobol`` takes no options."""

    strategy = "sobol"


class SobolSearch(StatelessStrategy):
    """Points ``k .. k+n-1`` of an Owen-scrambled Sobol' sequence in the index view, where
    ``k = history.n_seen``: the design continues where the study is, across resumes and
    processes. Scrambling is seeded by the study seed (the engine draws from a generator of
    its own, never from torch's global RNG); the points are computed on the CPU. ``Float``
    values are rounded to :data:`DIGITS` significant digits: a coordinate's 32 bits written
    out in full (``0.47510719299316406``) say nothing more and read as noise."""

    name = "sobol"
    Options = SobolOptions

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        import torch  # lazy: torch is heavy to import
        from torch.quasirandom import SobolEngine

        engine = SobolEngine(self.space.dim, scramble=True, seed=self.seed)
        if history.n_seen:
            engine.fast_forward(history.n_seen)
        X = engine.draw(n, dtype=torch.float64).numpy()
        return [Suggestion(self._short(p), self.name) for p in self.space.decode_many(X)]

    def _short(self, params: dict[str, Any]) -> dict[str, Any]:
        out = dict(params)
        for k, p in self.space.items():
            if isinstance(p, Float):
                out[k] = min(max(float(f"{float(out[k]):.{DIGITS}g}"), p.low), p.high)
        return out
