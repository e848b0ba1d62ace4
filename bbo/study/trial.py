"""Moved to :mod:`bbo.trial` (the value types shared by every ring); kept for old imports."""

from bbo.trial import (
    Constraint,
    Objective,
    Trial,
    TrialState,
    check_finite,
    parse_constraints,
    parse_objectives,
)

__all__ = [
    "Constraint",
    "Objective",
    "Trial",
    "TrialState",
    "check_finite",
    "parse_constraints",
    "parse_objectives",
]
