"""Adjustment lines from outside the ruleset: corrections of earlier periods carried by a slip.

A payroll ledger that corrects a closed month does not rerun that month: it gives the next
slip one ``adjustment`` line per corrected line. :meth:`PaySlip.with_adjustments` adds them
after the ruleset's own lines, positive ones to the earnings and negative ones to the
deductions (the rule of the language's ``adjustment`` category), so net pay and carry-forward
stay the totals of the lines the slip shows.

They are added after the ruleset ran: the built-in ``carried_deductions`` balance follows
the adjusted carry-forward, while a declared balance (``add: net``, ``lines.<id>`` …) keeps
what the ruleset computed from its own lines. A ledger brings a restatement's change to
a declared balance into the next period separately, once, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from cmrules.compile._program import RuleInfo
from cmrules.slip._lines import Line

if TYPE_CHECKING:
    from cmrules.slip._state import RunState

__all__ = ["Adjustment", "AdjustmentLine"]


@dataclass(frozen=True)
class Adjustment:
    """One line a slip carries from outside its ruleset: ``rule_id`` names it on the slip
    (e.g. ``correction:2026-03:commission``), ``label`` by language, ``amount`` signed, and
    ``explanation`` says where it comes from."""

    rule_id: str
    label: dict[str, str]
    amount: Decimal
    explanation: str


class AdjustmentLine(Line):
    """A :class:`Line` of category ``adjustment`` made from an :class:`Adjustment`."""

    __slots__ = ("_explanation",)

    def __init__(self, state: RunState, adjustment: Adjustment):
        rule = RuleInfo(
            index=-1,
            id=adjustment.rule_id,
            label=dict(adjustment.label),
            kind="builtin",
            position=(0, 0),
            category="adjustment",
        )
        super().__init__(state, rule, adjustment.amount, None, None, ())
        self._explanation = adjustment.explanation

    @property
    def explanation(self) -> str:
        """Where the adjustment comes from (the correction it carries)."""
        return self._explanation
