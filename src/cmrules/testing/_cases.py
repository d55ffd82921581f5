"""Tests as data: YAML cases beside a ruleset (``<ruleset>.tests.yaml``).

A case gives an input and what the slip must show; only the fields named in
``expect`` are compared, so a case states exactly what it checks::

    ruleset: bar_customer_manager.yaml      # relative to this file
    cases:
      - name: performance exactly at target
        input: {employee: B1, period: 2024-05, bookings: [...]}
        expect:
          net: "3000.00"
          carry_forward: "0.00"
          lines: {base_pay: "3000.00", commission: null}   # signed sum per rule; null = no line
          facts: {performance: "40000.00"}
          notices: [deduction_cap_exceeded]                # codes that must be present
          absent_notices: [carry_forward]                  # codes that must not be present
          balances: {ytd_wage: {before: "40000.00", after: "60000.00"}}  # either or both
          balances_after: {ytd_tax: "1980.00"}             # the same, the value after only
      - name: negative amount is refused
        input: {...}
        error: {code: input.constraint, field: "bookings[0].amount"}
      - name: 600 orders reach the first volume tier
        input:
          orders: [{repeat: 600, item: {distance_km: 4.5, late_minutes: 0}}]  # 600 alike
        expect: {lines: {volume_bonus: "300.00"}}

``version`` on a case applies that version of a plan whatever the period.
``notice_text: {code: text}`` passes when a notice of that code has ``text`` as a part
(a substring, case and spacing as written) of its Chinese or its English text.
A list element ``{repeat: N, item: ...}`` in ``input`` is N copies of the item
(:mod:`cmrules.testing._repeat`). docs/property-testing.md describes the format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmrules._yaml import YamlError, load_data
from cmrules.errors import EvaluationError, InputError, Issue, RulesetError
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._ruleset import Ruleset
from cmrules.slip import PaySlip, json_value
from cmrules.testing._repeat import expand_repeats


@dataclass
class CaseResult:
    """One YAML case run: its file and name, what differed from the expected slip, and the slip."""

    file: str
    name: str
    differences: list[str] = field(default_factory=list)
    slip: PaySlip | None = None

    @property
    def passed(self) -> bool:
        """Whether the slip matched every expectation of the case."""
        return not self.differences


def case_files(paths: list[str | Path]) -> list[Path]:
    """Every ``*.tests.yaml`` under the given files or folders, sorted."""
    out: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.update(path.rglob("*.tests.yaml"))
        elif path.name.endswith(".tests.yaml"):
            out.add(path)
        elif path.suffix in (".yaml", ".yml"):
            sibling = path.with_name(path.stem + ".tests.yaml")
            if sibling.exists():
                out.add(sibling)
    return sorted(out)


def load_cases(file: Path) -> tuple[Ruleset, list[dict[str, Any]]]:
    """The ruleset a tests file names and its cases.

    The file is read as a ruleset is (:func:`cmrules._yaml.load_data`: ``1.50`` is
    ``Decimal("1.50")``, ``0012`` stays text, a duplicate key is refused); every problem
    of the file raises :class:`RulesetError`, located.
    """
    text = file.read_text(encoding="utf-8")
    try:
        data = load_data(text, str(file), what="a tests file")
    except YamlError as exc:
        raise RulesetError(exc.issues) from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise RulesetError([Issue("schema.type", "a tests file has 'ruleset' and a 'cases' list", str(file))])
    target = data.get("ruleset")
    if target is None:
        name = file.name[: -len(".tests.yaml")]
        target = name + ".yaml" if (file.parent / (name + ".yaml")).exists() else "."
    cases = expand_repeats(data["cases"], str(file), text)
    return load_ruleset(file.parent / str(target)), cases


def run_case(ruleset: Ruleset, case: dict[str, Any], file: str = "") -> CaseResult:
    """Evaluate one case's input (or expect its error) and compare the slip with its ``expect``."""
    result = CaseResult(file, str(case.get("name", "?")))
    inputs = case.get("input", {})
    try:
        version = case.get("version")
        slip = (
            ruleset.version(str(version)).evaluate(inputs)
            if version is not None
            else ruleset.evaluate(inputs)
        )
    except (InputError, EvaluationError) as exc:
        expected = case.get("error")
        if expected is None:
            result.differences.append(f"unexpected error: {exc}")
            return result
        got = exc.to_dicts()
        for key, want in expected.items():
            if not any(str(g.get(key)) == str(want) for g in got):
                result.differences.append(f"error.{key}: expected {want!r}, got {[g.get(key) for g in got]}")
        return result
    result.slip = slip
    if "error" in case:
        result.differences.append(f"expected error {case['error']}, got a slip with net {slip.net}")
        return result
    result.differences.extend(compare(slip, case.get("expect", {})))
    return result


