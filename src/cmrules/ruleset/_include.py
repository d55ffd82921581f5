"""``include:``: merge the modules a ruleset lists into its document, every entry located.

A ruleset (or a module) lists modules under ``include:``: a path ending in ``.yaml`` or
``.yml``, relative to the including file, or the name of a module shipped in the wheel
(``cn/iit`` is ``rulesets/modules/cn/iit.yaml``). URLs and absolute paths are refused.
Included entries come first (modules in the order listed, each after its own includes),
then the including file's. A name (or rule / invariant id) declared twice is an
``include.clash``, unless the including file replaces it under ``overrides:``; an
override of a name nothing included declares is an ``include.override``.

The merged document is compiled as one text: the ruleset's, then each module's, so
every later error has a line in it; :meth:`Merged.relocate` gives each issue back its
own file and line, naming the line that included the module.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmrules._yaml import Located, Span, load_located
from cmrules.errors import Issue, IssueSink, excerpt
from cmrules.ruleset._module_files import available_modules, module_file
from cmrules.spec._module import (
    LISTED_SECTIONS,
    NAMED_SECTIONS,
    include_header_problems,
    module_header_problems,
    not_a_module,
)


@dataclass(frozen=True)
class ModuleText:
    """A module a version was compiled with: its name, file, text and the text's SHA-256."""

    name: str
    file: str
    sha256: str
    text: str


@dataclass
class _Source:
    """One file of the merge: its text, positions, and where its lines sit in the merged text."""

    file: str
    text: str
    located: Located
    name: str | None = None  # the module's name; None for the ruleset
    included_at: str = ""  # "file:line:col" of the include line
    line_offset: int = 0
    char_offset: int = 0
    lines: int = 0


@dataclass
class Merged:
    """The merged document and what maps it back to its files."""

    data: dict[str, Any]
    located: Located
    text: str
    modules: tuple[ModuleText, ...]
    sources: list[_Source] = field(default_factory=list)
    #: clashes and overrides of nothing: reported with every problem of the merged document
    issues: list[Issue] = field(default_factory=list)

    def origin(self, line: int) -> str:
        """``file:line`` of line ``line`` of the merged text."""
        for src in self.sources[1:]:
            if src.line_offset < line <= src.line_offset + src.lines:
                return f"{src.file}:{line - src.line_offset}"
        return f"{self.sources[0].file}:{line}"

    def relocate_notes(self, notes: dict[str, str]) -> None:
        """Rewrite the ``(file:line)`` of the readable source's comments to the module's line."""
        pattern = re.compile(re.escape(f"({self.sources[0].file}:") + r"(\d+)\)")
        for key, text in notes.items():
            notes[key] = pattern.sub(lambda m: f"({self.origin(int(m.group(1)))})", text)

    def relocate(self, issue: Issue) -> Issue:
        """``issue`` (located in the merged text) in the file and line it comes from."""
        if len(self.sources) < 2 or issue.line <= self.sources[0].lines:
            return issue
        for src in self.sources[1:]:
            if src.line_offset < issue.line <= src.line_offset + src.lines:
                line = issue.line - src.line_offset
                shown = excerpt(src.text, line, issue.column)
                message = f"{issue.message} (module {src.name}, included at {src.included_at})"
                return Issue(issue.code, message, src.file, line, issue.column, issue.rule_id, shown)
        return issue


@dataclass
class _Entry:
    value: Any
    src: int
    path: tuple[Any, ...]  # where the entry is in its own file


