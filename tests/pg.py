"""pytest fixtures: one real, throwaway PostgreSQL server per test session.

``postgres_server`` starts it on first use (initdb into a temp folder, ``pg_ctl start`` on a
free loopback port, as the ``postgres`` user under root) and stops it when the session ends;
``postgres_url`` gives each test a fresh empty database and its URL
(``postgresql+psycopg://postgres@127.0.0.1:PORT/tN``), dropped after the test. Tests that need
them skip, naming what is missing, where no PostgreSQL server can be run (install it with
scripts/deps/postgres.sh). Imported by tests/conftest.py, so every test can use them (two
``bbo serve`` processes on one database: ``postgres_url``).
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
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)
