"""``bbo dashboard``: a live, read-only web view of the studies of a storage (docs/dashboard.md)."""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

from pathlib import Path
from typing import Annotated

import typer

from .common import StorageOption, fail, open_existing_storage, storage_hint


def dashboard(
    storage: StorageOption = None,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 picks a free one")] = 8050,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="the token file of `bbo serve` (any role may read)"),
    ] = None,
    token_env: Annotated[
        str | None,
        typer.Option(
            "--token-env", help="environment variable holding the token(s), comma-separated"
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="allow a non-loopback --host without tokens"),
    ] = False,
) -> None:
    """Serve a live web dashboard of the studies in --storage until Ctrl-C.

    Read-only. It listens on 127.0.0.1 by default; a non-loopback --host needs the tokens of
    `bbo serve` (--token-file/--token-env), or an explicit --insecure. Needs
    `pip install 'bbo[dashboard]'`.
    """
    from bbo.exceptions import BboError, StorageError

    try:
        from bbo.dashboard.access import check_bind
        from bbo.dashboard.serve import serve, shown_url
    except ImportError as e:
        fail(
            f"bbo dashboard needs starlette, uvicorn and plotly: pip install 'bbo[dashboard]' ({e})"
        )
    from bbo.server.auth import read_tokens

    try:
        tokens = read_tokens(token_file, token_env)
        check_bind(host, tokens=tokens, insecure=insecure)  # before the storage is opened
        st = open_existing_storage(storage)
        serve(
            st,
            host,
            port,
            tokens=tokens,
            insecure=insecure,
            ready=lambda url: typer.echo(f"bbo dashboard: serving {shown_url(st.url)} on {url}"),
        )
    except StorageError as e:
        fail(f"bbo dashboard: {storage_hint(e)}")
    except BboError as e:
        fail(f"bbo dashboard: {e}")
    except OSError as e:
        fail(f"bbo dashboard: cannot listen on {host}:{port} ({e.strerror or e})")
