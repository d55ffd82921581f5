"""Safe YAML composition that keeps every value's line and column.

Only PyYAML's safe composer runs: no object construction, no tags beyond the
core schema, no anchors or aliases (which also rules out alias bombs), a
nesting limit, and a size limit.  Floats are read as ``Decimal`` from their
source text, so ruleset numbers are exact.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from cmrules.errors import IssueSink

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Span:
    """Where a scalar's text is: start and end offsets in the source, style, and its value."""

    start: int
    end: int
    style: str | None  # None (plain), "'", '"', "|" or ">"
    value: str


@dataclass(frozen=True)
class Located:
    """Source positions (1-based) of every value in a document, keyed by path."""

    positions: dict[Path, tuple[int, int]]
    spans: dict[Path, Span] = field(default_factory=dict)
    text: str = ""

    def at(self, path: Path) -> tuple[int, int]:
        """Position of ``path`` or of its nearest located ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def key_at(self, path: Path) -> tuple[int, int]:
        """Position of the key of ``path`` (an unknown key is reported at the key)."""
        return self.positions.get((*tuple(path), "<key>"), self.at(path))

    def without(self, section: str, dropped: set[int]) -> Located:
        """The positions once the items ``dropped`` of the list ``section`` are removed
        (the later items move up, as in the list without them)."""

        def moved(path: Path) -> Path | None:
            if len(path) < 2 or path[0] != section or not isinstance(path[1], int):
                return path
            if path[1] in dropped:
                return None
            return (section, path[1] - sum(1 for i in dropped if i < path[1]), *path[2:])

        positions = {new: at for path, at in self.positions.items() if (new := moved(path)) is not None}
        spans = {new: span for path, span in self.spans.items() if (new := moved(path)) is not None}
        return Located(positions, spans, self.text)

    def char_at(self, path: Path, offset: int) -> tuple[int, int]:
        """Position of character ``offset`` of the scalar at ``path`` (an expression's error).

        Quotes, escapes, block-scalar headers, folding and indentation make the value's
        text differ from the source; its non-blank characters still appear in the source
        in order, so each is found after the previous one.
        """
        span = self.spans.get(tuple(path))
        if span is None:
            line, col = self.at(path)
            return line, col + offset
        text, value = self.text, span.value
        pos = span.start
        if span.style in ("'", '"'):
            pos += 1
        elif span.style in ("|", ">"):
            pos = text.find("\n", pos, span.end) + 1 or span.end
        anchor_k, anchor_i = 0, pos
        for k in range(min(offset, len(value) - 1) + 1):
            if value[k].isspace():
                continue
            found = text.find(value[k], pos, span.end)
            if found < 0:
                break
            anchor_k, anchor_i, pos = k, found, found + 1
        return line_column(text, anchor_i + max(offset - anchor_k, 0))


_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as line breaks


def line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index``, lines broken as YAML breaks them."""
    line, start = 1, 0
    for match in _BREAK.finditer(text, 0, index):
        line, start = line + 1, match.end()
    return line, index - start + 1


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
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        sink.add("yaml.too_large", f"file is larger than {MAX_BYTES} bytes", 1, 1)
        return None
    _tab_issues(text, sink)
    if sink.issues:
        return None
    try:
        loader = _Composer(text)  # the reader refuses control characters and lone surrogates here
    except ReaderError as exc:
        line, column = line_column(text, exc.position)
        sink.add("yaml.syntax", f"character U+{exc.character:04X} is not allowed in YAML", line, column)
        return None
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
    spans: dict[Path, Span] = {}
    if node is None:
        return {}, Located(positions)
    before = len(sink.issues)
    value = _convert(node, (), positions, spans, sink)
    # a duplicate key keeps its first value, so the rest of the file can still be checked
    if any(issue.code != "yaml.duplicate_key" for issue in sink.issues[before:]):
        return None
    return value, Located(positions, spans, text)


_TAG = "tag:yaml.org,2002:"
_CORE_TAGS: dict[type, frozenset[str]] = {
    MappingNode: frozenset({_TAG + "map"}),
    SequenceNode: frozenset({_TAG + "seq"}),
    ScalarNode: frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")),
}


def _tag_refused(node: Node, sink: IssueSink) -> bool:
    """Report a tag outside the core schema (``!!python/object…``, ``!!binary``, ``!custom``)."""
    if node.tag in _CORE_TAGS[type(node)]:
        return False
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    tag = "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag
    sink.add("yaml.tag", f"the tag {tag} is not allowed: a ruleset holds plain YAML values", line, col)
    return True


def _convert(
    node: Node, path: Path, positions: dict[Path, tuple[int, int]], spans: dict[Path, Span], sink: IssueSink
) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if _tag_refused(node, sink):
        return None
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
            if _tag_refused(key_node, sink):
                continue
            key = key_node.value
            if key in out:
                first = positions[(*path, key, "<key>")]
                sink.add("yaml.duplicate_key", f"duplicate key {key!r} (first at line {first[0]})", line, col)
                continue
            positions[(*path, key, "<key>")] = (line, col)
            out[key] = _convert(value_node, (*path, key), positions, spans, sink)
        return out
    if isinstance(node, SequenceNode):
        return [_convert(item, (*path, i), positions, spans, sink) for i, item in enumerate(node.value)]
    spans[path] = Span(node.start_mark.index, node.end_mark.index, node.style, node.value)
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
