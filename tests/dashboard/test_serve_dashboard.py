"""``bbo serve --dashboard``: the gRPC server and the dashboard in one process, on one
storage object (so that even ``memory://`` studies told over gRPC show in the dashboard)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import bbo

from .conftest import ROOT


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def test_serve_with_dashboard_shows_what_grpc_clients_tell():
    cmd = [sys.executable, "-m", "bbo.cli.app", "serve", "--storage", "memory://"]
    cmd += ["--port", "0", "--dashboard", "0"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=os.environ
    )
    try:
        assert proc.stdout is not None
        dash = proc.stdout.readline()  # "bbo serve: dashboard of memory:// on http://..."
        m = re.search(r"dashboard of memory:// on (http://\S+)$", dash.strip())
        assert m, dash
        grpc_line = proc.stdout.readline()  # "bbo serve: listening on 127.0.0.1:PORT"
        port = int(grpc_line.strip().rsplit(":", 1)[1])
        space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
        client = bbo.connect(f"127.0.0.1:{port}")
        study = client.create_study(space, strategy="sobol", name="live")
        for value in (0.5, 0.25):
            t = study.ask()
            study.tell(t, value)
        client.close()
        studies = _get(m.group(1) + "api/studies")["studies"]
        assert [s["name"] for s in studies] == ["live"]
        deadline = time.monotonic() + 10
        while (row := _get(m.group(1) + "api/studies")["studies"][0])["counts"].get(
            "COMPLETED", 0
        ) < 2:
            assert time.monotonic() < deadline, row
            time.sleep(0.2)
        assert row["best_values"] == {"value": 0.25}, row
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert proc.returncode == 0


def test_serve_refuses_a_dashboard_port_in_use():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "bbo.cli.app",
                "serve",
                "--storage",
                "memory://",
                "--port",
                "0",
                "--dashboard",
                str(busy),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert r.returncode == 2
    assert f"--dashboard: cannot listen on 127.0.0.1:{busy}" in r.stderr
