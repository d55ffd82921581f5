"""The shipped rulesets: every YAML test case beside them, and the POLICIES.md facts from Python."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import cmrules
from cmrules.testing import CaseResult, case_files, load_cases
from cmrules.testing import run_case_file as run_file

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"


def _case_params() -> list[Any]:
    """One param per case of every ``rulesets/**/*.tests.yaml`` (names read without loading rulesets)."""
    params = []
    for file in case_files([RULESETS]):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for index, case in enumerate(data.get("cases") or []):
            name = case.get("name", index) if isinstance(case, dict) else index
            params.append(pytest.param(file, index, id=f"{file.relative_to(RULESETS)}::{name}"))
    return params


@functools.cache
def _results(file: Path) -> list[CaseResult]:
    return run_file(file)


@pytest.mark.parametrize(("file", "index"), _case_params())
def test_yaml_case(file: Path, index: int) -> None:
    result = _results(file)[index]
    assert result.passed, f"{result.name}:\n  " + "\n  ".join(result.differences)


SEEDS = RULESETS.parent / "docs" / "seeds"  # copies of ../shared/seeds


def _seed_quotes() -> list[Any]:
    """Every reference of a shipped ruleset that quotes a seed file: (ruleset, id, file, quote)."""
    out = []
    for path in sorted(RULESETS.rglob("*.yaml")):
        if path.name.endswith(".tests.yaml"):
            continue
        for ref in yaml.safe_load(path.read_text(encoding="utf-8")).get("references", []):
            match = re.match(r"seeds/(\S+\.txt)", ref["source"])
            if match and ref.get("quote"):
                rel = path.relative_to(RULESETS)
                out.append(pytest.param(match.group(1), ref, id=f"{rel}:{ref['id']}"))
    return out


@pytest.mark.parametrize(("seed_file", "ref"), _seed_quotes())
def test_seed_quotes_are_verbatim(seed_file: str, ref: dict[str, Any]) -> None:
    """Each quote is in its seed file word for word (whitespace and line breaks aside);
    `…` joins sentences taken from the lines its source names."""
    text = re.sub(r"\s+", "", (SEEDS / seed_file).read_text(encoding="utf-8"))
    if "de-interleav" in (ref.get("note") or ""):  # an OCR-garbled line, read as its note says
        pytest.skip("the note explains how the quote was read from an OCR-interleaved line")
    for part in ref["quote"].split("…"):
        assert re.sub(r"\s+", "", part) in text, part


@pytest.mark.parametrize(
    "path",
    # (modules are not rulesets: the including ruleset carries the comment)
    sorted(
        p
        for p in RULESETS.rglob("*.yaml")
        if not p.name.endswith(".tests.yaml") and "modules" not in p.relative_to(RULESETS).parts
    ),
    ids=lambda p: str(p.relative_to(RULESETS)),
)
def test_every_ruleset_comments_the_common_carry_forward_choice(path: Path) -> None:
    # POLICIES.md marks the common net-never-negative / carry-forward rule (choice): each
    # ruleset says so in a comment, with the carried_deductions input it accepts
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    head = "# (choice) POLICIES.md, common to every slip: net pay is never negative"
    (start,) = [n for n, line in enumerate(lines) if line.startswith(head)]
    block = " ".join(line.lstrip("# ") for line in lines[start : start + 5])
    assert "carry_forward" in block and "carried_deductions (money >= 0, default 0)" in block, block


def test_the_minimum_wage_reference_quotes_the_seed_and_marks_the_choice() -> None:
    for version in ("2012-01", "2013-07"):
        doc = yaml.safe_load((RULESETS / "securities_client_manager" / f"{version}.yaml").read_text("utf-8"))
        (ref,) = [r for r in doc["references"] if r["id"] == "shenzhen_minimum_wage"]
        assert ref["quote"] == "完不成任务时,拿着深圳最低工资1320,扣掉社保和住房公积金估计就900多的样子"
        assert "(choice)" in ref["note"] and "1,500 from 2013-03-01" in ref["note"]
        assert "official Shenzhen source" in ref["note"]
        # the POLICIES.md values stay: 1,320 from 2010-07-01, 1,500 from 2013-03-01
        values = doc["parameters"]["shenzhen_minimum_wage"]["values"]
        assert [(str(v["from"]), v["value"]) for v in values] == [("2010-07-01", 1320), ("2013-03-01", 1500)]


@pytest.mark.parametrize(
    ("tests_file", "at_least"),
    [
        ("bar_customer_manager.tests.yaml", 16),
        ("duty_manager_checklist.tests.yaml", 10),
        ("sales_contest.tests.yaml", 10),
        ("bank_client_manager.tests.yaml", 10),
        ("securities_client_manager/securities_client_manager.tests.yaml", 10),
    ],
)
def test_case_files_have_enough_evaluating_cases(tests_file: str, at_least: int) -> None:
    """At least ``at_least`` cases evaluate a slip and check what it shows (input errors
    are counted apart), and each ruleset's file has a case with carried deductions."""
    file = RULESETS / tests_file
    assert file in case_files([RULESETS])
    _, cases = load_cases(file)
    evaluating = [c for c in cases if "error" not in c]
    assert len(evaluating) >= at_least, [c["name"] for c in evaluating]
    assert all(c.get("expect") for c in evaluating)
    carried = [c for c in evaluating if "carried_deductions" in c["input"]]
    assert carried and all("carry_forward" in c["expect"] for c in carried)


