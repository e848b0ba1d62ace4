"""pytest fixtures: one real, throwaway PostgreSQL server per test session.

``postgres_server`` starts it on first use (initdb into a temp folder, ``pg_ctl start`` on a
free loopback port, as the ``postgres`` user under root) and stops it when the session ends;
``postgres_url`` gives each test fresh, empty tables: a URL
(``postgresql+psycopg://postgres@127.0.0.1:PORT/bbo?options=-csearch_path%3DtN&...``) whose
connections use their own schema ``tN``, dropped (connections closed) after the test; a
test that needs a whole database of its own calls ``postgres_server.create_database``.
Tests that need them skip, naming what is missing, where no PostgreSQL server can be run
(install it with scripts/deps/postgres.sh). Imported by tests/conftest.py, so every test can
use them (two ``bbo serve`` processes on one database: one ``postgres_url``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bbo.testing.postgres import PostgresServer, postgres_unavailable

_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    why = postgres_unavailable()
    if why is not None:
        pytest.skip(f"no PostgreSQL: {why}")
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"t{next(_numbers)}"
    url = postgres_server.schema_url(name)
    yield url
    postgres_server.drop_schema(name)
