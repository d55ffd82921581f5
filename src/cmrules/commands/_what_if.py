"""What-if for one employee: the slip again with some inputs changed, and the lines that changed.

A change reads ``path op value``:

- ``late_arrivals=[5, 5, 5]``, ``absent_days=2``: the input set to the value (JSON; a bare word is
  text);
- ``absent_days+=1``, ``bookings.amount+=2000``: a number added (``-=`` takes it away); a field of a
  list of records is that of its last item, ``bookings[0].amount`` names an item;
- ``late_arrivals=3`` on a list input: the list made 3 items long, repeating its last item
  ("3 late arrivals like the last one").
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cmrules.commands._open import evaluator_of, version_of
from cmrules.errors import UsageError
from cmrules.run import Evaluator
from cmrules.slip._payslip import PaySlip

__all__ = ["Change", "ChangedLine", "WhatIf", "apply_changes", "parse_change", "what_if"]

_CHANGE = re.compile(r"\s*(?P<path>[^\s+\-=]+?)\s*(?P<op>\+=|-=|=)\s*(?P<value>.*?)\s*")
_STEP = re.compile(r"(?P<name>[^\W\d]\w*)(?:\[(?P<index>-?\d+)\])?")


@dataclass(frozen=True)
class Change:
    """One change of an input: ``path`` (``bookings.amount``), ``op`` (``=``, ``+=``, ``-=``), ``value``."""

    path: str
    op: str
    value: Any

    def __str__(self) -> str:
        shown = self.value if isinstance(self.value, str) else json.dumps(self.value, default=str)
        return f"{self.path} {self.op} {shown}"


def parse_change(text: str) -> Change:
    """A change written as in ``cmrules explain --set``: ``bookings.amount+=2000``, ``late_arrivals=3``."""
    match = _CHANGE.fullmatch(text)
    if match is None or not match.group("value"):
        raise UsageError(f"--set {text!r}: write NAME=VALUE, NAME+=NUMBER or NAME-=NUMBER")
    raw, op = match.group("value"), match.group("op")
    try:
        value: Any = json.loads(raw, parse_float=Decimal)
    except ValueError:
        value = raw
    if op != "=":
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            raise UsageError(f"--set {text!r}: {op} takes a number, not {raw!r}") from None
    return Change(match.group("path"), op, value)


def _number(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"{where} is {value!r}, not a number") from None


def _apply(record: dict[str, Any], change: Change) -> None:
    steps = change.path.split(".")
    target: Any = record
    for n, step in enumerate(steps):
        match = _STEP.fullmatch(step)
        if match is None:
            raise UsageError(f"{change}: {step!r} is not a field name")
        name, index = match.group("name"), match.group("index")
        last = n == len(steps) - 1
        if not isinstance(target, dict):
            raise UsageError(f"{change}: {'.'.join(steps[:n])} is not a record")
        if last and index is None and change.op == "=" and n == 0 and name not in target:
            target[name] = change.value  # an input left to its default
            return
        if name not in target:
            raise UsageError(f"{change}: the record has no field {name!r}")
        if last and index is None:
            _set(target, name, change)
            return
        value = target[name]
        if isinstance(value, list) and (index is not None or not last):
            if not value:
                raise UsageError(f"{change}: {name} is empty")
            at = int(index) if index is not None else -1
            if not -len(value) <= at < len(value):
                raise UsageError(f"{change}: {name} has {len(value)} items")
            if last:
                _set_item(value, at, change)
                return
            target = value[at]
        else:
            target = value


def _set(target: dict[str, Any], name: str, change: Change) -> None:
    old = target[name]
    if change.op == "=":
        if isinstance(old, list) and isinstance(change.value, int) and not isinstance(change.value, bool):
            if change.value < 0 or (change.value and not old):
                raise UsageError(f"{change}: cannot make {name} ({len(old)} items) {change.value} long")
            target[name] = (old + [copy.deepcopy(old[-1]) for _ in range(change.value - len(old))])[
                : change.value
            ]
        else:
            target[name] = change.value
        return
    target[name] = _moved(old, change)


def _set_item(items: list[Any], at: int, change: Change) -> None:
    items[at] = change.value if change.op == "=" else _moved(items[at], change)


def _moved(old: Any, change: Change) -> Any:
    delta = change.value if change.op == "+=" else -change.value
    new = _number(old, change.path) + delta
    if isinstance(old, int) and not isinstance(old, bool) and new == new.to_integral_value():
        return int(new)
    return str(new)


def apply_changes(
    record: Mapping[str, Any], changes: Sequence[str | Change] | Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of ``record`` with ``changes`` made, in order (a mapping sets each path to its value)."""
    if isinstance(changes, Mapping):
        parsed = [Change(path, "=", value) for path, value in changes.items()]
    else:
        parsed = [c if isinstance(c, Change) else parse_change(c) for c in changes]
    out = copy.deepcopy(dict(record))
    for change in parsed:
        _apply(out, change)
    return out


