"""The one place where YAML text becomes Python values: rulesets, input files and test cases.

Only PyYAML's safe composer runs: no object construction, no tags beyond the
core schema, no anchors, aliases or merge keys (which also rules out alias
bombs), no tab indentation, a nesting limit, and for rulesets a size limit.
Every file is read under one scalar policy, so a value means the same in a
ruleset, an input file and a tests file:

- ``null``, ``~`` and nothing are ``None``; ``true`` and ``false`` (any case) are
  booleans, while ``yes``, ``no``, ``on`` and ``off`` stay text;
- plain decimal integers (``12``, ``-3``, ``+5``) are ``int``; any other YAML 1.1
  integer (``0012``, ``0x1F``, ``0b101``, ``1_000``, sexagesimal ``1:30``) stays
  its text, so an id is never read as octal and a time never as seconds;
- a number with a fraction (``1.50``) keeps its exact text: ``Decimal("1.50")`` by
  default, or whatever the caller makes of the text (input files keep a
  ``FloatLiteral``); one that is not a finite decimal (``.inf``, ``1:30.5``) is refused;
- a date is a plain ``YYYY-MM-DD`` (``datetime.date``); other timestamps are refused;
- mapping keys are plain text, and a key given twice is refused (line and column).

:func:`load_located` reads a ruleset (positions kept, problems added to its issue
sink); :func:`load_data` reads any other file and raises :class:`YamlError`.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from cmrules.errors import CmrulesError, Issue, IssueSink

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
        return self.lines.position(anchor_i + max(offset - anchor_k, 0))

    @cached_property
    def lines(self) -> LineIndex:
        """Where the lines of :attr:`text` start, found once for every error of the file."""
        return LineIndex(self.text)


_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as line breaks


class LineIndex:
    """The offsets where the lines of a text start (lines broken as YAML breaks them), so that
    each position is found by bisection instead of by rescanning the text."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(match.end() for match in _BREAK.finditer(text))]

    def position(self, index: int) -> tuple[int, int]:
        """1-based line and column of character ``index``."""
        line = bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1


def line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index``, lines broken as YAML breaks them."""
    return LineIndex(text).position(index)


class YamlError(CmrulesError):
    """YAML text refused by :func:`load_data`; ``issues`` holds every problem found, in the order found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


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

    def _next_event(self) -> Any:
        """The event the composer is at (PyYAML's ``peek_event`` is not typed)."""
        return self.peek_event()  # type: ignore[no-untyped-call]

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """The next node, unless it is an alias or nests deeper than :data:`MAX_DEPTH`."""
        if self.check_event(AliasEvent):
            raise _Refused("yaml.alias", "anchors and aliases are not allowed", self._next_event())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused("yaml.too_deep", f"nesting deeper than {MAX_DEPTH} levels", self._next_event())
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


def _compose(text: str, sink: IssueSink, max_bytes: int | None) -> Node | None:
    """The document's node tree (None for an empty document); on failure issues are added to ``sink``."""
    if max_bytes is not None and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        sink.add("yaml.too_large", f"file is larger than {max_bytes} bytes", 1, 1)
        return None
    before = len(sink.issues)
    _tab_issues(text, sink)
    if len(sink.issues) > before:
        return None
    try:
        loader = _Composer(text)  # the reader refuses control characters and lone surrogates here
    except ReaderError as exc:
        line, column = line_column(text, exc.position)
        sink.add("yaml.syntax", f"character U+{exc.character:04X} is not allowed in YAML", line, column)
        return None
    try:
        node: Node | None = loader.get_single_node()
    except _Refused as refused:
        sink.add(refused.code, refused.message, refused.line, refused.column)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"{exc.problem or exc.context}"
        start = exc.context_mark
        if exc.problem and exc.context and start is not None and start is not mark:
            # where the unclosed thing began: PyYAML notices the problem only where it ends
            message += f" ({exc.context}, which began at line {start.line + 1}, column {start.column + 1})"
        sink.add("yaml.syntax", message, line, col)
        return None
    except yaml.YAMLError as exc:
        sink.add("yaml.syntax", str(exc), 1, 1)
        return None
    finally:
        loader.dispose()
    return node


def load_located(text: str, sink: IssueSink) -> tuple[Any, Located] | None:
    """Parse a ruleset's ``text`` keeping every value's position; on failure add issues to ``sink``
    and return None.  A duplicate key is reported and its first value kept, so that the rest of the
    file is still checked (the caller refuses the file for it)."""
    before = len(sink.issues)
    node = _compose(text, sink, MAX_BYTES)
    if len(sink.issues) > before:
        return None
    if node is None:
        return {}, Located({})
    values = _Values(sink, _exact_decimal, "a ruleset", locate=True)
    value = values.convert(node, ())
    if any(issue.code != "yaml.duplicate_key" for issue in sink.issues[before:]):
        return None
    return value, Located(values.positions, values.spans, text)


