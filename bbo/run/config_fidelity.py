"""study.yaml's ``fidelity:`` (a multi-fidelity study, :mod:`bbo.pruners.fidelity`)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from bbo.exceptions import BboError
from bbo.pruners.fidelity import make_fidelity
from bbo.run.config_objective import FORBID as _FORBID


class FidelityConfig(BaseModel):
    """The fidelity of a multi-fidelity study (docs/pruning.md#multi-fidelity): every trial
    runs to `high` steps (the command's `{name}` placeholder, `$BBO_FIDELITY`), reporting
    its value on the way, and is stopped at Hyperband rungs `low * eta**k`."""

    model_config = _FORBID

    name: str = Field(description="the resource, e.g. epochs: the command's {name} placeholder")
    low: int = Field(ge=1, description="the first rung (steps a trial runs at least)")
    high: int = Field(ge=1, description="a full run (steps)")
    eta: int = Field(3, ge=2, description="reduction factor between rungs (default 3)")

    @model_validator(mode="after")
    def _rules(self) -> FidelityConfig:
        try:
            make_fidelity(self.model_dump())
        except BboError as e:
            raise PydanticCustomError("fidelity", "{rule}", {"rule": str(e)}) from None
        return self


def fill_fidelity(command: list[str], fidelity: Mapping[str, Any]) -> list[str]:
    """``command`` with its ``{<fidelity name>}`` placeholders (format spec and all) filled
    with ``fidelity["high"]``; every other placeholder and escaped brace kept for the
    parameters."""
    name, high = fidelity["name"], int(fidelity["high"])
    out = []
    for arg in command:
        parts = []
        for literal, field, spec, conv in string.Formatter().parse(arg):
            parts.append(literal.replace("{", "{{").replace("}", "}}"))
            if field is None:
                continue
            if field == name:
                parts.append(format(high, spec or "").replace("{", "{{").replace("}", "}}"))
            else:
                parts.append(
                    "{" + field + (f"!{conv}" if conv else "") + f":{spec}" * bool(spec) + "}"
                )
        out.append("".join(parts))
    return out


__all__ = ["FidelityConfig", "fill_fidelity"]
