"""``python -m cmrules``: the ``cmrules`` command."""

from cmrules.cli import script

script()
