"""Writers of pay slips: JSON, JSONL, CSV, text and HTML (``render/``), each file replaced atomically.

>>> from cmrules.outputs import write_slips
>>> write_slips(slips, failures, "slips.csv", "csv")
"""

from cmrules.outputs._atomic import atomic_write, atomic_writer
from cmrules.outputs._write import OUTPUT_FORMATS, errors_path, write_slips

__all__ = ["OUTPUT_FORMATS", "atomic_write", "atomic_writer", "errors_path", "write_slips"]