# --- bar_customer_manager: performance, absence_days, commission_forfeited -------------


@functools.cache
def _ruleset(name: str) -> cmrules.Ruleset:
    return cmrules.load_ruleset(RULESETS / name)


def bar(**inputs: Any) -> cmrules.PaySlip:
    return _ruleset("bar_customer_manager.yaml").evaluate({"employee": "B1", "period": "2024-05", **inputs})


def booking(day: str, amount: str, minutes: int) -> dict[str, Any]:
    return {"date": day, "amount": amount, "registered_minutes_before": minutes}


def test_bar_performance_counts_registered_bookings_off_soliciting_days() -> None:
    slip = bar(
        bookings=[
            booking("2024-05-01", "30000.00", 10),  # counted
            booking("2024-05-02", "12000.00", 9),  # registered too late
            booking("2024-05-03", "8000.00", 60),  # solicited outside the door that day
            booking("2024-05-04", "1234.56", 11),  # counted
        ],
        outside_soliciting_dates=["2024-05-03"],
    )
    # 30,000.00 + 1,234.56 = 31,234.56
    assert slip.facts["performance"] == Decimal("31234.56")
    # base = 3,000 × 31,234.56 ÷ 40,000 = 2,342.592 → 2,342.59
    assert slip.total("base_pay") == Decimal("2342.59")
    assert slip.net == Decimal("2342.59")


def test_bar_absence_days_add_converted_late_and_early() -> None:
    slip = bar(absent_days=1, sick_days_without_proof=1, late_arrivals=[30, 31], early_leaves=[45, 5])
    # 1 absent + 1 sick without proof + late 31 + early 45 = 4 (30 and 5 are fines, not absences)
    assert slip.facts["absence_days"] == 4
    assert slip.total("absence_fine") == Decimal("-800.00")  # 200 × 4
    assert slip.total("late_fine") == Decimal("-50.00")
    assert slip.total("early_leave_fine") == Decimal("-50.00")


@pytest.mark.parametrize(
    ("inputs", "forfeited"),
    [
        ({"absent_days": 2}, False),
        ({"absent_days": 3}, True),
        ({"absent_days": 2, "late_arrivals": [31]}, True),
        ({"personal_leave_days": 5}, False),
        ({"personal_leave_days": 6}, True),
        ({"dismissed": True}, True),
        ({}, False),
    ],
)
def test_bar_commission_forfeited(inputs: dict[str, Any], forfeited: bool) -> None:
    slip = bar(bookings=[booking("2024-05-01", "52000.00", 15)], **inputs)
    assert slip.facts["commission_forfeited"] is forfeited
    # commission 3% × (52,000 − 40,000) = 360.00 is made either way; forfeited by one line of −360.00
    assert slip.total("commission") == Decimal("360.00")
    forfeit_rule = "dismissal_commission_forfeiture" if inputs.get("dismissed") else "commission_forfeiture"
    assert slip.total(forfeit_rule) == (Decimal("-360.00") if forfeited else Decimal(0))


def test_bar_confiscated_tips_are_deductions() -> None:
    # POLICIES.md rule 11: "a deduction equal to each solicited_tips entry"
    slip = bar(solicited_tips=["200.00", "88.88"])
    assert [(x.category, x.amount) for x in slip.line("tips_confiscated")] == [
        ("deduction", Decimal("-200.00")),
        ("deduction", Decimal("-88.88")),
    ]


# --- duty_manager_checklist: score -----------------------------------------------------


def duty(checks: dict[str, list[bool]]) -> cmrules.PaySlip:
    return _ruleset("duty_manager_checklist.yaml").evaluate(
        {"employee": "D1", "period": "2024-05", "checks": checks}
    )


def group(size: int, passed: int) -> list[bool]:
    return [True] * passed + [False] * (size - passed)


@pytest.mark.parametrize(
    ("size", "passed", "points"),
    [
        (3, 0, 0),
        (3, 1, 10),
        (3, 2, 20),
        (3, 3, 30),
        (6, 0, 0),
        (6, 1, 0),
        (6, 2, 10),
        (6, 3, 10),  # rows a (2-3) and b (3-4) overlap; FIRST takes row a
        (6, 4, 20),
        (6, 5, 30),
        (6, 6, 30),
    ],
)
def test_duty_group_score(size: int, passed: int, points: int) -> None:
    slip = duty({"g": group(size, passed)})
    assert slip.facts["score"] == points
    assert [(n.kind, n.code) for n in slip.notices] == [("score", "score")]
    assert slip.lines == [] and slip.net == Decimal("0.00")


