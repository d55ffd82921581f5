"""Readers of employee-period records: JSON, JSONL, YAML, CSV and Parquet files.

>>> from cmrules.sources import open_records, read_inputs
>>> records = read_inputs("examples/bar_month.csv")  # all or nothing
>>> source = open_records("examples/bar_month.csv")  # columns now, records lazily
>>> failed = [record for record in source if record.error is not None]

Readers never turn a number into a ``float``: money must stay exact, so a number
written with a fraction is kept as :class:`FloatLiteral` (its text) and the input
validator reports it as "float where money expected" while still quoting it.
:func:`open_records` yields a :class:`Record` per record, read or not, so one record
that cannot be read never costs the others. Nothing here imports a writer or a renderer.
"""

from cmrules.errors import InputFileError
from cmrules.inputs._text import FloatLiteral
from cmrules.sources._files import ENCODINGS, INPUT_FORMATS, iter_strict, open_records, read_inputs
from cmrules.sources._record import Record, RecordSource

__all__ = [
    "ENCODINGS",
    "INPUT_FORMATS",
    "FloatLiteral",
    "InputFileError",
    "Record",
    "RecordSource",
    "iter_strict",
    "open_records",
    "read_inputs",
]
