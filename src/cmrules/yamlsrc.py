"""Safe YAML composition that keeps every value's line and column.

Only PyYAML's safe composer runs: no object construction, no tags beyond the
core schema, no anchors or aliases (which also rules out alias bombs), a
nesting limit, and a size limit.  Floats are read as ``Decimal`` from their
source text, so ruleset numbers are exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import IssueSink

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Located:
    """Source positions (1-based) of every value in a document, keyed by path."""

    positions: dict[Path, tuple[int, int]]

    def at(self, path: Path) -> tuple[int, int]:
        """Position of ``path`` or of its nearest located ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def key_at(self, path: Path) -> tuple[int, int]:
        """Position of the key of ``path`` (an unknown key is reported at the key)."""
        return self.positions.get((*tuple(path), "<key>"), self.at(path))


class _Refused(Exception):
    def __init__(self, code: str, message: str, node_or_mark: Any):
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        self.code, self.message = code, message
        self.line, self.column = mark.line + 1, mark.column + 1


class _Composer(yaml.SafeLoader):
    """Composer that refuses aliases and limits depth before recursing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            raise _Refused("yaml.alias", "anchors and aliases are not allowed", self.peek_event())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused("yaml.too_deep", f"nesting deeper than {MAX_DEPTH} levels", self.peek_event())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _tab_issues(text: str, sink: IssueSink) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            sink.add(
                "yaml.tab",
                "tab used for indentation; indent with spaces",
                number,
                len(line) - len(stripped) + 1,
            )


def load_located(text: str, sink: IssueSink) -> tuple[Any, Located] | None:
    """Parse ``text``; on failure add issues to ``sink`` and return None."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        sink.add("yaml.too_large", f"file is larger than {MAX_BYTES} bytes", 1, 1)
        return None
    _tab_issues(text, sink)
    if sink.issues:
        return None
    loader = _Composer(text)
    try:
        node = loader.get_single_node()
    except _Refused as refused:
        sink.add(refused.code, refused.message, refused.line, refused.column)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        sink.add("yaml.syntax", f"{exc.problem or exc.context}", line, col)
        return None
    except yaml.YAMLError as exc:
        sink.add("yaml.syntax", str(exc), 1, 1)
        return None
    finally:
        loader.dispose()
    positions: dict[Path, tuple[int, int]] = {}
    if node is None:
        return {}, Located(positions)
    before = len(sink.issues)
    value = _convert(node, (), positions, sink)
    if len(sink.issues) > before:
        return None
    return value, Located(positions)


_TAG = "tag:yaml.org,2002:"


def _convert(node: Node, path: Path, positions: dict[Path, tuple[int, int]], sink: IssueSink) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == _TAG + "merge":
                sink.add("yaml.alias", "merge keys (<<) are not allowed", line, col)
                continue
            if not isinstance(key_node, ScalarNode):
                sink.add("yaml.key_type", "mapping keys must be plain strings", line, col)
                continue
            key = key_node.value
            if key in out:
                first = positions[(*path, key, "<key>")]
                sink.add("yaml.duplicate_key", f"duplicate key {key!r} (first at line {first[0]})", line, col)
                continue
            positions[(*path, key, "<key>")] = (line, col)
            out[key] = _convert(value_node, (*path, key), positions, sink)
        return out
    if isinstance(node, SequenceNode):
        return [_convert(item, (*path, i), positions, sink) for i, item in enumerate(node.value)]
    return _scalar(node, sink)


def _scalar(node: ScalarNode, sink: IssueSink) -> Any:
    tag, text = node.tag, node.value
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return text.lower() in ("true", "yes", "on")
    if tag == _TAG + "int":
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if tag == _TAG + "float":
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            sink.add("schema.value", f"{text!r} is not a finite decimal number", line, col)
            return None
        return value
    if tag == _TAG + "timestamp":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            sink.add("schema.value", f"{text!r}: only plain dates YYYY-MM-DD are allowed", line, col)
            return None
    return text
