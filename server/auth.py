"""Bearer-token authentication and the rule for which addresses need it.

Clients send ``authorization: Bearer <token>`` metadata; the server accepts any of its
tokens (compared in constant time). Tokens come from a file (one per line, ``#`` comments)
or an environment variable, never from the command line. The health service stays open,
so load balancers can probe without a token.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import grpc

from bbo.exceptions import ConfigError, InvalidArgumentError

OPEN_METHODS = ("/grpc.health.v1.Health/",)


def read_tokens(token_file: str | Path | None = None, token_env: str | None = None) -> list[str]:
    """Tokens from a file (one per line) and/or an environment variable (comma-separated)."""
    tokens: list[str] = []
    if token_file is not None:
        try:
            text = Path(token_file).read_text()
        except OSError as e:
            raise ConfigError(f"--token-file {token_file}: cannot be read ({e.strerror})") from None
        tokens += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if token_env is not None:
        raw = os.environ.get(token_env)
        if raw is None:
            raise ConfigError(f"--token-env {token_env}: the environment variable is not set")
        tokens += [t.strip() for t in raw.split(",") if t.strip()]
    if (token_file is not None or token_env is not None) and not tokens:
        raise ConfigError("no token found: the token file / variable holds no token")
    for t in tokens:
        if len(t) < 16:
            raise ConfigError(f"a token must hold at least 16 characters, got {len(t)}")
    return tokens


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def check_bind(host: str, *, authenticated: bool, insecure: bool) -> None:
    """Refuse a non-loopback address without authentication unless ``insecure``."""
    if not authenticated and not insecure and not is_loopback(host):
        raise InvalidArgumentError(
            f"--host {host!r} is not a loopback address: give --token-file/--token-env (or "
            "--tls-client-ca for mTLS), or --insecure to serve it without authentication"
        )


class TokenAuth(grpc.aio.ServerInterceptor):
    """Rejects calls without a valid bearer token with UNAUTHENTICATED."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [t.encode() for t in tokens]

    def _ok(self, metadata: Sequence[tuple[str, Any]] | None) -> bool:
        for key, value in metadata or ():
            if key == "authorization":
                v = value if isinstance(value, str) else value.decode(errors="replace")
                scheme, _, token = v.partition(" ")
                if scheme.lower() != "bearer":
                    return False
                given = token.strip().encode()
                return any(hmac.compare_digest(given, t) for t in self._tokens)
        return False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method or ""
        if method.startswith(OPEN_METHODS) or self._ok(handler_call_details.invocation_metadata):
            return await continuation(handler_call_details)
        return _deny(method)


def _deny(method: str) -> grpc.RpcMethodHandler:
    async def abort(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(
            grpc.StatusCode.UNAUTHENTICATED,
            f"{method}: missing or invalid bearer token (metadata 'authorization: Bearer ...')",
            trailing_metadata=(("bbo-error", "UnauthenticatedError"),),
        )

    if method.startswith("/grpc.reflection."):  # a bidirectional stream

        async def abort_stream(request_iterator: Any, context: grpc.aio.ServicerContext) -> None:
            await abort(None, context)

        return grpc.stream_stream_rpc_method_handler(abort_stream)
    return grpc.unary_unary_rpc_method_handler(abort)
