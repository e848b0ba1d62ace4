"""Setup checks of ``bbo run``: mistakes of the study file are configuration errors, not
evaluation failures.

A misspelled script, a ``python:`` module that does not import, output that is not in the
result protocol (``loss: 0.123``) or metrics that do not match the study's objectives make
*every* trial fail. Told FAILED, such trials would burn the budget and teach the model that
those points are the worst; so ``bbo run`` checks what it can before the first evaluation
(:func:`command_problem`, :func:`python_problem`), stops at the first result that the study
cannot accept because of its configuration (:func:`result_problem`, or a :class:`Result`
marked ``config_error``), and abandons that trial with a reason starting with
:data:`CONFIG_PREFIX` instead of failing it. A study holding only such trials may get a
corrected definition on the next run (:func:`redefine_unevaluated`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bbo.exceptions import StudyNotFoundError
from bbo.study.spec import StudySpec
from bbo.trial import TrialState

if TYPE_CHECKING:
    from bbo.run.config import StudyConfig
    from bbo.run.objective import Result

CONFIG_PREFIX = "configuration error: "
"""Start of the reason of a trial abandoned because of the study's configuration."""

_PYTHONS = ("python", "python3")
_SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".r", ".jl", ".js", ".mjs", ".pl", ".rb", ".lua")
_PYTHON_OPTS_WITH_VALUE = ("-W", "-X")
IMPORT_TIMEOUT = 120.0
"""Seconds ``bbo run --dry-run`` waits for a ``python:`` objective's module to import."""


def command_problem(command: list[str], cwd: Path, env: Mapping[str, str]) -> str | None:
    """Why ``command`` cannot run here: its program is not found or not executable, or a
    script among its arguments (``python trian.py``, ``run.sh``) does not exist relative to
    ``cwd``. None when it looks runnable. Arguments with a ``{name}`` placeholder are not
    checked."""
    return _program_problem(command[0], cwd, env) or _script_problem(command, cwd)


def _program_problem(prog: str, cwd: Path, env: Mapping[str, str]) -> str | None:
    if prog in _PYTHONS or "{" in prog:
        return None
    if os.sep in prog:
        path = Path(prog) if Path(prog).is_absolute() else cwd / prog
        if not path.exists():
            return f"{prog!r} does not exist (looked for {path})"
        if not os.access(path, os.X_OK) or path.is_dir():
            return (
                f"{prog!r} is not an executable file ({path}); chmod +x it or start the "
                "command with its interpreter"
            )
        return None
    if shutil.which(prog, path=env.get("PATH", os.environ.get("PATH"))) is None:
        return f"{prog!r} was not found on PATH; check the spelling, install it, or give its path"
    return None


def script_args(command: Sequence[str]) -> list[str]:
    """The arguments of ``command`` that name a script file: the script of a ``python``
    command (its first argument that is no option, unless ``-c`` or ``-m`` comes first)
    and every argument ending in a script suffix (``.py``, ``.sh``, ``.R`` ...)."""
    found: list[str] = []
    if re.fullmatch(r"python[\d.]*", Path(command[0]).name):
        skip = False
        for a in command[1:]:
            if skip:
                skip = False
            elif a in ("-c", "-m"):
                break
            elif a in _PYTHON_OPTS_WITH_VALUE:
                skip = True
            elif not a.startswith("-"):
                found.append(a)
                break
    found += [
        a
        for a in command[1:]
        if not a.startswith("-") and Path(a).suffix.lower() in _SCRIPT_SUFFIXES
    ]
    return [a for a in dict.fromkeys(found) if "{" not in a]


def _script_problem(command: Sequence[str], cwd: Path) -> str | None:
    for arg in script_args(command):
        path = Path(arg).expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            what = "is a directory, not a file" if path.is_dir() else "does not exist"
            return (
                f"the script {arg!r} {what} (looked for {path}; commands run in {cwd}, see "
                "`objective.cwd`)"
            )
    return None