class _Merger:
    def __init__(self, texts: Mapping[str, str] | None) -> None:
        self.texts = dict(texts or {})
        self.sources: list[_Source] = []
        self.issues: list[Issue] = []
        self.seen: dict[str, int] = {}  # resolved module key -> source index
        self.names: dict[str, str] = {}  # module name -> its key
        self.files: dict[str, str] = {}  # key -> file name as shown
        # a module's entries are missing (not found, unreadable, not a module): checking the
        # merged document would report their every reader again
        self.incomplete = False

    def issue(self, src: int, code: str, message: str, path: tuple[Any, ...], key: bool = False) -> None:
        """Report ``message`` at ``path`` (its key, if ``key``) of source ``src``."""
        source = self.sources[src]
        line, col = source.located.key_at(path) if key else source.located.at(path)
        if source.name is not None:
            message += f" (module {source.name}, included at {source.included_at})"
        self.issues.append(
            Issue(code, message, source.file, line, col, None, excerpt(source.text, line, col))
        )

    def where(self, entry: _Entry, key: bool = True) -> str:
        source = self.sources[entry.src]
        line, col = source.located.key_at(entry.path) if key else source.located.at(entry.path)
        return f"{source.file}:{line}:{col}"

    def resolve(self, src: int, data: dict[str, Any], stack: tuple[str, ...]) -> dict[str, Any]:
        """The entries of ``data`` (of source ``src``) after its includes, by section."""
        named: dict[str, dict[str, _Entry]] = {s: {} for s in NAMED_SECTIONS}
        listed: dict[str, list[_Entry]] = {s: [] for s in (*LISTED_SECTIONS, "references")}
        includes = data.get("include") or []
        for k, target in enumerate(includes if isinstance(includes, list) else []):
            if not isinstance(target, str):
                continue  # the header's own check reports it
            sub = self.module(src, target, ("include", k), stack)
            if sub is None:
                continue
            for section in NAMED_SECTIONS:
                for name, entry in sub[section].items():
                    self.add(named[section], section, name, entry)
            for section, entries in listed.items():
                for entry in sub[section]:
                    self.append(entries, section, entry)
        for section in NAMED_SECTIONS:
            declared = data.get(section)
            if isinstance(declared, dict):
                for name, value in declared.items():
                    self.add(named[section], section, name, _Entry(value, src, (section, name)))
        for section, entries_ in listed.items():
            items = data.get(section)
            if isinstance(items, list):
                for n, value in enumerate(items):
                    self.append(entries_, section, _Entry(value, src, (section, n)))
        self.override(src, data.get("overrides"), named, listed)
        return {**named, **listed}

    def add(self, into: dict[str, _Entry], section: str, name: str, entry: _Entry) -> None:
        first = into.get(name)
        if first is None:
            into[name] = entry
            return
        self.clash(section, repr(name), first, entry)

    def append(self, into: list[_Entry], section: str, entry: _Entry) -> None:
        ident = entry.value.get("id") if isinstance(entry.value, dict) else None
        if section != "references" and isinstance(ident, str):
            for first in into:
                if isinstance(first.value, dict) and first.value.get("id") == ident:
                    self.clash(section, f"id {ident!r}", first, entry)
                    return
        into.append(entry)

    def clash(self, section: str, what: str, first: _Entry, second: _Entry) -> None:
        kind = section[:-1]  # 'parameters' -> 'parameter'
        listed = section in LISTED_SECTIONS
        message = (
            f"{kind} {what} is declared twice: first at {self.where(first, key=not listed)}; "
            f"to replace an included {kind}, declare it under 'overrides: {{{section}: …}}'"
        )
        path = (*second.path, "id") if listed else second.path
        self.issue(second.src, "include.clash", message, path, key=not listed)

    def override(
        self,
        src: int,
        overrides: Any,
        named: dict[str, dict[str, _Entry]],
        listed: dict[str, list[_Entry]],
    ) -> None:
        if not isinstance(overrides, dict):
            return
        for section, entries in overrides.items():
            kind = section[:-1]
            if section in NAMED_SECTIONS and isinstance(entries, dict):
                for name, value in entries.items():
                    path = ("overrides", section, name)
                    if name not in named[section]:
                        message = f"overrides {kind} {name!r}, which no included module declares"
                        self.issue(src, "include.override", message, path, key=True)
                    else:
                        named[section][name] = _Entry(value, src, path)
            elif section in LISTED_SECTIONS and isinstance(entries, list):
                for n, value in enumerate(entries):
                    path = ("overrides", section, n)
                    ident = value.get("id") if isinstance(value, dict) else None
                    found = [
                        i
                        for i, e in enumerate(listed[section])
                        if isinstance(e.value, dict) and e.value.get("id") == ident
                    ]
                    if not found:
                        message = f"overrides {kind} id {ident!r}, which no included module declares"
                        self.issue(src, "include.override", message, path)
                    else:
                        listed[section][found[0]] = _Entry(value, src, path)

    def module(
        self, src: int, target: str, path: tuple[Any, ...], stack: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """The entries of the module ``target`` included at ``path`` of source ``src``."""
        found = self.find(src, target, path)
        if found is None:
            self.incomplete = True
            return None
        key, file = found
        if key in stack:
            chain = " -> ".join([*(self.files.get(k, k) for k in stack[stack.index(key) :]), file])
            self.issue(src, "include.cycle", f"include cycle: {chain}", path)
            return None
        if key in self.seen:
            return None  # already merged (a module two others include): once is enough
        text = self.texts.get(key)
        if text is None:
            try:
                text = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self.issue(src, "include.file", f"cannot read module {target!r}: {exc}", path)
                self.incomplete = True
                return None
            self.texts[key] = text
        including = self.sources[src].located.at(path)
        at = f"{self.sources[src].file}:{including[0]}:{including[1]}"
        sink = IssueSink(file, text)
        parsed = load_located(text, sink)
        if parsed is None:
            self.issues.extend(_noted(sink.issues, f"(included at {at})"))
            self.incomplete = True
            return None
        data, located = parsed
        if not isinstance(data, dict) or "module" not in data:
            self.issue(src, "include.file", not_a_module(target, file, data, located), path)
            self.incomplete = True
            return None
        problems = module_header_problems(data)
        if problems:
            for problem in problems:
                sink.add("include.file", problem.message, *problem.position(located))
            self.issues.extend(_noted(sink.issues, f"(included at {at})"))
            self.incomplete = True
            return None
        name: str = data["module"]
        if name in self.names:
            first = self.sources[self.seen[self.names[name]]].file
            self.issue(src, "include.clash", f"two modules are named {name!r}: {first} and {file}", path)
            self.incomplete = True
            return None
        self.names[name] = key
        self.sources.append(_Source(file, text, located, name, at))
        index = self.seen[key] = len(self.sources) - 1
        return self.resolve(index, data, (*stack, key))

    def find(self, src: int, target: str, path: tuple[Any, ...]) -> tuple[str, str] | None:
        """The key (normalised file) and file name of ``target``, or None (reported)."""
        found = module_file(self.sources[src].file, target)
        if isinstance(found, tuple):
            self.issue(src, *found, path)
            return None
        key = os.path.normpath(found)
        self.files.setdefault(key, str(found))
        if key not in self.texts and not found.is_file():
            known = ", ".join(available_modules()) or "none"
            what = (
                f"no file {found}"
                if target.endswith((".yaml", ".yml"))
                else f"no shipped module {target!r} (shipped: {known})"
            )
            self.issue(src, "include.file", f"include {target!r}: {what}", path)
            return None
        return key, str(found)


def _noted(issues: list[Issue], note: str) -> list[Issue]:
    return [
        Issue(i.code, f"{i.message} {note}", i.file, i.line, i.column, i.rule_id, i.excerpt) for i in issues
    ]


def merge(
    data: dict[str, Any], located: Located, text: str, file: str, texts: Mapping[str, str] | None = None
) -> Merged | list[Issue]:
    """``data`` (the ruleset in ``file``) with its included modules merged in, or the issues found
    when a module's entries are missing (a module not found, unreadable, or not a module).

    A clash (the second declaration is left out) or an override of nothing does not stop the
    merge: it is in :attr:`Merged.issues`, to report with every problem of the merged document.
    ``texts`` gives module texts by resolved file (a pickled version's), read from disk otherwise."""
    merger = _Merger(texts)
    merger.sources.append(_Source(file, text, located))
    problems = include_header_problems(data)
    for problem in problems:
        merger.issue(0, "include.file", problem.message, problem.path, key=problem.at_key)
    if problems:
        return merger.issues
    key = os.path.normpath(file)
    merger.files[key] = file
    entries = merger.resolve(0, data, (key,))
    if merger.incomplete:
        return merger.issues
    merged = _assemble(merger, data, entries)
    merged.issues = merger.issues  # a clash keeps the first declaration: the rest is still checked
    return merged


def _assemble(merger: _Merger, data: dict[str, Any], entries: dict[str, Any]) -> Merged:
    """One document and one text: the ruleset's text, then each module's, positions shifted."""
    sources = merger.sources
    parts = [sources[0].text]
    for src in sources:
        prefix = "\n".join(parts[: len(parts)]) + "\n" if src is not sources[0] else ""
        if src is not sources[0]:
            src.line_offset = prefix.count("\n") + _other_breaks(prefix)
            src.char_offset = len(prefix)
            parts.append(src.text)
        src.lines = src.text.count("\n") + _other_breaks(src.text) + 1
    merged_text = "\n".join(parts) + "\n"
    by_source: list[dict[tuple[Any, ...], list[tuple[tuple[Any, ...], Any]]]] = []
    for src in sources:
        index: dict[tuple[Any, ...], list[tuple[tuple[Any, ...], Any]]] = {}
        for path, pos in src.located.positions.items():
            for cut in (2, 3):
                index.setdefault(tuple(path[:cut]), []).append((path, pos))
        by_source.append(index)
    positions: dict[tuple[Any, ...], tuple[int, int]] = {}
    spans: dict[tuple[Any, ...], Span] = {}
    out = {
        k: v
        for k, v in data.items()
        if k not in (*NAMED_SECTIONS, *LISTED_SECTIONS, "references", "overrides")
    }
    for path, pos in sources[0].located.positions.items():
        if path and path[0] in out:
            positions[path] = pos
            if path in sources[0].located.spans:
                spans[path] = sources[0].located.spans[path]

    def place(entry: _Entry, new: tuple[Any, ...]) -> None:
        src = sources[entry.src]
        depth = len(entry.path)
        for path, (line, col) in by_source[entry.src].get(entry.path, []):
            if path[:depth] != entry.path:
                continue
            moved = (*new, *path[depth:])
            positions[moved] = (line + src.line_offset, col)
            span = src.located.spans.get(path)
            if span is not None:
                spans[moved] = Span(
                    span.start + src.char_offset, span.end + src.char_offset, span.style, span.value
                )

    for section in NAMED_SECTIONS:
        if entries[section] or section in data:
            out[section] = {name: entry.value for name, entry in entries[section].items()}
            for name, entry in entries[section].items():
                place(entry, (section, name))
    for section in (*LISTED_SECTIONS, "references"):
        if entries[section] or section in data:
            out[section] = [entry.value for entry in entries[section]]
            for n, entry in enumerate(entries[section]):
                place(entry, (section, n))
    # keys of sections themselves (an unknown key under a section is reported at it)
    for section in (*NAMED_SECTIONS, *LISTED_SECTIONS, "references"):
        if (section,) in sources[0].located.positions:
            positions[(section,)] = sources[0].located.positions[(section,)]
    modules = tuple(
        ModuleText(src.name or "", src.file, hashlib.sha256(src.text.encode("utf-8")).hexdigest(), src.text)
        for src in sources[1:]
    )
    return Merged(out, Located(positions, spans, merged_text), merged_text, modules, sources)


def _other_breaks(text: str) -> int:
    """Line breaks YAML counts besides ``\\n`` (a lone ``\\r``, NEL, LS, PS)."""
    return len(re.findall(r"\r(?!\n)|[\x85\u2028\u2029]", text))
