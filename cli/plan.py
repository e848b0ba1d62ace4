"""``bbo run --dry-run``: what a run would do, without creating or evaluating anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from bbo.exceptions import BboError
from bbo.run.config import StudyConfig
from bbo.run.runner import objective_cwd


def _stored_state(config: StudyConfig) -> str:
    """What the storage holds for this study, read without writing."""
    from bbo.exceptions import StorageError, StudyNotFoundError
    from bbo.study.spec import StudySpec
    from bbo.study.storage import open_storage, sqlite_file
    from bbo.trial import parse_constraints, parse_objectives

    from .common import storage_hint

    url = config.storage_url
    f = sqlite_file(url)
    if f is not None and not f.parent.is_dir():
        return f"storage problem: the folder {f.parent} does not exist"
    if f is not None and not f.exists():
        return f"new study (the file {f} will be created)"
    try:
        st = open_storage(url)
        record = st.get_study(config.name)
    except StudyNotFoundError:
        return "new study"
    except StorageError as e:
        return f"storage problem: {storage_hint(e)}"
    want = StudySpec(
        space=config.build_space(),
        objectives=parse_objectives(config.objective.direction),
        constraints=parse_constraints(config.objective.constraints),
    ).identity()
    if StudySpec.from_dict(record.spec).identity() != want:
        return "CONFLICT: a study of this name exists with another definition (see --new)"
    trials = st.get_trials(record.id)
    finished = sum(t.state.finished for t in trials)
    return f"resume: {finished} finished trial(s) of {len(trials)} stored"


def print_plan(
    console: Console, config: StudyConfig, study_file: Path, yaml_dir: Path
) -> str | None:
    """Print the validated study, the objective and what a run would evaluate; returns the
    problem that would stop the run (a definition that conflicts with the stored study, a
    ``python:`` objective that does not import), else None."""
    obj = config.objective
    table = Table(title=f"dry run: {study_file}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("study", config.name)
    table.add_row("storage", config.storage_url)
    try:
        state = _stored_state(config)
    except BboError as e:
        state = f"cannot read the storage: {e}"
    table.add_row("stored", state)
    problem: str | None = None
    space = config.build_space()
    for name, p in space.items():
        d = p.to_dict()
        kind = d.pop("type")
        table.add_row(f"space.{name}", f"{kind} {d}")
    table.add_row("direction", str(obj.direction))
    if obj.constraints:
        table.add_row("constraints", ", ".join(obj.constraints))
    if obj.command is not None:
        example = space.sample(1, np.random.default_rng(0))[0]
        argv = [a.format(**example) for a in obj.command]
        table.add_row("command", " ".join(obj.command))
        table.add_row("e.g.", " ".join(argv))
    elif obj.python is not None:
        table.add_row("python", obj.python)
        problem = _python_problem(config, yaml_dir)
        table.add_row("import", problem or "ok")
    elif obj.external is not None:
        ext = obj.external
        auth = f", token from ${ext.token_env}" if ext.token_env else ""
        table.add_row(
            "external", f"serve over gRPC on {ext.host}:{ext.port}{auth}, lease {ext.lease:g} s"
        )
    table.add_row("cwd", str(objective_cwd(config, yaml_dir)))
    table.add_row("timeout", f"{obj.timeout:g} s" if obj.timeout else "none")
    table.add_row("retries", str(obj.retries))
    table.add_row("strategy", f"{config.strategy.name} {config.strategy.options or ''}".strip())
    table.add_row("budget", f"{config.budget} finished trials")
    table.add_row("workers", str(config.workers))
    ex = config.executor
    if ex.type == "ray":
        where = ex.address or "local Ray (or $RAY_ADDRESS)"
        res = ex.resources
        table.add_row(
            "executor", f"ray at {where}, {res.num_cpus:g} CPU / {res.num_gpus:g} GPU per trial"
        )
    else:
        table.add_row("executor", "local")
    table.add_row("max_failures", str(config.max_failures or "unlimited"))
    table.add_row("seed", str(config.seed) if config.seed is not None else "stored or random")
    console.print(table)
    console.print("dry run: nothing was stored or evaluated")
    if problem:
        return f"objective.python: {problem}"
    if state.startswith(("CONFLICT", "storage problem")):
        return f"stored: {state}"
    return None


def _python_problem(config: StudyConfig, yaml_dir: Path) -> str | None:
    """Why the ``python:`` objective does not import here (None: it does)."""
    from bbo.run.checks import python_problem

    obj = config.objective
    if obj.python is None or config.executor.type != "local":
        return None  # on Ray the module must import on the nodes
    cwd = objective_cwd(config, yaml_dir)
    return python_problem(obj.python, list(dict.fromkeys([yaml_dir, cwd])), cwd, obj.env)
