"""Renderers: pure functions from JSON-ready slip dicts to JSON, JSONL, text, CSV and HTML strings,
each at a detail level (``summary``, ``lines``, ``trace``; see :mod:`._detail`)."""

from cmrules.outputs.render._csv import (
    CSV_COLUMNS,
    CSV_LINE_COLUMNS,
    CSV_SUMMARY_COLUMNS,
    csv_cell,
    render_csv,
    render_csv_lines,
)
from cmrules.outputs.render._detail import DEFAULT_DETAIL, FORMAT_DETAILS, at_detail, detail_for
from cmrules.outputs.render._html import (
    GENERATOR_META,
    render_html_index,
    render_html_slip,
    slip_filename,
    slip_filenames,
)
from cmrules.outputs.render._json import render_json, render_jsonl
from cmrules.outputs.render._text import render_text

__all__ = [
    "CSV_COLUMNS",
    "CSV_LINE_COLUMNS",
    "CSV_SUMMARY_COLUMNS",
    "DEFAULT_DETAIL",
    "FORMAT_DETAILS",
    "GENERATOR_META",
    "at_detail",
    "csv_cell",
    "detail_for",
    "render_csv",
    "render_csv_lines",
    "render_html_index",
    "render_html_slip",
    "render_json",
    "render_jsonl",
    "render_text",
    "slip_filename",
    "slip_filenames",
]
