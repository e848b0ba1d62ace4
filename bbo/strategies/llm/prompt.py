"""The OPRO meta-prompt, the structured-output constraints, and parsing of the answer.

The meta-prompt (Yang et al. 2023, "Large Language Models as Optimizers", section 2.2)
holds, in order: the task description, the search space in words, the best
``history_size`` evaluated configurations sorted from worst to best (so the best are
nearest to the instruction, as in OPRO), the configurations still being evaluated and the
recent failures, then the instruction to propose ``k`` new, different configurations with
a better value, as JSON ``{"points": [{name: value, ...}, ...]}``.

Coordinates: numbers are shown and read in the parameter's own units, categorical and
ordinal values by name. With ``normalize=True`` every Float is shown and read as its
coordinate ``u`` in ``[0, 1]`` (the index view of :mod:`bbo.space`; log-scaled for
``log=True``), which keeps a model from having to reason about ``1e-5 .. 1e-1`` ranges.

The model's answer is never trusted: :func:`parse_points` accepts bare JSON, JSON inside a
code fence or surrounded by prose, clips numbers to the bounds, rounds integers, matches
choices case-insensitively, and reports every point it had to repair or drop.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bbo.space import Categorical, Float, Int, Ordinal, Space
from bbo.space.params import Param, Scalar
from bbo.strategies.llm.client import LLMError

SYSTEM = (
    "You propose new configurations for a black-box optimization, learning from the "
    "evaluated ones. Answer with JSON only."
)
MAX_PENDING_SHOWN = 10
MAX_FAILED_SHOWN = 5


@dataclass(frozen=True)
class Evaluated:
    """One past configuration and its objective value (``None`` for a failure)."""

    params: Mapping[str, Any]
    value: float | None


def _num(v: float) -> float | int:
    """6 significant digits, integers without a decimal point."""
    r = float(f"{v:.6g}")
    return int(r) if r.is_integer() and abs(r) < 1e15 else r


def _show(space: Space, params: Mapping[str, Any], normalize: bool) -> str:
    """A configuration as compact JSON in the prompt's coordinates."""
    out: dict[str, Any] = {}
    for name in space.names:
        if name not in params:  # an inactive conditional parameter
            continue
        p, v = space[name], params[name]
        if isinstance(p, Float):
            out[name] = round(p.encode(v), 4) if normalize else _num(v)
        else:
            out[name] = v
    return json.dumps(out, separators=(", ", ": "))


def describe_param(name: str, p: Param, normalize: bool) -> str:
    if isinstance(p, Float):
        if normalize:
            scale = "log" if p.log else "linear"
            return (
                f"- {name}: a real number in [0, 1] (normalized: 0 is {_num(p.low)}, 1 is "
                f"{_num(p.high)}, {scale} scale)"
            )
        return f"- {name}: a real number in [{_num(p.low)}, {_num(p.high)}]" + (
            " (log scale)" if p.log else ""
        )
    if isinstance(p, Int):
        return f"- {name}: an integer in [{p.low}, {p.high}]" + (" (log scale)" if p.log else "")
    if isinstance(p, Ordinal):
        return f"- {name}: one of {', '.join(json.dumps(v) for v in p.values)} (ordered)"
    if isinstance(p, Categorical):
        return f"- {name}: one of {', '.join(json.dumps(v) for v in p.choices)}"
    raise TypeError(f"unsupported parameter type {type(p).__name__}")


