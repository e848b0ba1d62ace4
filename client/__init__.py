"""The Python client of a bbo server: ``bbo.connect("host:port", token=...)``.

>>> client = bbo.connect("127.0.0.1:50051", token=os.environ["BBO_TOKEN"])  # doctest: +SKIP
>>> study = client.create_study(space, direction="minimize", name="sim")     # doctest: +SKIP
>>> trial = study.ask(); study.tell(trial, 0.37)                             # doctest: +SKIP

A :class:`RemoteStudy` has the ask/tell interface of :class:`bbo.Study`, intermediate
values included (``report``, ``should_prune``, ``tell(trial, pruned=True)``). Calls that fail
with UNAVAILABLE (server restarting, network blip) or ABORTED are retried with exponential
backoff until ``retry_timeout``; the retries are safe because every Ask carries a
``client_id`` (a retried Ask returns the trials the first attempt created) and every Tell a
``request_id`` (a retried Tell is applied once), and a Report is idempotent by its
content (the same trial, step and value are stored once). Errors come back as the same
``bbo.exceptions`` classes the server raised.
"""

from __future__ import annotations

from bbo.client.remote import Client, RemoteStudy, connect

__all__ = ["Client", "RemoteStudy", "connect"]
