"""The dashboard's ASGI app (Starlette): HTML pages, JSON endpoints, static files.

Read-only: every route but the login form answers GET (and HEAD) only, and nothing here
writes to the storage. Pages (``/``, ``/study/NAME``, ``/study/NAME/trial/ID``,
``/compare``) are one static page whose script reads the path; the data come from:

* ``GET /api/studies``: a summary per study (:func:`bbo.dashboard.rows.study_summary`);
* ``GET /api/changes?name=NAME&cursor=C``: the trials and reports changed after cursor
  ``C`` (all without one) and the next cursor (:mod:`bbo.dashboard.live`), with the summary;
* ``GET /api/plots?name=NAME``: the plotly figures of the study page, computed once per
  version of the study;
* ``GET /api/contour?name=NAME``: the surrogate contour (a GP fit: its own endpoint);
* ``GET /api/trial?name=NAME&id=ID``: one trial in full.

Only study names and trial ids appear in URLs; tokens travel in a header or a cookie.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from bbo.exceptions import BboError, StudyNotFoundError
from bbo.study.storage import Storage

from .access import COOKIE, Gate, may_read
from .contour import contour
from .curves import learning_curves
from .figures import figures
from .live import Catalog, StudyView
from .rows import STATES, report_row, study_summary, trial_detail, trial_row
from .serve import shown_url

STATIC = Path(__file__).with_name("static")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATIC_FILES = {"app.js", "pages.js", "trial.js", "style.css"}


def plotly_js() -> Path:
    """plotly.min.js as shipped in the ``plotly`` package (``package_data``)."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js is not in the plotly package ({path})")
    return path


