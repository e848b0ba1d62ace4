"""Helpers for CLI tests: write study files into tmp_path, invoke the app in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from bbo.cli.app import app
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]

# prints float(x)**2 after an optional sleep: `python -c SQUARE <sleep> {x}`
SQUARE = "import sys, time; time.sleep(float(sys.argv[1])); print(float(sys.argv[2]) ** 2)"


def study_dict(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """A valid study: minimize x**2 over x in [-1, 1] with a command, stored in tmp_path."""
    d: dict[str, Any] = {
        "name": "demo",
        "space": {"x": {"type": "float", "low": -1.0, "high": 1.0}},
        "objective": {"command": ["python", "-c", SQUARE, "0", "{x}"]},
        "strategy": {"name": "sobol"},  # fast and model-free: these tests are about the runner
        "budget": 4,
        "workers": 2,
        "seed": 0,
        "storage": f"sqlite:///{tmp_path / 'study.db'}",
    }
    d.update(overrides)
    return d


@pytest.fixture
def write_study(tmp_path: Path) -> Callable[..., Path]:
    """``write_study(**overrides)`` -> path of a study.yaml in tmp_path."""

    def write(filename: str = "study.yaml", **overrides: Any) -> Path:
        path = tmp_path / filename
        path.write_text(yaml.safe_dump(study_dict(tmp_path, **overrides), sort_keys=False))
        return path

    return write


@pytest.fixture
def invoke() -> Callable[..., Any]:
    """``invoke("run", path)`` -> typer Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def call(*args: Any) -> Any:
        return runner.invoke(app, [str(a) for a in args])

    return call
