"""Reading a study file: YAML (duplicate keys refused), validation into
:class:`bbo.run.config.StudyConfig`, errors as ``<file>: <dotted.field.path>: <rule>``
lines, and the paths of the file made relative to its directory.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from bbo.exceptions import ConfigError
from bbo.study.storage import as_storage_url, sqlite_file

if TYPE_CHECKING:
    from bbo.run.config import StudyConfig


def resolve_storage(url: str, base: Path) -> str:
    """``url`` with a relative SQLite file path made absolute against ``base`` (the study
    file's directory); other URLs unchanged."""
    url = as_storage_url(url)
    f = sqlite_file(url)
    if f is None:
        return url
    scheme = url.split(":///", 1)[0]
    _, sep, query = url.partition("?")
    return f"{scheme}:///{f if f.is_absolute() else (base / f).resolve()}{sep}{query}"


_PARAM_TAGS = ("float", "int", "categorical", "ordinal")
_MESSAGES = {"missing": "required key is missing"}


def did_you_mean(word: str, valid: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean `low`?)`` for a close match of ``word`` among ``valid``, else ""."""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    """The study-file model at the dotted path ``loc`` (with the tag of a parameter's
    union, ``space.x.float``), or None."""
    from bbo.run import config as c

    if len(loc) == 3 and loc[0] == "space":
        tags: dict[str, type[BaseModel]] = {"float": c.FloatParam, "int": c.IntParam}
        tags.update({"categorical": c.CategoricalParam, "ordinal": c.OrdinalParam})
        return tags.get(loc[2])
    model: Any = c.StudyConfig
    for part in loc:
        field = model.model_fields.get(part)
        if field is None:
            return None
        found = [t for t in (field.annotation, *get_args(field.annotation)) if _is_model(t)]
        if not found:
            return None
        model = found[0]
    return model if _is_model(model) else None


def _is_model(t: object) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _unknown_key(loc: list[str]) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown key (not part of the study.yaml schema; see `bbo schema`)"
    valid = [f.alias or name for name, f in model.model_fields.items()]  # as written
    hint = ""
    if loc[-2:] in (["objective", "name"], ["objective", "metric"]):
        hint = " (name the objective's metric in `direction`: `direction: {loss: minimize}`)"
    return (
        f"unknown key{did_you_mean(loc[-1], valid)}{hint}; the keys here are "
        f"{', '.join(valid)} (see `bbo schema`)"
    )


def format_errors(file: str, err: ValidationError) -> str:
    """One line per error: ``<file>: <dotted.path>: <rule>``."""
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        unknown = _unknown_key(loc) if e["type"] == "extra_forbidden" else None
        # a tagged union adds the tag to the path (space.x.float.low): drop it
        if len(loc) >= 3 and loc[0] == "space" and loc[2] in _PARAM_TAGS:
            del loc[2]
        msg = unknown or _MESSAGES.get(e["type"], e["msg"])
        if not loc and ": " in msg and msg.split(": ", 1)[0].replace(".", "").isidentifier():
            path, msg = msg.split(": ", 1)  # cross-field rules name their own path
            loc = [path]
        lines.append(f"{file}: {'.'.join(loc) or '<top>'}: {msg}")
    return "\n".join(lines)


class _DuplicateKey(yaml.constructor.ConstructorError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping (YAML would keep the last
    silently); keys merged in with ``<<`` may be overridden."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the constructor reports it
                continue
            if first != key_node.start_mark.line + 1:
                raise _DuplicateKey(
                    None,
                    None,
                    f"duplicate key {key!r} (first on line {first})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path) -> tuple[StudyConfig, Path]:
    """Read and validate a study file; returns the config and the file's directory.

    Raises ConfigError with ``<file>: <field>: <rule>`` lines.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read: {e.strerror or e}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except _DuplicateKey as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError(f"{p}: {where}: {e.problem}; a key may appear once") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{p}: YAML syntax error: {where}{problem}") from None
    from bbo.run.config import StudyConfig

    if not isinstance(data, dict):
        raise ConfigError(f"{p}: <top>: a study file is a mapping of keys, got {data!r}")
    try:
        config = StudyConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_errors(str(p), e)) from None
    folder = p.resolve().parent
    storage = resolve_storage(config.storage_url, folder)
    return config.model_copy(update={"storage": storage}), folder


__all__ = ["did_you_mean", "format_errors", "load_config", "resolve_storage"]
