"""The ``llm`` strategy: OPRO ("Large Language Models as Optimizers", Yang et al. 2023).

Each ask:

1. **Initial design.** While fewer than ``n_init`` trials exist, the fallback design
   (scrambled Sobol' by default) proposes: the meta-prompt needs examples.
2. **Proposal.** ``mode: direct`` (OPRO): the LLM proposes the ``n`` points of the ask.
   ``mode: gp`` (LLAMBO-style): once two trials have completed, the LLM fills a pool of
   ``max(n, pool_size)`` candidates and the GP acquisition picks ``n`` of them
   (:mod:`bbo.strategies.llm.scoring`).
3. **Shortfall.** Whatever the LLM did not deliver (an unreachable endpoint, a time-out, a
   cut or malformed answer, out-of-space or duplicate points) is filled from the fallback
   design, so an ask never fails because the LLM did.

Every suggestion carries its audit record in the trial's attributes: ``llm`` (the messages
sent, the raw answer, the finish reason, the error if any, the per-call counts) for LLM
points, ``llm_fallback`` (why) and ``llm_failed_calls`` for filled ones, and
``llm_counts``, the cumulative counters, which :meth:`state_dict` also holds so that they
survive a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space, params_key
from bbo.strategies.base import History, Suggestion, strategy_options
from bbo.strategies.llm.client import ChatClient
from bbo.strategies.llm.options import LLMOptions
from bbo.strategies.llm.proposer import LLMProposer, Proposal
from bbo.strategies.random import RandomSearch
from bbo.strategies.sobol import SobolSearch

if TYPE_CHECKING:
    import torch


class LLMStrategy:
    """OPRO with options from :class:`bbo.strategies.llm.options.LLMOptions` (``task``,
    ``base_url``, ``model``, ``api_key_env``, ``temperature``, ``max_tokens``,
    ``structured_output``, ``timeout``, ``points_per_call``, ``max_calls``,
    ``history_size``, ``normalize``, ``mode``, ``pool_size``, ``n_init``, ``fallback``).
    ``device`` (the process's runtime setting, :func:`bbo.runtime.resolve_device`) is where
    ``mode: gp`` fits its GP and scores the pool; it is resolved only in that mode.
    ``client`` replaces the HTTP client (a :class:`~bbo.strategies.llm.client.ChatClient`;
    tests pass a scripted one)."""

    name = "llm"
    Options = LLMOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: LLMOptions | None = None,
        client: ChatClient | None = None,
        **kwargs: Any,
    ) -> None:
        self.space = space
        self.seed = int(seed)
        self.options = strategy_options(LLMOptions, options, kwargs)
        self.device: torch.device | None = None
        if self.options.mode == "gp":
            from bbo.runtime import resolve_device

            self.device = resolve_device(device)
        if client is not None and not callable(getattr(client, "complete", None)):
            raise InvalidArgumentError(
                f"llm `client` must have a complete(request) method, got {client!r}"
            )
        self.proposer = LLMProposer(space, self.options, client)
        fallback = SobolSearch if self.options.fallback == "sobol" else RandomSearch
        self._fallback = fallback(space, seed=seed)
        self._gp_state: dict[str, Any] = {}

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"llm": self.proposer.state_dict()}
        if self._gp_state:
            state["gp"] = self._gp_state
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.proposer.load_state_dict(state.get("llm", {}))
        self._gp_state = dict(state.get("gp", {}))

    # -- suggest --------------------------------------------------------------------------
    def suggest(self, n: int, history: History) -> list[Suggestion]:
        o = self.options
        if history.n_seen < o.n_init:
            return [
                Suggestion(s.params, s.source, {"llm_phase": "initial design"})
                for s in self._fallback.suggest(n, history)
            ]
        seed = int(np.random.SeedSequence([self.seed, history.n_seen]).generate_state(1)[0])
        use_gp = o.mode == "gp" and len(history.completed) >= 2
        k = max(n, o.pool_size) if use_gp else n
        prop = self.proposer.propose(k, history, seed=seed)
        counts = self.proposer.state_dict()
        out = [
            Suggestion(c, "llm", {"llm": prop.calls[j], "llm_counts": counts})
            for c, j in zip(prop.configs, prop.origin)
        ]
        if len(out) < k:
            out += self._fill(k - len(out), history, prop, counts)
        if not use_gp:
            return out
        return self._select(out, n, history, seed)

    def _fill(
        self, short: int, history: History, prop: Proposal, counts: dict[str, Any]
    ) -> list[Suggestion]:
        """``short`` points from the fallback design, each recording why; points of the design
        that repeat a trial or an LLM point are skipped (a finite space can make it repeat), and
        uniform draws complete the fill when the design runs out of new points."""
        if prop.errors:
            reason = "; ".join(prop.errors)
        else:
            reason = (
                f"the LLM gave {len(prop.configs)} new valid point(s) of "
                f"{len(prop.configs) + short} asked"
            )
        failed = [c for c in prop.calls if c["error"] or c.get("accepted", 0) < c["requested"]]
        info = {"llm_fallback": reason, "llm_failed_calls": failed, "llm_counts": counts}
        seen = {params_key(t.params) for t in history.trials}
        seen |= {params_key(p) for p in [*history.extra_pending, *prop.configs]}
        h = history.with_pending([*prop.configs])
        drawn = [(s.params, s.source) for s in self._fallback.suggest(2 * short + 4, h)]
        rng = np.random.default_rng([self.seed, history.n_seen, 11])  # then uniform draws
        drawn += [(p, "random") for p in self.space.sample(20 * short, rng)]
        out: list[Suggestion] = []
        for params, source in drawn:
            key = params_key(params)
            if key not in seen and len(out) < short:
                seen.add(key)
                out.append(Suggestion(params, source, info))
        return out

    def _select(
        self, pool: list[Suggestion], n: int, history: History, seed: int
    ) -> list[Suggestion]:
        """The ``n`` pool points the GP acquisition prefers, tagged ``<source>:gp``."""
        from bbo.strategies.llm.scoring import select

        X = self.space.encode_many([s.params for s in pool])
        chosen, values, self._gp_state = select(
            self.space,
            history,
            X,
            n,
            seed=seed,
            state=self._gp_state or None,
            device=self.device,
        )
        return [
            Suggestion(
                pool[i].params,
                f"{pool[i].source}:gp",
                {**pool[i].info, "acq": "qLogNEI", "acq_value": v, "pool_size": len(pool)},
            )
            for i, v in zip(chosen, values)
        ]
