"""Wire form of a parameter's prior on the optimum (``bbo.v1.ParameterPrior``).

The message is flat: the fields of one form are set (``mean`` and ``sd``; ``choice`` and
optionally ``weight``; ``probs``), the others left unset. Reading builds the dict form of
:class:`bbo.space.Prior`, whose rules (one form, ``sd > 0``, probabilities ...) the
parameter checks when the space is built: InvalidSpaceError, ``INVALID_ARGUMENT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bbo.api.v1 import optimizer_pb2 as pb


def prior_to_pb(d: Mapping[str, Any]) -> pb.ParameterPrior:
    """A prior's dict form (:meth:`bbo.space.Prior.to_dict`) as a ParameterPrior."""
    from bbo.server.convert import scalar_to_pb

    m = pb.ParameterPrior()
    for key in ("mean", "sd", "weight"):
        if d.get(key) is not None:
            setattr(m, key, float(d[key]))
    if d.get("choice") is not None:
        m.choice.CopyFrom(scalar_to_pb(d["choice"]))
    if d.get("probs") is not None:
        m.probs.extend(float(p) for p in d["probs"])
    return m


def prior_from_pb(m: pb.ParameterPrior, where: str) -> dict[str, Any]:
    """The dict form of a ParameterPrior (checked by the parameter it belongs to)."""
    from bbo.server.convert import scalar_from_pb

    out: dict[str, Any] = {k: getattr(m, k) for k in ("mean", "sd", "weight") if m.HasField(k)}
    if m.HasField("choice"):
        out["choice"] = scalar_from_pb(m.choice, f"{where}.prior.choice")
    if len(m.probs):
        out["probs"] = list(m.probs)
    return out
