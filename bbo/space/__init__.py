"""Search spaces: parameter types, validation and the unit-cube encoder."""

from bbo.space.linear import LinearConstraint
from bbo.space.params import (
    Categorical,
    Float,
    Int,
    Ordinal,
    Param,
    bin_centre,
    param_from_dict,
)
from bbo.space.prior import Prior
from bbo.space.space import MAX_LEVELS, Space, params_key

__all__ = [
    "MAX_LEVELS",
    "Categorical",
    "Float",
    "Int",
    "LinearConstraint",
    "Ordinal",
    "Param",
    "Prior",
    "Space",
    "bin_centre",
    "param_from_dict",
    "params_key",
]
