"""Tests for the guarded durable-rules host (optional backend)."""

from __future__ import annotations

import itertools
import json
import sys
import threading
from decimal import Decimal

import pytest

pytest.importorskip("durable")

from cmrules.engines._durable_core import DurableEngineError, DurableUnavailable
from cmrules.engines._durable_core import fnv1_32 as _fnv1_32
from cmrules.engines._durable_core import load_engine as _load_engine
from cmrules.engines._durable_host import DurableHost, get_host

_names = itertools.count()

RULES = {
    "long_booking": {"all": [{"m": {"$and": [{"kind": "booking"}, {"$gte": {"minutes": 10}}]}}]},
    "short": {"all": [{"m": {"$lt": {"minutes": 10}}}]},
    "call_or_big": {
        "all": [
            {
                "m": {
                    "$or": [
                        {"kind": "call"},
                        {"$and": [{"kind": "booking"}, {"$gt": {"minutes": 100}}]},
                    ]
                }
            }
        ]
    },
    "not_booking": {"all": [{"m": {"$neq": {"kind": "booking"}}}]},
    "exactly_50": {"all": [{"m": {"$eq": {"minutes": 50}}}]},
    "upto_minus_7": {"all": [{"m": {"$lte": {"minutes": -7}}}]},
    "flagged": {"all": [{"m": {"flag": True}}]},
}

FACTS = [
    {"kind": "booking", "minutes": 5},
    {"kind": "booking", "minutes": 50},
    {"kind": "call", "minutes": 500},
    {"kind": "booking", "minutes": 500, "flag": True},
    {"kind": "booking", "minutes": 10, "flag": False},
    {"kind": "x", "minutes": -7},
    {"kind": "no_minutes"},
]


def fresh(rules: dict) -> str:
    name = f"t{next(_names)}"
    get_host().register(name, rules)
    return name


def as_pairs(result):
    return sorted((rule, FACTS.index(fact)) for rule, fact in result)


def test_single_host_per_process():
    assert get_host() is get_host()
    with pytest.raises(RuntimeError):
        DurableHost()


def test_operators_match_expected_facts():
    result = get_host().match(fresh(RULES), FACTS)
    assert as_pairs(result) == sorted(
        [
            ("long_booking", 1),
            ("long_booking", 3),
            ("long_booking", 4),
            ("short", 0),
            ("short", 5),
            ("call_or_big", 2),
            ("call_or_big", 3),
            ("not_booking", 2),
            ("not_booking", 5),
            ("not_booking", 6),
            ("exactly_50", 1),
            ("upto_minus_7", 5),
            ("flagged", 3),
        ]
    )
    # the caller's own fact objects come back, not engine copies
    assert all(any(fact is f for f in FACTS) for _, fact in result)


def test_firing_order_is_rule_order_then_latest_fact_first():
    name = fresh({f"ge_{k}": {"all": [{"m": {"$gte": {"n": k}}}]} for k in range(3)})
    facts = [{"n": 2}, {"n": 0}, {"n": 1}]
    result = get_host().match(name, facts)
    assert [(r, facts.index(f)) for r, f in result] == [
        ("ge_0", 2), ("ge_0", 1), ("ge_0", 0), ("ge_1", 2), ("ge_1", 0), ("ge_2", 0),
    ]  # fmt: skip


def test_pri_fires_lower_first():
    name = fresh(
        {
            "late": {"all": [{"m": {"n": 1}}], "pri": 5},
            "early": {"all": [{"m": {"n": 1}}], "pri": 1},
        }
    )
    assert [r for r, _ in get_host().match(name, [{"n": 1}])] == ["early", "late"]


def test_int64_is_exact():
    big = 2**53
    name = fresh({"gt": {"all": [{"m": {"$gt": {"n": big}}}]}})
    facts = [{"n": big + 1}, {"n": big}]
    assert get_host().match(name, facts) == [("gt", facts[0])]
    with pytest.raises(ValueError):
        get_host().match(name, [{"n": 2**63}])


