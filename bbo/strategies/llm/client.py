"""A chat-completions client for any OpenAI-compatible endpoint, with classified failures.

:class:`OpenAIChatClient` talks to OpenAI, vLLM, Ollama or llama.cpp's ``llama-server``
through the ``openai`` package (imported lazily: ``pip install 'bbo[llm]'``). Every way a
call can go wrong becomes an :class:`LLMError` whose ``kind`` is one of :data:`FAILURE_KINDS`,
so that the strategy can count failures by kind and fall back instead of crashing:

| kind         | cause                                                                  |
|--------------|------------------------------------------------------------------------|
| `config`     | the ``openai`` package is missing, or the API key variable is unset    |
| `timeout`    | no answer within ``timeout`` seconds                                   |
| `connection` | the endpoint cannot be reached (refused, DNS, TLS)                     |
| `auth`       | HTTP 401/403: wrong or missing key                                     |
| `rate_limit` | HTTP 429                                                               |
| `http`       | any other HTTP error status (400 for an unsupported option, 5xx ...)   |
| `refusal`    | the model refused (``message.refusal``, ``finish_reason=content_filter``) |
| `length`     | ``finish_reason == "length"``: the answer was cut at ``max_tokens``      |
| `empty`      | no choice, or an empty message                                         |
| `malformed`  | the text does not parse as the requested JSON (raised by the parser)  |
| `unexpected` | any other exception from the client (a bug): logged with its traceback |

No call is retried here (``max_retries=0``): the strategy decides whether to call again.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

FAILURE_KINDS = (
    "config",
    "timeout",
    "connection",
    "auth",
    "rate_limit",
    "http",
    "refusal",
    "length",
    "empty",
    "malformed",
    "unexpected",
)


class LLMError(Exception):
    """A failed chat call. ``kind`` is one of :data:`FAILURE_KINDS`; ``raw`` holds whatever
    text came back (a cut answer, an error body) for the audit log."""

    def __init__(self, kind: str, message: str, raw: str | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.raw = raw


@dataclass(frozen=True)
class ChatRequest:
    """One chat call. ``response_format`` is an OpenAI ``response_format`` object (JSON
    schema mode) or None; ``grammar`` a GBNF grammar (llama.cpp extension) or None."""

    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float
    seed: int
    response_format: dict[str, Any] | None = None
    grammar: str | None = None


@dataclass(frozen=True)
class ChatResult:
    content: str
    finish_reason: str | None
    model: str
    elapsed_s: float
    usage: dict[str, float] = field(default_factory=dict)


class ChatClient(Protocol):
    """What the proposer calls: one request -> one result, or an :class:`LLMError`."""

    def complete(self, request: ChatRequest) -> ChatResult: ...


def check_finish(content: str | None, finish_reason: str | None, refusal: str | None) -> str:
    """The answer text, or LLMError for a refusal, a cut (``length``) or empty answer."""
    if refusal:
        raise LLMError("refusal", f"the model refused: {refusal[:200]}", raw=refusal)
    if finish_reason == "content_filter":
        raise LLMError("refusal", "the answer was withheld by a content filter", raw=content)
    if finish_reason == "length":
        raise LLMError(
            "length", "the answer was cut at max_tokens (finish_reason=length)", raw=content
        )
    if not content or not content.strip():
        raise LLMError("empty", f"empty answer (finish_reason={finish_reason!r})", raw=content)
    return content


class OpenAIChatClient:
    """Chat completions over HTTP with the ``openai`` SDK.

    ``base_url=None`` is OpenAI's own endpoint. The key is read from the environment
    variable ``api_key_env`` at each call (never stored); without one a placeholder is sent,
    which local servers ignore. ``model=None`` uses the first model the endpoint lists
    (``GET /models``), looked up once.
    """

    def __init__(
        self,
        base_url: str | None,
        model: str | None,
        api_key_env: str | None,
        timeout: float,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self._client: Any = None
        self._key: str | None = None

    def _sdk(self) -> Any:
        try:
            import openai
        except ImportError:
            raise LLMError(
                "config", "the `openai` package is missing: pip install 'bbo[llm]'"
            ) from None
        key = "no-key"
        if self.api_key_env is not None:
            value = os.environ.get(self.api_key_env)
            if not value:
                raise LLMError(
                    "config", f"environment variable {self.api_key_env} (the API key) is unset"
                )
            key = value
        if self._client is None or key != self._key:
            self._client = openai.OpenAI(
                api_key=key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
            )
            self._key = key
        return self._client

    def _resolve_model(self, client: Any) -> str:
        if self.model is None:
            models = [m.id for m in client.models.list()]
            if not models:
                raise LLMError("config", f"the endpoint {self.base_url} lists no model")
            self.model = str(models[0])
        return self.model

    def complete(self, request: ChatRequest) -> ChatResult:
        import openai

        t0 = time.perf_counter()
        try:
            client = self._sdk()
            model = self._resolve_model(client)
            kwargs: dict[str, Any] = {
                "model": model,
                "messages": request.messages,
                "max_tokens": request.max_tokens,
                "temperature": request.temperature,
                "seed": request.seed,
            }
            if request.response_format is not None:
                kwargs["response_format"] = request.response_format
            if request.grammar is not None:
                kwargs["extra_body"] = {"grammar": request.grammar}
            resp = client.chat.completions.create(**kwargs)
        except LLMError:
            raise
        except openai.APITimeoutError:
            raise LLMError("timeout", f"no answer within {self.timeout:g} s") from None
        except openai.APIConnectionError as e:
            raise LLMError("connection", f"cannot reach {self.base_url or 'OpenAI'}: {e}") from None
        except openai.APIStatusError as e:
            code = e.status_code
            kind = "auth" if code in (401, 403) else "rate_limit" if code == 429 else "http"
            body = _body_text(e)
            raise LLMError(kind, f"HTTP {code}: {body[:300]}", raw=body) from None
        except openai.OpenAIError as e:  # anything else the SDK raises (bad response ...)
            raise LLMError("http", f"{type(e).__name__}: {e}") from None
        elapsed = time.perf_counter() - t0
        if not resp.choices:
            raise LLMError("empty", "the response holds no choice")
        choice = resp.choices[0]
        msg = choice.message
        content = check_finish(msg.content, choice.finish_reason, getattr(msg, "refusal", None))
        usage: dict[str, float] = {}
        if resp.usage is not None:
            usage = {
                "prompt_tokens": int(resp.usage.prompt_tokens or 0),
                "completion_tokens": int(resp.usage.completion_tokens or 0),
            }
        timings = (getattr(resp, "model_extra", None) or {}).get("timings")  # llama.cpp
        if isinstance(timings, dict):
            for k in ("prompt_ms", "predicted_ms", "cache_n"):
                if isinstance(timings.get(k), (int, float)):
                    usage[k] = round(timings[k], 1) if k != "cache_n" else int(timings[k])
        return ChatResult(content, choice.finish_reason, str(resp.model), elapsed, usage)


def _body_text(e: Any) -> str:
    body = getattr(e, "body", None)
    if body is None:
        return str(getattr(e, "message", e))
    return body if isinstance(body, str) else repr(body)
