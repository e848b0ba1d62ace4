"""Building, running and stopping the gRPC server (``bbo serve``, tests, embedding).

:func:`start` builds a ``grpc.aio`` server with the Optimizer service, the standard
``grpc.health.v1`` health service and server reflection (so ``grpcurl`` can list and call
it), optional bearer-token auth and TLS / mTLS. :func:`serve` runs it until SIGTERM or
SIGINT, then stops gracefully: no new calls are accepted, in-flight calls (a Tell being
written) get ``grace`` seconds to finish and be stored. :class:`ServerThread` runs one in
a background thread, for tests and for embedding a server in a Python program.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from bbo.server.auth import TokenAuth, check_bind
from bbo.server.service import Limits, OptimizerService, generic_handler
from bbo.server.standard import Health, add_health, add_reflection
from grpc_health.v1 import health_pb2

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import ConfigError
from bbo.runtime import requested_device
from bbo.study.storage import Storage, open_storage

log = logging.getLogger("bbo.server")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Optimizer"].full_name


@dataclass(frozen=True)
class TLS:
    """PEM files: the server's certificate and key, and optionally a client CA (mTLS)."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        def read(p: Path, what: str) -> bytes:
            try:
                return Path(p).read_bytes()
            except OSError as e:
                raise ConfigError(f"{what} {p}: cannot be read ({e.strerror})") from None

        ca = read(self.client_ca, "--tls-client-ca") if self.client_ca else None
        return grpc.ssl_server_credentials(
            [(read(self.key, "--tls-key"), read(self.cert, "--tls-cert"))],
            root_certificates=ca,
            require_client_auth=ca is not None,
        )


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    tokens: Sequence[str] = ()
    tls: TLS | None = None
    insecure: bool = False  # allow a non-loopback address without authentication
    limits: Limits = field(default_factory=Limits)
    max_message_bytes: int = 4 * 1024 * 1024
    ask_threads: int = 2
    device: str | None = None  # runtime setting for model work: None = $BBO_DEVICE or auto
    grace: float = 10.0  # seconds in-flight calls get on shutdown


@dataclass
class Running:
    server: grpc.aio.Server
    service: OptimizerService
    health: Health
    port: int
    config: ServerConfig

    async def stop(self) -> None:
        """Stop accepting calls; in-flight calls finish (up to ``grace`` seconds). Health
        turns NOT_SERVING first, and its Watch streams end at once."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.config.grace)
        await asyncio.get_running_loop().run_in_executor(None, self.service.close)


async def start(storage: str | Storage | None, config: ServerConfig | None = None) -> Running:
    """Start a server on ``config.host:config.port`` (must run in an event loop)."""
    config = config or ServerConfig()
    authenticated = bool(config.tokens) or (config.tls is not None and config.tls.client_ca)
    check_bind(config.host, authenticated=bool(authenticated), insecure=config.insecure)
    if config.device is not None:  # a GPU this host lacks: refused now, not at the first Ask
        requested_device(config.device, name="--device")
    st = open_storage(storage)
    size = config.max_message_bytes
    server = grpc.aio.server(
        interceptors=[TokenAuth(config.tokens)] if config.tokens else None,
        options=[
            ("grpc.max_receive_message_length", size),
            ("grpc.max_send_message_length", size),
            ("grpc.so_reuseport", 0),
        ],
    )
    service = OptimizerService(
        st,
        config.limits,
        ask_threads=config.ask_threads,
        device=config.device,
        max_message_bytes=size,
        tokens=config.tokens,
    )
    server.add_generic_rpc_handlers((generic_handler(service),))
    health_servicer = add_health(server)
    add_reflection(server, [SERVICE_NAME])
    address = (
        f"[{config.host}]:{config.port}" if ":" in config.host else f"{config.host}:{config.port}"
    )
    try:
        if config.tls is not None:
            port = server.add_secure_port(address, config.tls.credentials())
        else:
            port = server.add_insecure_port(address)
    except RuntimeError as e:
        raise ConfigError(f"cannot listen on {address}: {e}") from None
    await server.start()
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("bbo server listening on %s:%d (storage %s)", config.host, port, st.url)
    return Running(server, service, health_servicer, port, config)


async def serve(
    storage: str | Storage | None, config: ServerConfig, ready: str | None = None
) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully. ``ready``: a line printed once
    listening, with ``{port}`` replaced (``bbo serve`` prints the port this way)."""
    running = await start(storage, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        print(ready.format(port=running.port), flush=True)
    await stop.wait()
    log.info("stopping: in-flight calls get %.0f s", config.grace)
    await running.stop()


class ServerThread:
    """A server running in a background thread with its own event loop.

    >>> srv = ServerThread("memory://")  # doctest: +SKIP
    >>> srv.target  # "127.0.0.1:PORT"     # doctest: +SKIP
    >>> srv.stop()                          # doctest: +SKIP
    """

    def __init__(self, storage: str | Storage | None, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="bbo-server"
        )
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(start(storage, self.config), self._loop)
        try:
            self.running = fut.result(timeout=60)
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise
        self.port = self.running.port
        self.target = f"{self.config.host}:{self.port}"

    @property
    def service(self) -> OptimizerService:
        return self.running.service

    def stop(self) -> None:
        if not self._loop.is_running():
            return
        asyncio.run_coroutine_threadsafe(self.running.stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
