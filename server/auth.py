"""Bearer-token authentication, scoped tokens, and the rule for which addresses need auth.

Clients send ``authorization: Bearer <token>`` metadata; the server accepts any of its
tokens (compared in constant time). Tokens come from a file (one per line, ``#`` comments)
or an environment variable, never from the command line. The health service stays open,
so load balancers can probe without a token.

A line of the token file may scope its token: ``TOKEN ROLE PATTERNS``, the role being
``reader`` (GetStudy, ListStudies, ListTrials, GetBest), ``writer`` (also CreateStudy,
DeleteStudy, Ask, Tell, Report, Heartbeat) or ``admin`` (everything), and the patterns
(comma-separated, ``fnmatch`` style: ``team-a/*``) the study names it may touch. A plain
token (no role) is ``admin`` on ``*``, so existing token files keep working.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import grpc

from bbo.exceptions import ConfigError, InvalidArgumentError

OPEN_METHODS = ("/grpc.health.v1.Health/",)
ROLES = ("reader", "writer", "admin")  # each may do what the roles before it may


class Token(str):
    """A bearer token (the string itself) with its ``role`` and the study-name
    ``patterns`` it may touch; a plain ``str`` token is ``admin`` on ``*``."""

    role: str
    patterns: tuple[str, ...]

    def __new__(cls, token: str, role: str = "admin", patterns: Sequence[str] = ("*",)) -> Token:
        t = super().__new__(cls, token)
        t.role, t.patterns = role, tuple(patterns)
        return t

    def may(self, role: str, study: str) -> bool:
        """May this token act as ``role`` on the study named ``study``?"""
        return ROLES.index(self.role) >= ROLES.index(role) and any(
            fnmatchcase(study, p) for p in self.patterns
        )

    @property
    def scope(self) -> str:
        return f"{self.role} on {','.join(self.patterns)}"


def scoped(token: str) -> Token:
    return token if isinstance(token, Token) else Token(token)


def _parse_line(line: str, where: str) -> Token:
    token, *rest = line.split()
    if not rest:
        return Token(token)
    role, *patterns = rest
    if role not in ROLES:
        raise ConfigError(f"{where}: the role must be one of {', '.join(ROLES)}, got {role!r}")
    names = [p for p in ",".join(patterns).split(",") if p]
    if not names:
        raise ConfigError(
            f"{where}: a {role} token must name the studies it may touch "
            "(comma-separated patterns such as `team-a/*`, or `*`)"
        )
    return Token(token, role, names)


def read_tokens(token_file: str | Path | None = None, token_env: str | None = None) -> list[Token]:
    """Tokens from a file (one per line, optionally ``TOKEN ROLE PATTERNS``) and/or an
    environment variable (comma-separated plain tokens: admin on ``*``)."""
    tokens: list[Token] = []
    if token_file is not None:
        try:
            text = Path(token_file).read_text()
        except OSError as e:
            raise ConfigError(f"--token-file {token_file}: cannot be read ({e.strerror})") from None
        for n, ln in enumerate(text.splitlines(), 1):
            if ln.strip() and not ln.lstrip().startswith("#"):
                tokens.append(_parse_line(ln, f"--token-file {token_file}, line {n}"))
    if token_env is not None:
        raw = os.environ.get(token_env)
        if raw is None:
            raise ConfigError(f"--token-env {token_env}: the environment variable is not set")
        tokens += [Token(t.strip()) for t in raw.split(",") if t.strip()]
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


def find_token(
    tokens: Sequence[tuple[bytes, Token]], metadata: Sequence[tuple[str, Any]] | None
) -> Token | None:
    """The token of a call's ``authorization: Bearer`` metadata, if it is one of
    ``tokens`` (compared in constant time with each)."""
    for key, value in metadata or ():
        if key == "authorization":
            v = value if isinstance(value, str) else value.decode(errors="replace")
            scheme, _, token = v.partition(" ")
            if scheme.lower() != "bearer":
                return None
            given = token.strip().encode()
            found = None
            for raw, t in tokens:  # no early exit: the time does not tell which matched
                if hmac.compare_digest(given, raw):
                    found = t
            return found
    return None


class TokenAuth(grpc.aio.ServerInterceptor):
    """Rejects calls without a valid bearer token with UNAUTHENTICATED (what a token may
    do is checked by the service, which sees the study names)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [(t.encode(), scoped(t)) for t in tokens]

    def _ok(self, metadata: Sequence[tuple[str, Any]] | None) -> bool:
        return find_token(self._tokens, metadata) is not None

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
