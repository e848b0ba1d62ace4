"""``bbo run STUDY.yaml``: validate, open (or resume) the study, run it to its budget."""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

import os
import signal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bbo.exceptions import BboError, ConfigError, StorageError, StudyConflictError

from .common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    DeviceOption,
    check_device,
    fail,
    storage_hint,
)

if TYPE_CHECKING:
    from rich.console import Console

    from bbo.run.config import StudyConfig
    from bbo.run.objective import Evaluator
    from bbo.run.runner import RunResult
    from bbo.study import Study

    from .display import JsonLog, RunDisplay

_MAX_NEW = 1000  # --new tries name, name-2, ..., name-1000


class LogFormat(str, Enum):
    rich = "rich"
    json = "json"


def _console() -> "Console":
    from rich.console import Console  # lazy: only `bbo run` needs it

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:  # logs and pipes: wide enough not to cut URLs and params
        console = Console(highlight=False, soft_wrap=True, width=160)
    return console


def _names(name: str) -> list[str]:
    return [name] + [f"{name}-{k}" for k in range(2, _MAX_NEW + 1)]


def _open(config: "StudyConfig", study_file: Path, new: bool, device: str | None) -> "Study":
    """Open the study of ``config``; with ``new``, the first of name, name-2, ... that is
    free or holds this very definition (so rerunning with --new resumes it)."""
    from bbo.run.runner import open_study

    if not new:
        try:
            return open_study(config, device)
        except StudyConflictError as e:
            from bbo.run.checks import redefine_unevaluated

            if redefine_unevaluated(config):
                typer.echo(
                    f"{study_file}: study {config.name!r} held no evaluated trial (its trials "
                    "were abandoned for a configuration error): its definition is now the "
                    "file's",
                    err=True,
                )
                return open_study(config, device)
            free = _first_free(config)
            fail(
                f"{study_file}: {e}.\n  Refusing to mix trials of two definitions under one "
                f"name. Rename the study (`name:` in {study_file}), or rerun with --new to "
                f"start a new study {free!r} beside the stored one."
            )
    for name in _names(config.name):
        try:
            return open_study(config.model_copy(update={"name": name}), device)
        except StudyConflictError:
            continue
    fail(f"{study_file}: --new: {config.name}-2 ... {config.name}-{_MAX_NEW} all exist")


def _first_free(config: "StudyConfig") -> str:
    """The name --new would use (without creating anything)."""
    from bbo.study.spec import StudySpec
    from bbo.study.storage import open_storage

    st = open_storage(config.storage_url)
    want = config.spec().identity()
    stored = {r.name: r.spec for r in st.list_studies()}
    for name in _names(config.name):
        if name not in stored or StudySpec.from_dict(stored[name]).identity() == want:
            return name
    return f"{config.name}-{_MAX_NEW + 1}"


def _check_objective(config: "StudyConfig", yaml_dir: Path, study_file: Path) -> None:
    """A command that cannot start is a setup error, not a trial failure: exit 2 first."""
    from bbo.run.checks import command_problem
    from bbo.run.runner import objective_cwd

    obj = config.objective
    if obj.command is None or config.executor.type != "local":
        return  # on Ray the program must exist on the nodes, not necessarily here
    cwd = objective_cwd(config, yaml_dir)
    if not cwd.is_dir():
        fail(f"{study_file}: objective.cwd: {cwd} is not a directory")
    problem = command_problem(obj.command, cwd, {**os.environ, **obj.env})
    if problem:
        fail(f"{study_file}: objective.command: {problem}")


def run(
    study_file: Annotated[Path, typer.Argument(help="study.yaml file", show_default=False)],
    budget: Annotated[
        int | None,
        typer.Option(min=1, help="override `budget` (finished trials to reach)"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="override `seed`")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate and print the plan; evaluate nothing")
    ] = False,
    log_format: Annotated[
        LogFormat,
        typer.Option("--log-format", help="rich: live display; json: one JSON object a line"),
    ] = LogFormat.rich,
    new: Annotated[
        bool,
        typer.Option(
            "--new",
            help="when a study of this name exists with another space, use NAME-2, NAME-3 ...",
        ),
    ] = False,
    device: DeviceOption = None,
) -> None:
    """Run the study of STUDY_FILE until its budget of finished trials is reached.

    Rerunning the same command resumes the study from its storage.
    """
    console = _console()
    config, yaml_dir = _plan(study_file, budget, seed)
    if dry_run:
        from .plan import print_plan

        problem = print_plan(console, config, study_file, yaml_dir)
        if problem:
            fail(f"{study_file}: {problem}")
        return
    from .display import JsonLog, RunDisplay

    runtime_device = check_device(device)
    study, evaluator = _open_run(config, study_file, yaml_dir, new, runtime_device)
    display: RunDisplay | JsonLog = (
        JsonLog() if log_format == LogFormat.json else RunDisplay(console)
    )
    result = _execute(config, study_file, study, evaluator, display, console)
    _report(config, study_file, result, display, console)


