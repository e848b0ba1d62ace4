"""Acquisition on a space with conditional parameters (:mod:`bbo.space.conditions`).

A model learns from encoded trials whose inactive columns hold a fixed value
(:meth:`bbo.space.Space.impute`). The acquisition optimizer moves every column, so it is
given :class:`Imputed`: the wrapped acquisition evaluated at the imputed point, the point
the candidate's configuration encodes to. Columns inactive at a candidate then have no
effect (a zero gradient), and a candidate cannot look promising through a value it will not
carry; its returned columns are imputed too.
"""

from __future__ import annotations

import torch
from botorch.acquisition import AcquisitionFunction

from bbo.space import Space


class Imputed(AcquisitionFunction):
    """``acqf(space.impute(X))`` for ``b x q x d`` candidates ``X``."""

    def __init__(self, acqf: AcquisitionFunction, space: Space) -> None:
        super().__init__(model=acqf.model)
        self.acqf = acqf
        self.space = space

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.acqf(self.space.impute(X))

    def set_X_pending(self, X_pending: torch.Tensor | None = None) -> None:
        self.acqf.set_X_pending(X_pending)

    # botorch's optimizers read and write the wrapped acquisition's pending points
    @property  # type: ignore[override]
    def X_pending(self) -> torch.Tensor | None:
        return getattr(self.acqf, "X_pending", None)

    @X_pending.setter
    def X_pending(self, X_pending: torch.Tensor | None) -> None:
        self.acqf.X_pending = X_pending  # type: ignore[assignment]


def imputed(acqf: AcquisitionFunction, space: Space) -> AcquisitionFunction:
    """``acqf`` wrapped in :class:`Imputed` on a conditional space (once), else itself."""
    if not space.conditions or isinstance(acqf, Imputed):
        return acqf
    return Imputed(acqf, space)
