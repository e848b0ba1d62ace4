"""Incremental reading of a storage for the dashboard: what changed since a cursor.

Each study has a :class:`StudyView` that keeps the trials and reports as last read. A
refresh reads only what can have changed (:class:`bbo.study.cache.TrialCache`: trials
created since the last read, and the ones not yet final; reports by their ``seq``), never
the whole trial table, and at most once per :data:`MIN_INTERVAL` seconds however many
browsers poll. Every trial that a refresh finds new or changed is stamped with the view's
next *version*; a browser sends the last version it saw and gets the trials stamped after
it (:meth:`StudyView.changes`).

The cursor a browser holds is ``"<epoch>.<version>"``: the epoch names this process, so a
cursor from a dashboard that was restarted reads everything again instead of missing
changes.
"""

from __future__ import annotations

import bisect
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

from bbo.space import Space
from bbo.study.cache import TrialCache
from bbo.study.edits import current_params, fill_of
from bbo.study.spec import StudySpec
from bbo.study.storage import Storage, StudyRecord
from bbo.trial import Constraint, Objective, Report, Trial

T = TypeVar("T")
MIN_INTERVAL = 0.2
"""Seconds between two reads of one study's storage (later polls share the last read)."""
EPOCH = secrets.token_hex(4)
"""Names this process in the cursors it hands out."""


@dataclass(frozen=True)
class Changes:
    """What changed after a cursor: ``trials`` (new or changed, id order), ``reports``
    (new), ``full`` (the cursor was from another process or absent: everything is sent),
    and the ``cursor`` to send next."""

    cursor: str
    full: bool
    trials: list[Trial]
    reports: list[Report]


class StudyView:
    """The trials and reports of one study as last read, stamped with versions."""

    def __init__(self, storage: Storage, record: StudyRecord) -> None:
        self.storage = storage
        self.record = record
        self.spec = StudySpec.from_dict(record.spec)
        self.version = 0
        self.trials: list[Trial] = []
        self.reports: list[Report] = []
        self._cache = TrialCache()
        self._stamp: list[tuple[int, int]] = []  # (version, trial id), versions increasing
        self._report_versions: list[int] = []  # version of each of self.reports
        self._last_read = 0.0
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[int, Any]] = {}

    def memo(self, key: str, make: Callable[[StudyView], T]) -> T:
        """``make(self)``, computed once per version (the summary every poll shows)."""
        version = self.version
        got = self._memo.get(key)
        if got is not None and got[0] == version:
            return cast(T, got[1])
        value = make(self)
        self._memo[key] = (version, value)
        return value

    @property
    def name(self) -> str:
        return self.record.name

    # the attributes bbo.viz.data.PlotData.of reads of a study
    @property
    def space(self) -> Space:
        return self.spec.space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return self.spec.objectives

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return self.spec.constraints

    def as_current(self, trials: Sequence[Trial]) -> list[Trial]:
        """``trials`` read under the study's space as this view read it (an edited space:
        added parameters take their declared value, :meth:`bbo.Study.as_current`)."""
        edits = self.storage.get_space_edits(self.record.id)
        if not edits:
            return list(trials)
        fill = fill_of(edits)
        return [replace(t, params=current_params(t.params, self.space, fill)) for t in trials]

    def refresh(self, force: bool = False) -> int:
        """Read what changed since the last read (unless one was made in the last
        :data:`MIN_INTERVAL` seconds); the version after it."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last_read < MIN_INTERVAL and self._last_read:
                return self.version
            self._last_read = now
            sid = self.record.id
            trials, _ = self._cache.read(self.storage, sid)
            old = self.trials
            changed = [
                t.id for t in trials if t.id >= len(old) or (old[t.id] is not t and old[t.id] != t)
            ]
            since = self.reports[-1].seq if self.reports else None
            fresh = self.storage.get_reports(sid, since=since)
            if changed or fresh:
                self.version += 1
                self._stamp += [(self.version, i) for i in changed]
                self.reports = self.reports + fresh
                self._report_versions += [self.version] * len(fresh)
            self.trials = trials
            return self.version

    def changes(self, cursor: str | None) -> Changes:
        """The trials and reports changed after ``cursor`` (all of them for None or a
        cursor of another process), after a refresh."""
        self.refresh()
        with self._lock:
            version = _version(cursor)
            full = version is None or version > self.version
            if version is None or full:
                trials, reports = list(self.trials), list(self.reports)
            else:
                k = bisect.bisect_right(self._stamp, (version, 1 << 62))
                ids = sorted({i for _, i in self._stamp[k:]})
                trials = [self.trials[i] for i in ids]
                r = bisect.bisect_right(self._report_versions, version)
                reports = self.reports[r:]
            return Changes(f"{EPOCH}.{self.version}", full, trials, reports)


def _version(cursor: str | None) -> int | None:
    """The version of a cursor of this process, else None."""
    if not cursor:
        return None
    epoch, _, v = cursor.partition(".")
    if epoch != EPOCH or not v.isdigit():
        return None
    return int(v)


def _same(a: StudyRecord, b: StudyRecord) -> bool:
    """The same study with the same spec (a study deleted and made again may get the same
    id on SQLite; an edited space, :mod:`bbo.study.edits`, changes the stored spec, and the
    view made for the old one would draw the old space)."""
    return (a.id, a.created_at, a.spec) == (b.id, b.created_at, b.spec)


class Catalog:
    """The studies of one storage, each with its :class:`StudyView` (made on first use)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._views: dict[str, StudyView] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return [r.name for r in self.storage.list_studies()]

    def view(self, name: str) -> StudyView:
        """The view of study ``name``, refreshed (StudyNotFoundError when absent). A study
        deleted and made again under the same name gets a new view."""
        with self._lock:
            record = self.storage.get_study(name)
            v = self._views.get(name)
            if v is None or not _same(v.record, record):
                v = self._views[name] = StudyView(self.storage, record)
        v.refresh()
        return v

    def views(self) -> list[StudyView]:
        """Every study's view, refreshed, in the storage's order."""
        out = []
        with self._lock:
            records = self.storage.list_studies()
            for r in records:
                v = self._views.get(r.name)
                if v is None or not _same(v.record, r):
                    v = self._views[r.name] = StudyView(self.storage, r)
                out.append(v)
            for gone in set(self._views) - {r.name for r in records}:
                del self._views[gone]
        for v in out:
            v.refresh()
        return out


__all__ = ["EPOCH", "MIN_INTERVAL", "Catalog", "Changes", "StudyView"]
