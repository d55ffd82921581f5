"""What a review of the ledger found, each as it holds now.

Before:

* a re-run of an open period was refused only when it paid FEWER employees than the run it
  replaced: run 1 paid A and B, a re-run paying A and C was accepted and B's slip silently
  dropped;
* a record whose employee id was a whole number (``{"employee": 1}``, the Python API) was paid
  with fresh balances every month (a draw was never recovered), and a refused such record
  named ``<unknown>``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
import cmrules.errors
from cmrules.ledger import Ledger, LedgerRefused

BAR = cmrules.load_ruleset("bar_customer_manager")
DRAW = cmrules.load_ruleset(Path(__file__).resolve().parent.parent / "examples" / "draw_clawback.yaml")


def bar(employee: str, period: str = "2024-05", sales: str = "52000.00") -> dict[str, Any]:
    """A bar employee-month: one booking of ``sales`` (``"abc"`` makes the record fail)."""
    booking = {"date": f"{period}-03", "amount": sales, "registered_minutes_before": 30}
    return {"employee": employee, "period": period, "bookings": [booking]}


# -- a re-run that loses slips is refused by who is lost, not by how many ---------------------
def test_a_rerun_paying_as_many_but_not_the_same_employees_is_refused_naming_who_is_lost() -> None:
    with Ledger(":memory:") as book:
        first = book.run(BAR, "2024-05", [bar("A"), bar("B")])
        with pytest.raises(LedgerRefused) as refused:
            book.run(BAR, "2024-05", [bar("A"), bar("C")])
        text = str(refused.value)
        assert "the slips of 1 employee(s) paid by the open run it would replace would be lost: B;" in text
        assert f"(run {first.run}) paid 2: refused, the ledger keeps run {first.run}" in text
        assert sorted(s["employee"] for s in book.slips("2024-05", BAR)) == ["A", "B"]  # unchanged
        assert [e["event"] for e in book.log()] == ["run"]
        forced = book.run(BAR, "2024-05", [bar("A"), bar("C")], force=True)
        assert [s.employee for s in forced.slips] == ["A", "C"]
        assert sorted(s["employee"] for s in book.slips("2024-05", BAR)) == ["A", "C"]


def test_a_rerun_of_the_same_employees_or_more_goes_through() -> None:
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", [bar("A"), bar("B")])
        again = book.run(BAR, "2024-05", [bar("B", sales="62000.00"), bar("A")])  # same set, any order
        assert sorted(s.employee for s in again.slips) == ["A", "B"]
        more = book.run(BAR, "2024-05", [bar("A"), bar("B"), bar("C")])  # a superset
        assert sorted(s.employee for s in more.slips) == ["A", "B", "C"]
        assert [e["detail"].get("forced") for e in book.log()] == [None, None, None]


def test_the_refusal_names_the_first_few_lost_and_how_many() -> None:
    everyone = [f"E{n:02d}" for n in range(1, 9)]
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", [bar(e) for e in everyone])
        with pytest.raises(LedgerRefused) as refused:
            book.run(BAR, "2024-05", [bar("E01"), bar("E02", sales="abc")])
        text = str(refused.value)
        assert "the slips of 7 employee(s) paid by the open run it would replace would be lost:" in text
        assert "E02, E03, E04, E05, E06 and 2 more;" in text
        assert "this run pays 1 employee(s) (1 failed)" in text


# -- a whole-number employee id reads its balances -------------------------------------------
def _three_months(employee: Any) -> list[tuple[Decimal, Decimal]]:
    with Ledger(":memory:") as book:
        out = []
        for period in ("2026-01", "2026-02", "2026-03"):
            commission = "5000.00" if period == "2026-01" else "9000.00"
            run = book.run(DRAW, period, [{"employee": employee, "commission": commission}])
            (slip,) = run.slips
            assert slip.employee == "1"
            out.append((slip.net, slip.balances["draw_owed"].after))
        return out


def test_a_whole_number_employee_id_is_paid_with_the_balances_of_its_text() -> None:
    as_text = _three_months("1")
    assert _three_months(1) == as_text
    assert as_text == [(Decimal("8000.00"), Decimal(owed)) for owed in ("3000.00", "2000.00", "1000.00")]


def test_a_refused_record_with_a_whole_number_id_names_the_employee() -> None:
    with Ledger(":memory:") as book:
        run = book.run(DRAW, "2026-01", [{"employee": 7, "commission": "5000.00", "draw_owed": "1"}])
        assert run.slips == [] and [f["employee"] for f in run.failures] == ["7"]
        assert run.failures[0]["code"] == "ledger.balance_given"


def test_opening_balances_take_a_whole_number_id_as_its_text_and_refuse_a_float() -> None:
    with Ledger(":memory:") as book:
        assert book.import_balances(DRAW, "2026-01", {1: {"draw_owed": "500.00"}}) == 1  # type: ignore[dict-item]
        (slip,) = book.run(DRAW, "2026-01", [{"employee": 1, "commission": "9000.00"}]).slips
        assert slip.balances["draw_owed"].before == Decimal("500.00")
        with pytest.raises(cmrules.errors.UsageError, match=r"employee = 1\.0: not an employee id"):
            book.import_balances(DRAW, "2026-01", {1.0: {"draw_owed": "1"}})  # type: ignore[dict-item]
