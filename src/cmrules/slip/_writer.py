"""The lines and notices of a slip's JSON form, written straight from the run's raw tuples.

:meth:`PaySlip.to_json` reads a slip's lines and notices once, to write them: building a
:class:`~cmrules.slip.Line` or :class:`~cmrules.slip.Notice` per tuple only to read its
attributes back costs more than the dict itself. Here each raw line becomes its dict at once
(the rule's id, label and category, its signed amount, its explanation by the rule's compiled
explainer) through what a version knows of each rule, made once per version
(:class:`LineWriters`). The dicts equal :meth:`Line.to_dict` and :meth:`Notice.to_dict` but
for the values left raw for the writer (the element's Decimal and dates) and the label shared.

Everything here runs inside :func:`~cmrules.slip._state.in_fixed_context` (``to_json``): a
compiled explainer that runs a helper is called without its context wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cmrules.compile._explainers import NEGATIVE, explainer, line_text, notice_renderer
from cmrules.expr._show import money_of_text
from cmrules.slip._lines import carry_text
from cmrules.slip._state import RunState, in_fixed_context

if TYPE_CHECKING:
    from cmrules.compile._program import Program

__all__ = ["LineWriters", "carry_dict", "grouped", "line_dicts", "notice_dicts", "totals"]

#: What writing a line of one rule needs: its id, label, category, whether its amounts are
#: negative on the slip, its explanation from the amount's money text (unwrapped: the writer
#: already runs in the context) or the text that follows that money text when the explanation
#: is only that (else None), and its explanation from the amount (an amount not a Decimal).
Writer = tuple[str, dict[str, str], str, bool, Callable[..., str], str | None, Callable[..., str]]
#: What writing a notice of one rule needs: its id, kind, code and compiled text.
NoticeWriter = tuple[str, str, str, Callable[[tuple[Any, ...]], dict[str, str]]]
#: How many money texts a version keeps (by the amount's ``str``) before starting afresh.
_KEPT = 4096


class LineWriters:
    """Per rule index of one program, what writing its lines (:data:`Writer`) and notices
    (:data:`NoticeWriter`) needs, made the first time one of its lines or notices is written."""

    __slots__ = ("money", "notices", "program", "shown", "writers")

    def __init__(self, program: Program):
        self.program = program
        self.writers: list[Writer | None] = [None] * len(program.rules)
        self.notices: list[NoticeWriter | None] = [None] * len(program.rules)
        #: money's text from a Decimal's ``str`` (:func:`~cmrules.expr._show.money_of_text`).
        self.money = money_of_text(program.rounder.places)
        #: :attr:`money` of the amounts' texts met so far (amounts repeat: a fine, a rate's pay).
        self.shown: dict[str, str] = {}

    def make(self, index: int) -> Writer:
        """The writer of rule ``index``'s lines, made and kept."""
        rule = self.program.rules[index]
        made = line_text(self.program, rule, in_fixed_context)
        category: str = rule.category  # type: ignore[assignment]
        by_amount = explainer(self.program, rule, in_fixed_context)
        writer = (
            rule.id,
            rule.label,
            category,
            category in NEGATIVE,
            getattr(made, "__wrapped__", made),
            getattr(made, "suffix", None),
            getattr(by_amount, "__wrapped__", by_amount),
        )
        self.writers[index] = writer
        return writer

    def make_notice(self, index: int) -> NoticeWriter:
        """The writer of rule ``index``'s notices, made and kept."""
        rule = self.program.rules[index]
        assert rule.notice is not None
        kind, code, _ = rule.notice
        writer = (rule.id, kind, code, notice_renderer(self.program, rule))
        self.notices[index] = writer
        return writer

    def money_shown(self, text: str) -> str:
        """:attr:`money` of ``text``, kept."""
        shown = self.money(text)
        if len(self.shown) >= _KEPT:
            self.shown.clear()
        self.shown[text] = shown
        return shown


