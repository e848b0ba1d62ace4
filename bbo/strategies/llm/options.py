"""Options of the ``llm`` strategy (the ``strategy:`` section of study.yaml), validated once.

:class:`LLMOptions` is the strategy's :class:`bbo.strategies.options.Options`: every option
is checked when the options are parsed (``bbo.Study(...)``, loading a study.yaml,
:func:`bbo.strategies.validate_options`), before anything is stored or any endpoint is
contacted; a bad value raises :class:`bbo.exceptions.InvalidArgumentError` naming the
option, the rule and the value, worded as for every strategy.
The API key itself is never an option: ``api_key_env`` names the environment variable that
holds it, read at each call and never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bbo.strategies.options import (
    Options,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_text,
    option_error,
)

STRUCTURED_OUTPUT = ("json_schema", "grammar", "none")
MODES = ("direct", "gp")
FALLBACKS = ("sobol", "random")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL = re.compile(r"^https?://[^/\s]+")


@dataclass(frozen=True)
class LLMOptions(Options):
    """Validated options of ``llm``. ``max_tokens=None`` means :meth:`token_budget` per call.

    ``base_url`` is kept without its trailing ``/``; ``temperature`` and ``timeout`` are
    kept as floats."""

    strategy = "llm"

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

    def __post_init__(self) -> None:
        s = self.strategy
        check_text(s, "task", self.task)
        base_url = check_text(s, "base_url", self.base_url, optional=True)
        if base_url is not None and not _URL.match(base_url):
            raise option_error(s, "base_url", "must be an http:// or https:// URL", base_url)
        object.__setattr__(self, "base_url", base_url.rstrip("/") if base_url else None)
        check_text(s, "model", self.model, optional=True)
        env = check_text(s, "api_key_env", self.api_key_env, optional=True)
        if env is not None and not _ENV_NAME.match(env):
            raise option_error(s, "api_key_env", "must be the name of an environment variable", env)
        temperature = check_number(s, "temperature", self.temperature, 0.0, 2.0)
        object.__setattr__(self, "temperature", temperature)
        if self.max_tokens is not None:
            check_int(s, "max_tokens", self.max_tokens, 1)
        check_choice(s, "structured_output", self.structured_output, STRUCTURED_OUTPUT)
        timeout = check_number(s, "timeout", self.timeout, 0.0, 3600.0, open_low=True)
        object.__setattr__(self, "timeout", timeout)
        check_int(s, "points_per_call", self.points_per_call, 1)
        check_int(s, "max_calls", self.max_calls, 1)
        check_int(s, "history_size", self.history_size, 1)
        check_bool(s, "normalize", self.normalize)
        check_choice(s, "mode", self.mode, MODES)
        check_int(s, "pool_size", self.pool_size, 1)
        check_int(s, "n_init", self.n_init, 0)
        check_choice(s, "fallback", self.fallback, FALLBACKS)

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
