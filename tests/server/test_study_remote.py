"""The Study behaviour suite of tests/study/test_study.py (and the Study-level tests of
intermediate values in tests/study/test_reports.py), run against ``bbo.connect`` on an
in-process server: the tests are imported, not copied, and ``bbo.Study(...)`` is routed to
``client.create_study(...)`` for them. Tests that need the local storage object (reopening a
SQLite file, poking a lease into storage, ``add``/``abandon`` which the wire API does not
offer) are not re-run here; the lease and retry rules have their own remote tests in
test_semantics.py, and so has the Pareto set (the suite's multi-objective test spends most
of a minute in the ``auto`` strategy's GP fits, which says nothing about the wire).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from bbo.client import Client

import bbo
from tests.study import test_reports as reports_suite
from tests.study import test_study as suite

REMOTE = [
    "test_ask_one_and_many",
    "test_ask_rejects_bad_n",
    "test_tell_forms",
    "test_retried_identical_tell_is_idempotent",
    "test_bad_tells_change_nothing",
    "test_unknown_trial_and_bad_ids",
    "test_best_respects_direction",
    "test_bad_study_arguments",
    "test_finite_space_distinct_then_repeats",
    "test_small_int_space_is_covered_without_duplicates",
    "test_same_seed_same_tells_same_suggestions",
    "test_sobol_continues_one_sequence_across_asks",
    "test_constraints",
    "test_bad_constraints",
]
for _name in REMOTE:
    globals()[_name] = getattr(suite, _name)
# intermediate values through the Report RPC and Tell `pruned` (reading reports back is not
# on the wire: the tests that call study.reports() stay local)
REMOTE_REPORTS = [
    "test_pruned_without_reports_has_no_value_and_is_not_best",
    "test_median_pruning_through_the_study_and_numpy_values",
    "test_bad_pruner_arguments",
]
for _name in REMOTE_REPORTS:
    globals()[_name] = getattr(reports_suite, _name)


@pytest.fixture(autouse=True)
def remote_study(client: Client, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``bbo.Study(space, ..., storage=..., name=...)`` -> a RemoteStudy on the server; each
    study gets a name unique to this test so tests do not share studies."""
    prefix = uuid.uuid4().hex[:8]

    def make(space: Any, direction: Any = "minimize", **kw: Any) -> Any:
        kw.pop("storage", None)
        name = kw.pop("name", None)
        kw["name"] = f"{prefix}-{name}" if isinstance(name, str) and name else name
        return client.create_study(space, direction, **kw)

    monkeypatch.setattr(bbo, "Study", make)
    yield


@pytest.fixture
def storage_url() -> str:
    """The suite's storage parameter: unused remotely (the server has its own storage)."""
    return "remote"
