"""bbo: black-box and Bayesian optimization.

>>> import bbo
>>> space = bbo.Space({"x": bbo.Float(-5.0, 10.0), "act": bbo.Categorical(["relu", "tanh"])})
>>> study = bbo.Study(space, direction="minimize", seed=0)

``import bbo`` loads the exceptions only; each public name imports its module on first use
(``bbo.Space`` the space, ``bbo.Study`` the study and storage layers, ``bbo.connect`` the
gRPC client), so a command that needs little imports little. numpy, torch, SQLAlchemy,
typer and grpc are imported when a component that needs them is used.
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
    TrialPruned,
)
from bbo.lazy import lazy_names

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bbo.client import connect
    from bbo.pruners.fidelity import Fidelity
    from bbo.space import Categorical, Float, Int, Ordinal, Prior, Space
    from bbo.statistics import Statistic
    from bbo.study import Objective, Study, Trial, TrialState

__version__ = "0.1.0"

__all__ = [
    "BboError",
    "Categorical",
    "Fidelity",
    "Float",
    "Int",
    "InvalidArgumentError",
    "InvalidParamsError",
    "InvalidSpaceError",
    "InvalidValueError",
    "NotFoundError",
    "Objective",
    "Ordinal",
    "Prior",
    "Space",
    "Statistic",
    "Study",
    "StudyConflictError",
    "StudyNotFoundError",
    "Trial",
    "TrialFinishedError",
    "TrialNotFoundError",
    "TrialPruned",
    "TrialState",
    "__version__",
    "connect",
]

# public name -> the module it is imported from on first use (PEP 562)
_LAZY = {
    "Categorical": "bbo.space",
    "Fidelity": "bbo.pruners.fidelity",
    "Float": "bbo.space",
    "Int": "bbo.space",
    "Ordinal": "bbo.space",
    "Prior": "bbo.space",
    "Space": "bbo.space",
    "Statistic": "bbo.statistics",
    "Objective": "bbo.study",
    "Study": "bbo.study",
    "Trial": "bbo.study",
    "TrialState": "bbo.study",
    "connect": "bbo.client",
}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
