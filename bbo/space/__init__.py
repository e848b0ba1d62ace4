"""Search spaces: parameter types, validation and the unit-cube encoder."""

from bbo.space.params import Categorical, Float, Int, Ordinal, Param, param_from_dict
from bbo.space.space import Space, params_key

__all__ = [
    "Categorical",
    "Float",
    "Int",
    "Ordinal",
    "Param",
    "Space",
    "param_from_dict",
    "params_key",
]