@dataclass(frozen=True)
class ChangedLine:
    """A line that changed: its rule, item, label, amount before and after (None: no such line)."""

    rule_id: str
    item: int | None
    label: dict[str, str]
    before: Decimal | None
    after: Decimal | None
    explanation: str  # the line's arithmetic after the change (before, if it went away)


@dataclass(frozen=True)
class WhatIf:
    """One employee's slip before and after some changes of their inputs."""

    changes: list[str]
    before: PaySlip
    after: PaySlip

    @property
    def lines(self) -> list[ChangedLine]:
        """The lines whose amount changed, appeared or went away, in slip order."""
        old, new = _keyed(self.before), _keyed(self.after)
        out = []
        for key in [*new, *(k for k in old if k not in new)]:
            a, b = old.get(key), new.get(key)
            if a is not None and b is not None and a.amount == b.amount:
                continue
            line = b if b is not None else a
            assert line is not None
            out.append(
                ChangedLine(
                    line.rule_id,
                    line.index,
                    dict(line.label),
                    None if a is None else a.amount,
                    None if b is None else b.amount,
                    line.explanation,
                )
            )
        return out

    @property
    def net_difference(self) -> Decimal:
        """Net pay after the changes less net pay before."""
        return self.after.net - self.before.net

    def render(self, items: bool = False) -> str:
        """The changes, the changed lines (before → after, with the arithmetic after) and the net
        difference; several changed items of one rule are one entry (count, sums, an example) unless
        ``items``."""

        def money(value: Decimal | None) -> str:
            return "—" if value is None else f"{value:,f}"

        def total(values: list[Decimal | None]) -> Decimal | None:
            known = [v for v in values if v is not None]
            return sum(known, Decimal(0)) if known else None

        out = [f"What if {'; '.join(self.changes)} (employee {self.after.employee}, {self.after.period}):"]
        changed = self.lines
        per_rule: dict[str, list[ChangedLine]] = {}
        for change in changed:
            if change.item is not None:
                per_rule.setdefault(change.rule_id, []).append(change)
        shown: set[str] = set()
        for change in changed:
            group = per_rule.get(change.rule_id, [])
            if len(group) > 1 and not items:
                if change.rule_id in shown:
                    continue
                shown.add(change.rule_id)
                before, after = total([c.before for c in group]), total([c.after for c in group])
                out.append(
                    f"  {change.rule_id} ×{len(group)} items  {change.label['en']}  "
                    f"{money(before)} → {money(after)}"
                )
                out.append(
                    f"       e.g. [{change.item}] {money(change.before)} → {money(change.after)}: "
                    f"{change.explanation}"
                )
                continue
            item = f" [{change.item}]" if change.item is not None else ""
            out.append(
                f"  {change.rule_id}{item}  {change.label['en']}  "
                f"{money(change.before)} → {money(change.after)}"
            )
            out.append(f"       {change.explanation}")
        if not changed:
            out.append("  (no line changed)")
        diff = self.net_difference
        sign = "+" if diff > 0 else "−" if diff < 0 else "±"
        out.append(f"Net {money(self.before.net)} → {money(self.after.net)}  ({sign}{abs(diff):,f})")
        return "\n".join(out) + "\n"


def _keyed(slip: PaySlip) -> dict[tuple[str, int | None, int], Any]:
    seen: dict[tuple[str, int | None], int] = {}
    out = {}
    for line in slip.lines:
        key = (line.rule_id, line.index)
        seen[key] = seen.get(key, -1) + 1
        out[(*key, seen[key])] = line
    return out


def what_if(
    ruleset: str | Path | Evaluator,
    record: Mapping[str, Any],
    changes: Sequence[str | Change] | Mapping[str, Any],
) -> WhatIf:
    """Pay ``record`` (one employee's raw input) as is and with ``changes`` made, and compare.

    ``changes`` are texts as for ``cmrules explain --set`` (``"bookings.amount+=2000"``,
    ``"late_arrivals=3"``, see this module's docstring) or a mapping of paths to the values to set.
    Raises :class:`~cmrules.errors.UsageError` for a change that does not fit the record and
    :class:`~cmrules.errors.InputError` when the changed record is not valid.
    """
    evaluator = evaluator_of(ruleset)
    changed = apply_changes(record, changes)
    before_v, after_v = version_of(evaluator, record), version_of(evaluator, changed)
    before = before_v.run(before_v.validator(dict(record)))
    after = after_v.run(after_v.validator(changed))
    if isinstance(changes, Mapping):
        texts = [f"{path} = {value}" for path, value in changes.items()]
    else:
        texts = [str(c) for c in changes]
    return WhatIf(texts, before, after)
