"""Bearer tokens, TLS and mTLS, and the refusal to serve a public address unauthenticated."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from bbo.server.app import TLS, ServerConfig, ServerThread
from bbo.server.auth import check_bind, is_loopback, read_tokens
from grpc_health.v1 import health_pb2, health_pb2_grpc
from typer.testing import CliRunner

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc

TOKEN = "t0ken-for-tests-0123456789"
SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})


@pytest.fixture(scope="module")
def secured():
    srv = ServerThread("memory://", ServerConfig(tokens=[TOKEN, "second-token-abcdefghij"]))
    yield srv
    srv.stop()


def test_missing_or_wrong_token_is_unauthenticated(secured):
    for token in (None, "wrong-token-0123456789", TOKEN + "x"):
        with (
            bbo.connect(secured.target, token=token, retry_timeout=1) as c,
            pytest.raises(ex.UnauthenticatedError, match="missing or invalid bearer token"),
        ):
            c.list_studies()
    with grpc.insecure_channel(secured.target) as ch:
        stub = pb_grpc.OptimizerStub(ch)
        bad = (("authorization", f"Basic {TOKEN}"),)
        with pytest.raises(grpc.RpcError) as e:
            stub.ListStudies(pb.ListStudiesRequest(), metadata=bad, timeout=10)
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # the health service stays open to probes without a token
        res = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert res.status == health_pb2.HealthCheckResponse.SERVING
    for token in (TOKEN, "second-token-abcdefghij"):
        with bbo.connect(secured.target, token=token) as c:
            s = c.create_study(SPACE, name="auth", strategy="random", seed=0)
            assert s.tell(s.ask(), 0.5).value == 0.5


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make test certificates")
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "2", "-subj", "/CN=bbo test CA", cwd=d)  # fmt: skip
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        (d / f"{name}.ext").write_text(ext + "\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile",
                 f"{name}.ext", cwd=d)  # fmt: skip
    return d


def test_tls_and_mutual_tls(pki):
    tls = TLS(pki / "server.pem", pki / "server.key", client_ca=pki / "ca.pem")
    with ServerThread("memory://", ServerConfig(tls=tls)) as srv:
        with bbo.connect(
            srv.target,
            root_certificates=pki / "ca.pem",
            client_cert=pki / "client.pem",
            client_key=pki / "client.key",
        ) as c:
            s = c.create_study(SPACE, name="tls", strategy="random", seed=0)
            assert s.tell(s.ask(), 0.25).value == 0.25
        # no client certificate, or no TLS at all: the handshake fails
        for kw in ({"root_certificates": pki / "ca.pem"}, {}):
            with (
                bbo.connect(srv.target, retry_timeout=0.5, timeout=5, **kw) as c,
                pytest.raises(ex.ServiceUnavailableError),
            ):
                c.list_studies()
    with (
        ServerThread(
            "memory://", ServerConfig(tls=TLS(pki / "server.pem", pki / "server.key"))
        ) as srv,
        bbo.connect(srv.target, root_certificates=pki / "ca.pem") as c,
    ):
        assert c.list_studies() == []


def test_non_loopback_needs_auth_or_insecure():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    with pytest.raises(ex.InvalidArgumentError, match="not a loopback address"):
        check_bind("0.0.0.0", authenticated=False, insecure=False)
    check_bind("0.0.0.0", authenticated=True, insecure=False)
    check_bind("0.0.0.0", authenticated=False, insecure=True)
    with ServerThread("memory://", ServerConfig(host="0.0.0.0", insecure=True)) as srv:
        c = bbo.connect(f"127.0.0.1:{srv.port}")
        assert c.list_studies() == []
        c.close()
    from bbo.cli.app import app

    res = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--storage", "memory://"])
    assert res.exit_code == 2
    assert "is not a loopback address" in res.output and "--insecure" in res.output


def test_tokens_come_from_a_file_or_the_environment(tmp_path, monkeypatch):
    f = tmp_path / "tokens"
    f.write_text("# bbo tokens\nfirst-token-0123456789\n\nsecond-token-0123456789\n")
    monkeypatch.setenv("BBO_TOKEN", "env-token-0123456789,other-token-0123456789")
    assert read_tokens(f) == ["first-token-0123456789", "second-token-0123456789"]
    assert read_tokens(token_env="BBO_TOKEN") == ["env-token-0123456789", "other-token-0123456789"]
    assert read_tokens() == []
    with pytest.raises(ex.ConfigError, match="at least 16 characters"):
        f.write_text("short\n")
        read_tokens(f)
    with pytest.raises(ex.ConfigError, match="BBO_NOPE: the environment variable is not set"):
        read_tokens(token_env="BBO_NOPE")
    from bbo.cli.app import app

    res = CliRunner().invoke(app, ["serve", "--token-file", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "cannot be read" in res.output
