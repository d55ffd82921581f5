"""Repository-wide pytest settings: the plugin's invariant searches count as slow tests.

Each ``invariant: <id>`` item of a ruleset runs a hypothesis search (about a second or
more), so ``python -m pytest -m "not slow"`` leaves them to the full run; the
``case: <name>`` items of ``*.tests.yaml`` files stay in the quick selection.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every invariant item ``slow`` before ``-m`` selects."""
    for item in items:
        if item.name.startswith("invariant: "):
            item.add_marker(pytest.mark.slow)