def test_unicode_and_punctuation_strings():
    odd = 'x,{"y": 1}, é€ 日本 \\'
    name = fresh({"odd": {"all": [{"m": {"s": odd}}]}})
    facts = [{"s": odd}, {"s": "x"}, {"s": odd[:-1]}]
    assert get_host().match(name, facts) == [("odd", facts[0])]


def test_register_is_idempotent_per_name():
    name = fresh(RULES)
    get_host().register(name, RULES)  # same rules: no-op
    with pytest.raises(ValueError):
        get_host().register(name, {"other": {"all": [{"m": {"kind": "x"}}]}})


def test_3000_sequential_sessions_are_independent():
    host = get_host()
    name = fresh(
        {
            "big": {"all": [{"m": {"$gte": {"count": 1500}}}]},
            "odd": {"all": [{"m": {"parity": 1}}]},
        }
    )
    for i in range(3000):
        facts = [{"count": i, "parity": i % 2}, {"count": -i, "parity": 2}]
        result = host.match(name, facts)
        expected = []
        if i % 2:
            expected.append(("odd", facts[0]))
        if i >= 1500:
            expected.append(("big", facts[0]))
        assert sorted(result, key=str) == sorted(expected, key=str), i
        assert all(fact is facts[0] for _, fact in result)


def test_threads_get_correct_results():
    host = get_host()
    name = fresh(
        {
            "ge2": {"all": [{"m": {"$gte": {"n": 2}}}]},
            "tagged": {"all": [{"m": {"$and": [{"$lt": {"n": 4}}, {"tag": "t"}]}}]},
        }
    )
    errors: list[object] = []

    def worker(t: int) -> None:
        try:
            for i in range(200):
                n = (i + t) % 5
                facts = [{"n": n, "tag": "t", "who": f"{t}-{i}"}, {"n": -1, "tag": "u"}]
                got = sorted(r for r, f in host.match(name, facts) if f is facts[0])
                want = sorted((["ge2"] if n >= 2 else []) + (["tagged"] if n < 4 else []))
                if got != want:
                    errors.append((t, i, got, want))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    before = threading.active_count()
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert threading.active_count() == before  # no dispatcher threads were started


@pytest.mark.parametrize("bad", [1.5, Decimal("1.50"), float("nan")])
def test_float_and_decimal_facts_are_refused(bad):
    name = fresh({"r": {"all": [{"m": {"$gte": {"amount": 1}}}]}})
    with pytest.raises(TypeError):
        get_host().match(name, [{"amount": 3}, {"amount": bad}])
    assert get_host().match(name, [{"amount": 3}]) != []  # host still fine


def test_fact_types_must_agree_with_rules():
    name = fresh({"one": {"all": [{"m": {"n": 1}}]}, "s": {"all": [{"m": {"k": "a"}}]}})
    for fact in ({"n": True}, {"n": "1"}, {"k": 1}):
        with pytest.raises(TypeError):
            get_host().match(name, [fact])
    with pytest.raises(TypeError):
        get_host().match(name, [{"n": 1, "other": None}])


@pytest.mark.parametrize("fact", [{"sid": "x"}, {"id": 1}, {"$s": 1}, {"cmrules_sentinel__": 1}, {"a.b": 1}])
def test_reserved_or_invalid_fact_fields(fact):
    name = fresh({"r": {"all": [{"m": {"n": 1}}]}})
    with pytest.raises(ValueError):
        get_host().match(name, [fact])


@pytest.mark.parametrize(
    "cond",
    [
        {"kind": "booking", "minutes": 10},  # multi-key: engine tests one key only
        {"minutes": {"$gte": 10}},  # value-side operator: engine matches everything
        {"$nex": {"kind": 1}},  # matches the engine's own state fact
        {"$in": {"kind": ["a"]}},  # not an operator of the engine
        {"$gt": {"n": {"$div": {"$l": {"$m": "a"}, "$r": 0}}}},  # division
        {"$gt": {"n": {"other": "n"}}},  # reference to another fact
        {"$gt": {"n": 1.5}},  # float constant
        {"$lt": {"kind": "b"}},  # ordering on strings
        {"$and": [{"n": 1}, {"n": "1"}]},  # one field, two types
        {"$or": []},
        {"sid": "s-1"},
    ],
)
def test_unsafe_conditions_are_rejected(cond):
    with pytest.raises((ValueError, TypeError)):
        get_host().register(f"bad{next(_names)}", {"r": {"all": [{"m": cond}]}})


