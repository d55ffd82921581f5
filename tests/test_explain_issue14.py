"""Explanations people ask for (issue 14): item fields and rates in line explanations, where a fixed
amount comes from, grouped per-item lines, why not and how far, what-if, the durable engine alike."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.commands import explain_employee, explain_slip, what_if
from cmrules.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
RIDER = ROOT / "tests" / "fixtures" / "delivery_items.yaml"
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"


def order(km: str, late: int = 0, peak: bool = False, complaint: bool = False, cancel: bool = False) -> dict:
    return {
        "distance_km": km,
        "late_minutes": late,
        "peak": peak,
        "complaint": complaint,
        "cancelled_by_rider": cancel,
    }


def rider_month(n: int = 650, days: int = 27) -> dict[str, Any]:
    """``n`` orders in a repeating pattern: every 4th late (5, 15 or 40 min), every 50th a complaint,
    every 40th cancelled by the rider."""
    orders = []
    for i in range(n):
        late = (5, 15, 40)[i // 4 % 3] if i % 4 == 0 else 0
        orders.append(
            order(f"{2 + i % 7}.5", late, peak=i % 3 == 0, complaint=i % 50 == 7, cancel=i % 40 == 39)
        )
    return {"employee": "R1", "period": "2024-05", "days_online": days, "orders": orders}


@pytest.fixture(scope="module")
def rider() -> cmrules.Ruleset:
    return cmrules.load_ruleset(RIDER)


@pytest.fixture(scope="module")
def bar() -> cmrules.Ruleset:
    return cmrules.load_ruleset(BAR)


def explained(ruleset: cmrules.Ruleset, record: dict[str, Any], **kw: Any) -> cmrules.commands.Explanation:
    version = ruleset.version_for(record["period"], record["employee"])
    data = version.validator(record)
    return explain_slip(version, data, version.run(data), record, **kw)


# 1. item fields, rates as percentages, where a fixed amount comes from


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_line_explanations_name_item_fields_rates_and_sources(rider: cmrules.Ruleset, engine: str) -> None:
    if engine == "durable":
        pytest.importorskip("durable")
    case = {
        "employee": "R1",
        "period": "2024-05",
        "days_online": 26,
        "orders": [order("4.5", late=5, peak=True), order("7.9", late=40), order("3.0", cancel=True)],
    }
    slip = rider.evaluate(case, engine=engine)
    got = [line.explanation for line in slip.lines]
    assert got == [
        "17.00 (fees)",  # a fact alone: its name, never "17.00 = 17.00"
        "300.00 (fixed amount)",  # a number written in the rule
        "8.00 × 20% = 1.60; o.fee = 8.00, o.late_share = 20%",  # a table's rate as an item value
        "9.00 × 100% = 9.00; o.fee = 9.00, o.late_share = 100%",
        "10.00 (fixed amount)",
    ]


def test_a_parameter_alone_says_its_name_and_a_rate_parameter_shows_percent(bar: cmrules.Ruleset) -> None:
    case = {"employee": "B1", "period": "2024-05", "bookings": [], "late_arrivals": [5]}
    slip = bar.evaluate(case)
    assert slip.line("late_fine")[0].explanation == "50.00 (lateness_fine)"
    rich = {
        "employee": "B1",
        "period": "2024-05",
        "bookings": [{"date": "2024-05-03", "amount": "52000.00", "registered_minutes_before": 30}],
    }
    assert bar.evaluate(rich).line("commission")[0].explanation == "3% × (52,000.00 − 40,000.00) = 360.00"


# 2. grouping


def test_650_orders_explained_in_under_100_lines(rider: cmrules.Ruleset) -> None:
    explanation = explained(rider, rider_month())
    text = explanation.render()
    assert len(text.splitlines()) < 100
    slip = explanation.slip
    late = slip.line("lateness")
    assert len(late) == 163
    total = sum((line.amount for line in late), Decimal(0))
    assert f"lateness ×163  超时扣款 Lateness  deduction  {total:,f}" in text
    assert f"e.g. [{late[0].index}] {late[0].amount:,f}: {late[0].explanation}" in text
    assert "o = {" not in text and "fields}" not in text  # never "o = {7 fields}"
    assert "(for o in orders): not for 487 of 650 elements" in text
    # the trace: one entry per rule, with the fields the rule read
    assert "lateness ×163  → lines 3–165" in text
    assert "o.late_share = 20%" in text


def test_items_on_request(rider: cmrules.Ruleset) -> None:
    explanation = explained(rider, rider_month(), limit=None)
    every = explanation.render(items=True)
    one = explanation.render(rule="complaint")
    assert len(every.splitlines()) > 650
    complaints = [
        f"[{line.index}] -50.00: 50.00 (fixed amount)" for line in explanation.slip.line("complaint")
    ]
    assert len(complaints) == 13 and all(c in one for c in complaints)
    assert "lateness ×163" in one and "[4] -" not in one.split("Rules that fired")[0]


# 3. why not, how far, what-if


def test_why_not_with_values_and_how_far_with_worth(bar: cmrules.Ruleset) -> None:
    case = {
        "employee": "B2",
        "period": "2024-05",
        "bookings": [
            {"date": "2024-05-03", "amount": "18000.00", "registered_minutes_before": 30},
            {"date": "2024-05-11", "amount": "20000.00", "registered_minutes_before": 15},
        ],
    }
    text = explained(bar, case).render()
    why = text.split("Rules that did not fire, and why:")[1]
    assert "when performance > performance_target: 38,000.00 > 40,000.00 is false" in why
    # reaching the threshold: 40,000.01 pays full base pay (+150.00), commission 3% × 0.01 = 0.00
    assert (
        "2,000.01 more performance pass performance_target (40,000.00), worth +150.00 net "
        "(what-if bookings[1].amount+=2000.01)" in why
    )
    assert "1 more personal_leave_days pass 0, worth −300.00 net (what-if personal_leave_days=1)" in why


def test_tier_distance_to_the_next_bracket_and_its_worth(rider: cmrules.Ruleset) -> None:
    explanation = explained(rider, rider_month())
    assert explanation.slip.facts["counted"] == 634
    text = explanation.render()
    # retroactive: 900 × 1.00 = 900.00 against 634 × 0.50 = 317.00 now
    assert (
        "volume_bonus: 266 more counted reach the next bracket (from 900), worth 583.00 on this line (900.00)"
        in text
    )
    small = explained(rider, rider_month(20, days=20)).render()
    assert "when counted >= 600: 20 >= 600 is false" in small
    assert "580 more counted reach 600, worth +" in small  # 580 more orders like the last one
    assert "6 more days_online reach 26, worth +300.00 net (what-if days_online=26)" in small


def test_what_if_shows_changed_lines_and_the_net_difference(bar: cmrules.Ruleset) -> None:
    case = {
        "employee": "B1",
        "period": "2024-05",
        "bookings": [
            {"date": "2024-05-03", "amount": "30000.00", "registered_minutes_before": 30},
            {"date": "2024-05-11", "amount": "22000.00", "registered_minutes_before": 15},
        ],
        "late_arrivals": [10],
    }
    result = what_if(bar, case, ["bookings.amount+=2000", "late_arrivals=3"])
    changes = [(c.rule_id, c.item, c.before, c.after) for c in result.lines]
    assert changes == [
        ("commission", None, Decimal("360.00"), Decimal("420.00")),  # 3% × 2,000 = 60
        ("late_fine", 1, None, Decimal("-50.00")),
        ("late_fine", 2, None, Decimal("-50.00")),
    ]
    assert result.net_difference == Decimal("-40.00")
    text = result.render()
    assert "commission  Commission above target  360.00 → 420.00" in text
    assert "late_fine ×2 items  Late arrival fine  — → -100.00" in text
    assert text.endswith("Net 3,310.00 → 3,270.00  (−40.00)\n")
    assert what_if(bar, case, {"absent_days": 1}).net_difference == Decimal("-200.00")
    with pytest.raises(UsageError, match="no field 'bookingz'"):
        what_if(bar, case, ["bookingz.amount+=1"])
    with pytest.raises(UsageError, match="takes a number"):
        what_if(bar, case, ["absent_days+=two"])


def test_what_if_on_the_rider_grows_a_list_like_its_last_item(rider: cmrules.Ruleset) -> None:
    result = what_if(rider, rider_month(), ["orders=900"])
    assert result.after.facts["counted"] == 634 + 250  # the 250 new orders are copies of the last
    assert result.before.line("volume_bonus")[0].amount == Decimal("317.00")


@pytest.mark.slow
def test_cli_explain_set_and_rule(tmp_path: Path) -> None:
    data = tmp_path / "rider.json"
    data.write_text(json.dumps([rider_month()]), encoding="utf-8")

    def run(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "cmrules", "explain", str(RIDER), str(data), "--employee", "R1", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert len(run().splitlines()) < 100
    changed = run("--set", "days_online=20")
    assert changed.startswith("What if days_online=20 (employee R1, 2024-05):")
    assert "attendance  Attendance bonus  300.00 → —" in changed
    assert "(−300.00)" in changed
    assert run("--rule", "complaint").count("-50.00: 50.00 (fixed amount)") == 13


def test_explain_employee_keeps_the_record_for_what_if() -> None:
    explanation = explain_employee(BAR, ROOT / "examples" / "bar_month.json", "B001")
    assert explanation.what_if(["late_arrivals=3"]).net_difference == Decimal("-100.00")


# 4. the HTML slip


def test_html_slips_show_fact_labels_link_the_index_and_fit_a_phone(tmp_path: Path) -> None:
    from cmrules.commands import run_file

    out = tmp_path / "slips"
    run_file(BAR, ROOT / "examples" / "bar_month.json", out, fmt="html")
    page = (out / "B001.html").read_text(encoding="utf-8")
    assert '<nav class="back"><a href="index.html">← 工资汇总 Payroll summary</a></nav>' in page
    facts = page.split('<table class="facts">')[1].split("</table>")[0]
    assert '<span class="fl">计入业绩 <span class="en" lang="en">Counted performance</span></span>' in facts
    assert '<td class="mono">performance</td>' not in facts  # the identifier is only a small tag
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "@media (max-width: 600px)" in index and 'data-label="实发 Net">3,310.00</td>' in index
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in index


def test_explain_reads_hr_headers_as_run_does(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    export = tmp_path / "hr.csv"  # HR's own headers, built in: 工号 (employee), 期间 (period)
    export.write_text("工号,期间\n1001,2024-05\n1002,2024-05\n", encoding="utf-8")
    explained = explain_employee(root / "rulesets" / "bar_customer_manager.yaml", export, "1001")
    assert (explained.slip.employee, explained.slip.period) == ("1001", "2024-05")
