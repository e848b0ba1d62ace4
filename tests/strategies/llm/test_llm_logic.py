"""Pure logic of the ``llm`` strategy: options, meta-prompt, parsing, counting, fallback.

A scripted client stands in for the endpoint here (the HTTP path is tested against the real
local server in test_llm_server.py).
"""

from __future__ import annotations

import json

import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History, make_strategy, validate_options
from bbo.strategies.llm import ChatRequest, ChatResult, LLMError, LLMOptions, LLMStrategy
from bbo.strategies.llm.client import check_finish
from bbo.strategies.llm.prompt import (
    Evaluated,
    build_messages,
    gbnf_grammar,
    json_schema,
    parse_points,
)
from bbo.study.storage import open_storage
from bbo.trial import Objective

SPACE = bbo.Space(
    {
        "x": bbo.Float(-5.0, 10.0),
        "lr": bbo.Float(1e-5, 1e-1, log=True),
        "n": bbo.Int(1, 8),
        "act": bbo.Categorical(["relu", "tanh", "gelu"]),
        "size": bbo.Ordinal([16, 32, 64]),
    }
)


class Scripted:
    """Answers (text, finish_reason) or raises LLMError, in order; records the requests."""

    def __init__(self, *answers: tuple[str, str] | LLMError) -> None:
        self.answers = list(answers)
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        a = self.answers.pop(0)
        if isinstance(a, LLMError):
            raise a
        text, finish = a
        return ChatResult(check_finish(text, finish, None), finish, "scripted", 0.01)


def _points(*points: dict) -> tuple[str, str]:
    return json.dumps({"points": list(points)}), "stop"


P1 = {"x": 1.5, "lr": 0.001, "n": 3, "act": "relu", "size": 32}
P2 = {"x": -2.0, "lr": 0.01, "n": 7, "act": "gelu", "size": 64}


# -- options ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": 3}, "llm option `temperature` must be a number in [0, 2], got 3"),
        ({"max_tokens": 0}, "llm option `max_tokens` must be an integer >= 1, got 0"),
        (
            {"structured_output": "xml"},
            "llm option `structured_output` must be one of ['json_schema', 'grammar', 'none'], "
            "got 'xml'",
        ),
        ({"base_url": "localhost:8080"}, "`base_url` must be an http:// or https:// URL"),
        ({"api_key_env": "MY KEY"}, "`api_key_env` must be the name of an environment variable"),
        ({"task": "  "}, "llm option `task` must be a non-empty string, got '  '"),
        ({"timeout": 0}, "llm option `timeout` must be a number in (0, 3600], got 0"),
        ({"mode": "bandit"}, "llm option `mode` must be one of ['direct', 'gp'], got 'bandit'"),
        ({"api_key": "sk-123"}, "strategy 'llm' takes no option(s) ['api_key']"),
    ],
)
def test_bad_options_are_rejected_with_the_rule_and_value(options, message):
    with pytest.raises(InvalidArgumentError) as e:
        make_strategy("llm", SPACE, (Objective("value"),), seed=0, options=options)
    assert message in str(e.value)


def test_options_defaults_and_key_variable():
    o = LLMOptions.parse({})
    assert (o.structured_output, o.temperature, o.mode, o.fallback) == (
        "json_schema",
        1.0,
        "direct",
        "sobol",
    )
    assert o.api_key_variable() == "OPENAI_API_KEY"  # OpenAI's endpoint
    local = LLMOptions.parse({"base_url": "http://localhost:8080/v1/"})
    assert local.base_url == "http://localhost:8080/v1" and local.api_key_variable() is None
    assert LLMOptions.parse({"api_key_env": "K"}).api_key_variable() == "K"
    assert o.token_budget(3, 2) == 48 + 3 * 36
    assert LLMOptions.parse({"max_tokens": 7}).token_budget(3, 2) == 7


