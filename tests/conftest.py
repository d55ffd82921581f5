"""Hypothesis for this project's own test runs: a registered ``ci`` profile, loaded unless
``--hypothesis-profile`` names another, so CI runs are reproducible (``derandomize``: each
test's examples follow from its name) and never wait on a deadline on a shared machine.

``pytest --hypothesis-profile=default`` (or ``--hypothesis-seed=N``, which the ruleset
invariants of the cmrules plugin take too) explores anew. ``dask_client`` is the one
two-worker Dask cluster the Dask tests of a session share.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)


def pytest_configure(config: pytest.Config) -> None:
    """Load the ``ci`` profile unless the command line names one."""
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile("ci")


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of two worker processes (one thread each) and its client,
    started once for every Dask test of the session."""
    needs = "the Dask engine needs pip install 'cmrules[dask]'"
    distributed = pytest.importorskip("distributed", reason=needs)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
