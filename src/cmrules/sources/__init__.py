"""Readers of employee-period records: JSON, JSONL, YAML, CSV and Parquet files.

>>> from cmrules.sources import read_inputs
>>> records = read_inputs("examples/bar_month.csv")

Readers never turn a number into a ``float``: money must stay exact, so a number
written with a fraction is kept as :class:`FloatLiteral` (its text) and the input
validator reports it as "float where money expected" while still quoting it.
Nothing here imports a writer or a renderer.
"""

from cmrules.errors import InputFileError
from cmrules.inputs._validator import FloatLiteral
from cmrules.sources._files import INPUT_FORMATS, read_inputs

__all__ = ["INPUT_FORMATS", "FloatLiteral", "InputFileError", "read_inputs"]
