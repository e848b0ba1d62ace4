"""``bbo space edit STUDY``: change the search space of a running study.

Either edit the study file's ``space:`` and give the file (``bbo space edit study.yaml``:
the file's space becomes the study's, and ``bbo run study.yaml`` resumes), or name the
changes: ``--set 'x={type: float, low: 0, high: 20}'`` (add or replace a parameter),
``--remove NAME``; ``--default 'NAME=VALUE'`` gives the value stored trials implicitly had
for an added parameter. The rules are those of :mod:`bbo.study.edits`.
"""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

from pathlib import Path
from typing import Annotated, Any

import typer

from bbo.exceptions import BboError

from .common import StorageOption, fail, open_existing

app = typer.Typer(
    name="space",
    help="Change the search space of a stored study.",
    no_args_is_help=True,
)


def _pair(option: str, text: str) -> tuple[str, Any]:
    """``NAME=YAML`` -> ``(NAME, value)``; exits 2 naming the option and the rule."""
    import yaml

    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        fail(f"{option}: expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), yaml.safe_load(value)
    except yaml.YAMLError as e:
        fail(f"{option} {name.strip()}: not valid YAML ({e}): {value!r}")


@app.command()
def edit(
    target: Annotated[
        str,
        typer.Argument(
            metavar="STUDY",
            help="study name, its study file (whose space becomes the study's when no "
            "--set/--remove is given), or a FILE.db holding one study",
            show_default=False,
        ),
    ],
    storage: StorageOption = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="add or replace a parameter: 'x={type: float, low: 0, high: 20}' (repeatable)",
            show_default=False,
        ),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", help="remove a parameter (repeatable)", show_default=False),
    ] = None,
    default: Annotated[
        list[str] | None,
        typer.Option(
            "--default",
            help="NAME=VALUE: the value stored trials implicitly had for an added parameter",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Widen or narrow ranges, add or remove parameters, add choices: every stored trial
    stays and keeps informing the model; the edit is recorded (see `bbo show`)."""
    s = open_existing(target, storage)
    space: dict[str, Any] = dict(s.space)
    if set_ or remove:
        for text in set_ or []:
            name, spec = _pair("--set", text)
            if not isinstance(spec, dict):
                fail(f"--set {name}: expected a mapping like {{type: float, low: 0, high: 1}}")
            space[name] = spec
        for name in remove or []:
            if name not in space:
                fail(f"--remove {name}: no parameter {name!r}; the space has {list(space)}")
            del space[name]
        constraints = None
    elif Path(target).suffix.lower() in (".yaml", ".yml"):
        from bbo.run.config_file import load_config

        config, _ = load_config(target)
        new = config.spec().space
        space, constraints = dict(new), list(new.constraint_texts)
    else:
        fail("space edit: give --set/--remove, or the study file holding the new space")
    defaults = dict(_pair("--default", d) for d in default or [])
    try:
        done = s.edit_space(space, defaults=defaults, parameter_constraints=constraints)
    except BboError as e:
        fail(f"space edit of study {s.name!r} refused: {e}")
    if done is None:
        typer.echo(f"study {s.name!r}: the space is unchanged; nothing recorded")
        return
    typer.echo(f"study {s.name!r}: space edited (edit {len(s.space_edits)})")
    for line in done.changes:
        typer.echo(f"  {line}")
