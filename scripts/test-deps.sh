#!/usr/bin/env bash
# System and non-Python services the test suite uses (PostgreSQL, Chromium, Node.js gRPC
# client, a local LLM model): each scripts/deps/*.sh installs one of them if it is missing
# and can be installed here. A component that cannot be installed is reported, and the tests
# that need it skip with a message naming it.
#   BBO_VENV   the virtual environment (default .venv)
set -uo pipefail
cd "$(dirname "$0")/.."
export BBO_VENV=${BBO_VENV:-.venv}
for dep in scripts/deps/*.sh; do
    [ -e "$dep" ] || continue
    if ! bash "$dep"; then
        echo "test-deps: $(basename "$dep" .sh) could not be installed; its tests will skip" >&2
    fi
done
exit 0
