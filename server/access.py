"""What a call's token may do: scoped tokens (``TOKEN ROLE PATTERNS`` lines, auth.py).

The interceptor (:class:`~bbo.server.auth.TokenAuth`) has already refused calls without a
valid token; here the service checks the token's role and study patterns against the
study a call names, PERMISSION_DENIED otherwise. A server without tokens checks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bbo.server.auth import Token, find_token, scoped

from bbo.exceptions import PermissionDeniedError, UnauthenticatedError

#: The role each RPC needs on the study it names.
NEEDS = {
    "CreateStudy": "writer",
    "DeleteStudy": "writer",
    "Ask": "writer",
    "Tell": "writer",
    "Report": "writer",
    "Heartbeat": "writer",
    "Enqueue": "writer",
    "EditSpace": "writer",
    "GetStudy": "reader",
    "ListStudies": "reader",
    "ListTrials": "reader",
    "GetBest": "reader",
}


class Access:
    """The server's tokens, to authorize each call on the study it names."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [(t.encode(), scoped(t)) for t in tokens]

    def token(self, context: Any) -> Token:
        token = find_token(self._tokens, context.invocation_metadata())
        if token is None:  # the interceptor lets no such call through
            raise UnauthenticatedError("missing or invalid bearer token")
        return token

    def check(self, context: Any, method: str, study: str) -> None:
        """PermissionDeniedError unless the call's token may call ``method`` on ``study``."""
        token, role = self.token(context), NEEDS[method]
        if not token.may(role, study):
            raise PermissionDeniedError(
                f"{method} needs {role} access to study {study!r}; this token is {token.scope}"
            )

    def readable(self, context: Any) -> Callable[[str], bool]:
        """Whether the call's token may read a study, by name (ListStudies' filter)."""
        token = self.token(context)
        return lambda name: token.may("reader", name)