def build_messages(
    *,
    task: str,
    space: Space,
    metric: str,
    direction: str,
    evaluated: Sequence[Evaluated],
    pending: Sequence[Mapping[str, Any]],
    k: int,
    history_size: int,
    normalize: bool,
) -> list[dict[str, str]]:
    """The chat messages of one OPRO step (a system and a user message)."""
    lower = direction == "minimize"
    done = [(e.params, e.value) for e in evaluated if e.value is not None]
    failed = [e for e in evaluated if e.value is None]
    # best `history_size`, sorted worst -> best (the best come last)
    done.sort(key=lambda e: e[1] if lower else -e[1])
    shown = done[:history_size][::-1]
    lines = [
        f"Task: {task.strip()}",
        f"Goal: {'minimize' if lower else 'maximize'} `{metric}`.",
        "",
        "Parameters:",
        *(describe_param(n, space[n], normalize) + _when(space, n) for n in space.names),
        *(
            ["Every point must satisfy (in parameter values):", *space.constraint_texts]
            if space.constraints
            else []
        ),
        "",
    ]
    if shown:
        lines.append(
            f"Evaluated configurations, sorted from worst to best ({len(shown)} of "
            f"{len(done)}; the best is last):"
        )
        lines += [f"{_show(space, p, normalize)} -> {metric} = {_num(v)}" for p, v in shown]
    else:
        lines.append("No configuration has been evaluated yet.")
    if pending:
        lines += ["", "Being evaluated now (do not repeat):"]
        lines += [_show(space, p, normalize) for p in pending[-MAX_PENDING_SHOWN:]]
    if failed:
        lines += ["", "Failed to evaluate (avoid):"]
        lines += [_show(space, e.params, normalize) for e in failed[-MAX_FAILED_SHOWN:]]
    better = "lower" if lower else "higher"
    keys = ", ".join(f'"{n}": ...' for n in space.names)
    lines += [
        "",
        f"Propose {k} new configuration{'s' if k > 1 else ''}, different from all of the "
        f"above, that you expect to give a {better} `{metric}` than the best so far. "
        f'Answer with JSON only: {{"points": [{{{keys}}}]}} with {k} point'
        f"{'s' if k > 1 else ''}.",
    ]
    if space.conditions:
        lines.append(
            "A parameter with a condition (`only when ...`) is used only when the condition "
            "holds; otherwise set it to null."
        )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


# -- structured output ------------------------------------------------------------------------
def _value_schema(p: Param, normalize: bool) -> dict[str, Any]:
    if isinstance(p, Float):
        lo, hi = (0.0, 1.0) if normalize else (p.low, p.high)
        return {"type": "number", "minimum": lo, "maximum": hi}
    if isinstance(p, Int):
        return {"type": "integer", "minimum": p.low, "maximum": p.high}
    assert isinstance(p, (Categorical, Ordinal))
    return {"enum": list(p.options)}


def json_schema(space: Space, k: int, normalize: bool) -> dict[str, Any]:
    """OpenAI ``response_format`` for exactly ``k`` points. Servers that decode under a
    schema (llama.cpp, vLLM) enforce the shape and the choices; ``minimum``/``maximum`` are
    not always enforced, so :func:`parse_points` clips anyway."""
    point = {
        "type": "object",
        "properties": {
            n: _nullable(space, n, _value_schema(space[n], normalize)) for n in space.names
        },
        "required": list(space.names),
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {"points": {"type": "array", "items": point, "minItems": k, "maxItems": k}},
        "required": ["points"],
        "additionalProperties": False,
    }
    return {
        "type": "json_schema",
        "json_schema": {"name": "points", "strict": True, "schema": schema},
    }


