"""cmrules.dask: the same employees give identical slips locally and through Dask (two workers)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.shipped import ROOT, generate

pytest.importorskip("dask.bag", reason="the Dask engine needs pip install 'cmrules[dask]'")
distributed = pytest.importorskip("distributed", reason="the Dask engine needs pip install 'cmrules[dask]'")

import dask  # noqa: E402
import dask.bag as db  # noqa: E402

import cmrules.dask  # noqa: E402
from cmrules import load_ruleset  # noqa: E402
from cmrules.run import pay_records  # noqa: E402
from cmrules.sources import read_inputs  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"
CSV = ROOT / "examples" / "bar_month.csv"


def _records(n: int) -> list[dict[str, Any]]:
    """``n`` generated bar months made JSON-like (as a file would give them), with one bad record."""
    records: list[dict[str, Any]] = json.loads(json.dumps(generate(n, seed=13), default=str))
    records[7] = {"employee": "BAD", "period": "2024-05", "absent_days": "two"}
    return records


@pytest.mark.slow
def test_two_workers_give_the_local_slips_and_failures(dask_client: Any) -> None:
    records = _records(300)
    local = pay_records(load_ruleset(RULESET), records)
    slips, failures = cmrules.dask.pay_with_failures(RULESET, db.from_sequence(records, npartitions=6))
    got_slips, got_failures = dask.compute(slips, failures)
    assert len(dask_client.nthreads()) == 2  # two workers (scheduler_info() may be a cached summary)
    assert got_slips == local.slips and len(got_slips) == 299
    assert got_failures == local.failures
    assert got_failures[0]["employee"] == "BAD" and got_failures[0]["record"] == 8


@pytest.mark.slow
def test_bar_example_nets_through_dask_and_a_dask_dataframe(dask_client: Any) -> None:
    import dask.dataframe as dd
    import pandas as pd

    records = read_inputs(CSV)
    slips = cmrules.dask.pay(load_ruleset(RULESET), db.from_sequence(records, npartitions=3)).compute()
    nets = [slip["totals"]["net"] for slip in slips]
    assert nets[:4] == ["3310.00", "2850.00", "3105.00", "2400.00"] and len(nets) == 12
    with dask.config.set({"dataframe.convert-string": False}):  # keep list fields lists
        frame = dd.from_pandas(pd.DataFrame(records), npartitions=2)
    by_frame, failures = cmrules.dask.pay_dataframe(RULESET, frame)
    assert [slip["totals"]["net"] for slip in by_frame.compute()] == nets
    assert failures.compute() == []


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from cmrules.errors import UsageError
    from cmrules.run._dask import dask_bag

    monkeypatch.setitem(sys.modules, "dask.bag", None)
    with pytest.raises(UsageError, match=r"cmrules\[dask\]"):
        dask_bag()
