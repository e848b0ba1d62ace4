"""Trials as tables: flat records for ``bbo trials`` / ``bbo export`` (CSV, JSON, Parquet).

Flat columns, in this order: ``trial``, ``state``, ``value`` (the first objective),
``value_se``, ``value_low``, ``value_high`` (the bootstrap standard error and 95%
interval of an objective statistic other than the mean, :mod:`bbo.statistics`; not there
for a mean objective), ``values.<metric>`` for every told metric (file exports drop the
column that repeats another: :func:`compact`), ``params.<name>`` for every parameter,
``samples`` (replicates), ``source`` (which proposer), ``reason``, ``error_tail`` (a
failed trial's last lines of stderr, or the traceback of a ``python:`` objective),
``retry_of``, ``created_at``, ``finished_at`` (ISO 8601 local time with its UTC offset) and
``duration_s``. A metric column other than an objective whose values are all whole numbers
(an epoch count, a pid) holds integers. JSON keeps the nesting instead
(:func:`trial_dict`: ``params`` and ``values`` as objects).

Intermediate values (``trial.report``): a JSON export gives each trial ``reports``, a list
of ``{"step": s, "value": v}`` in step order (empty when it reported nothing); a CSV or
Parquet export of a study with reports ends with a ``reports`` column holding that list as
JSON text (``[{"step": 1, "value": 0.5}, ...]``); without reports the column is left out.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from bbo.exceptions import InvalidArgumentError
from bbo.study import Study, Trial, TrialState
from bbo.trial import Report

FORMATS = ("csv", "json", "parquet")
SHOWN_LINES = 5  # lines of a failure's stderr/traceback that the displays show
SHOWN_WIDTH = 200  # characters of each such line


def error_tail(t: Trial) -> str | None:
    """What a failed trial's evaluation said last: the stored tail of the command's
    stderr, or the traceback of a ``python:`` objective (``None`` when neither)."""
    if t.state != TrialState.FAILED:
        return None
    text = t.attrs.get("stderr_tail") or t.attrs.get("traceback_tail")
    if not text:
        return None
    return str(text).rstrip() or None


def short_tail(t: Trial, lines: int = SHOWN_LINES, width: int = SHOWN_WIDTH) -> list[str]:
    """The last ``lines`` non-blank lines of :func:`error_tail`, each cut at ``width``
    characters: what the terminal views and the report show under a failed trial."""
    text = error_tail(t)
    if not text:
        return []
    kept = [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]
    return [line if len(line) <= width else line[: width - 1] + "\u2026" for line in kept]


def iso(ts: float | None) -> str | None:
    """Unix seconds as an ISO 8601 local time with its UTC offset (milliseconds)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")


UNCERTAINTY = ("value_se", "value_low", "value_high")


def has_statistic(study: Study) -> bool:
    """The (single) objective is a statistic other than the mean of replicates: its
    bootstrap uncertainty gets columns."""
    return len(study.objectives) == 1 and not study.objectives[0].statistic.is_mean


def uncertainty(study: Study, t: Trial) -> dict[str, float | None]:
    """``value_se``, ``value_low``, ``value_high`` of ``t`` (:meth:`bbo.Study.estimate`);
    None for a trial without replicates."""
    est = study.estimate(t) if t.state == TrialState.COMPLETED else None
    if est is None:
        return dict.fromkeys(UNCERTAINTY)
    return {"value_se": est.se, "value_low": est.low, "value_high": est.high}


def columns(study: Study, trials: Sequence[Trial]) -> list[str]:
    metrics = [o.name for o in study.objectives] + [c.metric for c in study.constraints]
    for t in trials:
        metrics += [m for m in t.values if m not in metrics]
    return [
        "trial",
        "state",
        "value",
        *(UNCERTAINTY if has_statistic(study) else ()),
        *(f"values.{m}" for m in metrics),
        *(f"params.{p}" for p in study.space),
        "samples",
        "source",
        "reason",
        "error_tail",
        "retry_of",
        "created_at",
        "finished_at",
        "duration_s",
    ]


def trial_dict(t: Trial, reports: Sequence[Report] | None = None) -> dict[str, Any]:
    """A trial as nested JSON-ready data (``bbo ask``/``tell`` output, ``.json`` export);
    with ``reports`` (the trial's), a ``reports`` list of ``{"step", "value"}``."""
    out = {
        "trial": t.id,
        "state": t.state.value,
        "params": t.params,
        "value": t.value,
        "values": t.values,
        "samples": _samples(t),
        "reason": t.reason,
        "error_tail": error_tail(t),
        "source": t.attrs.get("source"),
        "retry_of": t.retry_of,
        "created_at": iso(t.created_at),
        "finished_at": iso(t.finished_at),
    }
    if reports is not None:
        out["reports"] = [{"step": r.step, "value": r.value} for r in reports]
    return out


def _samples(t: Trial) -> list[float] | dict[str, list[float]] | None:
    """The told replicates: a list, or ``{metric: [...]}`` when told per metric."""
    if t.metric_samples is not None:
        return {k: list(v) for k, v in t.metric_samples.items()}
    return list(t.samples) if t.samples is not None else None


