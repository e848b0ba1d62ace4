"""Wire form of a conditional parameter's ``when`` (``repeated bbo.v1.Condition``).

``{"optimizer": ["sgd"]}`` is one Condition ``{parameter: "optimizer", values: [sgd]}``.
Reading builds the dict form; the space checks the rules (known parent with discrete
values, known values, no cycle) when it is built: InvalidSpaceError, ``INVALID_ARGUMENT``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import InvalidSpaceError


def when_to_pb(d: Mapping[str, Any]) -> list[pb.Condition]:
    """A ``when`` dict (``{parent: [values]}``) as Conditions."""
    from bbo.server.convert import scalar_to_pb

    return [pb.Condition(parameter=k, values=[scalar_to_pb(v) for v in vs]) for k, vs in d.items()]


def when_from_pb(conds: Iterable[pb.Condition], where: str) -> dict[str, list[Any]]:
    """Conditions as a ``when`` dict; an empty or repeated parent name is refused."""
    from bbo.server.convert import scalar_from_pb

    out: dict[str, list[Any]] = {}
    for j, c in enumerate(conds):
        at = f"{where}.when[{j}]"
        if not c.parameter:
            raise InvalidSpaceError(f"`{at}.parameter` must name a parameter")
        if c.parameter in out:
            raise InvalidSpaceError(
                f"`{at}.parameter` names {c.parameter!r} twice; list its values in one condition"
            )
        out[c.parameter] = [scalar_from_pb(v, f"{at}.values") for v in c.values]
    return out
