"""Renderers: text, CSV and HTML from a JSON-ready slip dict."""

from __future__ import annotations

import copy
import csv
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from real_slips import bar_sha256, bar_slip

from cmrules.inputs._validator import FloatLiteral
from cmrules.outputs.render import (
    CSV_COLUMNS,
    CSV_LINE_COLUMNS,
    csv_cell,
    render_csv,
    render_csv_lines,
    render_html_index,
    render_html_slip,
    render_text,
    slip_filename,
    slip_filenames,
)
from cmrules.outputs.render._common import display_width, format_amount, wrap


@pytest.fixture
def slip() -> dict[str, Any]:
    """B001 of real_slips: earnings 3,360.00, fines 900.00, net 2,460.00, one compliance notice."""
    return bar_slip()


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("3000.00", "3,000.00"),
        ("-150.00", "-150.00"),
        ("1234567.891", "1,234,567.891"),
        ("0.00", "0.00"),
        ("12", "12"),
        ("n/a", "n/a"),
    ],
)
def test_format_amount_keeps_places_and_adds_separators(raw: str, shown: str) -> None:
    assert format_amount(raw) == shown


def test_display_width_counts_cjk_double_and_combining_zero() -> None:
    assert display_width("底薪") == 4
    assert display_width("Base pay") == 8
    assert display_width("（次月）") == 8  # fullwidth parentheses
    assert display_width("e\u0301") == 1  # e + combining acute


def test_wrap_respects_display_width() -> None:
    text = "不能签送酒水：签送金额按两倍罚款，只针对自己定台的客人。" * 2
    parts = wrap(text, 20)
    assert len(parts) > 1
    assert all(display_width(p) <= 20 for p in parts)
    assert "".join(parts) == text


# ---------------------------------------------------------------- text


def test_text_contains_header_labels_explanations_notices_and_net(slip: dict) -> None:
    text = render_text(slip)
    for needle in (
        "B001",
        "2024-05",
        "bar_customer_manager 2024-01",
        "底薪 Base pay",
        "业绩提成 Commission above target",
        "迟到罚款 Late arrival fine [0]",
        "迟到罚款 Late arrival fine [1]",
        "收入 Earnings",
        "罚款 Fines",
        "3% × (52,000.00 − 40,000.00) = 360.00",
        "[合规 Compliance] 本月罚款、扣发及扣款合计",
        "Fines, forfeitures and deductions of 900.00",
        "3,360.00",
        "-900.00",
        "CNY 2,460.00",
    ):
        assert needle in text, needle
    assert text.endswith("\n")
    assert render_text(slip) == text  # deterministic


def test_text_amounts_are_right_aligned_in_display_columns(slip: dict) -> None:
    text = render_text(slip, width=72)
    amount_rows = [
        line
        for line in text.splitlines()
        if line[-1:].isdigit() and line.startswith("  ") and not line.startswith("      ")
    ]
    assert len(amount_rows) >= 9  # 5 lines, 2 subtotals, 4 totals
    assert {display_width(line) for line in amount_rows} == {72}
    assert all(display_width(line) <= 72 for line in text.splitlines() if "×" not in line)


def test_text_groups_lines_by_category_in_order(slip: dict) -> None:
    slip["lines"].insert(
        0,
        {
            "rule_id": "deposit_refund",
            "label": {"zh": "押金退还", "en": "Deposit refund"},
            "category": "adjustment",
            "amount": "500.00",
            "explanation": "deposit 500.00",
            "item": None,
        },
    )
    text = render_text(slip)
    assert text.index("收入 Earnings") < text.index("罚款 Fines") < text.index("调整 Adjustments")


def test_text_long_label_does_not_overflow(slip: dict) -> None:
    slip["lines"][0]["label"] = {"zh": "很长的" * 15, "en": "A very long label " * 3}
    text = render_text(slip, width=60)
    row = next(i for i, line in enumerate(text.splitlines()) if "很长的" in line)
    lines = text.splitlines()
    assert display_width(lines[row]) <= 60
    assert lines[row + 1].endswith("3,000.00")


