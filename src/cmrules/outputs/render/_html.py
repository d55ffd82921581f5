"""Self-contained, printable HTML pay slips and a batch index page.

Every value from the slip goes through :func:`html.escape`; the pages load nothing
(no scripts, fonts or images), so they can be mailed, archived or printed as is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote

from cmrules.outputs.render._common import (
    TOTAL_ROWS,
    category_label,
    failure_value,
    format_amount,
    format_value,
    group_lines,
    is_negative,
    item_index,
    label_pair,
    notice_kind_label,
    sum_amounts,
)
from cmrules.outputs.render._detail import at_detail, detail_for, trace_rows

_CSS = """
@page { size: A4; margin: 12mm; }
:root {
  --ink: #1d2733; --muted: #5f6b7a; --rule: #d5dbe2; --soft: #f3f5f8;
  --accent: #1f4e79; --neg: #9b1c1c; --warn: #8a5a00;
}
* { box-sizing: border-box; }
html { background: #e9edf1; }
body {
  margin: 0; color: var(--ink); font-size: 13px; line-height: 1.45;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
    "Microsoft YaHei", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
}
.sheet {
  width: calc(100% - 32px); max-width: 190mm; margin: 16px auto; background: #fff;
  padding: 12mm 13mm 9mm; box-shadow: 0 1px 6px rgba(20, 30, 45, .18);
}
.sheet.wide { max-width: 277mm; }
.num, .amt { font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono, .expl, .hash {
  font-family: "DejaVu Sans Mono", "Noto Sans Mono", Consolas, Menlo, monospace;
}
.en { color: var(--muted); font-weight: 400; }
.neg { color: var(--neg); }
header.top {
  display: flex; justify-content: space-between; align-items: flex-end;
  border-bottom: 3px solid var(--accent); padding-bottom: 8px; margin-bottom: 12px;
}
h1 { margin: 0; font-size: 24px; letter-spacing: .08em; color: var(--accent); }
h1 .en { font-size: 14px; letter-spacing: .02em; margin-left: 10px; }
.period { text-align: right; font-size: 12px; color: var(--muted); }
.period b { display: block; font-size: 20px; color: var(--ink); }
dl.meta {
  display: grid; grid-template-columns: repeat(3, 1fr); gap: 0; margin: 0 0 16px;
  border: 1px solid var(--rule); border-radius: 4px;
}
dl.meta div { padding: 6px 10px; border-right: 1px solid var(--rule); }
dl.meta div:last-child { border-right: 0; }
dl.meta dt { font-size: 11px; color: var(--muted); }
dl.meta dd { margin: 0; font-size: 15px; font-weight: 600; overflow-wrap: anywhere; }
h2 {
  font-size: 13px; margin: 18px 0 6px; padding-bottom: 3px;
  border-bottom: 1px solid var(--rule); text-transform: none;
}
table { width: 100%; border-collapse: collapse; }
th {
  text-align: left; font-size: 11px; font-weight: 600; color: var(--muted);
  border-bottom: 1.5px solid var(--ink); padding: 4px 6px;
}
td { padding: 5px 6px; vertical-align: top; border-bottom: 1px solid var(--rule); }
th.amt, td.amt { text-align: right; width: 9em; }
td.amt { font-size: 14px; }
table.lines tbody.cat th {
  background: var(--soft); color: var(--ink); font-size: 12.5px;
  border-bottom: 1px solid var(--rule); padding-top: 6px;
}
.label { font-weight: 600; }
.label .en { font-size: 12px; }
.tag {
  display: inline-block; font-size: 10.5px; color: var(--muted); border: 1px solid var(--rule);
  border-radius: 3px; padding: 0 4px; margin-left: 6px; font-weight: 400;
}
.rule { font-size: 10.5px; color: var(--muted); }
.expl { font-size: 11px; color: var(--muted); margin-top: 2px; overflow-wrap: anywhere; }
tr.subtotal td { border-bottom: 0; border-top: 1px solid var(--ink); font-weight: 600; }
tr.subtotal td:first-child { text-align: right; color: var(--muted); font-weight: 500; }
tr.gap td { border: 0; padding: 4px; }
.summary { display: flex; gap: 16px; align-items: stretch; margin-top: 18px; }
.summary > * { flex: 1 1 0; }
ul.notices { list-style: none; margin: 0; padding: 0; }
ul.notices li {
  border-left: 3px solid var(--accent); background: var(--soft); padding: 6px 10px;
  margin-bottom: 6px; border-radius: 0 3px 3px 0;
}
ul.notices li.k-warning, ul.notices li.k-ultimatum, ul.notices li.k-compliance,
ul.notices li.k-carry_forward { border-left-color: var(--warn); }
.kind { font-size: 11px; font-weight: 600; color: var(--muted); margin-right: 6px; }
ul.notices .en { display: block; font-size: 12px; }
table.totals td { font-size: 13px; }
table.totals td.amt { font-size: 14px; }
.net {
  margin-top: 10px; background: var(--accent); color: #fff; border-radius: 4px;
  padding: 10px 14px; display: flex; justify-content: space-between; align-items: baseline;
}
.net .en { color: #cfdcea; font-size: 12px; }
.net .lbl { font-size: 15px; font-weight: 600; }
.net .amt { font-size: 26px; font-weight: 700; letter-spacing: .01em; }
.net .cur { font-size: 13px; font-weight: 400; margin-right: 6px; color: #cfdcea; }
table.facts td { font-size: 11.5px; padding: 3px 6px; }
table.facts td:first-child { color: var(--muted); width: 40%; }
footer {
  margin-top: 18px; padding-top: 6px; border-top: 1px solid var(--rule);
  font-size: 10px; color: var(--muted); display: flex; justify-content: space-between; gap: 12px;
}
footer .hash { overflow-wrap: anywhere; }
table.index td.amt, table.index th.amt { width: auto; }
table.failures td { overflow-wrap: anywhere; }
table.index th:last-child, table.index td:last-child,
table.failures th:last-child, table.failures td:last-child { padding-right: 10px; }
table.index tr.total td { border-top: 1.5px solid var(--ink); border-bottom: 0; font-weight: 700; }
.none { color: var(--muted); font-style: italic; }
a { color: var(--accent); }
nav.back { margin: 0 0 8px; font-size: 12px; }
table.facts .fact-id { display: block; font-size: 10px; color: var(--muted); }
.scroll { overflow-x: auto; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  .sheet { width: 100%; margin: 0; padding: 12px 10px; box-shadow: none; }
  header.top { flex-wrap: wrap; gap: 6px; }
  h1 { font-size: 20px; }
  dl.meta { grid-template-columns: 1fr; }
  dl.meta div { border-right: 0; border-bottom: 1px solid var(--rule); }
  .summary { flex-direction: column; }
  table.index thead { display: none; }
  table.index, table.index tbody, table.index tr, table.index td { display: block; width: 100%; }
  table.index tr { border: 1px solid var(--rule); border-radius: 4px; margin-bottom: 8px; padding: 4px 0; }
  table.index td { display: flex; justify-content: space-between; gap: 12px; border: 0; padding: 3px 10px; }
  table.index td[data-label]::before { content: attr(data-label); color: var(--muted); font-size: 12px; }
  table.index td.amt, table.index th.amt { width: 100%; text-align: right; }
  table.index tr.total td { border-top: 0; }
}
@media print {
  nav.back { display: none; }
  html, body { background: #fff; }
  .sheet { width: auto; margin: 0; padding: 0; max-width: none; box-shadow: none; }
  .net { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tbody.cat, tr, ul.notices li, .summary { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

_UNSAFE_FILENAME = re.compile(r"[^\w.-]+")
_RESERVED = {"index", "con", "prn", "aux", "nul"} | {
    f"{dev}{n}" for dev in ("com", "lpt") for n in range(1, 10)
}


#: In the head of every page: marks a folder of pages as written by cmrules.
GENERATOR_META = '<meta name="generator" content="cmrules">'


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str, *, wide: bool = False) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{GENERATOR_META}\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<main class="sheet{" wide" if wide else ""}">\n{body}</main>\n</body>\n</html>\n'
    )


_INDEX_LABELS = ("收入 Earnings", "扣款 Deductions", "结转 Carried", "实发 Net")


def _amount_td(value: Any, extra: str = "", label: str = "") -> str:
    classes = " ".join(c for c in ("amt", "neg" if is_negative(value) else "", extra) if c)
    data = f' data-label="{_e(label)}"' if label else ""
    return f'<td class="{classes}"{data}>{_e(format_amount(value))}</td>'


def _bilingual(zh: str, en: str, cls: str = "label") -> str:
    en_part = f' <span class="en" lang="en">{_e(en)}</span>' if en else ""
    return f'<span class="{cls}">{_e(zh)}{en_part}</span>'


def render_html_slip(
    slip: Mapping[str, Any],
    detail: str | None = None,
    *,
    fact_labels: Mapping[str, tuple[str, str]] | None = None,
    index: str | None = None,
) -> str:
    """One printable A4 HTML page for one slip dict (inline CSS, no external resources).

    ``detail``: ``"summary"`` shows no lines table, ``"lines"`` (the default) the lines with
    their explanations, ``"trace"`` also a table of the slip's trace. ``fact_labels``: the
    (zh, en) label of each fact, shown instead of its identifier; ``index``: the address of the
    batch's index page, linked at the top (not printed)."""
    shown = detail_for("html", detail)
    slip = at_detail(slip, shown)
    ruleset = slip.get("ruleset") or {}
    currency = slip.get("currency", "")
    employee, period = slip.get("employee", ""), slip.get("period", "")
    parts: list[str] = [
        f'<nav class="back"><a href="{_e(quote(index))}">← 工资汇总 Payroll summary</a></nav>\n'
        if index
        else "",
        '<header class="top"><h1>工资单 <span class="en" lang="en">Pay slip</span></h1>'
        f'<div class="period">期间 Period<b class="num">{_e(period)}</b></div></header>\n',
        '<dl class="meta">'
        f"<div><dt>员工 Employee</dt><dd>{_e(employee)}</dd></div>"
        f"<div><dt>规则集 Ruleset</dt><dd>{_e(ruleset.get('id', ''))}</dd></div>"
        f"<div><dt>版本 · 币种 Version · Currency</dt><dd>{_e(ruleset.get('version', ''))}"
        f" · {_e(currency)}</dd></div></dl>\n",
    ]
    if shown != "summary":
        parts.append(_lines_table(slip, currency))
    parts += _summary(slip, currency, fact_labels or {})
    if shown == "trace":
        parts.append('<h2>追溯 Trace</h2>\n<table class="facts">\n')
        for rule, made, values in trace_rows(slip):
            parts.append(
                f'<tr><td class="mono">{_e(rule)}</td><td class="mono">{_e(made)}</td>'
                f'<td class="mono">{_e(values)}</td></tr>\n'
            )
        parts.append("</table>\n")
    parts.append(
        f"<footer><span>规则集 Ruleset <b>{_e(ruleset.get('id', ''))}</b> · "
        f"版本 version <b>{_e(ruleset.get('version', ''))}</b><br>"
        f'SHA-256 <span class="hash">{_e(ruleset.get("sha256", ""))}</span></span>'
        "<span>cmrules</span></footer>\n"
    )
    return _page(f"工资单 Pay slip · {employee} · {period}", "".join(parts))


def _lines_table(slip: Mapping[str, Any], currency: Any) -> str:
    """The table of the slip's lines by category, with subtotals."""
    parts = [
        '<table class="lines"><thead><tr><th>项目 Item</th>'
        f'<th class="amt">金额 Amount ({_e(currency)})</th></tr></thead>\n',
    ]
    groups = group_lines(slip.get("lines") or [])
    for category, members in groups:
        zh, en = category_label(category)
        parts.append(
            f'<tbody class="cat c-{_e(category)}"><tr><th colspan="2">'
            f"{_bilingual(zh, en, 'catname')}</th></tr>\n"
        )
        for _, line in members:
            label = _bilingual(*label_pair(line.get("label"), str(line.get("rule_id", ""))))
            index = item_index(line)
            tag = f'<span class="tag">#{index}</span>' if index is not None else ""
            rule = f'<span class="tag mono rule">{_e(line.get("rule_id", ""))}</span>'
            explanation = line.get("explanation")
            expl = f'<div class="expl">{_e(explanation)}</div>' if explanation else ""
            parts.append(f"<tr><td>{label}{tag}{rule}{expl}</td>{_amount_td(line.get('amount'))}</tr>\n")
        subtotal = sum_amounts(line.get("amount") for _, line in members)
        parts.append(
            f'<tr class="subtotal"><td>小计 Subtotal · {_e(zh)}</td>{_amount_td(subtotal)}</tr>'
            '<tr class="gap"><td colspan="2"></td></tr></tbody>\n'
        )
    if not groups:
        parts.append('<tbody><tr><td colspan="2" class="none">无明细 No lines</td></tr></tbody>\n')
    parts.append("</table>\n")
    return "".join(parts)


def _summary(slip: Mapping[str, Any], currency: Any, labels: Mapping[str, tuple[str, str]]) -> list[str]:
    """The notices, the totals and the facts of the slip."""
    parts: list[str] = []
    notices = slip.get("notices") or []
    totals = slip.get("totals") or {}
    parts.append('<div class="summary">\n<section class="notices-box">\n')
    parts.append("<h2>提示 Notices</h2>\n")
    if notices:
        parts.append('<ul class="notices">\n')
        for notice in notices:
            kind = str(notice.get("kind", ""))
            kind_zh, kind_en = notice_kind_label(kind)
            zh, en = label_pair(notice.get("text"), str(notice.get("code", "")))
            en_part = f'<span class="en" lang="en">{_e(en)}</span>' if en else ""
            parts.append(
                f'<li class="k-{_e(kind)}"><span class="kind">{_e(kind_zh)} {_e(kind_en)}</span>'
                f"{_e(zh)}{en_part}</li>\n"
            )
        parts.append("</ul>\n")
    else:
        parts.append('<p class="none">无 None</p>\n')
    parts.append('</section>\n<section class="totals-box">\n<h2>合计 Totals</h2>\n')
    parts.append('<table class="totals">\n')
    for key, zh, en in TOTAL_ROWS:
        if key != "net" and key in totals:
            amount = _amount_td(totals[key])
            parts.append(f"<tr><td>{_bilingual(zh, en, 'tl')}</td>{amount}</tr>\n")
    parts.append("</table>\n")
    if "net" in totals:
        parts.append(
            '<div class="net"><span class="lbl">实发工资 <span class="en" lang="en">Net pay</span>'
            f'</span><span class="amt"><span class="cur">{_e(currency)}</span>'
            f'<span id="net">{_e(format_amount(totals["net"]))}</span></span></div>\n'
        )
    parts.append("</section>\n</div>\n")

    facts = slip.get("facts") or {}
    if facts:
        parts.append('<h2>计算依据 Facts</h2>\n<table class="facts">\n')
        for name, value in facts.items():
            label = labels.get(name)
            shown = (
                f'<td>{_bilingual(*label, "fl")}<span class="mono fact-id">{_e(name)}</span></td>'
                if label and any(label)
                else f'<td class="mono">{_e(name)}</td>'
            )
            cells = f'{shown}<td class="mono num">{_e(format_value(value))}</td>'
            parts.append(f"<tr>{cells}</tr>\n")
        parts.append("</table>\n")
    return parts


def slip_filename(employee: Any) -> str:
    """A portable file name (``.html``) for an employee id.

    Characters other than letters, digits, ``.``, ``-`` and ``_`` become ``_``; a name that
    had to change, or that is reserved (``index``, Windows device names), gets a short hash
    of the original so two ids never share a file.
    """
    original = "" if employee is None else str(employee)
    stem = _UNSAFE_FILENAME.sub("_", original).strip(".")[:80] or "_"
    if stem != original or stem.casefold() in _RESERVED:
        digest = hashlib.sha256(original.encode("utf-8")).hexdigest()[:8]
        stem = f"{stem}-{digest}"
    return f"{stem}.html"


def slip_filenames(slips: Sequence[Mapping[str, Any]]) -> list[str]:
    """File names for a batch, unique even on case-insensitive file systems.

    Normally ``<employee>.html``; when an employee appears more than once (several
    periods) or two ids differ only in case, later ones get the period and then a counter.
    """
    names: list[str] = []
    taken: set[str] = set()
    for slip in slips:
        name = slip_filename(slip.get("employee"))
        if name.casefold() in taken:
            stem = name[: -len(".html")]
            period = _UNSAFE_FILENAME.sub("_", str(slip.get("period", ""))) or "_"
            name = f"{stem}_{period}.html"
            counter = 2
            while name.casefold() in taken:
                name = f"{stem}_{period}_{counter}.html"
                counter += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def render_html_index(slips: Sequence[Mapping[str, Any]], failures: Sequence[Mapping[str, Any]]) -> str:
    """Batch summary page: one row per slip (linking ``<employee>.html``), totals, failures."""
    keys = ("earnings", "deductions", "carry_forward", "net")
    parts: list[str] = [
        '<header class="top"><h1>工资汇总 <span class="en" lang="en">Payroll summary</span></h1>'
        f'<div class="period">工资单 Slips <b class="num">{len(slips)}</b></div></header>\n',
        '<h2>工资单 Pay slips</h2>\n<table class="index"><thead><tr>'
        "<th>员工 Employee</th><th>期间 Period</th><th>币种 Currency</th>"
        '<th class="amt">收入 Earnings</th><th class="amt">扣款 Deductions</th>'
        '<th class="amt">结转 Carried</th><th class="amt">实发 Net</th>'
        "<th>工资单 Slip</th></tr></thead>\n<tbody>\n",
    ]
    # Totals per currency, in order of first appearance: never add CNY to USD.
    sums: dict[str, dict[str, Decimal]] = {}
    for slip, filename in zip(slips, slip_filenames(slips), strict=True):
        totals = slip.get("totals") or {}
        currency = str(slip.get("currency", ""))
        bucket = sums.setdefault(currency, dict.fromkeys(keys, Decimal(0)))
        for key in keys:
            if key in totals:
                bucket[key] += sum_amounts([totals[key]])
        cells = "".join(
            _amount_td(totals.get(key), label=label) for key, label in zip(keys, _INDEX_LABELS, strict=True)
        )
        parts.append(
            f'<tr><td data-label="员工 Employee">{_e(slip.get("employee", ""))}</td>'
            f'<td class="num" data-label="期间 Period">'
            f'{_e(slip.get("period", ""))}</td><td data-label="币种 Currency">{_e(currency)}</td>{cells}'
            f'<td data-label="工资单 Slip"><a href="{_e(quote(filename))}">{_e(filename)}</a></td></tr>\n'
        )
    if not slips:
        parts.append('<tr><td colspan="8" class="none">无 None</td></tr>\n')
    for currency, bucket in sums.items():
        cells = "".join(
            _amount_td(bucket[key], label=label) for key, label in zip(keys, _INDEX_LABELS, strict=True)
        )
        parts.append(
            f'<tr class="total"><td colspan="2">合计 Total</td><td>{_e(currency)}</td>{cells}<td></td></tr>\n'
        )
    parts.append("</tbody></table>\n")

    parts.append(f"<h2>失败 Failures ({len(failures)})</h2>\n")
    if failures:
        parts.append(
            '<div class="scroll"><table class="failures"><thead><tr><th>员工 Employee</th><th>字段 Field</th>'
            "<th>值 Value</th><th>原因 Message</th><th>代码 Code</th></tr></thead>\n<tbody>\n"
        )
        for failure in failures:
            cells = (
                f"<td>{_e(failure.get('employee', ''))}</td>"
                f'<td class="mono">{_e(failure.get("field", ""))}</td>'
                f'<td class="mono">{_e(failure_value(failure.get("value")))}</td>'
                f"<td>{_e(failure.get('message', ''))}</td>"
                f'<td class="mono">{_e(failure.get("code", ""))}</td>'
            )
            parts.append(f"<tr>{cells}</tr>\n")
        parts.append("</tbody></table></div>\n")
    else:
        parts.append('<p class="none">无 None</p>\n')
    return _page("工资汇总 Payroll summary", "".join(parts), wide=True)
