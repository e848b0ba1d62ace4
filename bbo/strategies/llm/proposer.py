"""The LLM as a proposer: history in, validated and distinct configurations out.

:class:`LLMProposer` is what the ``llm`` strategy and any portfolio call. One
:meth:`~LLMProposer.propose` makes at most ``max_calls`` chat calls, each asking for up to
``points_per_call`` points with the OPRO meta-prompt of :mod:`bbo.strategies.llm.prompt`.
Every answer is parsed, repaired (clipped, rounded) and deduplicated against every stored
trial, the pending configurations and the points already accepted. Failures never raise:
each is counted by kind (:data:`bbo.strategies.llm.client.FAILURE_KINDS`), logged, and
recorded with the prompt and the raw answer, and the caller fills the shortfall.

An endpoint-level failure (``config``, ``timeout``, ``connection``, ``auth``,
``rate_limit``, ``http``) ends the ask's calls at once; an answer-level one (``length``,
``malformed``, ``empty``, ``refusal``) is followed by another call while calls remain.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bbo.space import Space, params_key
from bbo.space.params import Scalar
from bbo.strategies.base import History
from bbo.strategies.llm.client import ChatClient, ChatRequest, LLMError, OpenAIChatClient
from bbo.strategies.llm.options import LLMOptions
from bbo.strategies.llm.prompt import (
    Evaluated,
    build_messages,
    gbnf_grammar,
    json_schema,
    parse_points,
)
from bbo.trial import TrialState

log = logging.getLogger("bbo.llm")

RETRYABLE = ("length", "malformed", "empty", "refusal")
COUNTERS = ("calls", "proposed", "accepted", "clipped", "invalid", "duplicate")


@dataclass
class Proposal:
    """Accepted configurations, the call each came from (an index into ``calls``), and one
    audit record per call: the messages sent, the raw answer, the finish reason, the error
    (``"kind: message"`` or None) and the per-call counts."""

    configs: list[dict[str, Scalar]] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [c["error"] for c in self.calls if c["error"]]


def evaluated(history: History) -> list[Evaluated]:
    """COMPLETED trials with their first-objective value, FAILED and INFEASIBLE ones with
    ``None``, in trial order."""
    metric = history.objectives[0].name
    out = []
    for t in history.trials:
        if t.state == TrialState.COMPLETED:
            out.append(Evaluated(t.params, float(t.values[metric])))
        elif t.state in (TrialState.FAILED, TrialState.INFEASIBLE):
            out.append(Evaluated(t.params, None))
    return out


def pending(history: History) -> list[Mapping[str, Any]]:
    running = [t.params for t in history.trials if t.state == TrialState.RUNNING]
    return [*running, *history.extra_pending]


class LLMProposer:
    """Proposes configurations with a chat model. ``client`` defaults to an
    :class:`OpenAIChatClient` built from the options; tests may pass a scripted one.
    Cumulative counters (``calls``, ``failures`` by kind, points ``proposed`` / ``accepted``
    / ``clipped`` / ``invalid`` / ``duplicate``) live in :meth:`state_dict`."""

    def __init__(self, space: Space, options: LLMOptions, client: ChatClient | None = None):
        self.space = space
        self.options = options
        self.client: ChatClient = client or OpenAIChatClient(
            options.base_url, options.model, options.api_key_variable(), options.timeout
        )
        self.counts: dict[str, Any] = {}
        self.load_state_dict({})

    def state_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.counts.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.counts = {k: int(state.get(k, 0)) for k in COUNTERS}
        self.counts["failures"] = {k: int(v) for k, v in dict(state.get("failures", {})).items()}

    def _request(self, k: int, history: History, seed: int) -> ChatRequest:
        o, objective = self.options, history.objectives[0]
        messages = build_messages(
            task=o.task,
            space=self.space,
            metric=objective.name,
            direction=objective.direction,
            evaluated=evaluated(history),
            pending=pending(history),
            k=k,
            history_size=o.history_size,
            normalize=o.normalize,
        )
        return ChatRequest(
            messages=messages,
            max_tokens=o.token_budget(k, self.space.dim),
            temperature=o.temperature,
            seed=seed,
            response_format=(
                json_schema(self.space, k, o.normalize)
                if o.structured_output == "json_schema"
                else None
            ),
            grammar=(
                gbnf_grammar(self.space, k, o.normalize)
                if o.structured_output == "grammar"
                else None
            ),
        )

    def propose(self, k: int, history: History, *, seed: int) -> Proposal:
        """Up to ``k`` new configurations, distinct from every trial of ``history``, its
        pending configurations and each other. ``seed`` seeds the calls (servers that honour
        ``seed`` answer deterministically)."""
        out = Proposal()
        seen = {params_key(t.params) for t in history.trials}
        seen |= {params_key(p) for p in history.extra_pending}
        o = self.options
        for call in range(o.max_calls):
            remaining = k - len(out.configs)
            if remaining <= 0:
                break
            want = min(o.points_per_call, remaining + 1)  # one spare: tiny models repeat
            call_seed = int(np.random.SeedSequence([seed, call]).generate_state(1)[0] >> 1)
            h = history.with_pending([*out.configs])
            request = self._request(want, h, call_seed)
            record: dict[str, Any] = {
                "messages": request.messages,
                "requested": want,
                "seed": call_seed,
                "response": None,
                "finish_reason": None,
                "error": None,
            }
            out.calls.append(record)
            self.counts["calls"] += 1
            try:
                result = self.client.complete(request)
                record.update(
                    response=result.content,
                    finish_reason=result.finish_reason,
                    model=result.model,
                    elapsed_s=round(result.elapsed_s, 3),
                    usage=result.usage,
                )
                parsed = parse_points(result.content, self.space, o.normalize)
            except LLMError as e:
                self._fail(record, e)
                if e.kind in RETRYABLE:
                    continue
                break
            except Exception as e:  # a client bug must not fail the ask either
                log.exception("llm call %d raised", self.counts["calls"])
                self._fail(record, LLMError("unexpected", f"{type(e).__name__}: {e}"))
                break
            accepted = duplicate = 0
            for config in parsed.configs:
                key = params_key(config)
                if key in seen or accepted >= remaining:
                    duplicate += key in seen
                    continue
                seen.add(key)
                out.configs.append(config)
                out.origin.append(len(out.calls) - 1)
                accepted += 1
            n_read = len(parsed.configs) + parsed.invalid
            record.update(
                accepted=accepted,
                clipped=parsed.clipped,
                invalid=parsed.invalid,
                duplicate=duplicate,
                problems=parsed.problems,
            )
            for name, v in (
                ("proposed", n_read),
                ("accepted", accepted),
                ("clipped", parsed.clipped),
                ("invalid", parsed.invalid),
                ("duplicate", duplicate),
            ):
                self.counts[name] += v
            if parsed.invalid or duplicate or parsed.clipped:
                log.info(
                    "llm call %d: %d points read, %d accepted, %d clipped, %d invalid, "
                    "%d duplicate",
                    self.counts["calls"],
                    n_read,
                    accepted,
                    parsed.clipped,
                    parsed.invalid,
                    duplicate,
                )
        return out

    def candidates(self, k: int, history: History, *, seed: int) -> tuple[np.ndarray, Proposal]:
        """:meth:`propose` as a candidate pool for an acquisition: ``m x d`` in the encoded
        unit cube (``m <= k``, possibly 0), and the proposal with its audit records."""
        prop = self.propose(k, history, seed=seed)
        return self.space.encode_many([*prop.configs]), prop

    def _fail(self, record: dict[str, Any], e: LLMError) -> None:
        record["error"] = f"{e.kind}: {e.message}"
        if e.raw is not None and record["response"] is None:
            record["response"] = e.raw
        if e.kind == "length":
            record["finish_reason"] = "length"
        failures = self.counts["failures"]
        failures[e.kind] = failures.get(e.kind, 0) + 1
        log.warning("llm call %d failed (%s): %s", self.counts["calls"], e.kind, e.message)
