#!/usr/bin/env bash
# Node.js gRPC client of examples/node-client (tests/server/test_node_client.py): installs
# its node_modules (@grpc/grpc-js, @grpc/proto-loader, versions locked in package-lock.json)
# when node and npm are present. Exits non-zero when it cannot; the test then skips.
set -euo pipefail
cd "$(dirname "$0")/../../examples/node-client"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node.sh: node/npm not found (apt-get install nodejs npm); the Node client test skips" >&2
    exit 1
fi
if [ -d node_modules/@grpc/grpc-js ] && [ -d node_modules/@grpc/proto-loader ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
