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
from typing import TYPE_CHECKING, Any

from cmrules.compile._explainers import NEGATIVE, explainer, notice_renderer
from cmrules.slip._state import RunState, in_fixed_context

if TYPE_CHECKING:
    from cmrules.compile._program import Program

__all__ = ["LineWriters", "line_dicts", "notice_dicts"]

#: What writing a line of one rule needs: its id, label, category, whether its amounts are
#: negative on the slip, and its explainer (unwrapped: the writer already runs in the context).
Writer = tuple[str, dict[str, str], str, bool, Callable[..., str]]


class LineWriters:
    """Per rule index of one program, what writing its lines needs (:data:`Writer`), made the
    first time one of its lines is written."""

    __slots__ = ("program", "writers")

    def __init__(self, program: Program):
        self.program = program
        self.writers: list[Writer | None] = [None] * len(program.rules)

    def make(self, index: int) -> Writer:
        """The writer of rule ``index``, made and kept."""
        rule = self.program.rules[index]
        made = explainer(self.program, rule, in_fixed_context)
        category: str = rule.category  # type: ignore[assignment]
        writer = (rule.id, rule.label, category, category in NEGATIVE, getattr(made, "__wrapped__", made))
        self.writers[index] = writer
        return writer


def line_dicts(state: RunState, writers: LineWriters, ordered: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The JSON form of the raw lines ``ordered`` (in the slip's order), as ``_lines`` of their
    :class:`~cmrules.slip.Line` objects would give it."""
    known = writers.writers
    out = []
    for r, amount, index, item, values in ordered:
        writer = known[r]
        if writer is None:
            writer = writers.make(r)
        rule_id, label, category, negative, explain = writer
        if not amount:
            amount = abs(amount)  # never a -0.00 line
        elif negative:
            amount = -amount
        out.append(
            {
                "rule_id": rule_id,
                "label": label,
                "category": category,
                "amount": str(amount),
                "explanation": explain(state, values, amount),
                "item": None if index is None else {"index": index, "value": item},
            }
        )
    return out


def notice_dicts(program: Program, raw: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The JSON form of the rules' raw notices ``raw`` (in the slip's order), as the
    :class:`~cmrules.slip.Notice` objects of ``render_notice`` would give it."""
    rules = program.rules
    out = []
    for r, values in raw:
        rule = rules[r]
        kind, code, _ = rule.notice
        out.append(
            {"rule_id": rule.id, "kind": kind, "code": code, "text": notice_renderer(program, rule)(values)}
        )
    return out
