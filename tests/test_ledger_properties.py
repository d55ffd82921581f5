"""Random sequences of runs, re-runs, closes, restatements and kills through one ledger.

After every step: a closed period's slips never change; the balances are a replay of the
stored slips (each employee's balance before a period is the carry-forward of their
latest earlier slip); a kill mid-run leaves every table as it was. At the end, once a
last month has paid everyone: what each employee was paid over all months (adjustment
lines included), less what is still carried forward, equals a replay of every month with
the corrected inputs and carried_deductions set by hand. Random years of a year-to-date
ruleset (the cumulative withholding method) hold declared balances to the same replay.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import pytest

import cmrules
from cmrules.ledger import Ledger, next_period

BAR = cmrules.load_ruleset("bar_customer_manager")
PEOPLE = ["B1", "B2", "B3", "B4"]
TABLES = ("runs", "slips", "balances", "periods", "adjustments", "openings", "log")


def record(rng: random.Random, employee: str, period: str) -> dict[str, Any]:
    sales = rng.choice(["0.00", "15000.00", "40000.00", "52000.00", "91000.00"])
    booking = {"date": f"{period}-05", "amount": sales, "registered_minutes_before": rng.choice([5, 30])}
    return {"employee": employee, "bookings": [booking], "absent_days": rng.choice([0, 0, 1, 9, 25])}


def dump(book: Ledger) -> dict[str, list[Any]]:
    return {t: book.db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}


def check_balances(book: Ledger) -> None:
    rows = book.db.execute(
        "SELECT employee, period, before, after FROM balances ORDER BY employee, period"
    ).fetchall()
    cf = {
        (e, p): c
        for e, p, c in book.db.execute(
            "SELECT s.employee, s.period, s.carry_forward FROM slips s JOIN runs r ON r.id = s.run"
            " WHERE r.kind = 'run' AND r.active = 1"
        )
    }
    last: dict[str, str] = {}
    for employee, period, before, after in rows:
        assert Decimal(before) == Decimal(last.get(employee, "0")), (employee, period)
        assert after == cf[employee, period]
        last[employee] = after


def paid_less_carried(slips: list[dict[str, Any]]) -> Decimal:
    """Net over the months, less what the last month carries forward."""
    return sum((Decimal(s["totals"]["net"]) for s in slips), Decimal(0)) - Decimal(
        slips[-1]["totals"]["carry_forward"]
    )


def scenario(seed: int) -> None:
    rng = random.Random(seed)
    period, months = "2024-01", 0
    effective: dict[str, dict[str, dict[str, Any]]] = {}  # period -> employee -> input (corrected)
    closed: dict[str, list[dict[str, Any]]] = {}
    with Ledger(":memory:") as book:
        while months < 6:
            step = rng.choice(["run", "run", "rerun", "close", "restate", "kill"])
            has_run = period in effective
            if step == "run" and has_run and book.totals(period)[0]["status"] == "closed":
                period, months = next_period(period), months + 1
                continue
            if step in ("run", "rerun") and not (has_run and book.totals(period)[0]["status"] == "closed"):
                people = [e for e in PEOPLE if rng.random() < 0.8] or PEOPLE[:1]
                records = [record(rng, e, period) for e in people]
                book.run(BAR, period, records, force=True)  # a re-run may pay fewer: replace it
                effective[period] = {r["employee"]: r for r in records}
            elif step == "close" and has_run and book.totals(period)[0]["status"] == "open":
                book.close(period)
                closed[period] = book.slips(period, BAR)
            elif step == "restate" and closed:
                month = rng.choice(sorted(closed))
                people = [e for e in effective[month] if rng.random() < 0.6]
                fixed = [record(rng, e, month) for e in people]
                book.restate(BAR, month, fixed)
                effective[month].update({r["employee"]: r for r in fixed})
            elif step == "kill" and not (has_run and book.totals(period)[0]["status"] == "closed"):
                before = dump(book)

                def dying(p: str = period) -> Any:
                    yield record(rng, "B1", p)
                    raise KeyboardInterrupt

                with pytest.raises(KeyboardInterrupt):
                    book.run(BAR, period, dying())
                assert dump(book) == before
            for month, slips in closed.items():
                assert book.slips(month, BAR) == slips
            check_balances(book)
        # a last month pays everyone: every pending correction is carried
        if period in effective and book.totals(period)[0]["status"] == "closed":
            period = next_period(period)
        final = {e: record(rng, e, period) for e in PEOPLE}
        book.run(BAR, period, list(final.values()))
        effective[period] = final
        check_balances(book)
        ledger = {e: [h["slip"] for h in book.history(e)] for e in PEOPLE}
    carried: dict[str, str] = {}
    replay: dict[str, list[dict[str, Any]]] = {}
    for month in sorted(effective):
        for employee, data in effective[month].items():
            slip = BAR.evaluate(
                {**data, "period": month, "carried_deductions": carried.get(employee, "0.00")}
            )
            carried[employee] = str(slip.carry_forward)
            replay.setdefault(employee, []).append(slip.to_dict())
    for employee in PEOPLE:
        assert paid_less_carried(ledger[employee]) == paid_less_carried(replay[employee]), (seed, employee)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
def test_random_sequences_keep_the_books(seed: int) -> None:
    scenario(seed)


def test_one_random_sequence_keeps_the_books() -> None:
    scenario(1234)


def test_stored_slips_are_json_compressed_or_not_never_pickles() -> None:
    import zlib

    slip = record(random.Random(0), "B1", "2024-01")
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-01", [slip])
        body, detail, packing = book.db.execute("SELECT json, detail, packing FROM slips").fetchone()
    assert (detail, packing) == ("lines", "zlib")
    assert json.loads(zlib.decompress(body))["employee"] == "B1"
    with Ledger(":memory:", keep="trace", compress=False) as book:
        book.run(BAR, "2024-01", [slip])
        body, detail, packing = book.db.execute("SELECT json, detail, packing FROM slips").fetchone()
    assert (detail, packing) == ("trace", "json")
    assert "trace" in json.loads(body)


YTD = cmrules.load_ruleset(
    __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "balances" / "ytd_tax.yaml"
)
WAGES = ["5000.00", "12000.00", "20000.00", "45000.00", "90000.00"]


def ytd_scenario(seed: int) -> None:
    """Runs, closes and restatements of a year-to-date ruleset (cumulative withholding) for
    employees who start in any month: at the end, the taxable income to date equals a replay of
    every month with the corrected inputs; the tax to date is what the lines and correction lines
    withheld, and the replay's unless closed months had already withheld more."""
    rng = random.Random(seed)
    people = ["T1", "T2", "T3"]
    start = {e: rng.randint(1, 4) for e in people}  # T2 may start in April
    effective: dict[str, dict[str, dict[str, Any]]] = {}
    period, closed = "2026-01", []
    with Ledger(":memory:") as book:
        while period < "2026-07":
            month = int(period[5:])
            records = [{"employee": e, "wage": rng.choice(WAGES)} for e in people if start[e] <= month]
            book.run(YTD, period, records)
            effective[period] = {r["employee"]: r for r in records}
            if rng.random() < 0.3:  # run again before closing: replaces the run
                records = [{**r, "wage": rng.choice(WAGES)} for r in records]
                book.run(YTD, period, records)
                effective[period] = {r["employee"]: r for r in records}
            book.close(period)
            closed.append(period)
            for _ in range(rng.choice([0, 0, 1, 2])):
                fixed_month = rng.choice(closed)
                fixed = [{**r, "wage": rng.choice(WAGES)} for r in effective[fixed_month].values()]
                fixed = [r for r in fixed if rng.random() < 0.7]
                book.restate(YTD, fixed_month, fixed)
                effective[fixed_month].update({r["employee"]: r for r in fixed})
            period = next_period(period)
        final = [{"employee": e, "wage": rng.choice(WAGES)} for e in people]
        last = {s.employee: s for s in book.run(YTD, period, final).slips}
        effective[period] = {r["employee"]: r for r in final}
        ledger = {e: [h["slip"] for h in book.history(e)] for e in people}
    for employee in people:
        held = {"ytd_taxable": "0", "ytd_tax": "0"}
        withheld = Decimal(0)
        for month in sorted(effective):
            if employee not in effective[month]:
                continue
            slip = YTD.evaluate({**effective[month][employee], "period": month, **held})
            held = {n: str(slip.balances[n].after) for n in held}
            withheld -= slip.total("income_tax")
        final_slip = last[employee].balances
        assert final_slip["ytd_taxable"].after == Decimal(held["ytd_taxable"]), (seed, employee)
        taxed = [
            Decimal(line["amount"])
            for s in ledger[employee]
            for line in s["lines"]
            if line["rule_id"] == "income_tax" or line["rule_id"].endswith(":income_tax")
        ]
        # the balance is what was withheld on record (lines and corrections) ...
        assert final_slip["ytd_tax"].after == -sum(taxed, Decimal(0)), (seed, employee)
        # ... which is the replay's, unless closed months already withheld more than the corrected
        # year to date owes (a downward correction after later months used the higher figure: the
        # cumulative method refunds nothing before the annual reconciliation)
        replayed = Decimal(held["ytd_tax"])
        assert final_slip["ytd_tax"].after == max(replayed, final_slip["ytd_tax"].before), (seed, employee)
        assert replayed == withheld


def test_a_random_year_of_year_to_date_balances_is_a_replay_of_the_corrected_months() -> None:
    ytd_scenario(7)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_random_years_of_year_to_date_balances_are_replays_of_the_corrected_months(seed: int) -> None:
    ytd_scenario(seed)
