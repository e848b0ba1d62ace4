"""Helpers shared by the CLI commands: exit codes, errors, ``--storage`` and study lookup."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bbo.exceptions import BboError, StorageError, StudyNotFoundError

if TYPE_CHECKING:
    from bbo.study import Study
    from bbo.study.storage import Storage

EXIT_ERROR = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

StorageOption = Annotated[
    str | None,
    typer.Option(
        "--storage",
        help="storage URL, e.g. sqlite:///branin.db (default: $BBO_STORAGE)",
        show_default=False,
    ),
]


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def storage_url(storage: str | None) -> str:
    """``--storage`` or ``$BBO_STORAGE``; exits 2 naming both when neither is set."""
    url = storage or os.environ.get("BBO_STORAGE")
    if not url:
        fail("--storage URL is needed (e.g. --storage sqlite:///branin.db), or set BBO_STORAGE")
    return url


def storage_hint(e: StorageError) -> str:
    """A StorageError message with what to do about it."""
    text = str(e)
    if "unreachable" in text:
        return (
            f"{text}\n  check the host, port, database name and credentials, and that the "
            "database server is running"
        )
    return text


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL, else None."""
    if not url.startswith("sqlite:"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path.split("?", 1)[0]).expanduser() if path else None


def open_existing_storage(storage: str | None) -> Storage:
    """The storage of ``--storage`` for reading: a SQLite file must exist (no empty database
    is created by a typo), errors exit 2 with what to do."""
    from bbo.study.storage import open_storage

    url = storage_url(storage)
    f = sqlite_file(url)
    if f is not None and not f.exists():
        fail(f"storage {url}: the file {f} does not exist (nothing was stored there yet?)")
    try:
        return open_storage(url)
    except StorageError as e:
        fail(storage_hint(e))


def open_existing(name: str, storage: str | None, worker: str | None = None) -> Study:
    """The stored study ``name`` (exits 2 with the known names when absent); ``worker``
    as :class:`bbo.Study` takes it."""
    from bbo.study import Study

    st = open_existing_storage(storage)
    url = st.url
    try:
        return Study.load(name, st, worker=worker)
    except StudyNotFoundError:
        names = [r.name for r in st.list_studies()]
        known = ", ".join(repr(n) for n in names) if names else "none"
        fail(f"no study {name!r} in {url}; studies there: {known} (see `bbo studies`)")
    except StorageError as e:
        fail(storage_hint(e))
    except BboError as e:
        fail(f"study {name!r} in {url}: {e}")


DeviceOption = Annotated[
    str | None,
    typer.Option(
        "--device",
        help="where model work runs: auto (a GPU when there is one), cpu, cuda, cuda:N. "
        "Default: $BBO_DEVICE, else auto. A setting of this process, never stored with a study.",
    ),
]


def check_device(device: str | None) -> str | None:
    """``--device`` (or ``$BBO_DEVICE``) checked at start: a bad value or a GPU this host
    lacks exits 2 with the rule, instead of failing at the first ask."""
    from bbo.runtime import requested_device

    try:
        dev = requested_device(device, name="--device")
    except BboError as e:
        fail(str(e))
    return str(dev) if dev is not None else None
