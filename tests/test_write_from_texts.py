"""``to_json`` writes a line's amount, its explanation's money text and the totals from ``str`` of
the run's Decimals (their texts' signs, each distinct amount's money text made once per version),
to the bytes the slip's :class:`~cmrules.slip.Line` objects and Decimal properties give."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import cmrules
from cmrules.slip import PaySlip
from cmrules.slip._state import RunState
from cmrules.slip._writer import grouped

ROOT = Path(__file__).resolve().parent.parent
RULESET = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
EDGES = ["0", "0.00", "-0.00", "0E-7", "-0E-7", "0.50", "-0.50", "5.00", "-5.00", "999.99", "1000.00"]
EDGES += ["-1000.00", "999999.99", "1000000.00", "-1234567.89", "12.345", "12E+3", "5.110E+5", "-5.110E+5"]
EDGES += ["1.00E-7", "7", "600.0000", "0.005"]


def _case() -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks.bar_cases import generate

    # a slip with lines of both signs: earnings and fines
    return next(c for c in generate(60, 3) if len(RULESET.evaluate(c).lines) > 4)


def _with(slip: PaySlip, raw_lines: list[tuple[Any, ...]], earnings: Decimal, deductions: Decimal) -> PaySlip:
    state = slip.run_state
    moved = RunState(state.program, state.data, state.params, state.facts, raw_lines)
    return PaySlip(
        moved, slip._version, slip._raw_notices, slip._raw_trace, earnings, deductions, slip._origin
    )


def _bytes_of_dict(slip: PaySlip, detail: str) -> bytes:
    """The bytes of ``to_dict``: Line objects, ``net`` and ``carry_forward`` as Decimals."""
    text = json.dumps(slip.to_dict(detail), ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # type: ignore[arg-type]
    return text.encode()


def test_written_amounts_and_totals_are_those_of_the_decimals() -> None:
    slip = RULESET.evaluate(_case())
    raw = slip.run_state.raw_lines
    for text in EDGES:
        amount = Decimal(text)
        lines = [(r, amount, *rest) for r, _, *rest in raw]
        for earnings, deductions in [(amount, Decimal("5.00")), (Decimal("5.00"), amount), (amount, amount)]:
            made = _with(slip, lines, earnings, deductions)
            for detail in ("summary", "lines"):
                assert made.to_json(detail) == _bytes_of_dict(
                    _with(slip, lines, earnings, deductions), detail
                ), (
                    text,
                    earnings,
                    deductions,
                    detail,
                )


def test_writing_reads_no_decimal_property_and_formats_each_amount_once() -> None:
    slip = RULESET.evaluate(_case())
    slip.to_json("lines")
    assert "net" not in slip.__dict__ and "carry_forward" not in slip.__dict__  # read off the texts
    writers = slip._version.line_writers
    assert {str(abs(a)) for _, a, *_ in slip.run_state.raw_lines} <= set(writers.shown)


def test_grouped_is_the_comma_format() -> None:
    for text in ["0", "1", "999", "1000", "12345.6789", "1234567", "0.000001", "100000.00", "1160.77"]:
        assert grouped(text) == f"{Decimal(text):,}", text
