"""Hypothesis for this project's own test runs: a registered ``ci`` profile, loaded unless
``--hypothesis-profile`` names another, so CI runs are reproducible (``derandomize``: each
test's examples follow from its name) and never wait on a deadline on a shared machine.

``pytest --hypothesis-profile=default`` (or ``--hypothesis-seed=N``, which the ruleset
invariants of the cmrules plugin take too) explores anew.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)


def pytest_configure(config: pytest.Config) -> None:
    """Load the ``ci`` profile unless the command line names one."""
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile("ci")
