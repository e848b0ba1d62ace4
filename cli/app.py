"""The ``bbo`` command line: ``bbo run STUDY.yaml`` and ``bbo schema``.

Exit codes: 0 done, 1 unexpected error, 2 invalid input (study file, conflicting study),
130 interrupted (rerun the same command to resume).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from bbo.cli.serve import serve
from rich.console import Console

from bbo.exceptions import BboError, ConfigError

app = typer.Typer(
    name="bbo",
    help="Black-box and Bayesian optimization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.command()
def run(
    study_file: Annotated[Path, typer.Argument(help="study.yaml file", show_default=False)],
) -> None:
    """Run the study of STUDY_FILE until its budget of finished trials is reached.

    Rerunning the same command resumes the study from its storage.
    """
    from bbo.cli.display import RunDisplay, print_summary

    from bbo.run.config import load_config
    from bbo.run.runner import Runner, Status, evaluator_for, open_study

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:  # logs and pipes: wide enough not to cut URLs and params
        console = Console(highlight=False, soft_wrap=True, width=160)
    try:
        config, yaml_dir = load_config(study_file)
        study = open_study(config)  # a conflicting study or a bad storage URL: invalid input
    except BboError as e:
        message = str(e) if isinstance(e, ConfigError) else f"{study_file}: {e}"
        raise _fail(message, EXIT_INVALID) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", EXIT_INTERRUPTED) from None
    display = RunDisplay(console)
    runner = Runner(
        study,
        evaluator_for(config, yaml_dir),
        budget=config.budget,
        workers=config.workers,
        reporter=display,
    )
    try:
        result = runner.run()
    except BboError as e:  # e.g. a finite space with fewer configurations than the budget
        raise _fail(f"{study_file}: the run stopped: {e}", 1) from None
    finally:
        display.stop()
    if result.status == Status.ALREADY_DONE:
        console.print(f"budget of {config.budget} finished trials already reached")
    print_summary(console, result.study)
    if result.status == Status.INTERRUPTED:
        raise _fail(
            f"interrupted ({len(result.abandoned)} running trial(s) abandoned): "
            "rerun the same command to resume",
            EXIT_INTERRUPTED,
        )


@app.command()
def schema() -> None:
    """Print the JSON schema of study.yaml files (for editor completion)."""
    from bbo.run.config import StudyConfig

    typer.echo(json.dumps(StudyConfig.model_json_schema(), indent=2))


app.command()(serve)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None


if __name__ == "__main__":
    main()
