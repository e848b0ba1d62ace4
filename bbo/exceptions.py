"""The bbo error tree.

Every error a user can cause is a :class:`BboError` subclass. Each class names the gRPC
status code it becomes on the wire (``grpc_status``, a plain string so that the core never
imports grpc); the server maps errors through that one attribute and the Python client maps
codes back to the same classes. Argument errors also derive from :class:`ValueError`, and
lookup errors from :class:`LookupError`, so ordinary ``except`` clauses keep working.
"""

from __future__ import annotations

from typing import ClassVar


class BboError(Exception):
    """Base class of every bbo error. Unknown failures map to ``INTERNAL``."""

    grpc_status: ClassVar[str] = "INTERNAL"


class InvalidArgumentError(BboError, ValueError):
    """Bad input: the message names the field and the rule. -> ``INVALID_ARGUMENT``"""

    grpc_status = "INVALID_ARGUMENT"


class InvalidSpaceError(InvalidArgumentError):
    """A parameter or space definition breaks a rule (``low < high``, empty choices ...)."""


class InvalidParamsError(InvalidArgumentError):
    """Parameter values are missing, unknown or outside the space."""


class InvalidValueError(InvalidArgumentError):
    """An objective value or metric is not a finite number, or the payload is malformed."""


class ConfigError(InvalidArgumentError):
    """A study configuration (study.yaml) is invalid."""


class NotFoundError(BboError, LookupError):
    """A named object does not exist. -> ``NOT_FOUND``"""

    grpc_status = "NOT_FOUND"


class StudyNotFoundError(NotFoundError):
    """No study with that name in the storage."""


class TrialNotFoundError(NotFoundError):
    """No trial with that id in the study."""


class FailedPreconditionError(BboError):
    """The request is valid but conflicts with the stored state. -> ``FAILED_PRECONDITION``"""

    grpc_status = "FAILED_PRECONDITION"


class TrialFinishedError(FailedPreconditionError):
    """A tell for a trial that already holds a *different* result (a retried identical tell
    is not an error: it returns the stored trial unchanged)."""


class AlreadyExistsError(BboError):
    """An object with that name exists and differs. -> ``ALREADY_EXISTS``"""

    grpc_status = "ALREADY_EXISTS"


class StudyConflictError(AlreadyExistsError):
    """A study with that name exists with a different space or objectives."""


class StorageError(BboError):
    """The storage backend is unreachable or misconfigured. -> ``UNAVAILABLE``"""

    grpc_status = "UNAVAILABLE"


class ConcurrentUpdateError(BboError):
    """Another writer changed the study between a read and a write; the caller retries.
    -> ``ABORTED``"""

    grpc_status = "ABORTED"


class UnauthenticatedError(BboError):
    """A missing or wrong bearer token. -> ``UNAUTHENTICATED``"""

    grpc_status = "UNAUTHENTICATED"


class PermissionDeniedError(BboError):
    """The call's token may not do this on this study (scoped tokens of ``bbo serve``).
    -> ``PERMISSION_DENIED``"""

    grpc_status = "PERMISSION_DENIED"


class ResourceExhaustedError(BboError):
    """A request over a server limit (count per ask, samples per tell, message size).
    -> ``RESOURCE_EXHAUSTED``"""

    grpc_status = "RESOURCE_EXHAUSTED"


class ServiceUnavailableError(BboError):
    """The server cannot be reached (retries ran out). -> ``UNAVAILABLE``"""

    grpc_status = "UNAVAILABLE"


class DeadlineExceededError(BboError, TimeoutError):
    """A remote call did not answer within its deadline. -> ``DEADLINE_EXCEEDED``"""

    grpc_status = "DEADLINE_EXCEEDED"


class TrialPruned(BboError):
    """Raised by an objective to say "this trial was stopped early" (as in Optuna): a
    ``python:`` objective of ``bbo run`` that raises it is told PRUNED, its last report as
    its value. Should it reach the wire, it is a stopped operation. -> ``ABORTED``"""

    grpc_status = "ABORTED"


__all__ = [
    "AlreadyExistsError",
    "BboError",
    "ConcurrentUpdateError",
    "ConfigError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "InvalidParamsError",
    "InvalidSpaceError",
    "InvalidValueError",
    "NotFoundError",
    "ResourceExhaustedError",
    "ServiceUnavailableError",
    "StorageError",
    "StudyConflictError",
    "StudyNotFoundError",
    "TrialFinishedError",
    "TrialNotFoundError",
    "TrialPruned",
    "UnauthenticatedError",
]
