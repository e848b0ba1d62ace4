"""Every strategy on a conditional space (bbo.space.conditions): each suggestion holds
exactly its active parameters, over a short seeded ask/tell loop."""

from __future__ import annotations

import json

import pytest
import torch

import bbo
from bbo.acquisition.conditional import Imputed, imputed
from bbo.space import Categorical, Float, Int, Space
from bbo.strategies import History
from bbo.strategies.llm import ChatRequest, ChatResult, LLMStrategy
from bbo.strategies.llm.prompt import build_messages, gbnf_grammar, json_schema, parse_points
from bbo.trial import Objective

SPACE = Space(
    {
        "optimizer": Categorical(["sgd", "adam"]),
        "momentum": Float(0.0, 1.0, when={"optimizer": ["sgd"]}),
        "beta": Float(0.0, 1.0, when={"optimizer": ["adam"]}),
        "layers": Int(1, 2),
        "width2": Float(0.0, 1.0, when={"layers": [2]}),
    }
)


def loss(p: dict) -> float:
    """Best at sgd, momentum 0.3, two layers, width2 0.7 (value 0)."""
    v = (p["momentum"] - 0.3) ** 2 if p["optimizer"] == "sgd" else 0.2 + (p["beta"] - 0.5) ** 2
    return v + (0.3 if p["layers"] == 1 else (p["width2"] - 0.7) ** 2)


def run(strategy: str, asks: int = 12, **options) -> bbo.Study:
    study = bbo.Study(SPACE, strategy=strategy, seed=3, strategy_options=options or None)
    for i in range(asks):
        for t in study.ask(2 if i % 4 == 0 else 1):
            assert SPACE.validate(t.params) == t.params, (strategy, t.params)
            study.tell(t, loss(t.params))
    return study


@pytest.mark.parametrize("strategy", ["random", "sobol", "cmaes", "de", "gp", "auto"])
def test_every_suggestion_holds_exactly_its_active_parameters(strategy):
    study = run(strategy)
    trials = study.trials
    assert len(trials) == 15
    assert {t.params["optimizer"] for t in trials} == {"sgd", "adam"}
    assert any("width2" in t.params for t in trials)
    assert any("width2" not in t.params for t in trials)
    if strategy == "gp":  # the model proposed, not only the design
        assert any(t.attrs["source"].startswith("gp:") for t in trials)
    assert study.best.value < 0.3


def test_same_seed_same_conditional_suggestions():
    a, b = run("gp", asks=8), run("gp", asks=8)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_the_acquisition_sees_imputed_points():
    class Sum(torch.nn.Module):  # a stand-in acquisition: the sum of the coordinates
        model = None

        def forward(self, X):
            return X.sum(-1).sum(-1)

    acqf = Imputed(Sum(), SPACE)  # type: ignore[arg-type]
    j = SPACE.names.index
    X = torch.rand(5, 1, SPACE.dim, dtype=torch.float64)
    X[..., j("optimizer")] = 0.25  # sgd: beta inactive
    Y = X.clone()
    Y[..., j("beta")] = 0.9  # moving an inactive column changes nothing
    assert torch.equal(acqf(X), acqf(Y))
    assert torch.equal(acqf(X), Sum()(SPACE.impute(X)))
    assert imputed(acqf, SPACE) is acqf  # wrapped once
    flat = Space({"x": Float(0.0, 1.0)})
    inner = Sum()
    assert imputed(inner, flat) is inner  # type: ignore[arg-type]


# -- llm ---------------------------------------------------------------------------------------
class Scripted:
    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        return ChatResult(self.texts.pop(0), "stop", "scripted", 0.01)


def test_llm_prompt_names_the_conditions_and_parsing_keeps_active_parameters():
    done = bbo.Study(SPACE, strategy="random", seed=0)
    done.add({"optimizer": "adam", "beta": 0.5, "layers": 1}, 0.4)
    history = History(SPACE, (Objective("value"),), tuple(done.trials))
    answer = json.dumps(
        {
            "points": [
                # an inactive value (beta under sgd) is dropped, null for width2 too
                {"optimizer": "sgd", "momentum": 0.3, "beta": 0.9, "layers": 1, "width2": None},
                {"optimizer": "adam", "beta": 0.2, "layers": 2, "width2": 0.7},
                {"optimizer": "adam", "layers": 2, "width2": 0.7},  # beta missing: invalid
            ]
        }
    )
    client = Scripted(answer)
    s = LLMStrategy(SPACE, seed=0, client=client, n_init=0, points_per_call=3, max_calls=1)
    out = s.suggest(2, history)
    assert [o.params for o in out] == [
        {"optimizer": "sgd", "momentum": 0.3, "layers": 1},
        {"optimizer": "adam", "beta": 0.2, "layers": 2, "width2": 0.7},
    ]
    prompt = client.requests[0].messages[1]["content"]
    assert '- momentum: a real number in [0, 1] (only when optimizer is one of "sgd")' in prompt
    assert '{"optimizer": "adam", "beta": 0.5, "layers": 1} -> value = 0.4' in prompt
    assert "otherwise set it to null" in prompt
    parsed = parse_points(answer, SPACE, normalize=False)
    assert parsed.invalid == 1 and parsed.problems == ["point 2: missing ['beta']"]
    schema = json_schema(SPACE, 1, False)["json_schema"]["schema"]["properties"]["points"]
    props = schema["items"]["properties"]
    assert props["beta"]["anyOf"][1] == {"type": "null"} and "anyOf" not in props["layers"]
    assert '(unit | "null")' in gbnf_grammar(SPACE, 1, True) or '(num | "null")' in gbnf_grammar(
        SPACE, 1, False
    )


def test_llm_strategy_loop_on_a_conditional_space():
    msgs = build_messages(
        task="t",
        space=SPACE,
        metric="value",
        direction="minimize",
        evaluated=[],
        pending=[],
        k=1,
        history_size=5,
        normalize=True,
    )
    assert "(only when layers is one of 2)" in msgs[1]["content"]
    answers = [
        json.dumps({"points": [{"optimizer": "sgd", "momentum": m / 10, "layers": 1}]})
        for m in range(10)
    ]
    client = Scripted(*answers)
    s = LLMStrategy(SPACE, seed=0, client=client, n_init=2, max_calls=1, fallback="random")
    study = bbo.Study(SPACE, strategy="random", seed=0)
    sources = []
    for _ in range(6):
        (sug,) = s.suggest(1, History(SPACE, (Objective("value"),), tuple(study.trials)))
        assert SPACE.validate(sug.params) == sug.params
        study.add(sug.params, loss(sug.params))
        sources.append(sug.source)
    assert sources[:2] == ["random", "random"] and sources[2:] == ["llm"] * 4
