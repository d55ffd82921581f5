"""Renderers: pure functions from JSON-ready slip dicts to text, CSV and HTML strings."""

from cmrules.outputs.render._csv import CSV_COLUMNS, CSV_LINE_COLUMNS, csv_cell, render_csv, render_csv_lines
from cmrules.outputs.render._html import (
    GENERATOR_META,
    render_html_index,
    render_html_slip,
    slip_filename,
    slip_filenames,
)
from cmrules.outputs.render._text import render_text

__all__ = [
    "CSV_COLUMNS",
    "CSV_LINE_COLUMNS",
    "GENERATOR_META",
    "csv_cell",
    "render_csv",
    "render_csv_lines",
    "render_html_index",
    "render_html_slip",
    "render_text",
    "slip_filename",
    "slip_filenames",
]
