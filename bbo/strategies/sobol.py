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
    out in full (``0.47510719299316406``) say nothing more and read as noise.

    With parameter constraints, suggestion ``k`` is the ``k``-th point of the sequence that
    satisfies them (after that rounding): the infeasible points are skipped, so the design
    stays space-filling inside the feasible set and continues across resumes."""

    name = "sobol"
    Options = SobolOptions

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        import torch  # lazy: torch is heavy to import
        from torch.quasirandom import SobolEngine

        engine = SobolEngine(self.space.dim, scramble=True, seed=self.seed)
        if self.space.constraints:
            return [Suggestion(p, self.name) for p in self._feasible(engine, n, history.n_seen)]
        if history.n_seen:
            engine.fast_forward(history.n_seen)
        X = engine.draw(n, dtype=torch.float64).numpy()
        return [Suggestion(self._short(p), self.name) for p in self.space.decode_many(X)]

    def _feasible(self, engine: Any, n: int, k: int) -> list[dict[str, Any]]:
        """Feasible points ``k .. k+n-1`` of the sequence (its infeasible points skipped),
        drawn from its start; InvalidArgumentError when too few are feasible."""
        import torch

        from bbo.space.feasible import MAX_DRAWS, feasible_mask, raise_too_few

        out: list[dict[str, Any]] = []
        found = drawn = 0
        block = max(256, 4 * (k + n))
        while len(out) < n:
            if drawn >= MAX_DRAWS + 4 * k:
                raise_too_few(self.space, len(out), drawn, n)
            X = engine.draw(block, dtype=torch.float64).numpy()
            drawn += block
            for x in X[feasible_mask(self.space, X)]:
                p = self._short(self.space.decode(x))
                if not self.space.feasible(p):
                    continue
                if found >= k:
                    out.append(p)
                    if len(out) == n:
                        break
                found += 1
        return out

    def _short(self, params: dict[str, Any]) -> dict[str, Any]:
        out = dict(params)
        for k, p in self.space.items():
            if isinstance(p, Float) and k in out:  # an inactive parameter is absent
                out[k] = min(max(float(f"{float(out[k]):.{DIGITS}g}"), p.low), p.high)
        return out