def _plan(study_file: Path, budget: int | None, seed: int | None) -> "tuple[StudyConfig, Path]":
    """The validated study file with the command line's overrides (exits 2 on an error)."""
    from bbo.run.config import load_config

    try:
        config, yaml_dir = load_config(study_file)
    except ConfigError as e:
        fail(str(e))
    overrides = {k: v for k, v in (("budget", budget), ("seed", seed)) if v is not None}
    config = config.model_copy(update=overrides)
    _check_objective(config, yaml_dir, study_file)
    return config, yaml_dir


def _open_run(
    config: "StudyConfig", study_file: Path, yaml_dir: Path, new: bool, device: str | None
) -> "tuple[Study, Evaluator | None]":
    """The opened (or resumed) study and its evaluator (None: external workers)."""
    from bbo.run.runner import evaluator_for

    try:
        study = _open(config, study_file, new, device)
        ext = config.objective.external
        fidelity = study.spec.fidelity
        return study, evaluator_for(config, yaml_dir, fidelity) if ext is None else None
    except StorageError as e:
        fail(f"{study_file}: storage: {storage_hint(e)}")
    except BboError as e:
        fail(f"{study_file}: {e}")
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)


def _execute(
    config: "StudyConfig",
    study_file: Path,
    study: "Study",
    evaluator: "Evaluator | None",
    display: "RunDisplay | JsonLog",
    console: "Console",
) -> "RunResult":
    """Evaluate until the budget (or serve the study to external workers and watch)."""
    from bbo.run.runner import Runner
    from bbo.run.watcher import Watcher

    from .display import JsonLog

    runner: Runner | Watcher
    server = None
    if evaluator is not None:
        runner = Runner(
            study,
            evaluator,
            budget=config.budget,
            workers=config.workers,
            reporter=display,
            retries=config.objective.retries,
            max_failures=config.max_failures,
        )
    else:
        from .external import how_to_connect, serve_study

        ext = config.objective.external
        assert ext is not None
        try:
            server = serve_study(config)
        except BboError as e:
            fail(f"{study_file}: objective.external: {e}")
        if isinstance(display, JsonLog):
            display.emit("serving", study=study.name, target=server.target)
        else:
            console.print(how_to_connect(server.target, study.name, ext.token_env))
        runner = Watcher(study, budget=config.budget, reporter=display)
    try:
        return runner.run()
    except BboError as e:  # e.g. a finite space with fewer configurations than the budget
        fail(f"{study_file}: the run stopped: {e}", EXIT_ERROR)
    finally:
        display.stop()
        if server is not None:
            server.stop()


def _report(
    config: "StudyConfig",
    study_file: Path,
    result: "RunResult",
    display: "RunDisplay | JsonLog",
    console: "Console",
) -> None:
    """The summary (or the JSON ``end`` event), and the exit status of the run."""
    from bbo.run.runner import Status

    from .display import JsonLog, best_json, print_summary

    study = result.study
    if result.status == Status.INTERRUPTED:  # a second Ctrl-C must not cut the wrap-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if isinstance(display, JsonLog):
        display.emit(
            "end",
            status=result.status.value,
            study=study.name,
            finished=sum(t.state.finished for t in study.trials),
            budget=config.budget,
            failed=result.failed,
            abandoned=list(result.abandoned),
            best=best_json(study.best),
        )
    else:
        if result.status == Status.ALREADY_DONE:
            console.print(f"budget of {config.budget} finished trials already reached")
        print_summary(console, study, failures=False)  # the display showed each one
    if result.status == Status.INTERRUPTED:
        fail(
            f"interrupted ({len(result.abandoned)} running trial(s) abandoned): "
            "rerun the same command to resume",
            EXIT_INTERRUPTED,
        )
    if result.status == Status.CONFIG_ERROR:
        fail(
            f"{study_file}: configuration error: {result.config_error}\n  the trial was "
            "abandoned, not counted as FAILED; fix the study file or the objective and rerun "
            "the same command",
        )
    trials = study.trials
    last = [t for t in trials if t.reason and t.state.value == "FAILED"][-1:]
    why = f"; last: trial {last[0].id}: {last[0].reason}" if last else ""
    if result.status == Status.FAILURES:
        fail(
            f"{study_file}: stopped after {result.failed} failed evaluation(s) "
            f"(max_failures: {config.max_failures}){why}\n  fix the objective and rerun "
            "the same command to resume",
            EXIT_ERROR,
        )
    if not any(t.state.value == "COMPLETED" for t in trials):
        ended = sum(t.state.finished for t in trials)
        fail(
            f"{study_file}: the budget is spent but no trial completed ({ended} finished: "
            f"every one FAILED, INFEASIBLE or PRUNED){why}\n  fix the objective, then rerun with a "
            "larger --budget or under another study name",
            EXIT_ERROR,
        )