def test_text_control_characters_cannot_break_layout(slip: dict) -> None:
    slip["lines"][0]["label"]["en"] = "Base\npay"
    text = render_text(slip)
    assert "Base pay" in text


# ---------------------------------------------------------------- CSV


def test_csv_lines_one_row_per_line_and_round_trips(slip: dict) -> None:
    out = render_csv_lines([slip])
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(CSV_LINE_COLUMNS)
    body = rows[1:]
    assert len(body) == len(slip["lines"])
    records = [dict(zip(CSV_LINE_COLUMNS, row, strict=True)) for row in body]
    for record, line in zip(records, slip["lines"], strict=True):
        assert record["employee"] == "B001"
        assert record["period"] == "2024-05"
        assert record["ruleset_id"] == "bar_customer_manager"
        assert record["ruleset_version"] == "2024-01"
        assert record["rule_id"] == line["rule_id"]
        assert record["category"] == line["category"]
        assert record["label_zh"] == line["label"]["zh"]
        assert record["label_en"] == line["label"]["en"]
        assert record["amount"] == line["amount"]
        assert record["explanation"] == line["explanation"]
        expected_index = "" if line["item"] is None else str(line["item"]["index"])
        assert record["item_index"] == expected_index
    assert "\r" not in out


def test_csv_lines_quote_awkward_text_and_concatenate_slips(slip: dict) -> None:
    other = copy.deepcopy(slip)
    other["employee"] = "B002"
    other["lines"][0]["label"] = {"zh": '底薪,"含"\n换行', "en": "Base, pay"}
    rows = list(csv.reader(io.StringIO(render_csv_lines([slip, other]))))
    assert len(rows) == 1 + 2 * len(slip["lines"])
    b002 = [r for r in rows[1:] if r[0] == "B002"]
    assert b002[0][6] == '底薪,"含"\n换行'
    assert b002[0][7] == "Base, pay"


def test_csv_of_nothing_is_the_header() -> None:
    assert render_csv([]) == ",".join(CSV_COLUMNS) + "\n"
    assert render_csv_lines([]) == ",".join(CSV_LINE_COLUMNS) + "\n"


