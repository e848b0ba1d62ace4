"""The ``auto`` portfolio with an LLM proposal source, against the real local server."""

from __future__ import annotations

import bbo


def test_auto_scores_llm_proposals_and_keeps_their_audit(local_llm):
    space = bbo.Space({"x": bbo.Float(0.0, 10.0), "y": bbo.Float(0.0, 10.0)})
    llm = local_llm.options(task="Minimize (x-3)^2 + (y-7)^2.", points_per_call=3, max_calls=1)
    study = bbo.Study(
        space,
        seed=0,
        strategy_options={"num_restarts": 2, "raw_samples": 64, "pool_size": 8, "llm": llm},
    )
    for _ in range(8):
        t = study.ask()
        study.tell(t, (t.params["x"] - 3) ** 2 + (t.params["y"] - 7) ** 2)
    gp_asks = [t for t in study.trials if t.attrs["source"] != "sobol"]
    assert len(gp_asks) == 3
    for t in gp_asks:  # every model-based ask called the LLM and stored what it said
        calls = t.attrs["llm_calls"]
        assert calls and {"messages", "response"} <= set(calls[0])
        assert "Minimize (x-3)^2" in str(calls[0]["messages"])
        assert space.contains(t.params)
    state = study.storage.get_study_by_id(study._study_id).strategy_state
    assert state["llm"]["calls"] >= 3
