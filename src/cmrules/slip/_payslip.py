"""The pay slip: lines, notices, facts, totals and trace, with stable JSON.

Explanations, notice texts and the trace are rendered from cheap tuples the
first time someone reads them, so evaluating stays close to hand-written speed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from cmrules.compile._runtime import UNKNOWN
from cmrules.expr import _explain as ex
from cmrules.expr._types import T

if TYPE_CHECKING:
    from cmrules.compile._program import Program, RuleInfo

NEGATIVE = frozenset({"deduction", "fine", "forfeiture"})
_rule_index = itemgetter(0)


def json_value(value: Any) -> Any:
    """A fact or element value in its JSON-ready form."""
    kind = type(value)  # exact types first: the trace converts every value a rule read
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is Decimal:
        return str(value if value else abs(value))  # 0.00, never -0.00
    if kind is dict:
        return {k: json_value(v) for k, v in value.items()}
    if kind is list:
        return [json_value(v) for v in value]
    if kind is dt.date:
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value if value else abs(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


class RunState:
    """What a run leaves behind, to find the values rules read when someone asks."""

    __slots__ = ("_sums", "data", "facts", "params", "program", "raw_lines")

    def __init__(
        self,
        program: Program,
        data: dict[str, Any],
        params: tuple[Any, ...],
        facts: tuple[Any, ...],
        raw_lines: list[tuple[Any, ...]],
    ):
        self.program, self.data, self.params, self.facts = program, data, params, facts
        self.raw_lines = raw_lines
        self._sums: dict[tuple[str, str], Decimal] | None = None

    def value(self, ref: tuple[str, Any], local: tuple[Any, ...]) -> Any:
        kind, key = ref
        if kind == "local":
            return local[key]
        if kind == "input":
            return self.data[key]
        if kind == "const":
            return self.program.namespace[key]
        if kind == "dated":
            return self.params[key]
        if kind == "fact":
            return self.facts[key]
        return self.sums().get((kind, key), self.program.rounder.exp * 0)

    def sums(self) -> dict[tuple[str, str], Decimal]:
        """``lines.<rule>`` and ``totals.<category>`` as rules read them (amounts as written)."""
        if self._sums is None:
            sums: dict[tuple[str, str], Decimal] = {}
            rules = self.program.rules
            for r, amount, *_ in self.raw_lines:
                rule = rules[r]
                for key in (("lines", rule.id), ("totals", rule.category)):
                    sums[key] = sums.get(key, Decimal(0)) + amount  # type: ignore[index]
            self._sums = sums
        return self._sums

    def env(
        self, names: tuple[str, ...], refs: tuple[tuple[str, Any], ...], local: tuple[Any, ...]
    ) -> dict[str, Any]:
        return {n: self.value(r, local) for n, r in zip(names, refs, strict=True)}


class Line:
    """One line of the slip; ``amount`` is signed (deductions, fines, forfeitures < 0)."""

    __slots__ = ("_program", "_state", "_values", "amount", "category", "index", "item", "rule")

    def __init__(
        self,
        state: RunState,
        rule: RuleInfo,
        amount: Decimal,
        index: int | None,
        item: Any,
        values: tuple[Any, ...],
    ):
        self._state = state
        self._program = state.program
        self.rule = rule
        self.category: str = rule.category  # type: ignore[assignment]
        if not amount:
            amount = abs(amount)  # never a -0.00 line
        self.amount = -amount if (self.category in NEGATIVE and amount) else amount
        self.index = index
        self.item = item
        self._values = values

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def label(self) -> dict[str, str]:
        return self.rule.label

    @property
    def explanation(self) -> str:
        rule, places = self.rule, self._program.rounder.places
        magnitude = abs(self.amount) if self.category in NEGATIVE else self.amount
        shown = ex.show(magnitude, T("money"), places)
        if rule.forfeits is not None:
            what = ex.show(self._state.value(rule.explain_refs[0], ()), T("money"), places)
            reason = f" ({rule.forfeit_reason['en']})" if rule.forfeit_reason else ""
            return f"forfeits {rule.forfeits}{reason}: {what} = {shown}"
        assert rule.explain is not None
        env = self._state.env(rule.explain_vars, rule.explain_refs, self._values)
        return f"{ex.explain(rule.explain, self._program.namespace, env, places)} = {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "label": dict(self.rule.label),
            "category": self.category,
            "amount": str(self.amount),
            "explanation": self.explanation,
            "item": None if self.index is None else {"index": self.index, "value": json_value(self.item)},
        }

    def __repr__(self) -> str:
        return f"Line({self.rule.id}, {self.category}, {self.amount})"


@dataclass(frozen=True)
class Notice:
    rule_id: str
    kind: str
    code: str
    text: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "kind": self.kind, "code": self.code, "text": dict(self.text)}


def render_notice(program: Program, rule: RuleInfo, values: tuple[Any, ...]) -> Notice:
    assert rule.notice is not None
    kind, code, templates = rule.notice
    places = program.rounder.places
    text = {}
    for lang, parts in templates.items():
        text[lang] = "".join(
            p if isinstance(p, str) else ex.show(values[p], rule.notice_types[p], places) for p in parts
        )
    return Notice(rule.id, kind, code, text)


def carry_notice(amount: Decimal) -> Notice:
    """The notice of a slip whose deductions exceed its earnings by ``amount``."""
    shown = f"{amount:,}"
    return Notice(
        "carry_forward",
        "carry_forward",
        "carry_forward",
        {
            "zh": f"本期扣款超过应发,实发为0;{shown} 结转至下期扣除。",
            "en": f"Deductions exceed earnings: net pay is 0 and {shown} is carried to next period.",
        },
    )


class SlipInfo(NamedTuple):
    """What every slip of one ruleset version shares."""

    id: str
    version: str
    sha256: str
    currency: str
    fact_names: tuple[str, ...]


class PaySlip:
    """An evaluated employee-period.

    Construction only keeps what the run left; ``facts``, ``net``, the lines and
    the rest are derived the first time they are read.
    """

    def __init__(
        self,
        state: RunState,
        version: SlipInfo,
        raw_notices: list[tuple[Any, ...]],
        raw_trace: list[tuple[Any, ...]],
        earnings: Decimal,
        deductions: Decimal,
    ):
        self._state = state
        self._program = state.program
        self._version = version
        self._raw_notices = raw_notices
        self._raw_trace = raw_trace
        self.earnings = earnings
        self.deductions = deductions

    @property
    def currency(self) -> str:
        return self._version.currency

    @property
    def employee(self) -> str:
        return self._state.data["employee"]  # type: ignore[no-any-return]

    @property
    def period(self) -> str:
        return self._state.data["period"]  # type: ignore[no-any-return]

    @cached_property
    def ruleset(self) -> dict[str, str]:
        """The ruleset version that made the slip: ``id``, ``version`` and ``sha256`` of its source."""
        info = self._version
        return {"id": info.id, "version": info.version, "sha256": info.sha256}

    @cached_property
    def facts(self) -> dict[str, Any]:
        """Every fact the run made known, by name."""
        names = self._version.fact_names
        return {n: v for n, v in zip(names, self._state.facts, strict=True) if v is not UNKNOWN}

    @cached_property
    def net(self) -> Decimal:
        """Earnings less deductions, never negative."""
        total = self.earnings - self.deductions
        return total if total > 0 else self.earnings - self.earnings  # 0 with the ruleset's places

    @cached_property
    def carry_forward(self) -> Decimal:
        """What deductions leave owed when they exceed earnings (0 otherwise)."""
        total = self.earnings - self.deductions
        return -total if total < 0 else self.earnings - self.earnings

    @cached_property
    def lines(self) -> list[Line]:
        """The lines in declaration order of their rules (per element in list order)."""
        rules = self._program.rules
        raw = sorted(self._state.raw_lines, key=_rule_index)
        return [Line(self._state, rules[r], a, i, e, v) for r, a, i, e, v in raw]

    @cached_property
    def notices(self) -> list[Notice]:
        """The notices in declaration order of their rules, the carry-forward notice last."""
        rules = self._program.rules
        raw = sorted(self._raw_notices, key=_rule_index)
        out = [render_notice(self._program, rules[r], v) for r, v in raw]
        if self.carry_forward:
            out.append(carry_notice(self.carry_forward))
        return out

    @cached_property
    def trace(self) -> list[dict[str, Any]]:
        rules = self._program.rules
        made: dict[tuple[int, int | None], list[int]] = {}
        for n, line in enumerate(self.lines):
            made.setdefault((line.rule.index, line.index), []).append(n)
        out = []
        for r, index, values in self._raw_trace:
            rule = rules[r]
            entry: dict[str, Any] = {
                "rule_id": rule.id if rule.kind != "fact" else f"fact:{rule.id}",
                "read": {
                    n: json_value(self._state.value(ref, values))
                    for n, ref in zip(rule.trace_names, rule.trace_refs, strict=True)
                },
                "lines": made.get((r, index), []),
            }
            if index is not None:
                entry["item"] = index
            out.append(entry)
        return out

    @property
    def run_state(self) -> RunState:
        """The finished run: validated input, parameters and facts the rules read."""
        return self._state

    def why_not(self) -> list[dict[str, Any]]:
        """Every rule that did not fire, with its condition and the values it read.

        Names local to one element or ``let`` are not kept for rules that never
        fired; they are shown as ``"<per element>"``.
        """
        fired = {r for r, *_ in self._raw_trace}
        out = []
        for rule in self._program.rules:
            if rule.index in fired or rule.kind == "fact":
                continue
            values = {}
            for name, ref in zip(rule.when_names, rule.when_refs, strict=True):
                values[name] = (
                    "<per element>" if ref[0] == "local" else json_value(self._state.value(ref, ()))
                )
            unknown = [n for n, v in values.items() if v is UNKNOWN]
            out.append(
                {
                    "rule_id": rule.id,
                    "when": " ".join((rule.when or "").split()),
                    "for_each": rule.for_each,
                    "values": {n: ("<unknown>" if v is UNKNOWN else v) for n, v in values.items()},
                    "reason": (
                        f"facts {', '.join(unknown)} are unknown"
                        if unknown
                        else "no element of the list satisfied the condition"
                        if rule.for_each
                        else "the condition is false"
                    ),
                }
            )
        return out

    def line(self, rule_id: str) -> list[Line]:
        """The lines one rule made."""
        return [x for x in self.lines if x.rule.id == rule_id]

    def total(self, rule_id: str) -> Decimal:
        """The signed sum of one rule's lines (0 when it made none)."""
        return sum((x.amount for x in self.lines if x.rule.id == rule_id), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "employee": self.employee,
            "period": self.period,
            "ruleset": dict(self.ruleset),
            "currency": self.currency,
            "lines": [x.to_dict() for x in self.lines],
            "notices": [n.to_dict() for n in self.notices],
            "facts": {k: json_value(v) for k, v in self.facts.items()},
            "totals": {
                "earnings": str(self.earnings),
                "deductions": str(self.deductions),
                "net": str(self.net),
                "carry_forward": str(self.carry_forward),
            },
            "trace": self.trace,
        }

    def to_json(self) -> bytes:
        """Stable bytes: same ruleset and input give the same bytes in any process."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
            "utf-8"
        )

    def __repr__(self) -> str:
        return f"PaySlip({self.employee}, {self.period}, net={self.net}, lines={len(self.lines)})"