def test_csv_one_row_per_slip(slip: dict) -> None:
    """``--format csv``: who, a signed total per category, the totals, notice codes, facts."""
    other = copy.deepcopy(slip)
    other["employee"] = "B002"
    other["facts"] = {"performance": "1.00", "note": "x"}
    rows = list(csv.DictReader(io.StringIO(render_csv([slip, other]))))
    assert len(rows) == 2
    b001 = rows[0]
    assert tuple(b001)[: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert [k for k in b001 if k.startswith("fact.")] == [
        *(f"fact.{name}" for name in slip["facts"]),
        "fact.note",
    ]
    assert (b001["employee"], b001["period"], b001["currency"]) == ("B001", "2024-05", "CNY")
    for category in ("earning", "deduction", "fine", "forfeiture", "adjustment"):
        lines = [Decimal(x["amount"]) for x in slip["lines"] if x["category"] == category]
        assert b001[f"total.{category}"] == str(sum(lines, Decimal("0.00")))
    assert b001["total.fine"] == "-900.00" and b001["total.adjustment"] == "0.00"
    totals = slip["totals"]
    assert [b001[k] for k in ("earnings", "deductions", "net", "carry_forward")] == [
        totals["earnings"], totals["deductions"], totals["net"], totals["carry_forward"]
    ]  # fmt: skip
    assert b001["deductions"] == "-900.00"  # negative, like the lines
    assert b001["notices"] == " ".join(n["code"] for n in slip["notices"])
    assert b001["fact.note"] == "" and rows[1]["fact.note"] == "x"
    assert rows[1]["fact.performance"] == "1.00"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-50.00", "-50.00"),
        ("-3", "-3"),
        ("50.00", "50.00"),
        ("王=小明", "王=小明"),
        (True, "true"),
        (None, ""),
        (["a", 1], '["a",1]'),
    ],
)
def test_csv_cells_cannot_be_formulas(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_csv_neutralises_formulas_in_every_text_cell(slip: dict) -> None:
    slip["employee"] = "=cmd|' /C calc'!A0"
    slip["facts"] = {"grade": "@A1", "loss": "-12.50"}
    slip["lines"][0]["label"] = {"zh": "+底薪", "en": "-pay"}
    row = next(csv.DictReader(io.StringIO(render_csv([slip]))))
    assert row["employee"] == "'=cmd|' /C calc'!A0"
    assert (row["fact.grade"], row["fact.loss"]) == ("'@A1", "-12.50")
    lines = list(csv.DictReader(io.StringIO(render_csv_lines([slip]))))
    assert (lines[0]["employee"], lines[0]["label_zh"], lines[0]["label_en"]) == (
        "'=cmd|' /C calc'!A0", "'+底薪", "'-pay"
    )  # fmt: skip
    assert lines[-1]["amount"].startswith("-") and not lines[-1]["amount"].startswith("'")


# ---------------------------------------------------------------- HTML


def test_html_slip_is_a_self_contained_page(slip: dict) -> None:
    page = render_html_slip(slip)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert '<meta charset="utf-8">' in page
    assert "@media print" in page and "size: A4" in page
    for needle in ("底薪", "Base pay", "3,000.00", "3,360.00", "-900.00", "2,460.00"):
        assert needle in page, needle
    assert bar_sha256() in page
    assert "2024-01" in page
    assert "超过《工资支付暂行规定》第十六条规定的当月工资20%上限 672.00" in page
    assert "3% × (52,000.00 − 40,000.00) = 360.00" in page
    # Nothing loaded from outside, nothing executed.
    for forbidden in ("<script", "<link", " src=", "@import", "url("):
        assert forbidden not in page, forbidden
    assert render_html_slip(slip) == page


def test_html_escapes_everything(slip: dict) -> None:
    slip["lines"][0]["label"] = {"zh": "<script>alert(1)</script>", "en": 'x" onmouseover="y'}
    slip["lines"][1]["explanation"] = "a < b & c"
    slip["employee"] = "<b>B001</b>"
    slip["notices"][0]["text"]["en"] = "<img src=x>"
    slip["facts"]["note"] = "</td><script>"
    page = render_html_slip(slip)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x&quot; onmouseover=&quot;y" in page
    assert "a &lt; b &amp; c" in page
    assert "&lt;b&gt;B001&lt;/b&gt;" in page
    assert "<img" not in page


def test_html_negative_amounts_are_marked(slip: dict) -> None:
    page = render_html_slip(slip)
    assert '<td class="amt neg">-800.00</td>' in page
    assert '<td class="amt">3,000.00</td>' in page


def test_html_index_lists_slips_totals_and_failures(slip: dict) -> None:
    other = copy.deepcopy(slip)
    other["employee"] = "B002"
    other["totals"] = {
        "earnings": "3000.00",
        "deductions": "-3500.00",
        "net": "0.00",
        "carry_forward": "500.00",
    }
    failures = [
        {
            "employee": "B007",
            "field": "bookings[3].amount",
            "value": "-5",
            "message": "must be >= 0 <script>",
            "code": "input.constraint",
        }
    ]
    page = render_html_index([slip, other], failures)
    assert '<html lang="zh-CN">' in page
    assert 'href="B001.html"' in page and 'href="B002.html"' in page
    assert "6,360.00" in page  # earnings total
    assert (
        '<td class="amt neg" data-label="扣款 Deductions">-4,400.00</td>' in page
    )  # deductions total, signed like the lines
    assert '<td class="amt" data-label="实发 Net">2,460.00</td>' in page  # net total
    assert '<td class="amt" data-label="结转 Carried">500.00</td>' in page  # carried forward total
    assert "bookings[3].amount" in page and "input.constraint" in page
    assert "&lt;script&gt;" in page and "<script" not in page


def test_html_index_without_failures(slip: dict) -> None:
    page = render_html_index([slip], [])
    assert "失败 Failures (0)" in page


def test_slip_filename_is_safe_and_unique() -> None:
    assert slip_filename("B001") == "B001.html"
    assert slip_filename("客户经理01") == "客户经理01.html"
    evil = slip_filename("../../etc/passwd")
    assert "/" not in evil and not evil.startswith(".")
    assert slip_filename("a/b") != slip_filename("a_b")
    assert slip_filename("index") != "index.html"
    assert slip_filename("").endswith(".html")


def test_slip_filenames_disambiguate_repeats_and_case() -> None:
    slips = [
        {"employee": "B001", "period": "2024-05"},
        {"employee": "B001", "period": "2024-06"},
        {"employee": "b001", "period": "2024-05"},
        {"employee": "B001", "period": "2024-05"},
    ]
    names = slip_filenames(slips)
    assert names[0] == "B001.html"
    assert names[1] == "B001_2024-06.html"
    assert len({n.casefold() for n in names}) == 4


# ---------------------------------------------------------------- totals, facts and failures as shown


def _cells(page: str) -> list[str]:
    return re.findall(r'<td class="amt[^"]*">([^<]*)</td>', page)


def test_totals_are_signed_like_the_lines_they_add_up(slip: dict) -> None:
    page = render_html_slip(slip)
    totals = page.split('<table class="totals">')[1].split("</table>")[0]
    # earnings 3,360.00, deductions −900.00 (as the fines subtotal), carried 0.00
    assert _cells(totals) == ["3,360.00", "-900.00", "0.00"]
    assert '<tr class="subtotal"><td>小计 Subtotal · 罚款</td><td class="amt neg">-900.00</td>' in page
    shown = [Decimal(c.replace(",", "")) for c in _cells(totals)]
    assert sum(shown) == Decimal(slip["totals"]["net"])  # the totals add up to the net as shown
    text = render_text(slip)
    assert re.search(r"扣款合计 Total deductions +-900\.00\n", text)
    assert re.search(r"小计 Subtotal +-900\.00\n", text)
    nothing_deducted = {**slip, "totals": {**slip["totals"], "deductions": "0.00"}}
    assert "-0.00" not in render_html_slip(nothing_deducted)  # zero has no sign
    assert slip["totals"]["deductions"] == "-900.00"  # the data is signed like the lines too


def test_facts_show_numbers_as_amounts(slip: dict) -> None:
    slip["facts"]["big_count"] = 12000
    slip["facts"]["ratio"] = "1.0227272727"
    slip["facts"]["ids"] = ["B001", "0012"]
    page = render_html_slip(slip)
    facts = page.split('<table class="facts">')[1].split("</table>")[0]
    rows = dict(re.findall(r'<td class="mono">([^<]*)</td><td class="mono num">([^<]*)</td>', facts))
    assert rows == {
        "performance": "52,000.00",
        "absence_days": "0",
        "commission_forfeited": "false",
        "commission_pay_date": "2024-06-15",
        "big_count": "12,000",
        "ratio": "1.0227272727",
        "ids": "[&quot;B001&quot;, &quot;0012&quot;]",
    }


def test_index_failures_show_values_as_json(slip: dict) -> None:
    values = [True, "2", 2, None, FloatLiteral("500.5"), ["a"]]
    failures = [
        {"employee": f"B1{n}", "field": "f", "value": v, "message": "m", "code": "input.type"}
        for n, v in enumerate(values)
    ]
    page = render_html_index([slip], failures)
    table = page.split('<table class="failures">')[1]
    shown = re.findall(r'<td>B1\d</td><td class="mono">f</td><td class="mono">([^<]*)</td>', table)
    # "2" (text) and 2 (a number) differ; a float is shown as it was written
    assert shown == ["true", "&quot;2&quot;", "2", "null", "500.5", "[&quot;a&quot;]"]


def test_pages_keep_a_side_margin_on_narrow_screens(slip: dict) -> None:
    for page in (render_html_slip(slip), render_html_index([slip], [])):
        sheet = re.search(r"\.sheet \{([^}]*)\}", page)
        assert sheet is not None and "width: calc(100% - 32px)" in sheet.group(1)
