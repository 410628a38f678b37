"""YAML reading that remembers the line of every mapping key and list item.

``read_yaml`` composes the YAML node tree (PyYAML), builds plain data from it
and records ``path -> line`` where a path is the tuple of keys and indexes
leading to a value, e.g. ``("templates", 0, "spines", "count")``. Pydantic
error locations are such paths, so ``line_of`` turns them into file lines.
Problems are collected as ``CatalogueProblem`` and raised together as one
``CatalogueError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from blueprint_engine.errors import ValidationError

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class CatalogueProblem:
    file: str  # a path, or "<api>" for entries created through the API
    line: int | None  # 1-based
    field: str  # dotted path with indexes: "templates[0].spines.count"
    message: str  # says what was wrong and what is allowed

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


class CatalogueError(ValidationError):
    """One or more catalogue entries are invalid; ``problems`` lists each one."""

    code = "invalid_catalogue"

    def __init__(self, problems: Sequence[CatalogueProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} catalogue problem(s): "
            + "; ".join(str(problem) for problem in self.problems),
            allowed="entries as documented in blueprint_engine/catalogue/models.py",
        )

    def as_dict(self) -> dict[str, Any]:
        """The error with each problem as data (file, line, field, message)."""
        problems = [
            {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
            for p in self.problems
        ]
        return {**super().as_dict(), "problems": problems}


def format_path(path: YamlPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(document)"


@dataclass(frozen=True)
class YamlDocument:
    file: str
    data: Any
    lines: Mapping[YamlPath, int]

    def line_of(self, path: YamlPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def problem(self, path: YamlPath, message: str) -> CatalogueProblem:
        return CatalogueProblem(self.file, self.line_of(path), format_path(path), message)


def _record_lines(
    node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]
) -> list[tuple[YamlPath, int]]:
    """Fill ``lines`` for ``node`` and below; return duplicate keys with their lines."""
    duplicates: list[tuple[YamlPath, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            duplicates += _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            duplicates += _record_lines(item, (*path, index), lines)
    return duplicates


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys raise ``CatalogueError``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.SafeLoader(text).construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        reason = f"invalid YAML: {exc.problem or exc.context}"
        raise CatalogueError([CatalogueProblem(file, line, "(document)", reason)]) from None
    lines: dict[YamlPath, int] = {}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        duplicates = _record_lines(node, (), lines)
        if duplicates:
            message = "duplicate key (each key may appear once per mapping)"
            raise CatalogueError(
                [
                    CatalogueProblem(file, line, format_path(key), message)
                    for key, line in duplicates
                ]
            )
    return YamlDocument(file, data, lines)


def read_yaml(path: Path) -> YamlDocument:
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))
