"""The pay slip: lines, notices, facts, totals and trace, with stable JSON.

Explanations, notice texts and the trace are rendered from cheap tuples the
first time someone reads them, so evaluating stays close to hand-written speed.
"""

from __future__ import annotations

import copyreg
import json
from decimal import Decimal
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from cmrules.compile._runtime import UNKNOWN, Unknown
from cmrules.slip._json import RulesetJSON, SlipJSON, TraceEntryJSON, json_value
from cmrules.slip._lines import Line, Notice, carry_notice, render_notice
from cmrules.slip._state import RunState, in_fixed_context

if TYPE_CHECKING:
    from cmrules.compile._program import Program

__all__ = ["PaySlip", "SlipInfo", "SlipOrigin"]

_rule_index = itemgetter(0)

# A fact no rule set is the one ``UNKNOWN`` after unpickling too (slips test it with ``is``).
copyreg.pickle(Unknown, lambda unknown: "UNKNOWN")


class SlipInfo(NamedTuple):
    """What every slip of one ruleset version shares."""

    id: str
    version: str
    sha256: str
    currency: str
    fact_names: tuple[str, ...]
    modules: tuple[tuple[str, str], ...] = ()  # (name, sha256) of each included module


class SlipOrigin(Protocol):
    """What made a slip (a compiled ruleset version): a pickled slip keeps it (the version
    pickles as its source text and is compiled once per process) to be read again."""

    @property
    def program(self) -> Program:
        """The compiled program that ran."""


class PaySlip:
    """An evaluated employee-period.

    Construction only keeps what the run left; ``facts``, ``net``, the lines and
    the rest are derived the first time they are read, always in cmrules' own decimal
    context (never the caller's: a slip reads the same under any ``decimal`` context).
    """

    def __init__(
        self,
        state: RunState,
        version: SlipInfo,
        raw_notices: list[tuple[Any, ...]],
        raw_trace: list[tuple[Any, ...]],
        earnings: Decimal,
        deductions: Decimal,
        origin: SlipOrigin | None = None,
    ):
        self._state = state
        self._origin = origin
        self._program = state.program
        self._version = version
        self._raw_notices = raw_notices
        self._raw_trace = raw_trace
        self.earnings = earnings
        self.deductions = deductions

    @property
    def currency(self) -> str:
        """The ISO 4217 code of the ruleset's currency."""
        return self._version.currency

    @property
    def employee(self) -> str:
        """The employee id of the input."""
        return self._state.data["employee"]  # type: ignore[no-any-return]

    @property
    def period(self) -> str:
        """The pay period of the input, ``YYYY-MM``."""
        return self._state.data["period"]  # type: ignore[no-any-return]

    @cached_property
    def ruleset(self) -> RulesetJSON:
        """The ruleset version that made the slip: ``id``, ``version`` and ``sha256`` of its source."""
        info = self._version
        if info.modules:
            modules = dict(info.modules)
            return {"id": info.id, "version": info.version, "sha256": info.sha256, "modules": modules}
        return {"id": info.id, "version": info.version, "sha256": info.sha256}

    @cached_property
    def facts(self) -> dict[str, Any]:
        """Every fact the run made known, by name."""
        names = self._version.fact_names
        return {n: v for n, v in zip(names, self._state.facts, strict=True) if v is not UNKNOWN}

    @cached_property
    @in_fixed_context
    def net(self) -> Decimal:
        """Earnings less deductions, never negative."""
        total = self.earnings - self.deductions
        return total if total > 0 else self.earnings - self.earnings  # 0 with the ruleset's places

    @cached_property
    @in_fixed_context
    def carry_forward(self) -> Decimal:
        """What deductions leave owed when they exceed earnings (0 otherwise)."""
        total = self.earnings - self.deductions
        return -total if total < 0 else self.earnings - self.earnings

    @cached_property
    @in_fixed_context
    def lines(self) -> list[Line]:
        """The lines in declaration order of their rules (per element in list order)."""
        rules = self._program.rules
        raw = sorted(self._state.raw_lines, key=_rule_index)
        return [Line(self._state, rules[r], a, i, e, v) for r, a, i, e, v in raw]

    @cached_property
    @in_fixed_context
    def notices(self) -> list[Notice]:
        """The notices in declaration order of their rules, the carry-forward notice last."""
        rules = self._program.rules
        raw = sorted(self._raw_notices, key=_rule_index)
        out = [render_notice(self._program, rules[r], v) for r, v in raw]
        if self.carry_forward:
            out.append(carry_notice(self.carry_forward))
        return out

    @cached_property
    @in_fixed_context
    def trace(self) -> list[TraceEntryJSON]:
        """The rules (``fact:<id>`` for facts) that fired in firing order, with what they read."""
        rules = self._program.rules
        made: dict[tuple[int, int | None], list[int]] = {}
        for n, line in enumerate(self.lines):
            made.setdefault((line.rule.index, line.index), []).append(n)
        out = []
        for r, index, values in self._raw_trace:
            rule = rules[r]
            entry: TraceEntryJSON = {
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

    @in_fixed_context
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

    @in_fixed_context
    def total(self, rule_id: str) -> Decimal:
        """The signed sum of one rule's lines (0 when it made none)."""
        return sum((x.amount for x in self.lines if x.rule.id == rule_id), Decimal(0))

    @in_fixed_context
    def to_dict(self) -> SlipJSON:
        """The slip in its JSON form (:class:`~cmrules.slip.SlipJSON`): amounts as decimal strings."""
        return {
            "employee": self.employee,
            "period": self.period,
            "ruleset": self.ruleset.copy(),
            "currency": self.currency,
            "lines": [x.to_dict() for x in self.lines],
            "notices": [n.to_dict() for n in self.notices],
            "facts": {k: json_value(v) for k, v in self.facts.items()},
            "totals": {
                "earnings": str(self.earnings),
                # negative, like the lines it adds up (exact: no context rounding)
                "deductions": str(self.deductions.copy_negate() if self.deductions else self.deductions),
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

    def __reduce__(self) -> tuple[Any, ...]:
        """A slip pickles as what the run left (validated input, parameters, facts, raw lines,
        notices and trace, earnings and deductions) with the version that made it; it unpickles
        to a slip with the same ``to_json()`` bytes, in any process."""
        if self._origin is None:
            raise TypeError("this PaySlip was not made by a loaded ruleset version: it cannot be pickled")
        state = self._state
        return _restore, (
            self._origin,
            self._version,
            state.data,
            state.params,
            state.facts,
            state.raw_lines,
            self._raw_notices,
            self._raw_trace,
            self.earnings,
            self.deductions,
        )

    def __repr__(self) -> str:
        return f"PaySlip({self.employee}, {self.period}, net={self.net}, lines={len(self.lines)})"


def _restore(
    origin: SlipOrigin,
    info: SlipInfo,
    data: dict[str, Any],
    params: tuple[Any, ...],
    facts: tuple[Any, ...],
    raw_lines: list[tuple[Any, ...]],
    raw_notices: list[tuple[Any, ...]],
    raw_trace: list[tuple[Any, ...]],
    earnings: Decimal,
    deductions: Decimal,
) -> PaySlip:
    """An unpickled slip: the run's data read again through its version's program."""
    state = RunState(origin.program, data, params, facts, raw_lines)
    return PaySlip(state, info, raw_notices, raw_trace, earnings, deductions, origin)
