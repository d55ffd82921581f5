"""``python -m cmrules``: the ``cmrules`` command."""

import sys

from .cli import main

sys.exit(main())
