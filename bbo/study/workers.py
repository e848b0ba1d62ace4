"""Identity of the local process that holds a RUNNING trial, to reclaim trials of dead
processes on this host at once instead of waiting for a lease to expire."""

from __future__ import annotations

import os
import socket
from functools import lru_cache


def _start_ticks(pid: int) -> str | None:
    """Process start time in clock ticks since boot (Linux), guards against pid reuse."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # zombie: dead, not yet reaped
        return "zombie"
    return fields[19]


#: The worker of trials handed to remote clients (``bbo serve``): not a local process, so
#: never checked for liveness; their leases alone govern them, and a restarted server
#: does not abandon them (``worker_alive`` answers None for it).
REMOTE = "remote"


@lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname()


def this_worker() -> str:
    """``host:pid:start`` of the current process."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_start_ticks(pid) or '-'}"


def worker_alive(worker: str) -> bool | None:
    """True/False for a worker of this host; None when unknown (another host, bad form)."""
    try:
        host, pid_s, start = worker.rsplit(":", 2)
        pid = int(pid_s)
    except ValueError:
        return None
    if host != _host():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _start_ticks(pid)
    if now == "zombie":
        return False
    return start == "-" or now is None or now == start
