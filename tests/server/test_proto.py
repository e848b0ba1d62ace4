"""The checked-in gencode is what scripts/gen_proto.sh makes of proto/ (pinned grpcio-tools)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ["optimizer_pb2.py", "optimizer_pb2.pyi", "optimizer_pb2_grpc.py"]


@pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None,
    reason="grpcio-tools is not installed (pip install -e '.[dev]' pins it)",
)
def test_regeneration_changes_nothing(tmp_path):
    env = {"BBO_VENV": str(Path(sys.executable).parents[1]), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["bash", str(ROOT / "scripts/gen_proto.sh"), str(tmp_path)], cwd=ROOT, env=env, check=True
    )
    for name in GENERATED:
        fresh = (tmp_path / "bbo/api/v1" / name).read_text()
        stored = (ROOT / "bbo/api/v1" / name).read_text()
        assert fresh == stored, f"bbo/api/v1/{name} is stale: run scripts/gen_proto.sh"


def test_every_message_reserves_room_and_numbers_are_unique():
    """Each message keeps a reserved range (field numbers are never reused: removed fields
    join it); enums start with an UNSPECIFIED zero."""
    from google.protobuf import descriptor_pb2

    from bbo.api.v1 import optimizer_pb2 as pb

    for msg in pb.DESCRIPTOR.message_types_by_name.values():
        proto = descriptor_pb2.DescriptorProto()
        msg.CopyToProto(proto)
        numbers = [f.number for f in proto.field]
        assert len(numbers) == len(set(numbers)), msg.name
        assert proto.reserved_range, f"{msg.name} has no reserved range"
        top = max(numbers, default=0)
        assert all(r.start > top for r in proto.reserved_range), msg.name  # room after fields
    for enum in pb.DESCRIPTOR.enum_types_by_name.values():
        assert enum.values_by_number[0].name.endswith("UNSPECIFIED"), enum.name
    assert pb.DESCRIPTOR.package == "bbo.v1"
    assert set(pb.DESCRIPTOR.services_by_name["Optimizer"].methods_by_name) == {
        "CreateStudy",
        "GetStudy",
        "ListStudies",
        "DeleteStudy",
        "Ask",
        "Tell",
        "Heartbeat",
        "ListTrials",
        "GetBest",
        "Report",
        "Enqueue",
        "EditSpace",
    }
