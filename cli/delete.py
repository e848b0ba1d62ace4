"""``bbo delete NAME``: remove a study and its trials from a storage."""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

import sys
from typing import Annotated

import typer

from bbo.exceptions import StorageError, StudyNotFoundError

from .common import StorageOption, fail, open_target, storage_hint


def delete(
    target: Annotated[
        str,
        typer.Argument(
            metavar="STUDY",
            help="name of the study to delete, its study file, or a FILE.db holding one study",
            show_default=False,
        ),
    ],
    storage: StorageOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Delete a study and every one of its trials (asks first, unless --yes)."""
    study, st = open_target(target, storage)
    try:
        record = st.get_study(study)
        count = st.count_trials(record.id)
    except StudyNotFoundError:
        known = ", ".join(repr(r.name) for r in st.list_studies()) or "none"
        fail(f"no study {study!r} in {st.url}; studies there: {known} (see `bbo studies`)")
    except StorageError as e:
        fail(storage_hint(e))
    if not yes:
        if not sys.stdin.isatty():
            fail(
                f"deleting study {study!r} ({count} trials) needs --yes when not run at a terminal"
            )
        if not typer.confirm(f"delete study {study!r} and its {count} trials from {st.url}?"):
            fail("nothing deleted")
    st.delete_study(study)
    typer.echo(f"deleted study {study!r} ({count} trials) from {st.url}")
