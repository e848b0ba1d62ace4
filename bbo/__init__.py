"""bbo: black-box and Bayesian optimization.

>>> import bbo
>>> space = bbo.Space({"x": bbo.Float(-5.0, 10.0), "act": bbo.Categorical(["relu", "tanh"])})
>>> study = bbo.Study(space, direction="minimize", seed=0)

``import bbo`` loads the space, study and storage layers only; torch, SQLAlchemy, typer and
grpc are imported when a component that needs them is used.
"""

from bbo.exceptions import (
    BboError,
    InvalidArgumentError,
    InvalidParamsError,
    InvalidSpaceError,
    InvalidValueError,
    NotFoundError,
    StudyConflictError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from bbo.space import Categorical, Float, Int, Ordinal, Space
from bbo.study import Objective, Study, Trial, TrialState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bbo.client import connect

__version__ = "0.1.0"

__all__ = [
    "BboError",
    "Categorical",
    "Float",
    "Int",
    "InvalidArgumentError",
    "InvalidParamsError",
    "InvalidSpaceError",
    "InvalidValueError",
    "NotFoundError",
    "Objective",
    "Ordinal",
    "Space",
    "Study",
    "StudyConflictError",
    "StudyNotFoundError",
    "Trial",
    "TrialFinishedError",
    "TrialNotFoundError",
    "TrialState",
    "__version__",
    "connect",
]


def __getattr__(name: str) -> object:
    """``bbo.connect`` imports the gRPC client (and grpc) on first use only."""
    if name == "connect":
        from bbo.client import connect

        return connect
    raise AttributeError(f"module 'bbo' has no attribute {name!r}")
