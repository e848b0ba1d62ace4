"""Packaging rules: lazy imports, public API, layout, lint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bbo

ROOT = Path(__file__).resolve().parents[1]


def test_import_bbo_stays_light():
    code = (
        "import sys, bbo; heavy = [m for m in ('torch', 'grpc', 'typer', 'sqlalchemy', "
        "'rich', 'pydantic', 'numpy') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api():
    for name in [
        "Space",
        "Float",
        "Int",
        "Categorical",
        "Ordinal",
        "Study",
        "Trial",
        "TrialState",
        "BboError",
    ]:
        assert name in bbo.__all__ and hasattr(bbo, name)


def test_public_names_are_imported_on_first_use():
    """``import bbo`` loads the exceptions only; every name of ``bbo.__all__`` is there on
    first use (``from bbo import X`` too), and is the object of its module."""
    code = (
        "import sys, bbo; assert 'bbo.space' not in sys.modules; "
        "from bbo import Space, Study, connect; import bbo.space, bbo.study, bbo.client; "
        "assert (Space, Study, connect) == (bbo.space.Space, bbo.study.Study, "
        "bbo.client.connect); missing = [n for n in bbo.__all__ if not hasattr(bbo, n)]; "
        "assert not missing, missing; assert set(bbo.__all__) <= set(dir(bbo))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        bbo.nothing  # noqa: B018


def test_every_error_names_a_grpc_status():
    import bbo.exceptions as ex

    valid = {
        "INVALID_ARGUMENT",
        "NOT_FOUND",
        "FAILED_PRECONDITION",
        "ALREADY_EXISTS",
        "UNAVAILABLE",
        "ABORTED",
        "INTERNAL",
        "UNAUTHENTICATED",
        "RESOURCE_EXHAUSTED",
        "DEADLINE_EXCEEDED",
    }
    for name in ex.__all__:
        assert getattr(ex, name).grpc_status in valid, name


def test_no_generic_top_level_packages_installed():
    import bbo.cli
    import bbo.server

    assert Path(bbo.cli.__file__).parent == ROOT / "cli"
    assert Path(bbo.server.__file__).parent == ROOT / "server"


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make install` (dev extras)")
    return found


def test_ruff_is_clean():
    for args in (["check", "."], ["format", "--check", "."]):
        res = subprocess.run([_tool("ruff"), *args], cwd=ROOT, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_is_clean():
    res = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
