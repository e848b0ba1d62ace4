#!/usr/bin/env bash
# Set up bbo for development in a virtual environment (default ./.venv).
#
# torch goes in first: on a machine without an NVIDIA GPU we install a CPU build, so that the
# `torch>=2.2` range in pyproject.toml is already satisfied and pip does not pull gigabytes of
# CUDA packages. Already-installed torch (any build) is kept: users bring their own.
#   BBO_VENV             virtual environment folder (default .venv)
#   PYTHON               interpreter that creates it (default python3, needs >= 3.10)
#   BBO_TORCH_SPEC       torch requirement for CPU-only machines (default torch==2.13.0)
#   BBO_TORCH_INDEX_URL  a package index with CPU-only torch wheels (e.g. PyTorch's CPU
#                        index) for machines whose default index serves CUDA builds
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${BBO_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -c 'import sys; assert sys.version_info >= (3, 10), "bbo needs Python >= 3.10"'
if ! "$py" -c 'import torch' >/dev/null 2>&1; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        "$py" -m pip install --quiet "torch>=2.2"
    else
        "$py" -m pip install --quiet ${BBO_TORCH_INDEX_URL:+--index-url "$BBO_TORCH_INDEX_URL"} \
            "${BBO_TORCH_SPEC:-torch==2.13.0}"
    fi
fi
"$py" -m pip install --quiet -e ".[dev]"
"$py" -c 'import bbo, torch; print(f"bbo {bbo.__version__} installed in '"$venv"' (torch {torch.__version__})")'
