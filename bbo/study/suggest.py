"""Distinct suggestions: a strategy's points, none equal to a stored trial or to each other.

The keys of stored configurations are cached incrementally (a trial's params never change
and trials are only appended), so an ask costs O(new trials), not O(study).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space, params_key
from bbo.strategies import History, Strategy, Suggestion
from bbo.trial import Trial

SUGGEST_ROUNDS = 10  # strategy calls per ask before falling back to random fill
Key = tuple[tuple[str, Any], ...]


class Distinct:
    """Asks ``strategy`` until it has ``count`` new configurations of ``space``."""

    def __init__(self, strategy: Strategy, space: Space, seed: int) -> None:
        self.strategy = strategy
        self.space = space
        self.seed = seed
        self._keys: dict[int, Key] = {}
        self._seen: set[Key] = set()  # keys of trials 0.._seen_n-1
        self._seen_n = 0

    def key(self, t: Trial) -> Key:
        """``params_key`` of a stored trial, cached by id."""
        key = self._keys.get(t.id)
        if key is None:
            key = self._keys[t.id] = params_key(t.params)
        return key

    def stored_keys(self, trials: Sequence[Trial]) -> set[Key]:
        """Keys of every trial's params, kept incrementally; the caller must not change the
        returned set (it is the cache)."""
        if not trials or trials[-1].id != len(trials) - 1 or len(trials) < self._seen_n:
            return {self.key(t) for t in trials}  # not the whole study: no cache
        for t in trials[self._seen_n :]:
            self._seen.add(self.key(t))
        self._seen_n = len(trials)
        return self._seen

    def suggest(self, count: int, history: History) -> list[Suggestion]:
        """``count`` suggestions distinct from each other and from every stored trial, and
        satisfying the space's parameter constraints (an infeasible one is repaired,
        :meth:`Space.repair`, or skipped); after :data:`SUGGEST_ROUNDS` strategy calls,
        random points fill the rest (a nearly exhausted finite space)."""
        stored = self.stored_keys(history.trials)  # read only: no O(n) copy per ask
        seen = {params_key(p) for p in history.extra_pending}  # and what this ask adds
        chosen: list[Suggestion] = []
        h = history
        for _ in range(SUGGEST_ROUNDS):
            if len(chosen) == count:
                return chosen
            fresh: list[Suggestion] = []
            skipped = 0
            for s in self.strategy.suggest(count - len(chosen), h):
                params = self.space.validate(s.params)
                if self.space.constraints and not self.space.feasible(params):
                    # the safety net of the parameter constraints: strategies aim inside
                    # them, and a point that is still out is repaired or skipped
                    fixed = self.space.repair(params)
                    if fixed is None:
                        skipped += 1
                        continue
                    params = self.space.validate(fixed)
                key = params_key(params)
                if key in stored or key in seen or len(chosen) + len(fresh) == count:
                    skipped += 1
                    continue
                seen.add(key)
                fresh.append(Suggestion(params, s.source, s.info))
            chosen += fresh
            h = h.with_pending([c.params for c in fresh], skipped=skipped)
        return self._fill(count, chosen, stored, seen, h.n_seen)

    def _fill(
        self, count: int, chosen: list[Suggestion], stored: set[Key], seen: set[Key], drawn: int
    ) -> list[Suggestion]:
        rng = np.random.default_rng([self.seed, drawn, 1])
        batch = {params_key(c.params) for c in chosen}
        for repeat_ok in (False, True):
            for _ in range(200 * count):
                if len(chosen) == count:
                    return chosen
                (params,) = self.space.sample(1, rng)
                key = params_key(params)
                if key in batch or (not repeat_ok and (key in stored or key in seen)):
                    continue
                batch.add(key)
                chosen.append(Suggestion(params, "random-fill"))
        card = self.space.cardinality
        raise InvalidArgumentError(
            f"ask(n={count}) needs {count} distinct configurations; the space has "
            f"{card if card is not None else 'too few reachable'}"
        )
