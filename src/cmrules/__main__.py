"""``python -m cmrules``: the ``cmrules`` command."""

from .cli import script

script()
