"""The space edits of :class:`~bbo.study.storage.sql.SQLStorage` (:mod:`bbo.study.edits`).

An edit writes the study's new spec, clears its strategy state and appends a row to
``space_edits`` in one transaction, under the study's row lock (the lock that numbering new
trials takes), after checking that the spec and the trial count are still those the edit
was checked against: the spec and its history change together or not at all.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bbo.exceptions import ConcurrentUpdateError, StorageError
from bbo.study.storage.base import SpaceEdit
from bbo.study.storage.sql_queue import SQLQueue
from bbo.study.storage.sql_schema import space_edit_from_row, space_edits, studies, trials


class SQLEdits(SQLQueue):
    """The space-edit operations of the SQL storage."""

    def edit_space(
        self,
        study_id: int,
        spec: dict[str, Any],
        edit: SpaceEdit,
        *,
        expected_spec: dict[str, Any],
        expected_count: int,
    ) -> SpaceEdit:
        now = time.time()
        try:
            return self._edit(study_id, spec, edit, expected_spec, expected_count, now)
        except IntegrityError as e:  # nothing was written: the transaction rolled back
            raise StorageError(f"storage {self._shown} refused the space edit: {e.orig}") from e

    def _edit(
        self,
        study_id: int,
        spec: dict[str, Any],
        edit: SpaceEdit,
        expected_spec: dict[str, Any],
        expected_count: int,
        now: float,
    ) -> SpaceEdit:
        with self._tx() as conn:
            self._lock_study(conn, study_id)
            row = conn.execute(sa.select(studies).where(studies.c.id == study_id)).one()
            count = conn.execute(
                sa.select(sa.func.count()).select_from(trials).where(trials.c.study_id == study_id)
            ).scalar_one()
            if row.spec != expected_spec or int(count) != expected_count:
                raise ConcurrentUpdateError(
                    f"study {row.name!r} changed while its space was being edited; retry"
                )
            conn.execute(
                sa.update(studies)
                .where(studies.c.id == study_id)
                .values(spec=spec, strategy_state=None)
            )
            res = conn.execute(
                sa.insert(space_edits).values(
                    study_id=study_id,
                    created_at=now,
                    old_space=edit.old,
                    new_space=edit.new,
                    defaults=edit.defaults,
                    changes=list(edit.changes),
                )
            )
            key = res.inserted_primary_key
        return replace(edit, id=int(key[0]) if key else 0, created_at=now)

    def get_space_edits(self, study_id: int) -> list[SpaceEdit]:
        with self._read() as conn:
            self._must_exist(conn, study_id)
            rows = conn.execute(
                sa.select(space_edits)
                .where(space_edits.c.study_id == study_id)
                .order_by(space_edits.c.id)
            ).all()
        return [space_edit_from_row(r) for r in rows]


__all__ = ["SQLEdits"]
