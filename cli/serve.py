"""``bbo serve``: run the gRPC ask/tell server (docs/grpc.md)."""

# no `from __future__ import annotations`: typer reads these signatures at every start (app.py)

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import DeviceOption, check_device

EXIT_INVALID = 2


def serve(
    storage: Annotated[
        str, typer.Option("--storage", help="sqlite:///study.db, postgresql://... or memory://")
    ] = "sqlite:///bbo.db",
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 picks a free one")] = 50051,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="file of accepted bearer tokens, one per line"),
    ] = None,
    token_env: Annotated[
        str | None,
        typer.Option(
            "--token-env", help="environment variable holding the token(s), comma-separated"
        ),
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key")] = None,
    tls_client_ca: Annotated[
        Path | None,
        typer.Option("--tls-client-ca", help="PEM CA: require client certificates (mTLS)"),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="allow a non-loopback --host without authentication"),
    ] = False,
    max_ask: Annotated[int, typer.Option("--max-ask", help="most trials per Ask")] = 64,
    max_samples: Annotated[
        int, typer.Option("--max-samples", help="most replicate samples per Tell")
    ] = 10_000,
    lease: Annotated[
        float, typer.Option("--lease", help="default lease of an asked trial, seconds")
    ] = 300.0,
    max_message_bytes: Annotated[
        int, typer.Option("--max-message-bytes", help="largest request or response")
    ] = 4 * 1024 * 1024,
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
    device: DeviceOption = None,
    dashboard: Annotated[
        int | None,
        typer.Option(
            "--dashboard",
            help="also serve the web dashboard (bbo dashboard) on this port of --host, "
            "with the same storage and tokens; 0 picks a free port",
        ),
    ] = None,
) -> None:
    """Serve studies over gRPC until SIGTERM or Ctrl-C (in-flight calls finish first).

    Tokens are read from --token-file or --token-env, never from the command line. A
    non-loopback --host needs a token or mTLS, or an explicit --insecure.
    """
    import asyncio
    import logging

    from bbo.server.app import TLS, ServerConfig
    from bbo.server.app import serve as run_server
    from bbo.server.auth import read_tokens
    from bbo.server.service import Limits

    from bbo.exceptions import BboError, InvalidArgumentError

    try:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR")
        if log_level.upper() not in levels:
            raise InvalidArgumentError(f"--log-level must be one of {levels}, got {log_level!r}")
        logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
        if (tls_cert is None) != (tls_key is None):
            raise InvalidArgumentError("--tls-cert and --tls-key must be given together")
        if tls_client_ca is not None and tls_cert is None:
            raise InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key")
        for flag, v in (("--max-ask", max_ask), ("--max-samples", max_samples)):
            if v < 1:
                raise InvalidArgumentError(f"`{flag} >= 1` must hold, got {v}")
        if not lease > 0:
            raise InvalidArgumentError(f"`--lease > 0` must hold, got {lease}")
        tls = TLS(tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None
        config = ServerConfig(
            host=host,
            port=port,
            tokens=read_tokens(token_file, token_env),
            tls=tls,
            insecure=insecure,
            limits=Limits(max_ask=max_ask, max_samples=max_samples, default_lease=lease),
            max_message_bytes=max_message_bytes,
            device=check_device(device),
        )
        st: Any = storage
        if dashboard is not None:  # one storage object for both: memory:// is shared too
            st = _start_dashboard(storage, host, dashboard, config.tokens, insecure)
        asyncio.run(run_server(st, config, ready=f"bbo serve: listening on {host}:{{port}}"))
    except BboError as e:
        typer.echo(f"bbo serve: {e}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def _start_dashboard(storage: str, host: str, port: int, tokens: Any, insecure: bool) -> Any:
    """Open ``storage`` and serve the dashboard of it in a thread of this process; returns
    the storage object for the gRPC server."""
    try:
        from bbo.dashboard.serve import serve_in_thread, shown_url
    except ImportError as e:
        from bbo.exceptions import InvalidArgumentError

        raise InvalidArgumentError(
            f"--dashboard needs starlette, uvicorn and plotly: pip install 'bbo[dashboard]' ({e})"
        ) from None
    from bbo.study.storage import open_storage

    st = open_storage(storage)
    try:
        url = serve_in_thread(st, host, port, tokens=tokens, insecure=insecure)
    except OSError as e:
        from bbo.exceptions import InvalidArgumentError

        raise InvalidArgumentError(
            f"--dashboard: cannot listen on {host}:{port} ({e.strerror or e})"
        ) from None
    typer.echo(f"bbo serve: dashboard of {shown_url(st.url)} on {url}")
    return st
