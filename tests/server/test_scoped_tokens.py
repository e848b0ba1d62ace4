"""Scoped tokens: each token of the token file carries a role (reader, writer, admin) and
the study-name patterns it may touch; a plain token is admin on ``*``. Against a real
server on a loopback port, with the Python client and the raw stub."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.auth import read_tokens
from typer.testing import CliRunner

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.exceptions import PermissionDeniedError

ADMIN = "admin-token-0123456789"
WRITER_A = "writer-a-token-0123456789"
READER_A = "reader-a-token-0123456789"
WRITER_B = "writer-b-token-0123456789"
SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})
TOKENS = f"""# token                    role    studies
{ADMIN}
{WRITER_A}  writer  team-a/*
{READER_A}  reader  team-a/*,shared
{WRITER_B}  writer  team-b/*
"""


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    f = tmp_path_factory.mktemp("tokens") / "tokens"
    f.write_text(TOKENS)
    with ServerThread("memory://", ServerConfig(tokens=read_tokens(f))) as srv:
        with bbo.connect(srv.target, token=ADMIN) as admin:
            for name in ("team-a/one", "team-b/one", "shared", "other"):
                s = admin.create_study(SPACE, name=name, strategy="random", seed=0)
                s.tell(s.ask(), 0.5)
        yield srv


def test_plain_tokens_are_admin_on_everything(secured):
    with bbo.connect(secured.target, token=ADMIN) as c:
        assert sorted(c.list_studies()) == ["other", "shared", "team-a/one", "team-b/one"]
        s = c.create_study(SPACE, name="anything", strategy="random", seed=0)
        s.tell(s.ask(), 1.0)
        c.delete_study("anything")


def test_a_writer_works_on_its_studies_only(secured):
    with bbo.connect(secured.target, token=WRITER_A) as c:
        assert sorted(c.list_studies()) == ["team-a/one"]  # only what it may read
        s = c.create_study(SPACE, name="team-a/two", strategy="random", seed=0)
        t = s.ask()
        s.heartbeat([t], 30)
        assert s.tell(t, 0.25).value == 0.25
        assert c.get_study("team-a/one").best is not None
        c.delete_study("team-a/two")
        for action in (
            lambda: c.create_study(SPACE, name="team-b/two", strategy="random"),
            lambda: c.get_study("team-b/one"),
            lambda: c.delete_study("team-b/one"),
            lambda: c.get_study("shared"),
        ):
            with pytest.raises(PermissionDeniedError, match=r"needs (writer|reader) access"):
                action()


def test_a_reader_reads_and_cannot_write(secured):
    with bbo.connect(secured.target, token=READER_A) as c:
        assert sorted(c.list_studies()) == ["shared", "team-a/one"]
        s = c.get_study("team-a/one")
        assert len(s.trials) == 1 and s.best.value == 0.5
        with pytest.raises(PermissionDeniedError, match=r"Ask needs writer access"):
            s.ask()
        with pytest.raises(PermissionDeniedError, match=r"Tell needs writer access"):
            s.tell(0, 0.5)
        with pytest.raises(PermissionDeniedError, match="CreateStudy needs writer access"):
            c.create_study(SPACE, name="team-a/new", strategy="random")
        with pytest.raises(PermissionDeniedError, match="DeleteStudy needs writer access"):
            c.delete_study("team-a/one")
    with grpc.insecure_channel(secured.target) as ch:  # the status on the wire
        stub = pb_grpc.OptimizerStub(ch)
        meta = (("authorization", f"Bearer {READER_A}"),)
        for call, req in (
            (stub.Heartbeat, pb.HeartbeatRequest(study="team-a/one", trial_ids=[0])),
            (stub.ListTrials, pb.ListTrialsRequest(study="team-b/one")),
            (stub.GetBest, pb.GetBestRequest(study="other")),
        ):
            with pytest.raises(grpc.RpcError) as e:
                call(req, metadata=meta, timeout=10)
            assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert stub.ListTrials(
            pb.ListTrialsRequest(study="team-a/one"), metadata=meta, timeout=10
        ).trials


def test_unknown_tokens_are_still_unauthenticated(secured):
    with (
        bbo.connect(secured.target, token="unknown-token-0123456789", retry_timeout=1) as c,
        pytest.raises(ex.UnauthenticatedError),
    ):
        c.list_studies()


def test_token_file_lines_are_checked(tmp_path: Path):
    f = tmp_path / "tokens"
    f.write_text(f"{ADMIN}\n{WRITER_A} writer team-a/* , team-c/*\n")
    plain, scoped = read_tokens(f)
    assert plain == ADMIN and (plain.role, plain.patterns) == ("admin", ("*",))
    assert scoped == WRITER_A and scoped.patterns == ("team-a/*", "team-c/*")
    for line, message in (
        (f"{WRITER_A} owner team-a/*", "line 1: the role must be one of reader, writer, admin"),
        (f"{WRITER_A} writer", "line 1: a writer token must name the studies"),
        ("short reader *", "at least 16 characters"),
    ):
        f.write_text(line + "\n")
        with pytest.raises(ex.ConfigError, match=message):
            read_tokens(f)
    from bbo.cli.app import app

    f.write_text(f"{WRITER_A} owner team-a/*\n")
    res = CliRunner().invoke(app, ["serve", "--storage", "memory://", "--token-file", str(f)])
    assert res.exit_code == 2 and "the role must be one of" in res.output
