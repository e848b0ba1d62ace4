"""Who may see the dashboard: loopback by default, the tokens of ``bbo serve`` elsewhere,
read-only always."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from .conftest import ROOT, Dashboard, needs_browser

TOKEN = "r" * 24  # reader on demo only
ADMIN = "a" * 24


def _bbo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bbo.cli.app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_non_loopback_bind_without_a_token_is_refused(stored):
    r = _bbo("dashboard", "--storage", stored, "--host", "0.0.0.0", "--port", "0")
    assert r.returncode == 2
    assert r.stdout == ""
    assert "--host '0.0.0.0' is not a loopback address" in r.stderr
    assert "--token-file/--token-env" in r.stderr and "--insecure" in r.stderr


def test_a_missing_storage_file_is_not_created(tmp_path):
    r = _bbo("dashboard", "--storage", f"sqlite:///{tmp_path / 'nope.db'}", "--port", "0")
    assert r.returncode == 2
    assert not (tmp_path / "nope.db").exists()


@pytest.fixture(scope="module")
def guarded(stored, tmp_path_factory):
    """The dashboard on 0.0.0.0 with a token file: an admin token, a reader on demo only."""
    f = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    f.write_text(f"# dashboard tokens\n{ADMIN}\n{TOKEN} reader demo\n")
    d = Dashboard(["--storage", stored, "--host", "0.0.0.0", "--token-file", str(f)])
    d.url = d.url.replace("0.0.0.0", "127.0.0.1")
    yield d
    d.stop()


def test_a_token_is_needed_and_its_scope_holds(guarded):
    status, body = guarded.get("/api/studies")
    assert status == 401 and "token" in body["error"]
    assert guarded.get("/api/studies", {"Authorization": "Bearer " + "x" * 24})[0] == 401
    status, body = guarded.get("/api/studies", {"Authorization": f"Bearer {ADMIN}"})
    assert status == 200 and {s["name"] for s in body["studies"]} == {"demo", "mo"}
    reader = {"Authorization": f"Bearer {TOKEN}"}
    status, body = guarded.get("/api/studies", reader)
    assert status == 200 and [s["name"] for s in body["studies"]] == ["demo"]
    assert guarded.get("/api/changes?name=demo", reader)[0] == 200
    assert guarded.get("/api/changes?name=mo", reader)[0] == 404  # not readable: not shown
    assert guarded.get("/api/plots?name=mo", reader)[0] == 404
    # pages redirect to the login form; the static files (no study data) stay open
    with urllib.request.urlopen(guarded.url + "study/demo", timeout=10) as r:
        assert r.status == 200 and r.url.endswith("/login")
        assert b'<form method="post" action="/login"' in r.read()
    with urllib.request.urlopen(guarded.url + "static/plotly.min.js", timeout=10) as r:
        assert r.status == 200 and r.read(40).startswith(b"/**\n* plotly.js v")


def test_the_dashboard_is_read_only(server):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("api/studies", "api/changes?name=demo", "api/trial?name=demo&id=0"):
            req = urllib.request.Request(server.url + path, data=b"{}", method=method)
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=10)
            assert e.value.code == 405, (method, path)


@needs_browser
def test_a_browser_signs_in_with_a_token(guarded, page):
    page.goto(guarded.url + "study/demo")
    assert page.url.endswith("/login")
    page.fill("#token", "wrong-token-wrong-token")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/login?failed=1")
    assert page.inner_text("#failed") == "That token is not one of this dashboard's."
    page.fill("#token", TOKEN)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_selector("#studies tr[data-study]")
    names = [r.get_attribute("data-study") for r in page.query_selector_all("#studies tbody tr")]
    assert names == ["demo"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "bbo_dashboard")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert TOKEN not in cookie["value"] and TOKEN not in page.url
