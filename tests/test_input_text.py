"""Money, dates and periods as files write them: one plain form each, anything else refused by name.

Each case here was paid wrongly (or crashed the run) before ``cmrules.inputs._text``:
``"41000,50"`` was paid as 4,100,050.00, ``"3,00"`` as 300.00, full-width and
Arabic-Indic digits were read as numbers, ``"2024-05\\n"`` and ``"２０２４-05"`` were
periods, ``"20240503"`` and ``"2024-W18-5"`` were dates, ``"0000-01"`` and ``"9999-12"``
raised a bare ``ValueError`` and ``"1e999999999"`` a ``decimal.Overflow``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import cmrules

BAR = cmrules.load_ruleset("rulesets/bar_customer_manager.yaml")


def _month(**booking: Any) -> dict[str, Any]:
    base = {"date": "2024-05-03", "amount": "52000.00", "registered_minutes_before": 15}
    return {"employee": "B1", "period": "2024-05", "bookings": [{**base, **booking}]}


def _problem(record: dict[str, Any]) -> cmrules.errors.InputProblem:
    with pytest.raises(cmrules.InputError) as caught:
        BAR.evaluate(record)
    (problem,) = caught.value.problems
    return problem


@pytest.mark.parametrize(
    ("text", "paid"),
    [
        ("41,000.50", "41000.50"),
        ("1,000,000", "1000000.00"),
        (" 12.50 ", "12.50"),
        ("+5", "5.00"),
        (".5", "0.50"),
        ("1e3", "1000.00"),
    ],
)
def test_plain_money_text_is_paid(text: str, paid: str) -> None:
    assert BAR.evaluate(_month(amount=text)).facts["performance"] == Decimal(paid)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("41000,50", "thousands separator between groups of three digits"),
        ("3,00", "thousands separator"),
        ("1,2345.00", "thousands separator"),
        ("12,5", "write the decimal point as '.'"),
        ("３０００", "U+FF13, FULLWIDTH DIGIT THREE"),
        ("١٢", "U+0661, ARABIC-INDIC DIGIT ONE"),
        ("1e999999999", "at most 15 digits before the decimal point"),
        ("12 50", "not a number"),
    ],
)
def test_ambiguous_money_text_is_refused_saying_why(text: str, words: str) -> None:
    problem = _problem(_month(amount=text))
    assert (problem.employee, problem.field, problem.value) == ("B1", "bookings[0].amount", text)
    assert words in problem.message


@pytest.mark.parametrize(("text", "day"), [("2024-05-03", "2024-05-03"), ("2024/5/3", "2024-05-03")])
def test_dates_iso_or_as_chinese_excel_writes_them(text: str, day: str) -> None:
    slip = BAR.evaluate(_month(date=text))
    assert slip.run_state.data["bookings"][0]["date"].isoformat() == day


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("20240503", "expected a date YYYY-MM-DD"),
        ("2024-W18-5", "expected a date YYYY-MM-DD"),
        ("2024-5-3", "expected a date YYYY-MM-DD"),
        ("2024-05-32", "day 32 does not exist in 2024-05"),
        ("2024-02-30", "day 30 does not exist in 2024-02"),
        ("2024/13/1", "month 13 does not exist"),
        ("２０２４-05-03", "FULLWIDTH DIGIT TWO"),
    ],
)
def test_other_date_forms_are_refused(text: str, words: str) -> None:
    problem = _problem(_month(date=text))
    assert problem.field == "bookings[0].date"
    assert words in problem.message


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2024-05\n", "U+000A, a control character"),
        ("２０２４-05", "U+FF12, FULLWIDTH DIGIT TWO"),
        ("0000-01", "years 0001 to 9998"),
        ("9999-12", "years 0001 to 9998"),
        ("2024-13", "expected a period YYYY-MM"),
        (202405, "expected a period YYYY-MM"),
    ],
)
def test_bad_periods_are_input_errors_naming_the_character(period: Any, words: str) -> None:
    with pytest.raises(cmrules.InputError) as caught:
        BAR.evaluate({"employee": "B1", "period": period})
    (problem,) = caught.value.problems
    assert (problem.employee, problem.field, problem.code) == ("B1", "period", "input.type")
    assert words in problem.message


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2024/5", "write it as 2024-05"),
        ("2024-5", "write it as 2024-05"),
        ("2024/05", "write it as 2024-05"),
        ("2024.05", "write it as 2024-05"),
        ("2024年5月", "write it as 2024-05"),
        ("202405", "write it as 2024-05"),
        ("2024/5/1", "not the date 2024/5/1: write 2024-05"),
        ("2024-05-01", "not the date 2024-05-01: write 2024-05"),
    ],
)
def test_a_month_written_another_way_is_refused_saying_how_to_write_it(period: str, words: str) -> None:
    """A month as HR or Excel writes it (``2024/5``, ``2024年5月``, the date on its 1st) is still
    refused (the duplicate check compares the period's text, so one month has one spelling),
    but the message says the spelling to use instead of only what a period is."""
    with pytest.raises(cmrules.InputError) as caught:
        BAR.evaluate({"employee": "B1", "period": period})
    (problem,) = caught.value.problems
    assert (problem.employee, problem.field, problem.value, problem.code) == (
        "B1",
        "period",
        period,
        "input.type",
    )
    assert "expected a period YYYY-MM" in problem.message and words in problem.message