def _lit(text: str) -> str:
    """A GBNF string literal matching ``text`` exactly."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def gbnf_grammar(space: Space, k: int, normalize: bool) -> str:
    """A GBNF grammar (llama.cpp's ``grammar`` request field) for exactly ``k`` points in
    compact JSON: keys in space order, numbers without exponent, choices enumerated."""
    rules = ['root ::= "{\\"points\\":[" point' + ' "," point' * (k - 1) + ' "]}"']
    fields = []
    for i, name in enumerate(space.names):
        p = space[name]
        if isinstance(p, Float):
            value = "unit" if normalize else "num"
        elif isinstance(p, Int):
            value = "int"
        else:
            assert isinstance(p, (Categorical, Ordinal))
            value = f"c{i}"
            rules.append(f"c{i} ::= " + " | ".join(_lit(json.dumps(v)) for v in p.options))
        if name in space.conditions.when:  # inactive: null
            value = f"({value} | {_lit('null')})"
        fields.append(_lit(("," if i else "") + json.dumps(name) + ":") + " " + value)
    rules.insert(1, 'point ::= "{" ' + " ".join(fields) + ' "}"')
    rules += [
        'num ::= "-"? [0-9]{1,15} ("." [0-9]{1,8})?',
        'unit ::= "0" ("." [0-9]{1,4})? | "1" (".0")?',
        'int ::= "-"? [0-9]{1,9}',
    ]
    return "\n".join(rules) + "\n"


# -- parsing ----------------------------------------------------------------------------------
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def extract_json(text: str) -> Any:
    """The JSON value in ``text``: the whole text, a fenced block, or the outermost
    ``{...}`` / ``[...]`` span. LLMError(``malformed``) when there is none."""
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    for open_, close in (("{", "}"), ("[", "]")):
        i, j = text.find(open_), text.rfind(close)
        if 0 <= i < j:
            candidates.append(text[i : j + 1])
    for c in candidates:
        try:
            return json.loads(c)
        except (json.JSONDecodeError, RecursionError):
            continue
    raise LLMError("malformed", f"no JSON in the answer: {text[:200]!r}", raw=text)


@dataclass
class Parsed:
    """Configurations read from one answer, and what had to be repaired or dropped."""

    configs: list[dict[str, Scalar]]
    clipped: int = 0
    invalid: int = 0
    problems: list[str] | None = None


def _coerce(p: Param, v: Any, normalize: bool) -> tuple[Scalar, bool]:
    """A valid value for ``p`` from the model's ``v``, and whether it had to be clipped.
    ValueError when ``v`` cannot be read."""
    if isinstance(p, (Float, Int)):
        if isinstance(v, str):
            v = float(v.strip())
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{v!r} is not a finite number")
        x = float(v)
        if isinstance(p, Float) and normalize:
            return p.decode(x), not 0.0 <= x <= 1.0
        if isinstance(p, Int):
            r = min(max(math.floor(x + 0.5), p.low), p.high)
            return int(r), not p.low <= x <= p.high
        return min(max(x, p.low), p.high), not p.low <= x <= p.high
    assert isinstance(p, (Categorical, Ordinal))
    try:
        return p.validate(v), False
    except ValueError:
        pass
    text = str(v).strip().lower()
    for option in p.options:
        if str(option).lower() == text or json.dumps(option).lower() == text:
            return option, False
    raise ValueError(f"{v!r} is not one of {list(p.options)!r}")


def parse_points(text: str, space: Space, normalize: bool) -> Parsed:
    """Configurations from an answer. The answer may be ``{"points": [...]}``, a bare list
    of objects, or one object. LLMError(``malformed``) when no JSON or no object is found;
    single bad points (invalid values, or breaking a parameter constraint of the space) are
    dropped and counted in ``invalid``."""
    data = extract_json(text)
    if isinstance(data, dict) and isinstance(data.get("points"), list):
        items = data["points"]
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and set(_required(space)) <= set(data):
        items = [data]
    else:
        raise LLMError("malformed", f"expected {{'points': [...]}}, got {text[:200]!r}", raw=text)
    out = Parsed([], problems=[])
    assert out.problems is not None
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            out.invalid += 1
            out.problems.append(f"point {i}: not an object: {item!r}"[:200])
            continue
        try:
            if space.conditions:
                active, repaired = _conditional(space, item, normalize)
                out.configs.append(space.check_feasible(active))
                out.clipped += repaired
                continue
            missing = [n for n in space.names if n not in item]
            if missing:
                raise ValueError(f"missing {missing}")
            config: dict[str, Scalar] = {}
            clipped = False
            for name in space.names:
                try:
                    config[name], c = _coerce(space[name], item[name], normalize)
                except ValueError as e:
                    raise ValueError(f"{name}: {e}") from None
                clipped |= c
            out.configs.append(space.check_feasible(config))  # parameter constraints too
            out.clipped += clipped
        except ValueError as e:
            out.invalid += 1
            out.problems.append(f"point {i}: {e}"[:200])
    return out


# -- conditional parameters (bbo.space.conditions) ---------------------------------------------
def _when(space: Space, name: str) -> str:
    """`` (only when optimizer is one of "sgd")`` for a conditional parameter, else ``""``."""
    conds = space.conditions.when.get(name, ())
    if not conds:
        return ""
    parts = [f"{c.parameter} is one of {', '.join(json.dumps(v) for v in c.values)}" for c in conds]
    return f" (only when {' and '.join(parts)})"


def _nullable(space: Space, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or null as well for a conditional parameter (null: inactive)."""
    if name in space.conditions.when:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _required(space: Space) -> list[str]:
    """The parameters every configuration holds (those without a condition)."""
    return [n for n in space.names if n not in space.conditions.when]


def _conditional(
    space: Space, item: Mapping[str, Any], normalize: bool
) -> tuple[dict[str, Scalar], bool]:
    """A configuration of a conditional space from the model's object: its active
    parameters (parents first); whatever it wrote for an inactive one is dropped. ValueError
    names a missing active parameter or an unreadable value."""
    config: dict[str, Scalar] = {}
    clipped = False
    missing = []
    for name in space.conditions.order:
        if not space.conditions.active(name, config):
            continue
        if item.get(name) is None:
            missing.append(name)
            continue
        try:
            config[name], c = _coerce(space[name], item[name], normalize)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
        clipped |= c
    if missing:
        raise ValueError(f"missing {sorted(missing, key=space.names.index)}")
    return {n: config[n] for n in space.names if n in config}, clipped