def python_problem(
    target: str, paths: Sequence[Path], cwd: Path, env: Mapping[str, str]
) -> str | None:
    """Why the ``python:`` objective ``module:function`` cannot be called: its module does
    not import (in a fresh interpreter, with ``paths`` on ``sys.path``, in ``cwd``) or has
    no such function. None when it imports."""
    code = (
        "import importlib, sys\n"
        "sys.path[:0] = sys.argv[2:]\n"
        "m, f = sys.argv[1].split(':')\n"
        "try:\n"
        "    mod = importlib.import_module(m)\n"
        "except BaseException as e:\n"
        "    sys.exit(f'cannot import {m!r}: {type(e).__name__}: {e}')\n"
        "if not callable(getattr(mod, f, None)):\n"
        "    sys.exit(f'module {m!r} ({mod.__file__}) has no function {f!r}')\n"
    )
    argv = [sys.executable, "-c", code, target, *(str(p) for p in paths)]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=IMPORT_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"importing {target!r} took more than {IMPORT_TIMEOUT:g}s"
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else f"importing {target!r} exited with code {proc.returncode}"


def fit_result(spec: StudySpec, res: Result) -> Result:
    """``res`` in the study's terms: a mapping of exactly one metric, for a study with one
    objective and no constraints, is that objective's value."""
    value = res.value
    if (
        isinstance(value, Mapping)
        and len(value) == 1
        and len(spec.objectives) == 1
        and not spec.constraints
    ):
        return replace(res, value=next(iter(value.values())))
    return res


def result_problem(spec: StudySpec, res: Result) -> str | None:
    """Why the study cannot take ``res`` whatever the point: metrics that do not match its
    objectives and constraints. None when it fits (non-finite values are the point's)."""
    if res.failed:
        return None
    objs = [o.name for o in spec.objectives]
    cons = [str(c) for c in spec.constraints]
    study = f"objectives {objs}" + (f" and constraints {cons}" if cons else "")
    hint = (
        "the metric names of the study are the keys of `objective.direction` (default: one "
        "objective named 'value') and the metrics of `objective.constraints`"
    )
    told = res.value if isinstance(res.value, Mapping) else res.samples
    if isinstance(told, Mapping):
        missing = [m for m in spec.metrics if m not in told]
        if missing:
            return (
                f"the objective returned metrics {sorted(told)}, which lack {missing} "
                f"of the study ({study}); {hint}"
            )
        return None
    if len(objs) > 1 or cons:
        kind = "replicate samples" if res.samples is not None else "a single number"
        return (
            f"the objective returned {kind}, but the study has {study}: return a JSON "
            f"object holding {spec.metrics}; {hint}"
        )
    return None


def redefine_unevaluated(config: StudyConfig) -> bool:
    """Give the stored study of ``config`` the file's definition when it holds no evaluation:
    every trial ABANDONED, at least one for a configuration error, and the same space (the
    abandoned points are offered again). True when it was replaced (a rerun after fixing
    the objective's metric names needs no ``--new``)."""
    from bbo.study.storage import open_storage

    st = open_storage(config.storage_url)
    try:
        record = st.get_study(config.name)
    except StudyNotFoundError:
        return False
    trials = st.get_trials(record.id)
    stored = StudySpec.from_dict(record.spec)
    new = config.spec()
    if (
        stored.space != new.space
        or not trials
        or any(t.state != TrialState.ABANDONED for t in trials)
        or not any((t.reason or "").startswith(CONFIG_PREFIX) for t in trials)
    ):
        return False
    if new.seed is None:
        new = new.with_seed(stored.seed) if stored.seed is not None else new
    st.update_study_spec(record.id, new.to_dict())
    return True


__all__ = [
    "CONFIG_PREFIX",
    "command_problem",
    "fit_result",
    "python_problem",
    "redefine_unevaluated",
    "result_problem",
    "script_args",
]
