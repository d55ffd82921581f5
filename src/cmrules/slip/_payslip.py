"""The pay slip: lines, notices, facts, totals and trace, with stable JSON.

Explanations, notice texts and the trace are rendered from cheap tuples the
first time someone reads them, so evaluating stays close to hand-written speed.
"""

from __future__ import annotations

import copyreg
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cmrules.compile._runtime import UNKNOWN, Unknown
from cmrules.slip._adjust import Adjustment, AdjustmentLine
from cmrules.slip._info import BalanceChange, SlipInfo, SlipOrigin
from cmrules.slip._json import (
    DETAILS,
    Detail,
    RulesetJSON,
    SlipJSON,
    TraceEntryJSON,
    dump_sorted,
    json_ready,
)
from cmrules.slip._lines import Line, Notice, carry_notice, render_notice
from cmrules.slip._state import RunState, fixed_cached, in_fixed_context
from cmrules.slip._trace import TraceWriters, rule_index, trace_entries, why_not
from cmrules.slip._writer import LineWriters, carry_dict, line_dicts, notice_dicts, totals

__all__ = ["BalanceChange", "PaySlip", "SlipInfo", "SlipOrigin"]

# A fact no rule set is the one ``UNKNOWN`` after unpickling too (slips test it with ``is``).
copyreg.pickle(Unknown, lambda unknown: "UNKNOWN")


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
        self.adjustments: tuple[Adjustment, ...] = ()

    @in_fixed_context
    def with_adjustments(self, adjustments: Sequence[Adjustment]) -> PaySlip:
        """This slip with ``adjustments`` as ``adjustment`` lines after its own lines: a positive
        one adds to the earnings, a negative one to the deductions, so ``net`` and
        ``carry_forward`` are those of every line shown (a negative correction larger than the
        earnings is carried forward like any deduction).

        In :attr:`balances`, the built-in ``carried_deductions`` is this ``carry_forward``
        (adjustments included); the declared balances are what the ruleset computed from its
        own lines and totals: a ledger corrects them by the restated month's balance change,
        never by these lines (``docs/ledger.md``, "What a balance sees of correction lines")."""
        if not adjustments:
            return self
        plus = sum((a.amount for a in adjustments if a.amount > 0), self.earnings - self.earnings)
        minus = sum((-a.amount for a in adjustments if a.amount < 0), self.deductions - self.deductions)
        slip = PaySlip(
            self._state,
            self._version,
            self._raw_notices,
            self._raw_trace,
            self.earnings + plus,
            self.deductions + minus,
            self._origin,
        )
        slip.adjustments = (*self.adjustments, *adjustments)
        return slip

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

    @fixed_cached
    def ruleset(self) -> RulesetJSON:
        """The ruleset version that made the slip: ``id``, ``version`` and ``sha256`` of its source."""
        return _ruleset_copy(self._version.ruleset_json)

    @fixed_cached
    def facts(self) -> dict[str, Any]:
        """Every fact the run made known, by name."""
        names, values = self._version.fact_names, self._state.facts
        if len(values) != len(names):  # the declared balances' values after follow the facts
            values = values[: len(names)]
        return {n: v for n, v in zip(names, values, strict=True) if v is not UNKNOWN}

    @fixed_cached
    def balances(self) -> dict[str, BalanceChange]:
        """Every balance of the ruleset by name (the built-in ``carried_deductions`` first): its value
        before this period and after it."""
        data, specs = self._state.data, self._program.balances
        out = {"carried_deductions": BalanceChange(data["carried_deductions"], self.carry_forward)}
        after = self._state.facts[len(self._version.fact_names) :]
        for spec, value in zip(specs[1:], after, strict=True):
            out[spec.name] = BalanceChange(data[spec.name], value)
        return out

    @fixed_cached
    def net(self) -> Decimal:
        """Earnings less deductions, never negative."""
        total = self.earnings - self.deductions
        return total if total > 0 else self.earnings - self.earnings  # 0 with the ruleset's places

    @fixed_cached
    def carry_forward(self) -> Decimal:
        """What deductions leave owed when they exceed earnings (0 otherwise)."""
        total = self.earnings - self.deductions
        owed = -total if total < 0 else self.earnings - self.earnings
        return owed + self._deferred if self._deferred else owed

    @fixed_cached
    def _deferred(self) -> Decimal:
        """The deductions a cap carried to the next period (its ``deferral`` lines)."""
        if not self._version.capped(self._program):
            return Decimal(0)
        return self._state.sums().get(("totals", "deferral"), Decimal(0))

    @fixed_cached
    def lines(self) -> list[Line]:
        """The lines in declaration order of their rules (per element in list order)."""
        state, rules = self._state, self._program.rules
        own = [Line(state, rules[r], a, i, e, v) for r, a, i, e, v in self._ordered]
        return own + [AdjustmentLine(self._state, a) for a in self.adjustments] if self.adjustments else own

    @fixed_cached
    def _ordered(self) -> list[tuple[Any, ...]]:
        """The run's raw lines in the order of the slip's lines: declaration order of their rules
        (a rule's own lines in the order it made them)."""
        return sorted(self._state.raw_lines, key=rule_index)

    @fixed_cached
    def notices(self) -> list[Notice]:
        """The notices in declaration order of their rules, the carry-forward notice last."""
        rules = self._program.rules
        raw = sorted(self._raw_notices, key=rule_index)
        out = [render_notice(self._program, rules[r], v) for r, v in raw]
        if self.carry_forward:
            out.append(carry_notice(self.carry_forward, self._deferred))
        return out

    @fixed_cached
    def trace(self) -> list[TraceEntryJSON]:
        """The rules (``fact:<id>`` for facts) that fired in firing order, with what they read."""
        ready: list[TraceEntryJSON] = json_ready(self._raw_trace_entries())
        return ready

    def _raw_trace_entries(self) -> list[dict[str, Any]]:
        """:attr:`trace` with the values as the rules read them (Decimal, date, the input's own
        lists and dicts): the writer converts them once, in C, instead of copying each here."""
        writers = self._trace_writers()
        return trace_entries(self._state, self._program, self._raw_trace, self._ordered, writers)

    def _trace_writers(self) -> TraceWriters:
        """The version's :class:`TraceWriters`, made for this slip's program if it has none."""
        writers: TraceWriters | None = self._version.trace_writers
        if writers is None or writers.program is not self._program:
            writers = self._version.trace_writers = TraceWriters(self._program)
        return writers

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
        return why_not(self._state, self._program, self._raw_trace)

    def line(self, rule_id: str) -> list[Line]:
        """The lines one rule made."""
        return [x for x in self.lines if x.rule.id == rule_id]

    @in_fixed_context
    def total(self, rule_id: str) -> Decimal:
        """The signed sum of one rule's lines (0 when it made none)."""
        return sum((x.amount for x in self.lines if x.rule.id == rule_id), Decimal(0))

    def _form(self, level: int, own: bool) -> dict[str, Any]:
        """The slip's JSON form at ``level`` (0 summary, 1 lines, 2 trace), in the fixed context.

        ``own`` True (:meth:`to_dict`): dicts and lists of the caller's own, values JSON-ready.
        False (:meth:`to_json`): what the writer reads once, so the slip's and its version's own
        dicts as they are and values raw (Decimal, date: orjson converts them, in C)."""
        data, info = self._state.data, self._version
        ruleset = self.__dict__.get("ruleset", info.ruleset_json)  # slip.ruleset if someone read it
        out: dict[str, Any] = {
            "employee": data["employee"],
            "period": data["period"],
            "ruleset": _ruleset_copy(ruleset) if own else ruleset,
            "currency": info.currency,
        }
        if level:
            out["lines"] = [x.to_dict() for x in self.lines] if own else self._line_dicts()
        if own:
            out["notices"] = [n.to_dict() for n in self.notices]
            out["facts"] = json_ready(self.facts)
            out["totals"] = self._totals()
        elif self._version.capped(self._program) or not _decimals(self.earnings, self.deductions):
            out["notices"] = self._notice_dicts()
            out["facts"] = self._written_facts()
            out["totals"] = self._totals()
        else:  # nothing deferred: the totals from their texts, the carry-forward notice from them
            written = totals(self.earnings, self.deductions)
            out["notices"] = self._notice_dicts(written["carry_forward"])
            out["facts"] = self._written_facts()
            out["totals"] = written
        if len(self._program.balances) > 1:  # the declared ones (none: no key, as before balances)
            declared = list(self.balances.items())[1:]
            out["balances"] = {n: {"before": str(c.before), "after": str(c.after)} for n, c in declared}
        if level > 1:
            out["trace"] = json_ready(self._raw_trace_entries()) if own else self._raw_trace_entries()
        return out

    def _line_dicts(self) -> list[dict[str, Any]]:
        """The lines for the writer, from the raw lines (no :class:`Line` made), or from
        :attr:`lines` for a slip with adjustment lines."""
        if self.adjustments:
            return _lines(self.lines)
        return line_dicts(self._state, self._writers(), self._ordered)

    def _writers(self) -> LineWriters:
        """What writing the lines and notices of the version's rules needs, made once per version."""
        writers: LineWriters | None = self._version.line_writers
        if writers is None or writers.program is not self._program:
            writers = self._version.line_writers = LineWriters(self._program)
        return writers

    def _notice_dicts(self, owed: str | None = None) -> list[dict[str, Any]]:
        """The notices for the writer, from the raw notices (no :class:`Notice` made); ``owed``:
        ``str`` of :attr:`carry_forward` when a cap deferred nothing (None: read it)."""
        raw = self._raw_notices
        out = notice_dicts(self._writers(), sorted(raw, key=rule_index) if len(raw) > 1 else raw)
        if owed is not None:
            carried = carry_dict(owed)
            if carried is not None:
                out.append(carried)
        elif self.carry_forward:
            n = carry_notice(self.carry_forward, self._deferred)
            out.append({"rule_id": n.rule_id, "kind": n.kind, "code": n.code, "text": n.text})
        return out

    def _totals(self) -> dict[str, str]:
        """The totals in the slip's JSON form, from :attr:`net` and :attr:`carry_forward`."""
        deductions = self.deductions
        return {
            "earnings": str(self.earnings),
            # negative, like the lines it adds up (exact: no context rounding)
            "deductions": str(deductions.copy_negate() if deductions else deductions),
            "net": str(self.net),
            "carry_forward": str(self.carry_forward),
        }

    def _written_facts(self) -> dict[str, Any]:
        """:attr:`facts` for the writer: read off the run's values when every fact is known."""
        facts: dict[str, Any] | None = self.__dict__.get("facts")
        if facts is not None:
            return facts
        names, values = self._version.fact_names, self._state.facts
        if len(values) == len(names) and UNKNOWN not in values:  # (Unknown equals itself only)
            return dict(zip(names, values, strict=True))
        return self.facts

    @in_fixed_context
    def to_dict(self, detail: Detail = "trace") -> SlipJSON:
        """The slip in its JSON form (:class:`~cmrules.slip.SlipJSON`): amounts as decimal strings.

        ``detail`` says how much: ``"summary"`` (who, when, ruleset, currency, notices, facts,
        totals), ``"lines"`` (and the lines with their explanations) or ``"trace"`` (and the
        trace; the default)."""
        return self._form(_level(detail), True)  # type: ignore[return-value]

    @in_fixed_context
    def to_json(self, detail: Detail = "trace", *, sort_keys: bool = True) -> bytes:
        """Stable bytes of :meth:`to_dict` at ``detail`` (compact, keys sorted, UTF-8): same
        ruleset and input give the same bytes in any process. ``sort_keys=False`` keeps the
        keys in the order of :meth:`to_dict` (the bytes of a ``jsonl`` output line)."""
        return dump_sorted(self._form(_level(detail), False), sort_keys)

    def __reduce__(self) -> tuple[Any, ...]:
        """A slip pickles as what the run left (validated input, parameters, facts, raw lines,
        notices and trace, earnings and deductions) with the version that made it; it unpickles
        to a slip with the same ``to_json()`` bytes, in any process."""
        if self._origin is None:
            raise TypeError("this PaySlip was not made by a loaded ruleset version: it cannot be pickled")
        state = self._state
        if self.adjustments:
            return _adjusted, (self._without_adjustments(), self.adjustments)
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

    def _without_adjustments(self) -> PaySlip:
        plus = sum((a.amount for a in self.adjustments if a.amount > 0), self.earnings - self.earnings)
        minus = sum((-a.amount for a in self.adjustments if a.amount < 0), self.deductions - self.deductions)
        return PaySlip(
            self._state,
            self._version,
            self._raw_notices,
            self._raw_trace,
            self.earnings - plus,
            self.deductions - minus,
            self._origin,
        )

    def __repr__(self) -> str:
        return f"PaySlip({self.employee}, {self.period}, net={self.net}, lines={len(self.lines)})"


