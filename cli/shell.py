"""Ask/tell from the shell, for loops in any language without a server::

    eval "$(bbo ask --study demo --storage sqlite:///demo.db --format shell)"
    bbo tell --study demo --storage sqlite:///demo.db --trial "$trial" --value "$(./f "$x")"
    bbo enqueue --study demo --storage sqlite:///demo.db --json '{"x": 1.5}'  # asked first

The study must exist (``bbo run`` or ``bbo.Study(..., storage=URL, name=...)`` created it).
Asked trials stay RUNNING until told; they are not tied to the short-lived ``bbo ask``
process (give ``--lease`` to have a trial offered again when no tell comes in time).
"""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

import json
import math
import re
import shlex
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from bbo.exceptions import BboError

from .common import StorageOption, fail, open_existing

StudyOption = Annotated[
    str,
    typer.Option(
        "--study",
        help="study name, its study file (study.yaml) or a FILE.db holding one study",
        show_default=False,
    ),
]

SHELL_WORKER = "bbo-shell"
"""``attrs["worker"]`` of trials asked from the shell: no live process to watch, so only a
lease (``--lease``) makes them expire."""


def _json(d: dict[str, Any]) -> str:
    return json.dumps(d, separators=(", ", ": "))


class AskFormat(str, Enum):
    json = "json"
    shell = "shell"


def shell_assignments(trial_id: int, params: dict[str, Any]) -> str:
    """``trial=3`` and one ``name=value`` line per parameter, quoted for ``eval`` in sh/bash
    (characters that cannot be in a shell variable name become ``_``)."""
    lines = [f"trial={trial_id}"]
    for name, v in params.items():
        var = re.sub(r"\W", "_", name)
        text = json.dumps(v) if isinstance(v, bool) else str(v)
        lines.append(f"{var}={shlex.quote(text)}")
    return "\n".join(lines)


def ask(
    study: StudyOption,
    storage: StorageOption = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="trials to ask")] = 1,
    lease: Annotated[
        float | None,
        typer.Option(min=0.001, help="seconds before an untold trial is offered again"),
    ] = None,
    fmt: Annotated[
        AskFormat,
        typer.Option(
            "--format",
            help='json: {"study", "trial", "params", "source"} a line; shell: trial=ID and '
            "NAME=VALUE lines for eval",
        ),
    ] = AskFormat.json,
) -> None:
    """Ask for trials; print each as one JSON line (or shell assignments)."""
    if fmt == AskFormat.shell and count != 1:
        fail("--format shell prints one trial; use --format json with --count")
    # the asking process exits at once: its trials are not reclaimed by its pid
    s = open_existing(study, storage, worker=SHELL_WORKER)
    try:
        trials = s.ask(count, lease=lease)
    except BboError as e:
        fail(f"ask: {e}")
    for t in trials:
        if fmt == AskFormat.shell:
            typer.echo(shell_assignments(t.id, t.params))
            continue
        row = {"study": s.name, "trial": t.id, "params": t.params, "source": t.attrs["source"]}
        typer.echo(_json(row))


def _parse_json(text: str) -> dict[str, Any]:
    """``--json``: a number, {metric: number, ...} or {"samples": [...]} as tell kwargs."""
    from bbo.run.objective import interpret

    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"--json: not valid JSON ({e.msg} at column {e.colno}): {text!r}")
    res = interpret(obj, who="--json")
    if res.failed:
        fail(f"{res.reason}")
    if res.samples is not None:
        return {"samples": res.samples}
    return {"value": res.value}


_CLI_WORDS = (  # the API's words in messages of Study.tell -> the options of `bbo tell`
    (
        "tell a mapping {metric: value}, not a single number",
        "tell --json '{\"METRIC\": V, ...}' with every metric, not --value",
    ),
    ("tell a mapping of metrics instead", "tell --json '{\"METRIC\": V, ...}' instead"),
    ("tell a mapping holding", "tell --json '{\"METRIC\": V, ...}' holding"),
    ("`samples=`", "--json '{\"samples\": [...]}'"),
    ("tell failed=True", "tell --failed"),
    ("`failed=True`", "--failed"),
    ("`infeasible=True`", "--infeasible"),
    ("`value`", "--value"),
)