def _exact_decimal(text: str) -> Decimal:
    """The exact ``Decimal`` of a YAML number with a fraction (``1_000.50`` is 1000.50)."""
    return Decimal(text.replace("_", ""))


def load_data(
    text: str,
    file: str = "<string>",
    fraction: Callable[[str], Any] = _exact_decimal,
    what: str = "a data file",
) -> Any:
    """The value of the YAML document ``text`` (None if it holds none), read as rulesets are read.

    ``fraction`` makes a number with a fraction from its exact text (``Decimal`` unless
    given); ``file`` and ``what`` (``"a tests file"``) name the file in messages.
    Raises :class:`YamlError` with every problem found, duplicate keys included.
    """
    sink = IssueSink(file, text)
    node = _compose(text, sink, None)
    if sink.issues:
        raise YamlError(sink.issues)
    if node is None:
        return None
    value = _Values(sink, fraction, what, locate=False).convert(node, ())
    if sink.issues:
        raise YamlError(sink.issues)
    return value


_TAG = "tag:yaml.org,2002:"
_CORE_TAGS: dict[type, frozenset[str]] = {
    MappingNode: frozenset({_TAG + "map"}),
    SequenceNode: frozenset({_TAG + "seq"}),
    ScalarNode: frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")),
}
# Plain decimal integers only: "0012" (an id), "1_000", "0x1F", "1:30" stay text.
_INT_LITERAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")


def _at(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Values:
    """Turns a composed node tree into Python values under the one scalar policy, reporting to a sink."""

    def __init__(self, sink: IssueSink, fraction: Callable[[str], Any], what: str, locate: bool) -> None:
        self.sink, self.fraction, self.what, self.locate = sink, fraction, what, locate
        self.positions: dict[Path, tuple[int, int]] = {}
        self.spans: dict[Path, Span] = {}

    def convert(self, node: Node, path: Path) -> Any:
        """The value of ``node`` (at ``path`` in the document); None where an issue was reported."""
        if self.locate:
            self.positions[path] = _at(node)
        if self._tag_refused(node):
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if self.locate:
            self.spans[path] = Span(node.start_mark.index, node.end_mark.index, node.style, node.value)
        return self._scalar(node)

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first: dict[str, int] = {}  # the line of each key
        for key_node, value_node in node.value:
            line, col = _at(key_node)
            if key_node.tag == _TAG + "merge":
                self.sink.add("yaml.alias", "merge keys (<<) are not allowed", line, col)
                continue
            if not isinstance(key_node, ScalarNode):
                self.sink.add("yaml.key_type", "mapping keys must be plain strings", line, col)
                continue
            if self._tag_refused(key_node):
                continue
            key = key_node.value
            if key in out:
                message = f"duplicate key {key!r} (first at line {first[key]})"
                self.sink.add("yaml.duplicate_key", message, line, col)
                continue
            first[key] = line
            if self.locate:
                self.positions[(*path, key, "<key>")] = (line, col)
            out[key] = self.convert(value_node, (*path, key))
        return out

    def _tag_refused(self, node: Node) -> bool:
        """Report a tag outside the core schema (``!!python/object…``, ``!!binary``, ``!custom``)."""
        if node.tag in _CORE_TAGS[type(node)]:
            return False
        tag = "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag
        message = f"the tag {tag} is not allowed: {self.what} holds plain YAML values"
        self.sink.add("yaml.tag", message, *_at(node))
        return True

    def _scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            lowered = text.lower()
            return lowered == "true" if lowered in ("true", "false") else text
        if tag == _TAG + "int":
            try:
                return int(text) if _INT_LITERAL.match(text) else text
            except ValueError:  # more digits than Python converts
                return text
        if tag == _TAG + "float":
            try:
                finite = Decimal(text.replace("_", "")).is_finite()
            except InvalidOperation:
                finite = False
            if finite:
                return self.fraction(text)
            self.sink.add("schema.value", f"{text!r} is not a finite decimal number", *_at(node))
            return None
        if tag == _TAG + "timestamp":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                message = f"{text!r}: only plain dates YYYY-MM-DD are allowed"
                self.sink.add("schema.value", message, *_at(node))
                return None
        return text
