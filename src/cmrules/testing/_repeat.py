"""``{repeat: 600, item: {...}}`` in a test case's input: one list element written once
and counted many times ("600 orders like this one").

Anywhere in a case's ``input``, a list element that is a mapping with the key ``repeat``
stands for ``repeat`` copies of its ``item`` (a whole number from 0 to
:data:`MAX_REPEAT`; the mapping has exactly those two keys). Elements before and after
it stay as written, so ``[{repeat: 599, item: A}, B]`` is 599 times A, then B.
:func:`collapse_repeats` writes a list back that way (counterexamples print short).
"""

from __future__ import annotations

from typing import Any

from cmrules._yaml import load_located
from cmrules.errors import Issue, IssueSink, RulesetError

__all__ = ["MAX_REPEAT", "collapse_repeats", "expand_repeats"]

#: The most copies one ``repeat`` makes (a list input holds at most 100,000 items).
MAX_REPEAT = 100_000
#: Runs of at least this many equal elements are written as one ``repeat``.
COLLAPSE_FROM = 3

_Path = tuple[Any, ...]


def expand_repeats(cases: list[Any], file: str, text: str) -> list[Any]:
    """``cases`` with every ``repeat`` in a case's ``input`` expanded; a bad one raises
    :class:`RulesetError` with each problem located in ``text`` (the tests file)."""
    problems: list[tuple[str, str, _Path]] = []
    out = [
        {**case, "input": _expand(case["input"], ("cases", i, "input"), problems)}
        if isinstance(case, dict) and "input" in case
        else case
        for i, case in enumerate(cases)
    ]
    if problems:
        raise RulesetError(_located(problems, file, text))
    return out


def _expand(value: Any, path: _Path, problems: list[tuple[str, str, _Path]]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, (*path, k), problems) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for index, element in enumerate(value):
        where = (*path, index)
        if not (isinstance(element, dict) and "repeat" in element):
            out.append(_expand(element, where, problems))
            continue
        count, extra = element["repeat"], sorted(set(element) - {"repeat", "item"})
        shown = _shown(where)
        if extra:
            problems.append(
                ("schema.unknown_key", f"{shown}: a repeat has only 'repeat' and 'item', not {extra}", where)
            )
        elif "item" not in element:
            problems.append(("schema.missing_key", f"{shown}: a repeat needs the 'item' to repeat", where))
        elif not isinstance(count, int) or isinstance(count, bool):
            message = f"{shown}.repeat: {count!r} is not a whole number of copies"
            problems.append(("schema.type", message, (*where, "repeat")))
        elif not 0 <= count <= MAX_REPEAT:
            message = f"{shown}.repeat: {count} copies is outside 0..{MAX_REPEAT:,}"
            problems.append(("schema.value", message, (*where, "repeat")))
        else:
            item = _expand(element["item"], (*where, "item"), problems)
            out.extend([item] * count)
    return out


def _shown(path: _Path) -> str:
    """``cases[2].input.orders[0]`` for a path of the file."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _located(problems: list[tuple[str, str, _Path]], file: str, text: str) -> list[Issue]:
    sink = IssueSink(file, text)
    found = load_located(text, IssueSink(file, text))
    for code, message, path in problems:
        line, column = found[1].at(path) if found is not None else (1, 1)
        sink.add(code, message, line, column)
    return sink.issues


def collapse_repeats(value: Any) -> Any:
    """``value`` with each run of :data:`COLLAPSE_FROM` or more equal list elements written as
    ``{"repeat": n, "item": element}``: what :func:`expand_repeats` reads back."""
    if isinstance(value, dict):
        return {k: collapse_repeats(v) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    index = 0
    while index < len(value):
        end = index
        while end + 1 < len(value) and value[end + 1] == value[index]:
            end += 1
        run = end - index + 1
        item = collapse_repeats(value[index])
        out.extend([{"repeat": run, "item": item}] if run >= COLLAPSE_FROM else [item] * run)
        index = end + 1
    return out
