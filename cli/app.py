"""The ``bbo`` command line.

One module per command group (``run``, ``shell`` ask/tell, ``inspect``, ``plots``); this
file only registers them, so ``bbo --help`` stays fast (heavy imports happen inside the
commands). The modules that define commands keep their annotations as objects (no ``from
__future__ import annotations``): typer reads the signature of every command at every
start, and evaluating them from strings (twice a command) cost about 10 ms a start.

Exit codes: 0 done, 1 unexpected error or a run stopped by ``max_failures``, 2 invalid input
(study file, storage URL, conflicting study, unknown study), 130 interrupted (rerun the same
command to resume).
"""

import json

import typer

from . import inspect as _inspect
from . import plots as _plots
from . import shell as _shell
from . import space as _space
from .common import EXIT_INTERRUPTED, EXIT_INVALID
from .dashboard import dashboard
from .delete import delete
from .run import run
from .serve import serve

app = typer.Typer(
    name="bbo",
    help="Black-box and Bayesian optimization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

__all__ = ["EXIT_INTERRUPTED", "EXIT_INVALID", "app", "main"]

app.command()(run)
app.command()(_shell.ask)
app.command()(_shell.tell)
app.command()(_shell.enqueue)
app.command()(_inspect.studies)
app.command()(_inspect.show)
app.command()(_inspect.trials)
app.command()(_inspect.export)
app.command()(delete)
app.command()(_plots.plot)
app.command()(_plots.report)
app.command()(serve)
app.command()(dashboard)
app.add_typer(_space.app, name="space")


@app.command()
def schema(
    markdown: bool = typer.Option(
        False, "--markdown", help="print the study.yaml reference (docs/study-yaml.md) instead"
    ),
) -> None:
    """Print the JSON schema of study.yaml files (for editor completion)."""
    from bbo.run.config import StudyConfig

    if markdown:
        from bbo.run.schema_doc import schema_markdown

        typer.echo(schema_markdown(), nl=False)
        return
    typer.echo(json.dumps(StudyConfig.model_json_schema(), indent=2))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None


if __name__ == "__main__":
    main()