class Dashboard:
    """The routes over one storage; ``gate`` decides who may read which study."""

    def __init__(self, storage: Storage, gate: Gate) -> None:
        self.catalog = Catalog(storage)
        self.gate = gate
        self._plots: dict[str, tuple[Any, int, dict[str, Any]]] = {}
        self._plot_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._plotly = plotly_js()

    # -- helpers ---------------------------------------------------------------------------
    def _token(self, request: Request) -> tuple[bool, Any]:
        """``(allowed, token)``: a token from the header or the session cookie."""
        if self.gate.open:
            return True, None
        token = self.gate.bearer(request.headers.get("authorization"))
        if token is None:
            token = self.gate.session(request.cookies.get(COOKIE))
        return token is not None, token

    def _view(self, request: Request) -> StudyView:
        name = request.query_params.get("name", "")
        _, token = self._token(request)
        if not name or not may_read(token, name):
            raise StudyNotFoundError(f"no study named {name!r} here (or not readable)")
        return self.catalog.view(name)

    # -- pages -------------------------------------------------------------------------------
    def page(self, request: Request) -> Response:
        ok, _ = self._token(request)
        if not ok:
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        return FileResponse(STATIC / "index.html", headers=HEADERS)

    def static(self, request: Request) -> Response:
        name = request.path_params["file"]
        if name == "plotly.min.js":
            return FileResponse(self._plotly, headers={"Cache-Control": "max-age=86400"})
        if name not in _STATIC_FILES:
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            html = (STATIC / "login.html").read_text()
            if request.query_params.get("failed"):
                note = (
                    '<p id="failed" class="error">That token is not one of this dashboard\'s.</p>'
                )
                html = html.replace("<!-- failed -->", note)
            return HTMLResponse(html, headers=HEADERS)
        # an urlencoded form, parsed here (Starlette's form parser needs python-multipart)
        form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
        sid = self.gate.login(form.get("token", [""])[0].strip())
        if sid is None:
            return RedirectResponse("/login?failed=1", status_code=303, headers=HEADERS)
        out = RedirectResponse("/", status_code=303, headers=HEADERS)
        secure = request.url.scheme == "https"
        out.set_cookie(COOKIE, sid, httponly=True, samesite="strict", secure=secure)
        return out

    # -- JSON --------------------------------------------------------------------------------
    def studies(self, request: Request) -> dict[str, Any]:
        _, token = self._token(request)
        views = [v for v in self.catalog.views() if may_read(token, v.name)]
        return {
            "studies": [v.memo("summary", study_summary) for v in views],
            "storage": shown_url(self.catalog.storage.url),
        }

    def summary(self, request: Request) -> dict[str, Any]:
        return self._view(request).memo("summary", study_summary)

    def changes(self, request: Request) -> dict[str, Any]:
        view = self._view(request)
        ch = view.changes(request.query_params.get("cursor"))
        return {
            "cursor": ch.cursor,
            "full": ch.full,
            "trials": [trial_row(t) for t in ch.trials],
            "reports": [report_row(r) for r in ch.reports],
            "summary": view.memo("summary", study_summary),
            "states": STATES,
        }

    def plots(self, request: Request) -> dict[str, Any]:
        view = self._view(request)
        with self._lock:
            lock = self._plot_locks.setdefault(view.name, threading.Lock())
        with lock:  # one computation per version, however many browsers ask
            version = view.version
            cached = self._plots.get(view.name)
            if cached is not None and cached[0] is view and cached[1] == version:
                return cached[2]
            figs, skipped = figures(view)
            curves = learning_curves(view)
            if curves is not None:
                figs["curves"] = curves
            out = {"version": version, "figures": figs, "skipped": skipped}
            self._plots[view.name] = (view, version, out)
            return out

    def contour(self, request: Request) -> dict[str, Any]:
        view = self._view(request)
        with self._lock:
            lock = self._plot_locks.setdefault(f"contour:{view.name}", threading.Lock())
        with lock:  # a GP fit: once per version, however many browsers ask
            key = f"contour:{view.name}"
            version = view.version
            cached = self._plots.get(key)
            if cached is not None and cached[0] is view and cached[1] == version:
                return cached[2]
            fig, why = contour(view)
            out = {"version": version, "figure": fig, "skipped": why}
            self._plots[key] = (view, version, out)
            return out

    def trial(self, request: Request) -> dict[str, Any]:
        view = self._view(request)
        raw = request.query_params.get("id", "")
        if not raw.isdigit() or int(raw) >= len(view.trials):
            raise StudyNotFoundError(f"study {view.name!r} has no trial {raw!r}")
        return trial_detail(view, view.trials[int(raw)])

    def api(self, fn: Callable[[Request], dict[str, Any]]) -> Callable[[Request], Response]:
        """``fn`` as a JSON endpoint: 401 without a valid token, 404 for an unknown study
        or trial, 400 for another BboError."""

        def endpoint(request: Request) -> Response:
            ok, _ = self._token(request)
            if not ok:
                return JSONResponse(
                    {"error": "missing or invalid token (Authorization: Bearer TOKEN)"},
                    status_code=401,
                    headers={**HEADERS, "WWW-Authenticate": "Bearer"},
                )
            try:
                return JSONResponse(fn(request), headers=HEADERS)
            except StudyNotFoundError as e:
                return JSONResponse({"error": str(e)}, status_code=404, headers=HEADERS)
            except BboError as e:
                return JSONResponse({"error": str(e)}, status_code=400, headers=HEADERS)

        return endpoint


def make_app(storage: Storage, tokens: list[Any] | None = None) -> Starlette:
    """The ASGI app over ``storage``; with ``tokens`` (of :func:`bbo.server.auth.read_tokens`)
    every page and endpoint but the login form needs one."""
    d = Dashboard(storage, Gate(tokens or []))
    routes = [
        Route("/", d.page),
        Route("/compare", d.page),
        Route("/study/{rest:path}", d.page),
        Route("/login", d.login, methods=["GET", "POST"]),
        Route("/static/{file}", d.static),
        Route("/api/studies", d.api(d.studies)),
        Route("/api/summary", d.api(d.summary)),
        Route("/api/changes", d.api(d.changes)),
        Route("/api/plots", d.api(d.plots)),
        Route("/api/contour", d.api(d.contour)),
        Route("/api/trial", d.api(d.trial)),
    ]
    app = Starlette(routes=routes)
    app.state.dashboard = d
    return app


__all__ = ["HEADERS", "Dashboard", "make_app", "plotly_js"]
