"""The lines and notices of a slip, with their texts rendered only when read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from cmrules.compile._explainers import NEGATIVE, explainer, notice_renderer
from cmrules.slip._json import ItemJSON, LineJSON, NoticeJSON, SlipNoticeKind, TextJSON, json_value
from cmrules.slip._state import RunState, in_fixed_context
from cmrules.spec._model import SlipCategory

if TYPE_CHECKING:
    from cmrules.compile._program import Program, RuleInfo

__all__ = ["NEGATIVE", "Line", "Notice", "carry_notice", "carry_text", "render_notice"]


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
        self.category: SlipCategory = rule.category  # type: ignore[assignment]
        if not amount:
            amount = abs(amount)  # never a -0.00 line
        self.amount = -amount if (self.category in NEGATIVE and amount) else amount
        self.index = index
        self.item = item
        self._values = values

    @property
    def rule_id(self) -> str:
        """The id of the rule that made the line."""
        return self.rule.id

    @property
    def label(self) -> dict[str, str]:
        """The rule's label, in Chinese and English."""
        return self.rule.label

    @property
    def explanation(self) -> str:
        """The arithmetic that gave the amount, with the values the rule read."""
        made = explainer(self._program, self.rule, in_fixed_context)
        text: str = made(self._state, self._values, self.amount)
        return text

    def to_dict(self) -> LineJSON:
        """The line in the slip's JSON form."""
        item: ItemJSON | None = (
            None if self.index is None else {"index": self.index, "value": json_value(self.item)}
        )
        return {
            "rule_id": self.rule.id,
            "label": cast(TextJSON, dict(self.rule.label)),
            "category": self.category,
            "amount": str(self.amount),
            "explanation": self.explanation,
            "item": item,
        }

    def __repr__(self) -> str:
        return f"Line({self.rule.id}, {self.category}, {self.amount})"


@dataclass(frozen=True)
class Notice:
    """A notice on the slip: the rule that gave it, its kind and code, its text by language."""

    rule_id: str
    kind: SlipNoticeKind
    code: str
    text: dict[str, str]

    def to_dict(self) -> NoticeJSON:
        """The notice in the slip's JSON form."""
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "code": self.code,
            "text": cast(TextJSON, dict(self.text)),
        }


def render_notice(program: Program, rule: RuleInfo, values: tuple[Any, ...]) -> Notice:
    """The notice ``rule`` gave, its templates filled with the ``values`` it read."""
    assert rule.notice is not None
    kind, code, _ = rule.notice
    return Notice(rule.id, cast(SlipNoticeKind, kind), code, notice_renderer(program, rule)(values))


def carry_notice(amount: Decimal, deferred: Decimal | None = None) -> Notice:
    """The notice of a slip whose deductions exceed its earnings by ``amount``; or, when a cap
    ``deferred`` deductions above it (in ``amount``), of what is carried to the next period."""
    text = carry_text(f"{amount:,}", f"{deferred:,}" if deferred else None)
    return Notice("carry_forward", "carry_forward", "carry_forward", text)


def carry_text(shown: str, deferred: str | None = None) -> dict[str, str]:
    """The carry-forward notice's text for the amount carried shown as ``shown`` (``f"{x:,}"``),
    of which a cap ``deferred`` the amount shown as ``deferred`` (None: nothing deferred)."""
    if deferred is not None:
        return {
            "zh": f"{shown} 结转至下期扣除(其中超过扣款上限的 {deferred})。",
            "en": f"{shown} is carried to next period ({deferred} of it above a deduction cap).",
        }
    return {
        "zh": f"本期扣款超过应发,实发为0;{shown} 结转至下期扣除。",
        "en": f"Deductions exceed earnings: net pay is 0 and {shown} is carried to next period.",
    }
