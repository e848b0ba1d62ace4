#!/usr/bin/env bash
# Regenerate the checked-in Python code of the wire contract: proto/bbo/api/v1/*.proto ->
# bbo/api/v1/*_pb2.py, *_pb2.pyi, *_pb2_grpc.py. The .proto path mirrors the module path, so
# the generated imports need no rewriting. grpcio-tools is pinned (pyproject `dev` extra):
# another version may generate other code, which tests/server/test_proto.py would catch.
#   BBO_VENV   the virtual environment (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
GRPCIO_TOOLS_VERSION=1.85.1
PY=${BBO_VENV:-.venv}/bin/python
have=$("$PY" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))' 2>/dev/null || true)
if [ "$have" != "$GRPCIO_TOOLS_VERSION" ]; then
    "$PY" -m pip install -q "grpcio-tools==$GRPCIO_TOOLS_VERSION"
fi
OUT=${1:-.}
inc=$("$PY" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')
"$PY" -m grpc_tools.protoc -Iproto -I"$inc" \
    --python_out="$OUT" --pyi_out="$OUT" --grpc_python_out="$OUT" \
    proto/bbo/api/v1/*.proto