def _same(want: Any, got: Any) -> bool:
    if want is None or got is None:
        return want is got
    if isinstance(got, bool) or isinstance(want, bool):
        return want is got
    if isinstance(got, (int, Decimal)) and not isinstance(want, bool):
        try:
            return Decimal(str(want)) == Decimal(got)
        except ArithmeticError:
            return False
    return str(json_value(want)) == str(json_value(got))


def compare(slip: PaySlip, expect: dict[str, Any]) -> list[str]:
    """The differences between a slip and an ``expect`` block, one readable line each."""
    out: list[str] = []
    for key in ("net", "carry_forward", "earnings", "deductions"):
        if key in expect and not _same(expect[key], getattr(slip, key)):
            out.append(f"{key}: expected {expect[key]}, got {getattr(slip, key)}")
    for rule_id, want in (expect.get("lines") or {}).items():
        made = slip.line(rule_id)
        got = slip.total(rule_id) if made else None
        if not _same(want, got):
            out.append(f"lines.{rule_id}: expected {want}, got {got if made else 'no line'}")
    for name, want in (expect.get("facts") or {}).items():
        got = slip.facts.get(name, "<unknown>")
        if not _same(want, got):
            out.append(f"facts.{name}: expected {want!r}, got {json_value(got)!r}")
    out += _compare_balances(slip, expect)
    codes = [n.code for n in slip.notices]
    for code in expect.get("notices") or []:
        if code not in codes:
            out.append(f"notices: expected {code}, got {codes}")
    for code in expect.get("absent_notices") or []:
        if code in codes:
            out.append(f"notices: {code} must not be present")
    for code, text in (expect.get("notice_text") or {}).items():
        found = [n for n in slip.notices if n.code == code]
        if not found or not any(text in t for n in found for t in n.text.values()):
            out.append(f"notice_text.{code}: expected text containing {text!r}")
    return out


def _compare_balances(slip: PaySlip, expect: dict[str, Any]) -> list[str]:
    """The differences of ``balances: {name: {before:, after:}}`` and ``balances_after: {name: value}``."""
    out: list[str] = []
    wanted = [
        (name, when, want)
        for name, both in (expect.get("balances") or {}).items()
        for when, want in (both.items() if isinstance(both, dict) else [(str(both), None)])
    ]
    wanted += [(name, "after", want) for name, want in (expect.get("balances_after") or {}).items()]
    for name, when, want in wanted:
        change = slip.balances.get(name)
        if change is None:
            known = ", ".join(slip.balances)
            out.append(f"balances.{name}: the ruleset has no such balance (it has {known})")
        elif when not in ("before", "after"):
            out.append(f"balances.{name}: expected a mapping of 'before' and/or 'after', got {when!r}")
        elif not _same(want, getattr(change, when)):
            out.append(f"balances.{name}.{when}: expected {want}, got {getattr(change, when)}")
    return out


def run_case_file(file: Path) -> list[CaseResult]:
    """Run every case of a ``*.tests.yaml`` file against the ruleset it names."""
    ruleset, cases = load_cases(file)
    return [run_case(ruleset, case, str(file)) for case in cases]
