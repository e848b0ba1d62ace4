"""Who may see the dashboard: the tokens of ``bbo serve``, and its rule for addresses.

The tokens are read and scoped by :mod:`bbo.server.auth` (``--token-file`` lines ``TOKEN
ROLE PATTERNS``, ``--token-env``); every role may read, and a token sees the studies its
patterns match. A request carries its token as ``Authorization: Bearer TOKEN`` (scripts)
or as the session cookie that the login form sets (browsers): the cookie holds a random
session id, never the token, and the token is never part of a URL. Without tokens every
request is let through, which :func:`check_bind` allows on a loopback address only.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence

from bbo.server.auth import Token, find_token, is_loopback, scoped

from bbo.exceptions import InvalidArgumentError

COOKIE = "bbo_dashboard"
"""The session cookie (HttpOnly, SameSite=Strict)."""


def check_bind(host: str, *, tokens: Sequence[str], insecure: bool) -> None:
    """Refuse a non-loopback ``host`` without tokens, unless ``insecure`` (the rule of
    ``bbo serve``, :func:`bbo.server.auth.check_bind`, with this command's options)."""
    if not tokens and not insecure and not is_loopback(host):
        raise InvalidArgumentError(
            f"--host {host!r} is not a loopback address: give --token-file/--token-env "
            "(the tokens of `bbo serve`; any role may read), or --insecure to show every "
            "study to whoever reaches that address"
        )


class Gate:
    """The accepted tokens and the browser sessions opened with them."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [(t.encode(), scoped(t)) for t in tokens]
        self._sessions: dict[str, Token] = {}
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        """True without tokens: every request may read every study."""
        return not self._tokens

    def bearer(self, header: str | None) -> Token | None:
        """The token of an ``Authorization`` header, if it is an accepted one."""
        if header is None:
            return None
        return find_token(self._tokens, [("authorization", header)])

    def login(self, token: str) -> str | None:
        """A new session id for an accepted ``token`` (None for any other)."""
        found = self.bearer(f"Bearer {token}")
        if found is None:
            return None
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[sid] = found
        return sid

    def session(self, sid: str | None) -> Token | None:
        if not sid:
            return None
        with self._lock:
            return self._sessions.get(sid)

    def logout(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)


def may_read(token: Token | None, study: str) -> bool:
    """Whether a request with ``token`` (None: an open dashboard) may read ``study``."""
    return token is None or token.may("reader", study)


__all__ = ["COOKIE", "Gate", "check_bind", "may_read"]
