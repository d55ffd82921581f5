"""Writers of pay slips: JSON, JSONL, CSV, text and HTML (``render/``), each output replaced atomically.

A file output is a generation of three files (the slips, their errors file, the run record
binding them); :func:`verify_output` is the reader's rule.

>>> from cmrules.outputs import write_slips
>>> write_slips(slips, failures, "slips.csv", "csv")
"""

from cmrules.outputs._atomic import atomic_files, atomic_write, atomic_writer
from cmrules.outputs._batches import (
    SLIP_BYTES_FORMATS,
    Rendered,
    join_slip_bytes,
    render_batch,
    slip_bytes,
)
from cmrules.outputs._pair import OutputCheck, errors_path, run_record_path, verify_output
from cmrules.outputs._write import OUTPUT_FORMATS, SlipWriter, write_slips

__all__ = [
    "OUTPUT_FORMATS",
    "SLIP_BYTES_FORMATS",
    "OutputCheck",
    "Rendered",
    "SlipWriter",
    "atomic_files",
    "atomic_write",
    "atomic_writer",
    "errors_path",
    "join_slip_bytes",
    "render_batch",
    "run_record_path",
    "slip_bytes",
    "verify_output",
    "write_slips",
]
