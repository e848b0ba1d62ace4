"""Studies, trials and storage: the ask/tell orchestration ring.

``Study``, ``StudyLike`` and ``StudySpec`` import their modules on first use: reading a
storage (:mod:`bbo.study.storage`, ``bbo studies``) loads no study machinery.
"""

from bbo.trial import Objective, Trial, TrialState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bbo.study.like import StudyLike
    from bbo.study.spec import StudySpec
    from bbo.study.study import Study

__all__ = ["Objective", "Study", "StudyLike", "StudySpec", "Trial", "TrialState"]

# public name -> the module it is imported from on first use (PEP 562)
_LAZY = {"Study": "bbo.study.study", "StudyLike": "bbo.study.like", "StudySpec": "bbo.study.spec"}


def __getattr__(name: str) -> object:
    """Import the module of a public name at its first use, and keep the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bbo.study' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
