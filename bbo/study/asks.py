"""Ask requests and how one batch of asks is shared among them (:meth:`Study.ask_many`).

Each new trial fills one *slot* ``(client_id, lease expiry)``. A client that still holds
RUNNING trials gets those back first (a retried ask is idempotent, OSS Vizier's rule), so
it only needs slots for the rest; requests of one client share its trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bbo.exceptions import InvalidArgumentError
from bbo.study.storage import NewTrial
from bbo.trial import Trial

Slot = tuple[str | None, float | None]  # (client_id, lease expiry as a unix time)


@dataclass(frozen=True)
class AskRequest:
    """One ask of :meth:`Study.ask_many`: ``count`` trials for ``client_id`` (or anyone),
    with a lease of ``lease`` seconds (or none)."""

    count: int = 1
    client_id: str | None = None
    lease: float | None = None

    def check(self) -> None:
        n = self.count
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InvalidArgumentError(f"`n >= 1` must hold, got n={n!r}")
        lease = self.lease
        if lease is not None and not (
            isinstance(lease, (int, float)) and not isinstance(lease, bool) and 0 < lease < 1e9
        ):
            raise InvalidArgumentError(f"`lease > 0` seconds must hold, got lease={lease!r}")
        if self.client_id is not None and not isinstance(self.client_id, str):
            raise InvalidArgumentError(f"`client_id` must be a string, got {self.client_id!r}")


def slots(requests: Sequence[AskRequest], held: dict[str, list[Trial]], now: float) -> list[Slot]:
    """One slot per trial to create: a client's requests share its ``held`` trials and the
    slots created for it; anonymous requests get a slot per trial."""
    out: list[Slot] = []
    need: dict[str, int] = {}
    for r in requests:
        expires = now + r.lease if r.lease is not None else None
        if r.client_id:
            more = r.count - len(held.get(r.client_id, [])) - need.get(r.client_id, 0)
            if more > 0:
                need[r.client_id] = need.get(r.client_id, 0) + more
                out += [(r.client_id, expires)] * more
        else:
            out += [(None, expires)] * r.count
    return out


def assign(t: NewTrial, slot: Slot) -> NewTrial:
    """The new trial for one slot: a client's trial is not tied to this process."""
    client_id, expires = slot
    if client_id is None:
        return replace(t, lease_expires_at=expires)
    attrs = {k: v for k, v in t.attrs.items() if k != "worker"}
    return replace(t, attrs=attrs, client_id=client_id, lease_expires_at=expires)


def renewals(requests: Sequence[AskRequest], held: dict[str, list[Trial]]) -> dict[str, float]:
    """``client_id -> lease``: held trials handed out again get the longest lease asked."""
    renew: dict[str, float] = {}
    for r in requests:
        if r.client_id in held and r.lease is not None:
            renew[r.client_id] = max(renew.get(r.client_id, 0.0), r.lease)
    return renew


def share(
    requests: Sequence[AskRequest], held: dict[str, list[Trial]], created: Sequence[Trial]
) -> list[list[Trial]]:
    """Split held and created trials among the requests: ``result[i]`` answers
    ``requests[i]`` (a client's requests see the same trials, first ones first)."""
    mine: dict[str, list[Trial]] = {cid: list(ts) for cid, ts in held.items()}
    fresh: list[Trial | None] = list(created)
    out: list[list[Trial]] = []
    for r in requests:
        if r.client_id:
            pool = mine.setdefault(r.client_id, [])
            while len(pool) < r.count:
                i = next(i for i, t in enumerate(fresh) if t and t.client_id == r.client_id)
                pool.append(created[i])
                fresh[i] = None
            out.append(pool[: r.count])
        else:
            anon: list[Trial] = []
            for i, t in enumerate(fresh):
                if t is not None and t.client_id is None and len(anon) < r.count:
                    anon.append(t)
                    fresh[i] = None
            out.append(anon)
    return out
