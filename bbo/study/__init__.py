"""Studies, trials and storage: the ask/tell orchestration ring.

``Study``, ``StudyLike`` and ``StudySpec`` import their modules on first use: reading a
storage (:mod:`bbo.study.storage`, ``bbo studies``) loads no study machinery.
"""

from bbo.lazy import lazy_names
from bbo.trial import Objective, Trial, TrialState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bbo.study.like import StudyLike
    from bbo.study.spec import StudySpec
    from bbo.study.study import Study

__all__ = ["Objective", "Study", "StudyLike", "StudySpec", "Trial", "TrialState"]

# public name -> the module it is imported from on first use (PEP 562)
_LAZY = {"Study": "bbo.study.study", "StudyLike": "bbo.study.like", "StudySpec": "bbo.study.spec"}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
