"""Options of the ``llm`` strategy (the ``strategy:`` section of study.yaml), validated once.

Every option is checked when the strategy is built (``bbo.Study(...)`` or loading a
study.yaml), before anything is stored or any endpoint is contacted; a bad value raises
:class:`bbo.exceptions.InvalidArgumentError` naming the option, the rule and the value.
The API key itself is never an option: ``api_key_env`` names the environment variable that
holds it, read at each call and never stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bbo.exceptions import InvalidArgumentError

STRUCTURED_OUTPUT = ("json_schema", "grammar", "none")
MODES = ("direct", "gp")
FALLBACKS = ("sobol", "random")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _err(name: str, rule: str, value: object) -> InvalidArgumentError:
    return InvalidArgumentError(f"llm option `{name}` {rule}, got {value!r}")


def _int(name: str, v: object, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise _err(name, f"must be an integer >= {low}", v)
    return v


def _float(name: str, v: object, low: float, high: float, *, open_low: bool = False) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))
    if ok:
        f = float(v)  # type: ignore[arg-type]
        ok = (f > low if open_low else f >= low) and f <= high
    if not ok:
        bracket = "(" if open_low else "["
        raise _err(name, f"must be a number in {bracket}{low:g}, {high:g}]", v)
    return float(v)  # type: ignore[arg-type]


def _choice(name: str, v: object, allowed: tuple[str, ...]) -> str:
    if v not in allowed:
        raise _err(name, f"must be one of {list(allowed)}", v)
    return str(v)


def _text(name: str, v: object, *, optional: bool) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v.strip():
        raise _err(name, "must be a non-empty string", v)
    return v


@dataclass(frozen=True)
class LLMOptions:
    """Validated options. ``max_tokens=None`` means :meth:`token_budget` per call."""

    task: str = "Optimize a black-box function of the parameters below."
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    temperature: float = 1.0
    max_tokens: int | None = None
    structured_output: str = "json_schema"
    timeout: float = 60.0
    points_per_call: int = 4
    max_calls: int = 2
    history_size: int = 20
    normalize: bool = False
    mode: str = "direct"
    pool_size: int = 8
    n_init: int = 3
    fallback: str = "sobol"

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> LLMOptions:
        """Validate ``options`` (the keys of this class); unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise InvalidArgumentError(
                f"llm strategy: unknown option(s) {unknown}; allowed: {sorted(known)}"
            )
        o = {**asdict(cls()), **options}
        base_url = _text("base_url", o["base_url"], optional=True)
        if base_url is not None and not re.match(r"^https?://[^/\s]+", base_url):
            raise _err("base_url", "must be an http:// or https:// URL", base_url)
        env = _text("api_key_env", o["api_key_env"], optional=True)
        if env is not None and not _ENV_NAME.match(env):
            raise _err("api_key_env", "must be the name of an environment variable", env)
        if not isinstance(o["normalize"], bool):
            raise _err("normalize", "must be true or false", o["normalize"])
        return cls(
            task=str(_text("task", o["task"], optional=False)),
            base_url=base_url.rstrip("/") if base_url else None,
            model=_text("model", o["model"], optional=True),
            api_key_env=env,
            temperature=_float("temperature", o["temperature"], 0.0, 2.0),
            max_tokens=(
                None if o["max_tokens"] is None else _int("max_tokens", o["max_tokens"], 1)
            ),
            structured_output=_choice(
                "structured_output", o["structured_output"], STRUCTURED_OUTPUT
            ),
            timeout=_float("timeout", o["timeout"], 0.0, 3600.0, open_low=True),
            points_per_call=_int("points_per_call", o["points_per_call"], 1),
            max_calls=_int("max_calls", o["max_calls"], 1),
            history_size=_int("history_size", o["history_size"], 1),
            normalize=o["normalize"],
            mode=_choice("mode", o["mode"], MODES),
            pool_size=_int("pool_size", o["pool_size"], 1),
            n_init=_int("n_init", o["n_init"], 0),
            fallback=_choice("fallback", o["fallback"], FALLBACKS),
        )

    def token_budget(self, n_points: int, dim: int) -> int:
        """Completion tokens allowed for one call proposing ``n_points`` points in ``dim``
        parameters: the option ``max_tokens`` when set, else ``48 + n_points * (8 + 14 dim)``
        (compact JSON needs about ``4 + 10 d`` tokens a point; pretty-printed JSON from
        schema-constrained decoding a few more)."""
        if self.max_tokens is not None:
            return self.max_tokens
        return 48 + n_points * (8 + 14 * dim)

    def api_key_variable(self) -> str | None:
        """The environment variable holding the key: ``api_key_env``, else
        ``OPENAI_API_KEY`` for OpenAI's own endpoint (no ``base_url``), else none (local
        servers usually need no key)."""
        if self.api_key_env is not None:
            return self.api_key_env
        return "OPENAI_API_KEY" if self.base_url is None else None