def cli_words(message: str) -> str:
    """A message of the Python API in the words of ``bbo tell`` (its options)."""
    for api, cli in _CLI_WORDS:
        message = message.replace(api, cli)
    return message


def tell(
    study: StudyOption,
    trial: Annotated[int, typer.Option("--trial", help="trial id from `bbo ask`")],
    storage: StorageOption = None,
    value: Annotated[
        float | None, typer.Option("--value", help="the objective value", show_default=False)
    ] = None,
    json_text: Annotated[
        str | None,
        typer.Option(
            "--json",
            help='a number, {"loss": 0.2, "latency": 13} or {"samples": [0.31, 0.35]}',
            show_default=False,
        ),
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="the evaluation crashed")] = False,
    infeasible: Annotated[
        bool, typer.Option("--infeasible", help="the point is outside the feasible region")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="why it failed (stored with the trial)")
    ] = None,
) -> None:
    """Tell the result of an asked trial; print the stored trial as JSON."""
    given = [value is not None, json_text is not None, failed, infeasible]
    if sum(given) != 1:
        fail("tell exactly one of --value V, --json TEXT, --failed or --infeasible")
    if value is not None and not math.isfinite(value):
        fail(f"--value must be a finite number, got {value!r}; use --failed for a crash")
    kwargs: dict[str, Any] = {"value": value} if value is not None else {}
    if json_text is not None:
        kwargs = _parse_json(json_text)
    s = open_existing(study, storage)
    if json_text is not None and "value" in kwargs:
        # --json '{"loss": 0.2}' for a study of one objective is that objective's value
        from bbo.run.checks import fit_result
        from bbo.run.objective import Result

        kwargs["value"] = fit_result(s.spec, Result(value=kwargs["value"])).value
    try:
        t = s.tell(trial, failed=failed, infeasible=infeasible, reason=reason, **kwargs)
    except BboError as e:
        fail(f"tell: trial {trial}: {cli_words(str(e))}")
    from bbo.run.tables import trial_dict  # not via .display: tell prints no rich output

    typer.echo(_json({"study": s.name, **trial_dict(t)}))


def _points_file(path: Path) -> Any:
    """The points of ``--file``: a JSON or YAML list of mappings (or one mapping)."""
    try:
        text = path.read_text()
    except OSError as e:
        fail(f"--file {path}: cannot read: {e.strerror or e}")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            fail(f"--file {path}: not valid YAML ({e})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"--file {path}: not valid JSON ({e.msg} at line {e.lineno})")


def enqueue(
    study: StudyOption,
    storage: StorageOption = None,
    json_text: Annotated[
        str | None,
        typer.Option(
            "--json",
            help='one point {"x": 1.5, "act": "relu"} or a list of them',
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="a JSON or YAML file holding a list of points", show_default=False
        ),
    ] = None,
    skip_if_exists: Annotated[
        bool,
        typer.Option(
            "--skip-if-exists", help="leave out points equal to a trial or a queued point"
        ),
    ] = False,
) -> None:
    """Queue points to evaluate before any suggestion: the next asks return them first."""
    if (json_text is None) == (file is None):
        fail("enqueue: give exactly one of --json TEXT or --file FILE")
    if json_text is not None:
        try:
            points = json.loads(json_text)
        except json.JSONDecodeError as e:
            fail(f"--json: not valid JSON ({e.msg} at column {e.colno}): {json_text!r}")
    else:
        assert file is not None
        points = _points_file(file)
    if isinstance(points, list) and not points:
        fail("enqueue: no points given (an empty list)")
    s = open_existing(study, storage)
    try:
        added = s.enqueue(points, skip_if_exists=skip_if_exists)
    except BboError as e:
        fail(str(e) if str(e).startswith("enqueue:") else f"enqueue: {e}")
    typer.echo(_json({"study": s.name, "added": added, "queued": s.queued_count}))
