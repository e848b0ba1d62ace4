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
        help="storage URL or .db file, e.g. sqlite:///branin.db (default: $BBO_STORAGE, "
        "the study file's storage, else NAME.db in the current directory)",
        show_default=False,
    ),
]
_YAML = (".yaml", ".yml")


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def storage_url(storage: str | None, default: str | None = None) -> str:
    """``--storage`` or ``$BBO_STORAGE`` (a bare ``FILE.db`` is its sqlite URL), else
    ``default``; exits 2 naming them when none is set."""
    from bbo.study.storage import as_storage_url

    url = storage or os.environ.get("BBO_STORAGE") or default
    if not url:
        fail("--storage URL is needed (e.g. --storage sqlite:///branin.db), or set BBO_STORAGE")
    return as_storage_url(url)


def resolve_study(target: str, storage: str | None) -> tuple[str, str]:
    """``(name, storage URL)`` of a study given as a NAME, a study file (its ``name`` and
    ``storage``, found as ``bbo run`` finds them) or a ``FILE.db`` (its only study).
    ``--storage`` wins; a bare NAME falls back on ``$BBO_STORAGE``, then on ``NAME.db`` in
    the current directory (``bbo run``'s default for a study file there)."""
    name, url, _ = _resolve(target, storage)
    return name, url


def open_target(target: str, storage: str | None) -> tuple[str, Storage]:
    """The name of the study ``target`` (see :func:`resolve_study`) and its storage, opened
    as :func:`open_existing_storage` opens it; a ``FILE.db``, opened to find its only
    study, is not opened a second time."""
    name, url, st = _resolve(target, storage)
    return name, st if st is not None else open_existing_storage(url)


def _resolve(target: str, storage: str | None) -> tuple[str, str, Storage | None]:
    """:func:`resolve_study`, and the storage when finding the name opened it."""
    from bbo.study.storage import DB_SUFFIXES, sqlite_file

    suffix = Path(target).suffix.lower()
    if suffix in _YAML:
        from bbo.exceptions import ConfigError
        from bbo.run.config_file import load_config

        try:
            config, _ = load_config(target)
        except ConfigError as e:
            fail(str(e))
        return config.name, storage_url(storage) if storage else config.storage_url, None
    if suffix in DB_SUFFIXES:
        url = storage_url(target)
        f = sqlite_file(url)
        if f is None or not f.exists():
            fail(f"{target}: the file does not exist (nothing was stored there yet?)")
        st = open_existing_storage(url)
        names = [r.name for r in st.list_studies()]
        if len(names) != 1:
            held = ", ".join(repr(n) for n in names) or "no study"
            fail(f"{target} holds {held}: name the study (and pass --storage {target})")
        return names[0], url, st
    here = Path(f"{target}.db")
    default = f"sqlite:///{here.resolve()}" if here.is_file() else None
    if not (storage or os.environ.get("BBO_STORAGE") or default):
        fail(
            f"where is study {target!r}? pass its study file (bbo show study.yaml), "
            f"--storage URL (or FILE.db), or set BBO_STORAGE; there is no {here} here"
        )
    return target, storage_url(storage, default), None


def storage_hint(e: StorageError) -> str:
    """A StorageError message with what to do about it."""
    text = str(e)
    if "unreachable" in text:
        return (
            f"{text}\n  check the host, port, database name and credentials, and that the "
            "database server is running"
        )
    return text


def open_existing_storage(storage: str | None) -> Storage:
    """The storage of ``--storage`` for reading: a SQLite file must exist (no empty database
    is created by a typo), errors exit 2 with what to do."""
    from bbo.study.storage import open_storage

    try:
        return open_storage(storage_url(storage), must_exist=True)
    except StudyNotFoundError as e:  # the SQLite file is missing
        fail(str(e))
    except StorageError as e:
        fail(storage_hint(e))


def open_existing(target: str, storage: str | None, worker: str | None = None) -> Study:
    """The stored study ``target`` (a name, a study file or a FILE.db: see
    :func:`resolve_study`); exits 2 with the known names when absent. ``worker`` as
    :class:`bbo.Study` takes it."""
    from bbo.study import Study

    name, st = open_target(target, storage)
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
