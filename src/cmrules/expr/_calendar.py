"""Checking the calendar functions of part-month pay: days in a period, working days, days
between dates, days employed, and the 21.75-day monthly convention."""

from __future__ import annotations

import ast
from decimal import Decimal

from cmrules.expr import _explain as ex
from cmrules.expr._base import Result
from cmrules.expr._errors import ExprError, arity
from cmrules.expr._generators import GeneratorChecks
from cmrules.expr._symbols import State
from cmrules.expr._types import DATE, DECIMAL, INT, T, certain

CALENDAR_FUNCTIONS = frozenset(
    {"period_days", "working_days", "days_between", "days_employed", "monthly_pay_days"}
)

#: The average number of paid days in a month of Chinese labour rules: (365 − 104 weekend days)
#: ÷ 12 = 21.75 (劳动和社会保障部《关于职工全年月平均工作时间和工资折算问题的通知》,
#: 劳社部发〔2008〕3号).
MONTHLY_PAY_DAYS = Decimal("21.75")

_DATES = T("list", DATE)


class CalendarChecks(GeneratorChecks):
    """Checks the calendar functions of :data:`CALENDAR_FUNCTIONS` (``_fn_<name>``)."""

    def _typed(self, node: ast.Call, st: State, name: str, usage: str, want: list[T]) -> list[str]:
        """The codes of ``node``'s arguments, each of the type in ``want`` (a date may be None
        where ``want`` says so), or the usage of ``name`` in the error."""
        codes = []
        for arg, wanted in zip(node.args, want, strict=False):
            code, typ, _ = self._expr(arg, st, none_ok=wanted.optional)
            fits = certain(typ) == certain(wanted) or (wanted.optional and typ.kind == "none")
            if not fits and not (wanted.kind == "list" and typ.kind == "list"):
                raise ExprError("expr.type", f"{name}() takes {usage}; got {typ}", arg)
            if wanted.kind == "list" and typ.elem not in (DATE, None):
                raise ExprError("expr.type", f"{name}() takes {usage}; got {typ}", arg)
            codes.append(code)
        return codes

    def _fn_period_days(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 1, "period_days")
        (code,) = self._typed(node, st, "period_days", "a period", [T("period")])
        out = f"_period_days({code})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_working_days(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 4, "working_days")
        first = node.args[0]
        _, typ, _ = self._expr(first, st, none_ok=True)
        if typ.kind == "period":
            usage = "(period[, holidays[, workdays]]): a period, then lists of dates"
            arity(node, 1, 3, "working_days")
            codes = self._typed(node, st, "working_days", usage, [T("period"), _DATES, _DATES])
            codes[:1] = [f"_period_start({codes[0]})", f"_period_end({codes[0]})"]
        else:
            usage = "(from, to[, holidays[, workdays]]): two dates, then lists of dates"
            arity(node, 2, 4, "working_days")
            codes = self._typed(node, st, "working_days", usage, [DATE, DATE, _DATES, _DATES])
        out = f"_working_days({', '.join(codes)})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_days_between(self, node: ast.Call, st: State) -> Result:
        arity(node, 2, 2, "days_between")
        codes = self._typed(node, st, "days_between", "(from, to): two dates", [DATE, DATE])
        out = f"_days_between({', '.join(codes)})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_days_employed(self, node: ast.Call, st: State) -> Result:
        arity(node, 3, 3, "days_employed")
        maybe_date = T("date", optional=True)
        usage = "(period, joined, left): a period and two dates (None: before / after the period)"
        codes = self._typed(node, st, "days_employed", usage, [T("period"), maybe_date, maybe_date])
        out = f"_days_employed({', '.join(codes)})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_monthly_pay_days(self, node: ast.Call, st: State) -> Result:
        arity(node, 0, 0, "monthly_pay_days")
        out = self.consts.name(MONTHLY_PAY_DAYS)
        return out, DECIMAL, ex.Lit(MONTHLY_PAY_DAYS, "21.75")
