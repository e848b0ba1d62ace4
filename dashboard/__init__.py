"""``bbo dashboard``: a live, read-only web view of the studies of one storage.

A small ASGI app (Starlette, served by uvicorn) over JSON endpoints, and a static front end
that draws with the plotly.js shipped inside the ``plotly`` Python package (served from
the app: no CDN, nothing downloaded at run time). Installed by ``pip install
'bbo[dashboard]'``; nothing here is imported by ``import bbo`` or at ``bbo`` start-up.

Modules: :mod:`~bbo.dashboard.live` (incremental reading of a storage),
:mod:`~bbo.dashboard.rows` (trials and studies as JSON), :mod:`~bbo.dashboard.figures`
(plotly figure specs), :mod:`~bbo.dashboard.access` (tokens and the bind rule),
:mod:`~bbo.dashboard.app` (routes) and :mod:`~bbo.dashboard.serve` (uvicorn).
"""