def record(t: Trial) -> dict[str, Any]:
    """One trial as a flat mapping (columns missing from it are empty)."""
    r: dict[str, Any] = {"trial": t.id, "state": t.state.value, "value": t.value}
    r.update({f"values.{m}": v for m, v in t.values.items()})
    r.update({f"params.{p}": v for p, v in t.params.items()})
    r["samples"] = _samples(t)
    r["source"] = t.attrs.get("source")
    r["reason"] = t.reason
    r["error_tail"] = error_tail(t)
    r["retry_of"] = t.retry_of
    r["created_at"] = iso(t.created_at)
    r["finished_at"] = iso(t.finished_at)
    r["duration_s"] = round(t.finished_at - t.created_at, 3) if t.finished_at is not None else None
    return r


def records(study: Study, trials: Sequence[Trial] | None = None) -> tuple[list[str], list[dict]]:
    """``(columns, rows)`` of ``trials`` (default: every trial of ``study``)."""
    trials = study.trials if trials is None else list(trials)
    cols, rows = columns(study, trials), [record(t) for t in trials]
    if has_statistic(study):
        for t, r in zip(trials, rows):
            r.update(uncertainty(study, t))
    objectives = {f"values.{o.name}" for o in study.objectives}
    for c in cols:
        if not c.startswith("values.") or c in objectives:
            continue
        vals: list[Any] = [r[c] for r in rows if r.get(c) is not None]
        if vals and all(float(v).is_integer() and abs(v) < 2**53 for v in vals):
            for r in rows:
                if r.get(c) is not None:
                    r[c] = int(r[c])
    return cols, rows


def compact(study: Study, cols: list[str]) -> list[str]:
    """The columns of a file export: no two with the same numbers (one objective: ``value``
    without ``values.<objective>``; several: their ``values.*`` without ``value``)."""
    if len(study.objectives) == 1:
        return [c for c in cols if c != f"values.{study.objectives[0].name}"]
    return [c for c in cols if c != "value"]


def write_csv(path: Path | IO[str], cols: list[str], rows: list[dict]) -> None:
    """CSV with a header; ``samples`` as a JSON list; empty cells for missing values."""
    if isinstance(path, Path):
        with path.open("w", newline="", encoding="utf-8") as f:
            write_csv(f, cols, rows)
        return
    w = csv.DictWriter(path, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        row = dict(r)
        if row.get("samples") is not None:
            row["samples"] = json.dumps(row["samples"])
        w.writerow({k: "" if row.get(k) is None else row[k] for k in cols})


def write_parquet(path: Path, cols: list[str], rows: list[dict]) -> None:
    """Parquet (pyarrow): one typed column per field; a column mixing types is text."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidArgumentError(
            "writing .parquet needs pyarrow: pip install 'bbo[parquet]'"
        ) from None
    data: dict[str, list[Any]] = {c: [r.get(c) for r in rows] for c in cols}
    for c in ("created_at", "finished_at"):
        data[c] = [None if v is None else datetime.fromisoformat(v) for v in data[c]]
    for c, vals in data.items():
        kinds = {type(v) for v in vals if v is not None} - {list}
        if kinds == {int, float}:
            data[c] = [None if v is None else float(v) for v in vals]
        elif len(kinds) > 1:
            data[c] = [None if v is None else str(v) for v in vals]
    types = {"retry_of": pa.int64(), "reason": pa.string(), "error_tail": pa.string()}
    types.update({"source": pa.string(), "samples": pa.list_(pa.float64())})
    if any(isinstance(v, dict) for v in data.get("samples", [])):  # told per metric: JSON
        data["samples"] = [None if v is None else json.dumps(v) for v in data["samples"]]
        types["samples"] = pa.string()
    arrays = {c: pa.array(v, type=types.get(c)) for c, v in data.items()}
    pq.write_table(pa.table(arrays), path)


def export(study: Study, path: Path) -> int:
    """Write every trial of ``study`` to ``path``; the suffix picks the format. Returns the
    number of trials written."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise InvalidArgumentError(
            f"output file must end in one of {['.' + f for f in FORMATS]}, got {path.name!r}"
        )
    trials = study.trials
    by_trial: dict[int, list[Report]] = {}
    for r in study.reports():
        by_trial.setdefault(r.trial, []).append(r)
    if fmt == "json":
        data = [trial_dict(t, by_trial.get(t.id, [])) for t in trials]
        if has_statistic(study):
            for t, d in zip(trials, data):
                d.update(uncertainty(study, t))
        path.write_text(json.dumps(data, indent=1))
        return len(trials)
    cols, rows = records(study, trials)
    cols = compact(study, cols)
    if by_trial:
        cols.append("reports")
        for row in rows:
            mine = by_trial.get(row["trial"], [])
            row["reports"] = json.dumps([{"step": r.step, "value": r.value} for r in mine])
    if fmt == "csv":
        write_csv(path, cols, rows)
    else:
        write_parquet(path, cols, rows)
    return len(trials)


__all__ = [
    "FORMATS",
    "columns",
    "compact",
    "error_tail",
    "export",
    "record",
    "records",
    "short_tail",
    "trial_dict",
    "write_csv",
    "write_parquet",
]
