"""Arbitrary JSON-shaped records fed to ``Ruleset.evaluate_many`` in process, per shipped ruleset.

A batch mixes valid records (from :func:`cmrules.testing.inputs`), valid records with one
value anywhere in them replaced, removed or added, dicts of declared field names with
arbitrary values, arbitrary JSON values that are not even mappings, and a few hostile
values the issue names (``"1e999999999"``, periods ``0000-01`` and ``9999-12``, deeply
nested lists).  The promise checked: only cmrules errors come out (as failures, one per
record that is not paid), and every valid record is paid, with the slip it gets alone.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shipped import SHIPPED, generate

import cmrules
from cmrules.errors import CmrulesError
from cmrules.testing import inputs

#: Examples per ruleset; ``FUZZ_EXAMPLES=1500`` hunts harder (about a minute per ruleset).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _nested_map(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


#: Values that broke runs before (issue 11) or sit at the edges of the input forms.
HOSTILE = [
    "1e999999999",
    "-1e999999999",
    "1e-999999999",
    "NaN",
    "Infinity",
    "sNaN",
    "41000,50",
    "３０００",
    "0000-01",
    "9999-12",
    "2024-00",
    "2024-05\n",
    "2024-02-30",
    "",
    " ",
    "\x00",
    10**400,
    -(10**400),
    2**63,
    float("nan"),
    float("inf"),
    1e308,
    0.1,
    True,
]

#: Nesting deeper than Python's recursion limit (hypothesis cannot print these, so they are
#: only fed by the parametrized test below).
DEEP = [_nested(5_000), _nested_map(5_000)]

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(HOSTILE)
    | st.from_regex(r"\A-?[0-9]{1,8}(\.[0-9]{1,4})?\Z")
    | st.from_regex(r"\A[0-9]{4}-[0-9]{2}(-[0-9]{2})?\Z")
)


def _json(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        LEAVES,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=12,
    )


def _field_names(ruleset: cmrules.Ruleset) -> list[str]:
    names = {"employee", "period"}
    for version in ruleset.versions:
        for name, spec in version.doc.inputs.items():
            names.add(name)
            names.update(str(key) for key in (spec.model_dump().get("fields") or {}))
    return sorted(names)


@st.composite
def _mutated(draw: st.DrawFn, record: Any, anything: st.SearchStrategy[Any]) -> Any:
    """``record`` with one value somewhere inside replaced, removed, or a key added."""
    if isinstance(record, dict) and record and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(record)))
        action = draw(st.sampled_from(["replace", "remove", "descend", "add"]))
        out = dict(record)
        if action == "replace":
            out[key] = draw(anything)
        elif action == "remove":
            del out[key]
        elif action == "add":
            out[draw(st.text(max_size=8))] = draw(anything)
        else:
            out[key] = draw(_mutated(record[key], anything))
        return out
    if isinstance(record, list) and record and draw(st.booleans()):
        i = draw(st.integers(0, len(record) - 1))
        out_list = list(record)
        out_list[i] = draw(_mutated(record[i], anything))
        return out_list
    return draw(anything)


def _batch(ruleset: cmrules.Ruleset) -> st.SearchStrategy[list[tuple[str, Any]]]:
    names = _field_names(ruleset)
    keys = st.sampled_from(names) | st.text(max_size=8)
    anything = _json(keys)
    valid = inputs(ruleset)
    record = st.one_of(
        valid.map(lambda r: ("good", r)),
        valid.flatmap(lambda r: _mutated(r, anything)).map(lambda r: ("bad", r)),
        st.dictionaries(keys, anything, max_size=len(names) + 2).map(lambda r: ("bad", r)),
        anything.map(lambda r: ("bad", r)),
    )
    return st.lists(record, min_size=1, max_size=8)


def _numbered(batch: list[tuple[str, Any]]) -> tuple[list[Any], list[int]]:
    """The records with distinct employees (no record repeats another), and where the good ones are."""
    records, good = [], []
    for n, (kind, record) in enumerate(batch):
        if kind == "good":
            good.append(n)
            record = {**record, "employee": f"good-{n}"}
        elif isinstance(record, dict) and "employee" in record:
            record = {**record, "employee": f"other-{n}"}
        records.append(record)
    return records, good


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_only_cmrules_errors_and_every_good_record_is_paid(name: str) -> None:
    ruleset = cmrules.load_ruleset(name)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(batch=_batch(ruleset))
    def check(batch: list[tuple[str, Any]]) -> None:
        records, good = _numbered(batch)
        slips, failures = ruleset.evaluate_many(records)
        assert all(isinstance(f, CmrulesError) for f in failures), failures
        assert not [f for f in failures if getattr(f, "code", "") == "eval.internal"], failures
        assert len(slips) + len(failures) == len(records)
        paid = {slip.employee: slip for slip in slips}
        for n in good:
            alone = ruleset.evaluate(records[n])
            assert f"good-{n}" in paid, f"valid record {n} was not paid: {failures}"
            assert paid[f"good-{n}"].to_json() == alone.to_json()

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_a_record_missing_any_field_is_a_cmrules_failure(name: str) -> None:
    """Valid records with each top-level field left out in turn (what the fuzzing found first)."""
    ruleset = cmrules.load_ruleset(name)

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(record=inputs(ruleset))
    def check(record: dict[str, Any]) -> None:
        records = []  # distinct employees: none is refused as a repeat of another
        for n, left_out in enumerate(sorted(record)):
            kept = {k: v for k, v in record.items() if k != left_out}
            records.append(kept if left_out == "employee" else {**kept, "employee": f"left-out-{n}"})
        slips, failures = ruleset.evaluate_many([*records, {**record, "employee": "good"}])
        assert all(isinstance(f, CmrulesError) for f in failures), failures
        assert not [f for f in failures if getattr(f, "code", "") == "eval.internal"], failures
        assert "good" in {slip.employee for slip in slips}

    check()


@pytest.mark.parametrize(
    "hostile",
    [*HOSTILE, *DEEP],
    ids=[*(f"{type(v).__name__}{i}" for i, v in enumerate(HOSTILE)), "deep-list", "deep-map"],
)
def test_a_hostile_value_in_any_field_is_a_cmrules_failure(hostile: Any) -> None:
    """Each hostile value in each declared top-level field of a valid bar record, and as the record."""
    ruleset = cmrules.load_ruleset("bar_customer_manager")
    good = generate(1, seed=2)[0]
    records = [{**good, "employee": f"e{i}", name: hostile} for i, name in enumerate(sorted(good))]
    records += [hostile, {**good, "employee": "good"}]
    slips, failures = ruleset.evaluate_many(records)
    assert all(isinstance(f, CmrulesError) for f in failures), failures
    assert not [f for f in failures if getattr(f, "code", "") == "eval.internal"], failures
    assert len(slips) + len(failures) == len(records)
    assert "good" in {slip.employee for slip in slips}
