"""The ``llm`` strategy end to end over HTTP, through ``bbo.Study``, against a real local
llama.cpp server (SmolLM2-135M, see conftest.py). A model this small checks the mechanics
(calls made, answers parsed, points valid, in bounds and distinct, audit log stored,
failures handled), not the quality of the optimization."""

from __future__ import annotations

import socket

import bbo
from bbo.space import params_key

SPACE = bbo.Space(
    {
        "x": bbo.Float(-5.0, 10.0),
        "n": bbo.Int(1, 8),
        "act": bbo.Categorical(["relu", "tanh", "gelu"]),
    }
)


def f(p: dict) -> float:
    return (p["x"] - 2.0) ** 2 + p["n"] + (0.0 if p["act"] == "tanh" else 1.0)


def _distinct(trials: list[bbo.Trial]) -> bool:
    return len({params_key(t.params) for t in trials}) == len(trials)


TASK = "Tune a toy model: x is a real knob, n a layer count, act an activation."


def test_study_over_http(local_llm, tmp_path):
    """OPRO through bbo.Study on SQLite, GBNF grammar mode: valid, in-bounds, distinct
    points, each LLM trial storing the prompt and the raw answer. Then the study is reopened
    with JSON-schema output, the model name taken from GET /models and the LLAMBO-style mode
    (the GP acquisition picks from the LLM's pool): the counters continue from the stored
    strategy state."""
    url = f"sqlite:///{tmp_path / 'llm.db'}"
    opts = local_llm.options(
        task=TASK, structured_output="grammar", temperature=0.7, n_init=2, points_per_call=3
    )
    study = bbo.Study(SPACE, strategy="llm", seed=7, storage=url, name="s", strategy_options=opts)
    for t in study.ask(2):
        study.tell(t, f(t.params))
    batch = study.ask(2)
    trials = study.trials
    assert [t.attrs["source"] for t in trials[:2]] == ["sobol"] * 2
    assert _distinct(trials) and all(SPACE.contains(t.params) for t in trials)
    llm = [t for t in batch if t.attrs["source"] == "llm"]
    assert llm, [t.attrs.get("llm_fallback") for t in batch]
    for t in llm:
        record = t.attrs["llm"]
        prompt = record["messages"][1]["content"]
        assert f"Task: {TASK}" in prompt and "sorted from worst to best (2 of 2" in prompt
        assert record["finish_reason"] == "stop" and record["model"] == "smollm2"
        assert record["response"].startswith('{"points":[')  # the grammar's compact JSON
        assert record["requested"] == 3 and record["accepted"] >= 1
    for t in batch:
        assert t.attrs["source"] == "llm" or "llm_fallback" in t.attrs  # filled points say why
        study.tell(t, f(t.params))
    counts = study.trials[-1].attrs["llm_counts"]
    assert counts["calls"] in (1, 2) and counts["accepted"] == len(llm)

    gp_opts = {**opts, "structured_output": "json_schema", "mode": "gp", "pool_size": 2}
    gp_opts.update(points_per_call=2, max_calls=1)
    del gp_opts["model"]
    reopened = bbo.Study(SPACE, strategy="llm", storage=url, name="s", strategy_options=gp_opts)
    t = reopened.ask()
    assert t.attrs["llm_counts"]["calls"] == counts["calls"] + 1  # counters continue
    assert SPACE.contains(t.params) and _distinct(reopened.trials)
    assert t.attrs["source"] in ("llm:gp", "sobol:gp")
    assert t.attrs["pool_size"] == 2 and isinstance(t.attrs["acq_value"], float)
    # an LLM point carries its call; a filled one the calls that fell short
    call = t.attrs["llm"] if t.attrs["source"] == "llm:gp" else t.attrs["llm_failed_calls"][0]
    assert call["model"] == "smollm2"  # resolved through GET /models
    assert call["response"].lstrip().startswith("{")
    assert "sorted from worst to best (4 of 4" in call["messages"][1]["content"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failures_fall_back_and_are_counted(local_llm, monkeypatch):
    """Unreachable endpoint, a max_tokens too small for the answer (finish_reason=length,
    retried once), a wrong key (HTTP 401), an unset key variable and a time-out: every ask
    still returns valid distinct points from the fallback, each failure is counted by kind
    and logged with the trial. (Last in the file: a timed-out request keeps the server busy
    for a moment.)"""
    cases = [
        ({"base_url": f"http://127.0.0.1:{_closed_port()}/v1"}, "connection", 1),
        ({"max_tokens": 3, "max_calls": 2, "fallback": "random"}, "length", 2),
        ({"api_key_env": "BBO_TEST_WRONG_KEY"}, "auth", 1),
        ({"api_key_env": "BBO_TEST_UNSET_KEY"}, "config", 1),
        ({"timeout": 0.01, "max_tokens": 3}, "timeout", 1),
    ]
    monkeypatch.setenv("BBO_TEST_WRONG_KEY", "not-the-key")
    monkeypatch.delenv("BBO_TEST_UNSET_KEY", raising=False)
    for extra, kind, calls in cases:
        base = {"task": TASK, "structured_output": "grammar", "n_init": 0, "max_calls": 1}
        opts = local_llm.options(**{**base, **extra})
        study = bbo.Study(SPACE, strategy="llm", seed=2, strategy_options=opts)
        trials = study.ask(3)
        fallback = extra.get("fallback", "sobol")
        assert [t.attrs["source"] for t in trials] == [fallback] * 3, kind
        assert all(SPACE.contains(t.params) for t in trials) and _distinct(trials)
        attrs = trials[0].attrs
        assert attrs["llm_counts"]["failures"] == {kind: calls}, attrs["llm_fallback"]
        assert attrs["llm_counts"]["calls"] == calls
        assert attrs["llm_fallback"].startswith(f"{kind}: ")
        assert len(attrs["llm_failed_calls"]) == calls
        call = attrs["llm_failed_calls"][0]
        assert call["error"].startswith(f"{kind}: ") and TASK in call["messages"][1]["content"]
        if kind == "length":
            assert call["finish_reason"] == "length" and call["response"]
        if kind == "auth":
            assert "HTTP 401" in call["error"]
        assert "not-the-key" not in repr(study.spec.to_dict())  # keys are never stored
