"""``python -m cmrules.slip``: write the pay slip's JSON Schema to stdout (UTF-8).

Regenerates the shipped schema: ``python -m cmrules.slip > src/cmrules/payslip.schema.json``.
"""

from __future__ import annotations

import sys

from cmrules.slip._schema import schema_text

sys.stdout.buffer.write(schema_text().encode("utf-8"))
