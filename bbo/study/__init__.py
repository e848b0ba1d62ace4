"""Studies, trials and storage: the ask/tell orchestration ring."""

from bbo.study.like import StudyLike
from bbo.study.spec import StudySpec
from bbo.study.study import Study
from bbo.trial import Objective, Trial, TrialState

__all__ = ["Objective", "Study", "StudyLike", "StudySpec", "Trial", "TrialState"]
