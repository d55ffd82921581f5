"""cmrules.dask refuses a repeated employee-period across partitions exactly as a local run does.

The first record of an (employee, period) in input order (partition, then position) is paid;
every later one fails with ``input.duplicate`` naming the first one's record number in the
whole input, so the slips and the failures equal those of ``cmrules.run.pay_records``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from tests.shipped import ROOT, generate

pytest.importorskip("dask.bag", reason="the Dask engine needs pip install 'cmrules[dask]'")
distributed = pytest.importorskip("distributed", reason="the Dask engine needs pip install 'cmrules[dask]'")

import dask  # noqa: E402
import dask.bag as db  # noqa: E402

import cmrules.dask  # noqa: E402
from cmrules import load_ruleset  # noqa: E402
from cmrules.frames import pay_frame  # noqa: E402
from cmrules.run import pay_records  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"


def _months(n: int, seed: int = 13) -> list[dict[str, Any]]:
    """``n`` generated bar months, JSON-like as a file gives them (distinct employees)."""
    months: list[dict[str, Any]] = json.loads(json.dumps(generate(n, seed=seed), default=str))
    return months


def _with_repeats() -> list[dict[str, Any]]:
    """40 months (4 partitions of 10) with repeats: within partition 0, from partition 0 into 1,
    twice from partition 0 into partition 3, from 1 into 2; and keys a local run never checks."""
    records = _months(34)
    records.insert(5, dict(records[1]))  # record 6 repeats record 2, same partition
    records.insert(12, dict(records[2]))  # record 13 repeats record 3, next partition
    records.insert(25, dict(records[11]))  # record 26 repeats record 12 (partition 1 into 2)
    records.insert(33, dict(records[2]))  # record 34 repeats record 3 again, partition 3 ...
    records.insert(36, {**records[2], "absent_days": 1})  # ... and record 37: changed, still a repeat
    records.insert(38, {"employee": 7, "period": "2024-05"})  # a whole-number id is the id "7" ...
    records[39] = {"employee": "7", "period": "2024-05"}  # ... so record 40 repeats record 39
    records[9] = {"employee": "NOPERIOD"}
    records[29] = {"employee": "NOPERIOD"}
    assert len(records) == 40
    return records


def _local(records: list[dict[str, Any]], period: str | None = None) -> tuple[list[Any], list[Any]]:
    payroll = pay_records(load_ruleset(RULESET), records, period=period)
    return payroll.slips, payroll.failures


def _duplicates(failures: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(f["record"], f["message"]) for f in failures if f["code"] == "input.duplicate"]


def test_a_repeat_in_a_later_partition_fails_naming_the_first_record() -> None:
    records = _with_repeats()
    slips, failures = cmrules.dask.pay_with_failures(RULESET, db.from_sequence(records, npartitions=4))
    got_slips, got_failures = dask.compute(slips, failures, scheduler="sync")
    local_slips, local_failures = _local(records)
    named = [(n, re.search(r"already appear in record (\d+):", m)) for n, m in _duplicates(got_failures)]
    assert [(n, int(m.group(1))) for n, m in named if m] == [
        (6, 2),
        (13, 3),
        (26, 12),
        (34, 3),
        (37, 3),
        (40, 39),
    ]
    assert got_failures == local_failures
    assert got_slips == local_slips and len(got_slips) == len(records) - 6 - 2  # and two without a period


def test_period_given_to_pay_makes_the_repeats_and_they_fail_as_locally() -> None:
    records = _months(12)
    records[7] = {**records[1], "period": "2023-01"}  # another month of record 2's employee
    records[10] = {**records[4], "period": "2023-02"}
    for period in (None, "2024-05"):
        bag = db.from_sequence(records, npartitions=3)
        got = dask.compute(*cmrules.dask.pay_with_failures(RULESET, bag, period=period), scheduler="sync")
        assert got == _local(records, period)
    assert [n for n, _ in _duplicates(got[1])] == [8, 11]


def test_repeats_far_apart_are_found_through_two_levels_of_merges() -> None:
    records = _months(60)  # 20 partitions of 3: the merge tree (8 at a time) has two levels
    records[58] = dict(records[1])  # partition 0 into 19
    records[50] = dict(records[28])  # 9 into 16
    records[59] = dict(records[28])  # ... and into 19
    records[26] = dict(records[25])  # within partition 8
    bag = db.from_sequence(records, npartitions=20)
    assert bag.npartitions == 20
    got = dask.compute(*cmrules.dask.pay_with_failures(RULESET, bag), scheduler="sync")
    assert [n for n, _ in _duplicates(got[1])] == [27, 51, 59, 60]
    assert got == _local(records)


def test_no_repeats_and_one_partition_pay_as_before() -> None:
    records = _months(9)
    for parts in (1, 3):
        bag = db.from_sequence(records, npartitions=parts)
        got = dask.compute(*cmrules.dask.pay_with_failures(RULESET, bag), scheduler="sync")
        assert got == _local(records) and got[1] == []


def test_a_bad_period_is_refused_when_the_graph_is_made() -> None:
    from cmrules.errors import UsageError

    with pytest.raises(UsageError, match="YYYY-MM"):
        cmrules.dask.pay(RULESET, db.from_sequence(_months(2), npartitions=2), period="2024-5")


def test_the_key_pass_reads_the_keys_the_local_check_reads() -> None:
    from cmrules.run._dask import _key

    assert _key({"employee": "A", "period": "2024-05"}, 2, None) == ("A", "2024-05")
    assert _key({"employee": "A", "period": "2024-05"}, 2, "2024-06") == ("A", "2024-06")
    assert _key({"employee": "A"}, 2, "2024-06") == ("A", "2024-06")
    # a float id is refused as the record's failure (input.float), never read as "1.5" or "7"
    assert _key({"employee": 1.5, "period": "2024-05"}, 2, None) is None
    assert _key({"employee": 7.0, "period": "2024-05"}, 2, None) is None
    assert _key({"employee": 7, "period": "2024-05"}, 2, None) == ("7", "2024-05")  # a whole number
    assert _key({"employee": "A", "period": dt.date(2024, 5, 1)}, 2, None) == ("A", "2024-05")
    assert _key({"employee": "A", "period": None}, 2, None) is None
    assert _key(["A", "2024-05"], 2, None) is None


def test_a_float_id_in_a_bag_fails_as_a_local_run_fails_it() -> None:
    records = [{**month, "employee": float(n)} for n, month in enumerate(_months(3), start=1001)]
    records.append({**records[0], "employee": 1001})  # the whole number: paid, as "1001"
    slips, failures = cmrules.dask.pay_with_failures(RULESET, db.from_sequence(records, npartitions=2))
    got_slips, got_failures = dask.compute(slips, failures, scheduler="sync")
    assert [slip["employee"] for slip in got_slips] == ["1001"]
    assert [(f["record"], f["code"]) for f in got_failures] == [
        (1, "input.float"),
        (2, "input.float"),
        (3, "input.float"),
    ]
    assert (got_slips, got_failures) == _local(records)


@pytest.mark.slow
def test_two_workers_and_a_dask_dataframe_refuse_the_repeats_as_locally(dask_client: Any) -> None:
    import dask.dataframe as dd
    import pandas as pd

    records = _with_repeats()
    local = _local(records)
    slips, failures = cmrules.dask.pay_with_failures(RULESET, db.from_sequence(records, npartitions=4))
    assert dask.compute(slips, failures) == local
    assert len(dask_client.nthreads()) == 2  # two workers (scheduler_info() may be a cached summary)
    months = _months(30)
    months[22] = dict(months[3])  # partition 0 into partition 2
    months[25] = dict(months[3])
    with dask.config.set({"dataframe.convert-string": False}):  # keep list fields lists
        frame = dd.from_pandas(pd.DataFrame(months), npartitions=3)
    assert frame.npartitions == 3
    got = dask.compute(*cmrules.dask.pay_dataframe(RULESET, frame))
    assert [n for n, _ in _duplicates(got[1])] == [23, 26]
    local_frame = pay_frame(load_ruleset(RULESET), pd.DataFrame(months))  # rows read the same way
    assert got == (local_frame.slips, local_frame.failures) and len(got[0]) == 28