def test_options_are_the_strategys_typed_options_and_gp_mode_takes_the_device():
    o = validate_options("llm", {"base_url": "http://h:1/v1/", "mode": "gp", "temperature": 1})
    assert isinstance(o, LLMOptions) and o.base_url == "http://h:1/v1"
    assert o.temperature == 1.0 and isinstance(o.temperature, float)
    with pytest.raises(InvalidArgumentError, match="runtime setting"):
        validate_options("llm", {"device": "cpu"})
    gp = LLMStrategy(SPACE, seed=0, client=Scripted(), options=o, device="cpu")
    assert str(gp.device) == "cpu"  # where the pool is scored
    assert LLMStrategy(SPACE, seed=0, client=Scripted(), device="cpu").device is None
    with pytest.raises(InvalidArgumentError, match="not both"):
        LLMStrategy(SPACE, seed=0, client=Scripted(), options=o, mode="direct")


def test_study_rejects_bad_options_before_storing_anything(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with pytest.raises(InvalidArgumentError, match="temperature"):
        bbo.Study(
            SPACE, strategy="llm", storage=url, name="s", strategy_options={"temperature": -1}
        )
    assert open_storage(url).list_studies() == []
    bbo.Study(SPACE, strategy="llm", storage=url, name="s", strategy_options={"n_init": 0})
    assert [r.name for r in open_storage(url).list_studies()] == ["s"]


# -- meta-prompt ------------------------------------------------------------------------------
def test_meta_prompt_shows_the_best_last_and_caps_the_history():
    evaluated = [Evaluated({**P1, "x": float(i)}, float(10 - i)) for i in range(6)]
    evaluated.append(Evaluated(P2, None))
    msgs = build_messages(
        task="Tune it.",
        space=SPACE,
        metric="loss",
        direction="minimize",
        evaluated=evaluated,
        pending=[{**P1, "x": 9.5}],
        k=2,
        history_size=4,
        normalize=False,
    )
    user = msgs[1]["content"]
    lines = user.splitlines()
    rows = [ln for ln in lines if "-> loss =" in ln]
    # the 4 best (x = 2..5, loss 8..5), worst first, best last
    assert [json.loads(r.split(" -> ")[0])["x"] for r in rows] == [2, 3, 4, 5]
    assert rows[-1].endswith("loss = 5")
    assert "(4 of 6; the best is last)" in user
    assert '- act: one of "relu", "tanh", "gelu"' in lines
    assert "- lr: a real number in [1e-05, 0.1] (log scale)" in lines
    assert "- n: an integer in [1, 8]" in lines
    assert "- size: one of 16, 32, 64 (ordered)" in lines
    assert "Being evaluated now (do not repeat):" in lines and '"x": 9.5' in user
    assert "Failed to evaluate (avoid):" in lines
    assert "Propose 2 new configurations" in user and "lower `loss`" in user


def test_meta_prompt_for_maximize_and_normalized_floats():
    evaluated = [Evaluated(P1, 1.0), Evaluated(P2, 3.0)]
    user = build_messages(
        task="t",
        space=SPACE,
        metric="acc",
        direction="maximize",
        evaluated=evaluated,
        pending=[],
        k=1,
        history_size=20,
        normalize=True,
    )[1]["content"]
    rows = [ln for ln in user.splitlines() if "-> acc =" in ln]
    assert rows[-1].endswith("acc = 3")  # highest last
    assert "- lr: a real number in [0, 1] (normalized: 0 is 1e-05, 1 is 0.1, log scale)" in user
    assert json.loads(rows[-1].split(" -> ")[0])["lr"] == round(SPACE["lr"].encode(0.01), 4)


def test_structured_output_constraints_name_every_parameter():
    schema = json_schema(SPACE, 3, False)["json_schema"]["schema"]
    points = schema["properties"]["points"]
    assert points["minItems"] == points["maxItems"] == 3
    item = points["items"]
    assert item["required"] == list(SPACE.names)
    assert item["properties"]["act"] == {"enum": ["relu", "tanh", "gelu"]}
    assert item["properties"]["n"] == {"type": "integer", "minimum": 1, "maximum": 8}
    g = gbnf_grammar(SPACE, 2, False)
    assert g.splitlines()[0] == 'root ::= "{\\"points\\":[" point "," point "]}"'
    assert 'c3 ::= "\\"relu\\"" | "\\"tanh\\"" | "\\"gelu\\""' in g
    assert 'c4 ::= "16" | "32" | "64"' in g


# -- parsing ----------------------------------------------------------------------------------
def test_parse_repairs_what_it_can_and_counts_the_rest():
    text = (
        "Sure! ```json\n"
        + json.dumps(
            {
                "points": [
                    {
                        "x": 42,
                        "lr": 0.001,
                        "n": 3.4,
                        "act": "RELU",
                        "size": "32",
                    },  # clipped, rounded
                    {"x": 1, "lr": 0.001, "n": 2, "act": "swish", "size": 16},  # bad choice
                    {"x": 1, "lr": 0.001, "act": "tanh", "size": 16},  # missing n
                    [1, 2, 3],  # not an object
                    {"x": "nan", "lr": 0.001, "n": 2, "act": "tanh", "size": 16},
                    P2,
                ]
            }
        )
        + "\n```"
    )
    parsed = parse_points(text, SPACE, normalize=False)
    assert parsed.configs == [
        {"x": 10.0, "lr": 0.001, "n": 3, "act": "relu", "size": 32},
        P2,
    ]
    assert (parsed.clipped, parsed.invalid) == (1, 4)
    assert "swish" in parsed.problems[0] and "missing ['n']" in parsed.problems[1]


def test_parse_shapes_and_normalized_coordinates():
    assert parse_points(json.dumps([P1]), SPACE, False).configs == [P1]
    assert parse_points("result: " + json.dumps(P1), SPACE, False).configs == [P1]
    u = {**P1, "x": 0.5, "lr": 1.5}
    (c,) = parse_points(json.dumps({"points": [u]}), SPACE, True).configs
    assert c["x"] == pytest.approx(2.5) and c["lr"] == pytest.approx(0.1)
    for bad in ("no json here", '{"answer": 3}', '{"points": [{"x": 1'):
        with pytest.raises(LLMError) as e:
            parse_points(bad, SPACE, False)
        assert e.value.kind == "malformed" and e.value.raw == bad


def test_finish_reasons_are_classified():
    assert check_finish("{}", "stop", None) == "{}"
    for args, kind in [
        (("{", "length", None), "length"),
        (("", "stop", None), "empty"),
        ((None, "stop", "I cannot help"), "refusal"),
        (("x", "content_filter", None), "refusal"),
    ]:
        with pytest.raises(LLMError) as e:
            check_finish(*args)
        assert e.value.kind == kind


# -- the strategy with a scripted client -------------------------------------------------------
def _strategy(client: Scripted, **options) -> LLMStrategy:
    return LLMStrategy(SPACE, seed=3, client=client, **{"n_init": 0, **options})


def _history(*params: dict) -> History:
    study = bbo.Study(SPACE, strategy="random", seed=0)
    for p in params:
        study.add(p, 1.0)
    return History(SPACE, (Objective("value"),), tuple(study.trials))


def test_duplicates_are_dropped_and_the_shortfall_is_filled():
    client = Scripted(_points(P1, P2, {**P2, "n": 5}), _points(P1))
    s = _strategy(client, points_per_call=3)
    out = s.suggest(3, _history(P1))
    assert [o.source for o in out] == ["llm", "llm", "sobol"]
    assert [o.params for o in out[:2]] == [P2, {**P2, "n": 5}]
    assert len({json.dumps(o.params, sort_keys=True) for o in out}) == 3
    # call 1: P1 is in the history; call 2 asks for the last point and repeats P1
    assert len(client.requests) == 2
    assert client.requests[1].messages[1]["content"].count("Being evaluated now") == 1
    assert out[2].info["llm_fallback"] == "the LLM gave 2 new valid point(s) of 3 asked"
    assert out[0].info["llm"]["response"] == json.dumps({"points": [P1, P2, {**P2, "n": 5}]})
    state = s.state_dict()["llm"]
    assert state == {
        "calls": 2,
        "proposed": 4,
        "accepted": 2,
        "clipped": 0,
        "invalid": 0,
        "duplicate": 2,
        "failures": {},
    }


def test_failures_are_counted_by_kind_and_never_raise():
    client = Scripted(
        ('{"points": [{"x"', "length"),
        ("I'd rather not", "stop"),
        LLMError("timeout", "no answer within 1 s"),
    )
    s = _strategy(client, max_calls=5)
    s.load_state_dict({"llm": {"calls": 10, "failures": {"timeout": 2}}})
    out = s.suggest(2, _history(P1))
    assert [o.source for o in out] == ["sobol", "sobol"]
    # length and malformed are retried; a time-out ends the ask's calls
    assert len(client.requests) == 3
    assert s.state_dict()["llm"]["calls"] == 13
    assert s.state_dict()["llm"]["failures"] == {"length": 1, "malformed": 1, "timeout": 3}
    info = out[0].info
    assert info["llm_fallback"].startswith("length: the answer was cut")
    assert [c["finish_reason"] for c in info["llm_failed_calls"]] == ["length", "stop", None]
    assert info["llm_failed_calls"][0]["response"] == '{"points": [{"x"'


def test_initial_design_comes_from_the_fallback():
    client = Scripted()
    s = LLMStrategy(SPACE, seed=3, client=client, n_init=2, fallback="random")
    out = s.suggest(2, _history())
    assert [o.source for o in out] == ["random", "random"] and not client.requests


def test_gp_mode_scores_the_pool_with_the_acquisition():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    study = bbo.Study(space, strategy="random", seed=0)
    for i in range(9):
        x, y = (i % 3 + 0.5) / 3, (i // 3 + 0.5) / 3  # a 3 x 3 grid
        study.add({"x": x, "y": y}, (x - 0.2) ** 2 + (y - 0.2) ** 2)
    history = History(space, (Objective("value"),), tuple(study.trials))
    pool = [{"x": 0.21, "y": 0.19}, {"x": 0.95, "y": 0.95}, {"x": 0.9, "y": 0.1}]
    client = Scripted(_points(*pool))
    s = LLMStrategy(space, seed=0, client=client, n_init=0, mode="gp", pool_size=4, max_calls=1)
    out = s.suggest(1, history)
    assert client.requests[0].messages[1]["content"].count("Propose 4 new") == 1
    assert out[0].params == pool[0]  # next to the optimum of the fitted quadratic
    assert out[0].source == "llm:gp" and out[0].info["pool_size"] == 4
    assert "gp" in s.state_dict() and s.state_dict()["llm"]["accepted"] == 3


def test_client_option_must_be_a_client():
    with pytest.raises(InvalidArgumentError, match="complete"):
        LLMStrategy(SPACE, seed=0, client="http://x")  # type: ignore[arg-type]


def test_study_yaml_strategy_options_are_validated(tmp_path):
    from bbo.exceptions import ConfigError
    from bbo.run.config import load_config

    path = tmp_path / "study.yaml"
    text = """name: t
space:
  x: {type: float, low: 0, high: 1}
objective:
  command: ["echo", "1"]
strategy: {name: llm, task: "a task", temperature: %s, base_url: "http://localhost:8080/v1"}
budget: 3
"""
    path.write_text(text % 5)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == (
        f"{path}: strategy: llm option `temperature` must be a number in [0, 2], got 5"
    )
    path.write_text(text % 0.5)
    config, _ = load_config(path)
    assert config.strategy.options == {
        "task": "a task",
        "temperature": 0.5,
        "base_url": "http://localhost:8080/v1",
    }


def test_fill_skips_configurations_already_tried_in_a_small_space():
    space = bbo.Space({"w": bbo.Int(0, 2), "b": bbo.Int(0, 1)})
    study = bbo.Study(space, strategy="random", seed=0)
    tried = [{"w": 0, "b": 0}, {"w": 1, "b": 1}, {"w": 2, "b": 0}]
    for p in tried:
        study.add(p, 1.0)
    history = History(space, (Objective("value"),), tuple(study.trials))
    client = Scripted(_points({"w": 2, "b": 1}), ("nonsense", "stop"))
    s = LLMStrategy(space, seed=0, client=client, n_init=0, max_calls=2)
    out = s.suggest(3, history)
    keys = [(o.params["w"], o.params["b"]) for o in out]
    assert keys[0] == (2, 1) and out[0].source == "llm"
    assert len(set(keys)) == 3 and not set(keys) & {(0, 0), (1, 1), (2, 0)}
    assert sorted(keys[1:]) == [(0, 1), (1, 0)]  # the only configurations left
    assert {o.source for o in out[1:]} <= {"sobol", "random"}
    assert out[1].info["llm_fallback"].startswith("malformed: no JSON")
