"""``objective: external``: serve the study with ``bbo serve``'s server while ``bbo run``
waits for outside workers (the transport ring: the only CLI module that starts gRPC)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bbo.server.app import ServerThread

    from bbo.run.config import StudyConfig


def serve_study(config: StudyConfig) -> ServerThread:
    """Start the gRPC server on the study's storage in a background thread (ConfigError for a
    port in use, a missing token variable, a non-loopback host without a token)."""
    from bbo.server.app import ServerConfig, ServerThread
    from bbo.server.auth import is_loopback, read_tokens
    from bbo.server.service import Limits

    from bbo.exceptions import ConfigError

    ext = config.objective.external
    assert ext is not None
    if not is_loopback(ext.host) and not ext.token_env:
        raise ConfigError(
            f"host {ext.host!r} is not a loopback address: set `token_env` to the name of an "
            "environment variable holding the accepted token(s), so that workers must "
            "authenticate (bbo.connect(target, token=...))"
        )
    server_config = ServerConfig(
        host=ext.host,
        port=ext.port,
        tokens=read_tokens(None, ext.token_env) if ext.token_env else (),
        limits=Limits(default_lease=ext.lease),
    )
    return ServerThread(config.storage_url, server_config)


def how_to_connect(target: str, name: str, token_env: str | None) -> str:
    """The line that tells workers how to join."""
    token = f", token=os.environ[{token_env!r}]" if token_env else ""
    return (
        f"serving study {name!r} on {target}; workers join with "
        f"bbo.connect({target!r}{token}).get_study({name!r}) (or any bbo.v1 gRPC client)"
    )