def line_dicts(state: RunState, writers: LineWriters, ordered: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The JSON form of the raw lines ``ordered`` (in the slip's order), as ``_lines`` of their
    :class:`~cmrules.slip.Line` objects would give it.

    A line's amount is written from ``str`` of the run's amount and its sign, its explanation's
    money text from that text (what negating, ``str`` and ``money_text`` of the Decimal give:
    str and Decimal round-trip exactly)."""
    known, kept = writers.writers, writers.shown
    out = []
    for r, amount, index, item, values in ordered:
        writer = known[r]
        if writer is None:
            writer = writers.make(r)
        rule_id, label, category, negative, explain, suffix, by_amount = writer
        if amount.__class__ is not Decimal:  # (an int): as Line does
            if not amount:
                amount = abs(amount)
            elif negative:
                amount = -amount
            text = str(amount)
            explanation = by_amount(state, values, amount)
        else:
            text = shown = str(amount)
            if text[0] == "-":
                if negative or _zero(text[1:]):  # -(-x) is x; a zero is never -0.00
                    text = shown = text[1:]
            elif negative and (text[0] != "0" or not _zero(text)):  # negated unless a zero
                text = "-" + text
            money = kept.get(shown)
            if money is None:
                money = writers.money_shown(shown)
            explanation = money + suffix if suffix is not None else explain(state, values, money)
        out.append(
            {
                "rule_id": rule_id,
                "label": label,
                "category": category,
                "amount": text,
                "explanation": explanation,
                "item": None if index is None else {"index": index, "value": item},
            }
        )
    return out


def _zero(text: str) -> bool:
    """Whether ``text``, ``str`` of a Decimal without its sign, is a zero ("0.00", "0E-7")."""
    rest = text.lstrip("0.")
    return not rest or rest[0] == "E"


def notice_dicts(writers: LineWriters, raw: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The JSON form of the rules' raw notices ``raw`` (in the slip's order), as the
    :class:`~cmrules.slip.Notice` objects of ``render_notice`` would give it."""
    known = writers.notices
    out = []
    for r, values in raw:
        writer = known[r]
        if writer is None:
            writer = writers.make_notice(r)
        rule_id, kind, code, render = writer
        out.append({"rule_id": rule_id, "kind": kind, "code": code, "text": render(values)})
    return out


def totals(earnings: Decimal, deductions: Decimal) -> dict[str, str]:
    """A slip's ``totals`` in its JSON form when nothing was deferred by a cap (``carry_forward``
    is what deductions leave owed), as ``str`` of ``net`` and ``carry_forward`` would give them:
    one subtraction, the rest read off the texts (a Decimal's negation is its text's sign)."""
    shown = str(deductions)
    if shown[0] == "-":  # the written deductions are negative: negated, a zero as it is
        if not _zero(shown[1:]):
            shown = shown[1:]
    elif shown[0] != "0" or not _zero(shown):
        shown = "-" + shown
    total = str(earnings - deductions)
    if total[0] != "-" and (total[0] != "0" or not _zero(total)):  # net > 0: nothing owed
        net, owed = total, str(earnings - earnings)
    else:
        net = owed = str(earnings - earnings)
        if total[0] == "-" and not _zero(total[1:]):
            owed = total[1:]
    return {"earnings": str(earnings), "deductions": shown, "net": net, "carry_forward": owed}


def carry_dict(owed: str) -> dict[str, Any] | None:
    """The carry-forward notice of a slip that owes ``owed`` (``str`` of ``carry_forward``, nothing
    deferred by a cap) in its JSON form; None when it owes nothing."""
    if owed[0] == "0" and _zero(owed):
        return None
    shown = grouped(owed) if owed[0] != "-" and "E" not in owed else f"{Decimal(owed):,}"
    text = carry_text(shown)
    return {"rule_id": "carry_forward", "kind": "carry_forward", "code": "carry_forward", "text": text}


def grouped(text: str) -> str:
    """``f"{x:,}"`` of the Decimal ``x`` whose ``str`` is ``text``, a plain non-negative number."""
    point = text.find(".")
    digits = len(text) if point < 0 else point
    if digits <= 3:
        return text
    head = digits % 3 or 3
    groups = [text[:head], *(text[i : i + 3] for i in range(head, digits, 3))]
    return ",".join(groups) + text[digits:]
