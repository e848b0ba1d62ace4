"""The wire forms of space edits (``EditSpace``, :mod:`bbo.study.edits`), for the servicer
and the Python client (``RemoteStudy.edit_space``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bbo.server.convert import scalar_from_pb, scalar_to_pb, space_from_pb, space_to_pb

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.space import Space
from bbo.study.storage import SpaceEdit


def edit_request(study: str, space: Space, defaults: Mapping[str, Any]) -> pb.EditSpaceRequest:
    """The EditSpace request giving ``study`` the whole ``space`` (with its constraints)."""
    return pb.EditSpaceRequest(
        study=study,
        space=space_to_pb(space),
        parameter_constraints=list(space.constraint_texts),
        defaults={k: scalar_to_pb(v) for k, v in defaults.items()},
    )


def edit_from_request(m: pb.EditSpaceRequest) -> tuple[Space, dict[str, Any]]:
    """The new space (with its constraints) and the defaults of an EditSpace request."""
    space = space_from_pb(m.space).with_constraints(list(m.parameter_constraints))
    defaults = {k: scalar_from_pb(v, f"defaults[{k!r}]") for k, v in m.defaults.items()}
    return space, defaults


def space_edit_to_pb(e: SpaceEdit) -> pb.SpaceEdit:
    return pb.SpaceEdit(
        id=e.id,
        created_at=e.created_at,
        changes=list(e.changes),
        defaults={k: scalar_to_pb(v) for k, v in e.defaults.items()},
    )


def space_edit_from_pb(m: pb.SpaceEdit) -> SpaceEdit:
    """A SpaceEdit as the client sees it: without the old and new space (the study's spec
    holds the new one)."""
    return SpaceEdit(
        old={},
        new={},
        defaults={k: scalar_from_pb(v, f"edit.defaults[{k!r}]") for k, v in m.defaults.items()},
        changes=tuple(m.changes),
        id=m.id,
        created_at=m.created_at,
    )


__all__ = ["edit_from_request", "edit_request", "space_edit_from_pb", "space_edit_to_pb"]
