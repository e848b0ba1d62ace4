"""Run the dashboard with uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence

from bbo.study.storage import Storage

from .access import check_bind


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), IPv4 or IPv6."""
    family, kind, proto, _, addr = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.listen(128)
    return sock


def shown_url(url: str) -> str:
    """A storage URL without its password (``postgresql://user@host/db``)."""
    head, sep, tail = url.rpartition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, auth = head.partition("://")
    return f"{scheme}://{auth.split(':')[0]}@{tail}"


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    storage: Storage,
    host: str,
    port: int,
    *,
    tokens: Sequence[str] = (),
    insecure: bool = False,
    ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the dashboard of ``storage`` on ``host:port``; ``ready(url)`` is called once
    the socket listens. InvalidArgumentError for a non-loopback ``host`` without tokens
    (:func:`bbo.dashboard.access.check_bind`)."""
    check_bind(host, tokens=tokens, insecure=insecure)
    sock = bind(host, port)
    if ready is not None:
        ready(url_of(sock))
    _run(storage, sock, tokens, log_level)


def serve_in_thread(
    storage: Storage,
    host: str,
    port: int,
    *,
    tokens: Sequence[str] = (),
    insecure: bool = False,
    log_level: str = "warning",
) -> str:
    """:func:`serve` in a daemon thread (``bbo serve --dashboard``: the gRPC server's
    process, storage object and tokens); returns its URL. A refused bind (a non-loopback
    ``host`` without tokens, a port in use) raises here, before anything runs."""
    import threading

    check_bind(host, tokens=tokens, insecure=insecure)
    sock = bind(host, port)
    threading.Thread(
        target=_run, args=(storage, sock, tokens, log_level), daemon=True, name="bbo-dashboard"
    ).start()
    return url_of(sock)


def _run(storage: Storage, sock: socket.socket, tokens: Sequence[str], log_level: str) -> None:
    """uvicorn on the listening ``sock`` until it stops (outside the main thread uvicorn
    leaves the signals to the main thread's owner)."""
    import uvicorn

    from .app import make_app

    app = make_app(storage, list(tokens))
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


__all__ = ["bind", "serve", "serve_in_thread", "shown_url", "url_of"]