def test_joins_and_any_are_rejected():
    join = {"all": [{"a": {"kind": "x"}}, {"b": {"$gt": {"n": {"a": "n"}}}}]}
    for body in (join, {"any": [{"a": {"k": 1}}, {"b": {"k": 2}}]}, {"all": [{"a": {"k": 1}}]}):
        with pytest.raises(ValueError):
            get_host().register(f"bad{next(_names)}", {"r": body})


def test_field_hash_collision_is_refused():
    # "fld169809" and "fld1324616" share one FNV-1 32-bit hash: the engine confuses them
    assert _fnv1_32("fld169809") == _fnv1_32("fld1324616")
    name = fresh({"r": {"all": [{"m": {"fld169809": "yes"}}]}})
    with pytest.raises(ValueError):
        get_host().match(name, [{"fld1324616": "yes"}])


def test_callback_error_raises_and_host_recovers():
    host = get_host()
    name = fresh(RULES)

    def boom(rule, fact):
        raise RuntimeError("kaboom")

    host.on_fire = boom
    try:
        for _ in range(50):  # the half-dispatched session must be cleaned up each time
            with pytest.raises(DurableEngineError) as info:
                host.match(name, FACTS)
            assert info.value.rule_name in RULES
            assert "kaboom" in str(info.value)
    finally:
        host.on_fire = None
    assert len(host.match(name, FACTS)) == 13


def test_exception_key_in_state_names_the_rule(monkeypatch):
    """An action that leaves ``exception`` in the state, as durable-rules' own runner does."""
    host = get_host()
    name = fresh(RULES)
    core, handle = host._core, host._rulesets[name].handle
    sessions = []
    next_sid = DurableHost._next_sid
    monkeypatch.setattr(
        DurableHost, "_next_sid", lambda self, n: sessions.append(next_sid(self, n)) or sessions[-1]
    )

    def swallowed(rule, fact):
        if rule == "exactly_50":
            state = json.loads(core.get_state(handle, sessions[-1]))
            core.update_state(handle, json.dumps({**state, "exception": "exception caught kaboom"}))

    host.on_fire = swallowed
    try:
        with pytest.raises(DurableEngineError, match="kaboom") as info:
            host.match(name, FACTS)
    finally:
        host.on_fire = None
    assert info.value.rule_name == "exactly_50"
    assert str(info.value).startswith("rule 'exactly_50': engine state carries exception")
    assert len(host.match(name, FACTS)) == 13


def test_session_id_mismatch_raises(monkeypatch):
    host = get_host()
    name = fresh(RULES)
    real = DurableHost._get_state

    def other_session(self, handle, sid):
        return dict(real(self, handle, sid), sid="s-0")

    monkeypatch.setattr(DurableHost, "_get_state", other_session)
    with pytest.raises(DurableEngineError, match="asked for session"):
        host.match(name, FACTS)
    monkeypatch.undo()
    assert len(host.match(name, FACTS)) == 13


def test_unknown_ruleset():
    with pytest.raises(KeyError):
        get_host().match("never-registered", [])


def test_unavailable_on_python_313(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    with pytest.raises(DurableUnavailable, match=r"Python 3\.13"):
        _load_engine()


def test_unavailable_when_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # import now fails
    with pytest.raises(DurableUnavailable, match=r"pip install 'cmrules\[durable\]'"):
        _load_engine()


def test_unavailable_on_unverified_version(monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.1.0")
    with pytest.raises(DurableUnavailable, match=r"2\.0\.28"):
        _load_engine()
