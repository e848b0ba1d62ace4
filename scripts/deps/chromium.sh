#!/usr/bin/env bash
# Headless Chromium for the HTML report test (tests/viz): Debian's `chromium` package.
# Installs it with apt-get when it is missing and apt-get can run (root on Debian/Ubuntu);
# otherwise says so, and the browser tests skip naming chromium.
set -uo pipefail
for exe in chromium chromium-browser google-chrome; do
    if command -v "$exe" >/dev/null 2>&1; then
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium.sh: no apt-get here; install chromium to run the report browser test" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "chromium.sh: not root and no sudo; install chromium to run the report browser test" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null \
    && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
    && command -v chromium >/dev/null 2>&1
