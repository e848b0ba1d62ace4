"""The one table between bbo errors and gRPC status codes, used by both ends.

Server: every ``BboError`` becomes the status its class names (``grpc_status``), with its
message as details and its class name in the trailing metadata key ``bbo-error``; anything
else is a bug, logged with its traceback and sent as ``INTERNAL`` (never ``UNKNOWN``).
Client: a status becomes the class named by ``bbo-error`` when that class maps to the same
code, else the default class of the code (:data:`DEFAULT_CLASS`).
"""

from __future__ import annotations

import inspect
import logging

import grpc

from bbo import exceptions as ex

log = logging.getLogger("bbo.server")

ERROR_CLASS_KEY = "bbo-error"

#: Bytes of UTF-8 a status message may hold. gRPC sends the message in the trailers,
#: percent-encoding every non-ASCII byte (x3), and a client refuses trailers over its
#: metadata limit (16 KiB by default) with RESOURCE_EXHAUSTED "Stream removed", hiding the
#: real status; so a message echoing a long value is cut in its middle.
MAX_DETAILS = 1024

#: Every BboError class and the status it becomes: the error table of docs/grpc.md.
TABLE: dict[type[ex.BboError], grpc.StatusCode] = {
    cls: grpc.StatusCode[cls.grpc_status]
    for _, cls in sorted(inspect.getmembers(ex, inspect.isclass))
    if issubclass(cls, ex.BboError)
}


#: The class a client raises for a status without (a valid) ``bbo-error`` name.
DEFAULT_CLASS: dict[grpc.StatusCode, type[ex.BboError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: ex.InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: ex.NotFoundError,
    grpc.StatusCode.FAILED_PRECONDITION: ex.FailedPreconditionError,
    grpc.StatusCode.ALREADY_EXISTS: ex.AlreadyExistsError,
    grpc.StatusCode.ABORTED: ex.ConcurrentUpdateError,
    grpc.StatusCode.UNAVAILABLE: ex.ServiceUnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: ex.UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: ex.PermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ex.ResourceExhaustedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: ex.DeadlineExceededError,
}


def clip(text: str, limit: int = MAX_DETAILS) -> str:
    """``text`` when its UTF-8 form holds at most ``limit`` bytes; else its head and tail
    (the rule and the field come first in bbo's messages) around a note of what was cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    head = data[: limit * 3 // 4].decode(errors="ignore")
    tail = data[len(data) - limit // 8 :].decode(errors="ignore")
    cut = len(text) - len(head) - len(tail)
    return f"{head} ... [{cut} characters cut] ... {tail}"


def show(value: object, limit: int = 64) -> str:
    """``repr(value)``, cut with an ellipsis past ``limit`` characters, for messages that
    echo a user's value."""
    r = repr(value)
    return r if len(r) <= limit else f"{r[: limit - 3]}... ({len(r)} characters)"


def status_of(err: BaseException) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    """Status code, details and trailing metadata for an exception raised by a handler."""
    if isinstance(err, ex.BboError):
        code = TABLE.get(type(err), grpc.StatusCode[err.grpc_status])
        return code, clip(str(err)), ((ERROR_CLASS_KEY, type(err).__name__),)
    log.error("internal error", exc_info=err)
    message = f"internal error: {type(err).__name__}: {err}"
    return grpc.StatusCode.INTERNAL, clip(message), ((ERROR_CLASS_KEY, "BboError"),)


def error_from_rpc(err: grpc.RpcError) -> ex.BboError:
    """The bbo exception for a failed call (``grpc.RpcError`` that is also a ``grpc.Call``)."""
    code: grpc.StatusCode = err.code()
    details: str = err.details() or code.name
    name = ""
    for key, value in err.trailing_metadata() or ():
        if key == ERROR_CLASS_KEY:
            name = str(value)
    cls = getattr(ex, name, None) if name in ex.__all__ else None
    if not (isinstance(cls, type) and issubclass(cls, ex.BboError) and TABLE.get(cls) == code):
        cls = DEFAULT_CLASS.get(code, ex.BboError)
    if cls is ex.BboError and code != grpc.StatusCode.INTERNAL:
        details = f"{code.name}: {details}"
    return cls(details)
