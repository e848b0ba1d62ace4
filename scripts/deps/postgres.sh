#!/usr/bin/env bash
# PostgreSQL server binaries for the storage tests on PostgreSQL (tests/study, tests/server):
# Debian's `postgresql` package (initdb, pg_ctl, postgres under /usr/lib/postgresql/N/bin,
# and the `postgres` system user the server runs as when the tests run as root). The tests
# start their own throwaway server (bbo/testing/postgres.py); no cluster is configured here.
# Installs the package with apt-get when it is missing and apt-get can run (root on
# Debian/Ubuntu); otherwise says so, and the PostgreSQL tests skip naming what is missing.
set -uo pipefail
have_server() {
    for d in ${BBO_PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            return 0
        fi
    done
    return 1
}
have_user() { [ "$(id -u)" -ne 0 ] || id postgres >/dev/null 2>&1; }
if have_server && have_user; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: no apt-get here; install the PostgreSQL server to run the PostgreSQL tests" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "postgres.sh: not root and no sudo; install the PostgreSQL server to run the PostgreSQL tests" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# The package's post-install may create and start a default cluster on port 5432; the tests
# do not use it (their server listens on a free port of its own).
$SUDO apt-get update -qq >/dev/null \
    && $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
if have_server && have_user; then
    exit 0
fi
echo "postgres.sh: the postgresql package did not provide initdb/pg_ctl/postgres and a postgres user" >&2
exit 1