def test_duty_score_sums_groups() -> None:
    slip = duty({"a": group(3, 2), "b": group(6, 3), "c": group(6, 4), "d": group(3, 3)})
    # 20 + 10 + 20 + 30 = 80
    assert slip.facts["score"] == 80
    assert "80" in slip.notices[0].text["zh"]


@pytest.mark.parametrize("size", [0, 1, 2, 4, 5, 7])
def test_duty_group_of_other_size_is_an_input_error(size: int) -> None:
    with pytest.raises(cmrules.InputError) as info:
        duty({"ok": group(3, 1), "bad": group(size, 0)})
    [problem] = info.value.problems
    assert (problem.code, problem.field) == ("input.size", "checks.bad")
    assert "3 or 6" in problem.message


def test_duty_table_under_unique_fails_naming_the_overlapping_rows() -> None:
    # the shipped ruleset with its one FIRST table switched to UNIQUE: nothing else changes,
    # so this cannot drift from the table that ships
    shipped = RULESETS / "duty_manager_checklist.yaml"
    text = shipped.read_text(encoding="utf-8")
    assert text.count("hit_policy: FIRST") == 1
    with pytest.raises(cmrules.RulesetError) as info:
        cmrules.loads_ruleset(text.replace("hit_policy: FIRST", "hit_policy: UNIQUE"), str(shipped))
    [issue] = info.value.errors
    assert issue.code == "table.overlap"
    # rows 5 ("[2..3]", source row a) and 6 ("[3..4]", source row b) both match 3 of 6 passed
    assert "table 'group_score': rows 5 and 6 overlap (both match size = 6, passed = 3)" in issue.message
    assert "use hit policy FIRST" in issue.message
    # located at the later row, at its opening brace
    lines = text.splitlines()
    row_b = next(n for n, line in enumerate(lines, 1) if '"[3..4]"' in line)
    assert (issue.line, issue.column) == (row_b, lines[row_b - 1].index("{") + 1)
    assert f"{shipped}:{issue.line}:{issue.column}: table.overlap" in str(info.value)


def test_lengths_is_only_for_lists() -> None:
    text = (RULESETS / "duty_manager_checklist.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  period: {type: period}\n", "  period: {type: period}\n  n: {type: int, lengths: [3]}\n"
    )
    with pytest.raises(cmrules.RulesetError) as info:
        cmrules.loads_ruleset(text)
    assert any("'lengths' is only for lists" in i.message for i in info.value.errors)


# --- sales_contest: prize, team_completion_pct ---------------------------------------------


def contest(team: str, sales_by_20th: str, team_sales: str) -> cmrules.PaySlip:
    return _ruleset("sales_contest.yaml").evaluate(
        {
            "employee": "S1",
            "period": "2024-05",
            "team": team,
            "sales_by_20th": sales_by_20th,
            "team_sales": team_sales,
        }
    )


@pytest.mark.parametrize(
    ("sales", "prize"),
    [
        ("2500000.00", "rice_cooker"),
        ("1000000.00", "rice_cooker"),
        ("999999.99", "kettle"),
        ("500000.00", "kettle"),
        ("499999.99", "hair_dryer"),
        ("300000.00", "hair_dryer"),
        ("299999.99", "usb_drive"),
        ("100000.00", "usb_drive"),
        ("99999.99", None),
        ("0.00", None),
    ],
)
def test_contest_prize(sales: str, prize: str | None) -> None:
    slip = contest("赵", sales, "0.00")
    assert slip.facts["prize"] == prize
    assert ("prize" in [n.code for n in slip.notices]) is (prize is not None)
    assert slip.lines == []


@pytest.mark.parametrize(
    ("team", "team_sales", "pct"),
    [
        ("赵", "1500000.00", "50.00"),  # 1,500,000 ÷ 3,000,000 × 100
        ("钱", "345660.00", "12.35"),  # ÷ 2,800,000 × 100 = 12.345 → half up
        ("孙", "1000000.00", "32.26"),  # ÷ 3,100,000 × 100 = 32.2580…
        ("李", "3000000.00", "100.00"),  # ÷ 3,000,000 × 100
        ("王", "200.00", "0.01"),  # ÷ 4,000,000 × 100 = 0.005 → half up
        ("王", "5000000.00", "125.00"),
    ],
)
def test_contest_team_completion_pct(team: str, team_sales: str, pct: str) -> None:
    slip = contest(team, "0.00", team_sales)
    value = slip.facts["team_completion_pct"]
    assert isinstance(value, Decimal)
    assert value == Decimal(pct) and value.as_tuple().exponent == -2
    [notice] = [n for n in slip.notices if n.code == "team_completion"]
    assert f"{pct}%" in notice.text["zh"] and team in notice.text["zh"]
