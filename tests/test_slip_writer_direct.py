"""``to_json`` writes a slip's lines and notices straight from the run's raw tuples: no
:class:`~cmrules.slip.Line` or :class:`~cmrules.slip.Notice` is made when nobody read them, and
the bytes are those of the slip whose lines and notices were read first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.slip import _lines as slip_lines
from cmrules.slip import _payslip

ROOT = Path(__file__).resolve().parent.parent


def _cases() -> list[dict[str, Any]]:
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks.bar_cases import generate

    return generate(60, 3)


def test_to_json_makes_no_line_or_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    cases = _cases()
    expected = [{d: ruleset.evaluate(c).to_json(d) for d in ("summary", "lines", "trace")} for c in cases]
    read = []
    for case in cases:  # the same bytes when the lines and notices were read first
        slip = ruleset.evaluate(case)
        [line.explanation for line in slip.lines]
        assert slip.notices is not None
        read.append({d: slip.to_json(d) for d in ("summary", "lines", "trace")})
    assert read == expected

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("to_json made a Line or Notice")

    monkeypatch.setattr(slip_lines.Line, "__init__", refuse)
    monkeypatch.setattr(_payslip, "render_notice", refuse)
    carried = 0
    for case, want in zip(cases, expected, strict=True):
        slip = ruleset.evaluate(case)
        carried += bool(slip.carry_forward)
        assert {d: slip.to_json(d) for d in ("summary", "lines", "trace")} == want
    assert carried  # the carry-forward notice is written too


@pytest.mark.parametrize("places", [1, 2, 3, 6])
def test_money_text_of_other_places_is_the_formatted_text(places: int) -> None:
    from decimal import Decimal

    from cmrules.expr import _show as sh

    money = sh.money_text(places)
    texts = ["0", "0.0000", "600.0000", "3000", "12.5", "1234.5000", "1234.5001", "999999.9990", "1000000"]
    texts += ["0E-9", "7.000000000", "-3000", "-0.0000", "123456.7", "1.00E-7", "12E+3", "100.10"]
    for text in texts:
        assert money(Decimal(text)) == sh.show_money(Decimal(text), places), (places, text)


def test_compiled_explainers_show_the_amount_as_amount_text() -> None:
    from decimal import Decimal

    from cmrules.compile._explainers import NEGATIVE, explainer
    from cmrules.expr import _show as sh
    from cmrules.slip._state import in_fixed_context

    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    slip = ruleset.evaluate(_cases()[0])
    program = slip.run_state.program
    texts = ["0", "-0.00", "5.00", "-5.00", "999.99", "1000.00", "-1000.00", "999999.99", "1000000.00"]
    texts += ["12.345", "-12.345", "12E+3", "5.110E+5", "1.00E-7", "1234.5", "-1234567.89", "0E-7"]
    for name in ("off_post_fine", "deposit_refund"):
        rule = next(r for r in program.rules if r.id == name)
        made = explainer(program, rule, in_fixed_context)
        shown = sh.amount_text(program.rounder.places, rule.category in NEGATIVE)
        for text in texts:
            amount = Decimal(text)
            assert made(slip.run_state, (), amount).startswith(shown(amount) + " ("), (name, text)