def _level(detail: str) -> int:
    """0, 1 or 2 for ``summary``, ``lines``, ``trace``; anything else is misuse."""
    try:
        return DETAILS.index(detail)
    except ValueError:
        raise ValueError(f"unknown detail {detail!r} (known: {', '.join(DETAILS)})") from None


def _ruleset_copy(ruleset: RulesetJSON | dict[str, Any]) -> RulesetJSON:
    """A caller's own copy of a slip's ``ruleset`` object (its ``modules`` too)."""
    copy: dict[str, Any] = dict(ruleset)
    if "modules" in copy:
        copy["modules"] = dict(copy["modules"])
    return copy  # type: ignore[return-value]


def _lines(lines: list[Line]) -> list[dict[str, Any]]:
    """:meth:`Line.to_dict` of each line, for the writer: the rule's label dict and the element as
    they are (shared, not copied; orjson converts the element's values as :func:`json_value`
    would)."""
    return [
        {
            "rule_id": line.rule.id,
            "label": line.rule.label,
            "category": line.category,
            "amount": str(line.amount),
            "explanation": line.explanation,
            "item": None if line.index is None else {"index": line.index, "value": line.item},
        }
        for line in lines
    ]


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


def _adjusted(slip: PaySlip, adjustments: tuple[Adjustment, ...]) -> PaySlip:
    """An unpickled slip that carried adjustment lines."""
    return slip.with_adjustments(adjustments)


def _decimals(earnings: Any, deductions: Any) -> bool:
    """Whether the totals are both Decimals (their texts then read as :func:`totals` reads them)."""
    return earnings.__class__ is Decimal and deductions.__class__ is Decimal
