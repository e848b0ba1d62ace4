"""The three rings of docs/architecture.md: imports point inward only.

(1) core: space, surrogates, acquisition, strategies, the trial value types, exceptions,
runtime settings; (2) study: study/storage, the run engine, plots and reports, testing
helpers; (3) transport: server/, cli/, client/, dashboard/. Every import is checked, lazy
ones inside functions included, so a forbidden arrow cannot hide behind a deferred import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# source folder -> package it is installed as (pyproject's package-dir)
PACKAGES = {
    "bbo": "bbo",
    "server": "bbo.server",
    "cli": "bbo.cli",
    "client": "bbo.client",
    "dashboard": "bbo.dashboard",
}

CORE = (
    "bbo.space",
    "bbo.surrogates",
    "bbo.acquisition",
    "bbo.strategies",
    "bbo.trial",
    "bbo.statistics",
    "bbo.exceptions",
    "bbo.runtime",
    "bbo.torch_utils",
    "bbo.lazy",
    "bbo.lbfgsb",
    "bbo.pruners",
)
STUDY = ("bbo.study", "bbo.run", "bbo.viz", "bbo.testing")
TRANSPORT = ("bbo.server", "bbo.cli", "bbo.client", "bbo.dashboard", "bbo.api")
OUTER_LIBS = ("grpc", "typer", "google.protobuf")

FORBIDDEN = {
    "core": (*STUDY, *TRANSPORT, *OUTER_LIBS, "sqlalchemy"),
    "study": (*TRANSPORT, *OUTER_LIBS),
}
# ``bbo.connect`` is the public entry point of the client: bbo/__init__ imports it lazily.
ALLOWED = {("bbo", "bbo.client")}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _ring(module: str) -> str | None:
    if _within(module, CORE):
        return "core"
    if _within(module, STUDY):
        return "study"
    return None


def _modules() -> list[tuple[str, Path]]:
    out = []
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            if not _within(name, ("bbo.api",)):
                out.append((name, path))
    return out


def _imports(module: str, path: Path) -> set[str]:
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}
    return found


def test_the_ring_map_covers_every_package() -> None:
    """A new top-level package of bbo/ must be placed in a ring before it can land."""
    names = {m for m, _ in _modules()}
    tops = {".".join(m.split(".")[:2]) for m in names if m.count(".") >= 1}
    unplaced = sorted(t for t in tops if _ring(t) is None and not _within(t, TRANSPORT))
    assert unplaced == [], f"place these in a ring of tests/test_architecture.py: {unplaced}"


@pytest.mark.parametrize("module,path", _modules(), ids=lambda v: str(v))
def test_imports_point_inward(module: str, path: Path) -> None:
    ring = _ring(module)
    if ring is None:
        return
    bad = sorted(
        imp
        for imp in _imports(module, path)
        if _within(imp, FORBIDDEN[ring])
        and (module, imp.rsplit(".", 1)[0]) not in ALLOWED
        and (module, imp) not in ALLOWED
    )
    assert bad == [], f"{module} ({ring} ring) imports {bad}"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The rule is not vacuous: a lazy import of the study ring in a core module is caught."""
    p = tmp_path / "gp.py"
    p.write_text("def f():\n    from bbo.study import Study\n    from ..server import app\n")
    got = _imports("bbo.strategies.gp", p)
    assert "bbo.study.Study" in got and "bbo.server.app" in got
    assert any(_within(i, FORBIDDEN["core"]) for i in got)


@pytest.mark.parametrize("package", ["bbo.strategies", "bbo.acquisition", "bbo.trial"])
def test_core_imports_alone_in_a_fresh_interpreter(package: str) -> None:
    """Imported without bbo/__init__ (which would load the study ring first and hide a
    cycle), a core package loads, and loads nothing of the study or transport rings."""
    code = f"""
import importlib, importlib.util, sys, types
pkg = types.ModuleType("bbo")
pkg.__path__ = list(importlib.util.find_spec("bbo").submodule_search_locations)
sys.modules["bbo"] = pkg
importlib.import_module({package!r})
outer = sorted(k for k in sys.modules if k.startswith(("bbo.study", "bbo.server", "bbo.cli",
                                                       "bbo.client", "bbo.dashboard", "bbo.run",
                                                       "grpc")))
assert not outer, outer
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


def test_validating_every_strategy_s_options_imports_no_torch() -> None:
    """``validate_options`` takes each strategy's options class from a module of its own
    that imports no torch (``bbo.strategies._OPTIONS``), so a study file or ``bbo.Study``
    with a wrong option is refused at once. Run in a fresh interpreter: other tests have
    imported torch in this one."""
    code = """
import sys
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import STRATEGY_NAMES, options_class, validate_options
for name in STRATEGY_NAMES:
    validate_options(name, {})
    validate_options(name, options_class(name)())
    try:
        validate_options(name, {"n_inti": 5})
    except InvalidArgumentError:
        pass
    else:
        raise AssertionError(name)
heavy = sorted(m for m in ("torch", "botorch", "gpytorch") if m in sys.modules)
assert not heavy, heavy
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
