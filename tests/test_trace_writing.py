"""Writing a slip's trace: each rule's entry made by its version's generated function, the
line sums and totals a rule read captured by the run (``compile/_captures.py``) instead of
added up again from the slip's lines, and the same entries as reading each value through the
rule's plan (``trace_readers``), for every shipped ruleset."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from shipped import generate

import cmrules
from cmrules.slip import PaySlip, json_value
from cmrules.slip._state import RunState
from cmrules.slip._trace import read_entries, uncaptured_sum

ROOT = Path(__file__).resolve().parent.parent
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
MONTH = ROOT / "examples" / "bar_month.json"


@pytest.fixture(scope="module")
def slips() -> list[PaySlip]:
    ruleset = cmrules.load_ruleset(BAR)
    records = json.loads(MONTH.read_text(encoding="utf-8")) + generate(60, 7)
    return [ruleset.evaluate(record) for record in records]


def _sums_read(slip: PaySlip) -> list[tuple[str, Any]]:
    return [
        (name, value)
        for entry in slip.trace
        for name, value in entry["read"].items()
        if name.startswith(("lines.", "totals."))
    ]


def test_a_trace_reading_line_sums_adds_up_no_lines(
    slips: list[PaySlip], monkeypatch: pytest.MonkeyPatch
) -> None:
    """deduction_cap_exceeded reads lines.base_pay, totals.fine...: the trace takes them from
    the run (the rule's own variables), never from the slip's sums."""
    expected = [(slip.to_json("trace"), slip.to_dict("trace")) for slip in slips]
    fresh = [pickle.loads(pickle.dumps(slip)) for slip in slips]

    def no_sums(self: RunState) -> dict[tuple[str, str], Decimal]:
        raise AssertionError("the trace added up the slip's lines again")

    monkeypatch.setattr(RunState, "sums", no_sums)
    assert any(_sums_read(slip) for slip in slips)
    for slip, (as_json, as_dict) in zip(fresh, expected, strict=True):
        assert slip.to_json("trace") == as_json
        assert slip.to_dict("trace") == as_dict


def test_captured_sums_are_the_slips_sums(slips: list[PaySlip]) -> None:
    """What the run captured reads as what the slip's own sums give (an empty line sum as 0
    with the ruleset's places)."""
    seen = 0
    for slip in slips:
        for name, value in _sums_read(slip):
            kind, key = name.split(".", 1)
            assert value == json_value(uncaptured_sum(slip.run_state, (kind, key)))
            seen += 1
    assert seen


def _entries_by_plan(slip: PaySlip) -> list[dict[str, Any]]:
    return read_entries(slip.run_state, slip._program, slip._raw_trace, slip._ordered)


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        *sorted(p for p in (ROOT / "rulesets").glob("*.yaml") if ".tests." not in p.name),
        ROOT / "examples" / "delivery_rider.yaml",
        ROOT / "examples" / "draw_clawback.yaml",
    ],
    ids=lambda p: p.stem,
)
def test_generated_entries_read_as_the_plan(path: Path) -> None:
    """Every shipped ruleset: the generated entries equal those read value by value through each
    rule's plan with the slip's sums, for drawn inputs and the rulesets' own cases."""
    pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings

    from cmrules.testing import inputs

    ruleset = cmrules.load_ruleset(path)

    @settings(max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(inputs(ruleset))
    def check(record: dict[str, Any]) -> None:
        try:
            slip = ruleset.evaluate(record)
        except cmrules.errors.EmployeeError:
            return
        assert json_value(slip._raw_trace_entries()) == json_value(_entries_by_plan(slip))

    check()


def test_a_trace_tuple_without_captured_sums_reads_the_slips_sums(slips: list[PaySlip]) -> None:
    """A trace tuple that captured no sums (a slip pickled by an earlier cmrules) is read
    through the plan, the sums added up from the slip's lines."""
    for slip in slips:
        program = slip._program
        width = {r.index: sum(1 for kind, _ in r.trace_refs if kind == "local") for r in program.rules}
        bare = [(r, i, values[: width[r]]) for r, i, values in slip._raw_trace]
        old = PaySlip(slip.run_state, slip._version, slip._raw_notices, bare, slip.earnings, slip.deductions)
        assert old.to_json("trace") == slip.to_json("trace")


def test_no_text_of_the_ruleset_reaches_the_trace_source() -> None:
    """The generated entry functions hold generated names, indexes and punctuation only: every
    name, id and constant of the ruleset is bound in their namespace."""
    import io
    import keyword
    import re
    import tokenize

    from test_malicious import TELLTALE

    from cmrules.slip._trace import TraceWriters

    version = cmrules.loads_ruleset(TELLTALE).latest
    source = TraceWriters(version.program).source
    assert "def _t" in source
    generated = re.compile(r"_[A-Za-z]\w*|[DPFVIMSxs]|str|abs|__class__|get")
    fixed = {'"rule_id"', '"read"', '"lines"', '"item"', "'0'", '"0"'}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING:
            assert tok.string in fixed, tok.line
        elif tok.type == tokenize.NAME:
            assert keyword.iskeyword(tok.string) or generated.fullmatch(tok.string), tok.line
