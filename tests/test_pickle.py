"""Rulesets, versions, slips and every cmrules error survive ``pickle``, so payroll scripts
can hand them to ``multiprocessing`` and ``concurrent.futures`` workers.

A version pickles as its source text, file name and sha256 and is compiled once per
process on unpickling; a slip pickles as what its run left plus its version and
unpickles to a slip with the same JSON bytes.  Before, ``pickle.dumps`` of a
``Ruleset``, ``Version`` or ``PaySlip`` failed with ``PicklingError`` (the generated
program function), so ``pool.map(ruleset.evaluate, records)`` could not even start.
"""

from __future__ import annotations

import dataclasses
import inspect
import multiprocessing
import pickle
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from shipped import ROOT, SHIPPED, generate

import cmrules
import cmrules.errors as errors_module
from cmrules.compile._runtime import UNKNOWN
from cmrules.errors import (
    CmrulesError,
    EmployeeError,
    EngineUnavailable,
    EvaluationError,
    InputError,
    InputFileError,
    InputProblem,
    Issue,
    RulesetError,
    UsageError,
)
from cmrules.ruleset import _load
from cmrules.testing import inputs

BAR = "bar_customer_manager"

#: One instance of every error class of ``cmrules.errors``, with every attribute set.
ERRORS: dict[type[CmrulesError], CmrulesError] = {
    CmrulesError: CmrulesError("something"),
    UsageError: UsageError("no employee e9 in the input"),
    EngineUnavailable: EngineUnavailable("durable-rules is not installed"),
    RulesetError: RulesetError(
        [
            Issue("yaml.syntax", "bad", "a.yaml", 3, 4, "r1", "  3 | x\n    | ^"),
            Issue("schema.type", "worse", "a.yaml", 1, 1),
        ]
    ),
    InputFileError: InputFileError("in.csv", 7, "a row has 5 cells, the header 4", 3),
    EmployeeError: EmployeeError("e1", "sales", "1x", "not a number", "input.type"),
    InputError: InputError(
        [
            InputProblem("e1", "sales", "41000,50", "a comma is a thousands separator", "input.type"),
            InputProblem("e1", "period", "2024-13", "no month 13", "input.type"),
        ]
    ),
    EvaluationError: EvaluationError("e2", "commission", "division by zero"),
}


def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget every compiled version, as a new worker process would; count the compiles."""
    monkeypatch.setattr(_load, "_loaded", weakref.WeakValueDictionary())
    monkeypatch.setattr(_load, "_kept", {})
    compiled: list[str] = []
    load_text = _load.load_text

    def counting(text: str, file: str, *texts: Any) -> Any:  # texts: the modules' (a ruleset that includes)
        compiled.append(file)
        return load_text(text, file, *texts)

    monkeypatch.setattr(_load, "load_text", counting)
    return compiled


def _round_trip(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


# --- errors ---------------------------------------------------------------------------------------


def test_every_error_class_is_covered() -> None:
    defined = {
        obj for obj in vars(errors_module).values() if inspect.isclass(obj) and issubclass(obj, CmrulesError)
    }
    assert defined == set(ERRORS), "add an instance of each new error class to ERRORS"


@pytest.mark.parametrize("cls", list(ERRORS), ids=lambda c: c.__name__)
def test_errors_round_trip(cls: type[CmrulesError]) -> None:
    error = ERRORS[cls]
    back = _round_trip(error)
    assert type(back) is cls
    assert str(back) == str(error)
    assert back.args == error.args
    assert vars(back) == vars(error)


# --- rulesets and versions ------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_ruleset_round_trip_in_a_fresh_process(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unpickled where nothing is compiled yet: each version compiled once, the same slips."""
    ruleset = cmrules.load_ruleset(name)
    data = pickle.dumps(ruleset)
    compiled = _fresh_process(monkeypatch)
    back = pickle.loads(data)
    again = pickle.loads(data)
    assert compiled == [v.file for v in ruleset.versions]  # once per version, not per unpickling
    assert back is not ruleset and back.versions[0] is not ruleset.versions[0]
    assert [v.version for v in back.versions] == [v.version for v in ruleset.versions]
    assert [v.sha256 for v in back.versions] == [v.sha256 for v in ruleset.versions]
    assert [v.file for v in again.versions] == [v.file for v in ruleset.versions]
    assert repr(back) == repr(ruleset)


def test_a_ruleset_that_includes_modules_pickles_with_their_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker gets the ruleset's text and its modules' texts: it never reads the module files."""
    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "cn_monthly_wage.yaml")
    data = pickle.dumps(ruleset)
    compiled = _fresh_process(monkeypatch)
    monkeypatch.setattr(Path, "read_text", lambda *a, **k: pytest.fail("a module file was read"))
    back = pickle.loads(data)
    assert compiled == [ruleset.latest.file]
    assert back.latest.modules == ruleset.latest.modules and len(back.latest.modules) == 2
    record = {"employee": "E1", "period": "2024-03", "city": "tianjin", "wage": "12000"}
    record |= {k: "0" for k in ("ytd_wage", "ytd_si_employee", "ytd_special_deductions", "ytd_iit_withheld")}
    record["months_paid_ytd"] = 0
    assert back.evaluate(record).to_json() == ruleset.evaluate(record).to_json()


def test_version_round_trip_in_process_is_the_same_version() -> None:
    ruleset = cmrules.load_ruleset(BAR)
    assert _round_trip(ruleset.latest) is ruleset.latest
    assert _round_trip(ruleset).versions == ruleset.versions


def test_ruleset_from_text_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "rulesets" / "sales_contest.yaml").read_text(encoding="utf-8")
    ruleset = cmrules.loads_ruleset(text, "inline.yaml")
    data = pickle.dumps(ruleset)
    _fresh_process(monkeypatch)
    back = pickle.loads(data)
    assert back.latest.file == "inline.yaml"
    assert back.latest.source == text


def test_a_tampered_text_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    version = cmrules.load_ruleset("sales_contest").latest
    data = pickle.dumps(version)
    assert version.source is not None
    _fresh_process(monkeypatch)
    tampered = data.replace(b"sales_contest", b"sales_contesT", 1)
    assert tampered != data
    with pytest.raises(ValueError, match="does not match its sha256"):
        pickle.loads(tampered)


def test_a_version_without_source_says_why_it_cannot_be_pickled() -> None:
    version = cmrules.load_ruleset("sales_contest").latest
    bare = dataclasses.replace(version, source=None)
    with pytest.raises(TypeError, match="no source text"):
        pickle.dumps(bare)


def test_unknown_stays_the_one_unknown() -> None:
    assert _round_trip(UNKNOWN) is UNKNOWN
    assert _round_trip([UNKNOWN, (UNKNOWN,)]) == [UNKNOWN, (UNKNOWN,)]


# --- slips ----------------------------------------------------------------------------------------


def _same_slip(back: cmrules.PaySlip, slip: cmrules.PaySlip) -> None:
    assert type(back) is cmrules.PaySlip
    assert back.to_json() == slip.to_json()
    assert back.why_not() == slip.why_not()
    assert (back.net, back.carry_forward, back.earnings, back.deductions) == (
        slip.net,
        slip.carry_forward,
        slip.earnings,
        slip.deductions,
    )
    assert back.facts == slip.facts
    assert repr(back) == repr(slip)


def test_bar_slips_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = cmrules.load_ruleset(BAR)
    slips = [ruleset.evaluate(case) for case in generate(30, seed=5)]
    data = [pickle.dumps(slip) for slip in slips]
    in_process = [pickle.loads(d) for d in data]
    compiled = _fresh_process(monkeypatch)
    fresh = [pickle.loads(d) for d in data]
    assert compiled == [ruleset.latest.file]
    for slip, a, b in zip(slips, in_process, fresh, strict=True):
        _same_slip(a, slip)
        _same_slip(b, slip)
    assert _round_trip(fresh[0]).to_json() == slips[0].to_json()  # and again


def test_a_slip_read_before_pickling_round_trips() -> None:
    """Cached lazy values do not get in the way (nor travel: the slip pickles as its data)."""
    ruleset = cmrules.load_ruleset(BAR)
    slip = ruleset.evaluate(generate(1, seed=9)[0])
    expected = slip.to_json()
    slip.why_not()
    assert _round_trip(slip).to_json() == expected


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_rulesets_slips_round_trip(name: str) -> None:
    ruleset = cmrules.load_ruleset(name)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=inputs(ruleset))
    def check(case: dict[str, Any]) -> None:
        try:
            slip = ruleset.evaluate(case)
        except EmployeeError as exc:
            back = _round_trip(exc)
            assert type(back) is type(exc) and vars(back) == vars(exc)
            return
        _same_slip(_round_trip(slip), slip)

    check()


# --- worker processes -----------------------------------------------------------------------------

#: Long enough for two spawned interpreters to import cmrules on a busy machine; a hang fails.
TIMEOUT = 120


@pytest.mark.slow
def test_a_spawned_pool_pays_like_this_process() -> None:
    ruleset = cmrules.load_ruleset(BAR)
    cases = generate(60, seed=13)
    expected = [ruleset.evaluate(case).to_json() for case in cases]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        slips = pool.map_async(ruleset.evaluate, cases, chunksize=7).get(timeout=TIMEOUT)
        bytes_made_there = pool.map_async(_json_of, [(ruleset, c) for c in cases[:5]]).get(timeout=TIMEOUT)
    assert [slip.to_json() for slip in slips] == expected
    assert bytes_made_there == expected[:5]
    assert all(slip._origin is ruleset.latest for slip in slips)  # no recompile here


@pytest.mark.slow
def test_a_worker_raising_input_error_gives_it_back() -> None:
    """``pool.map`` raises the worker's InputError, with its problems, instead of hanging."""
    ruleset = cmrules.load_ruleset(BAR)
    good = generate(2, seed=1)
    bad = {**good[0], "employee": "e-bad", "sales_oops": "41000,50", "period": "2024-13"}
    with pytest.raises(InputError) as expected:
        ruleset.evaluate(bad)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        with pytest.raises(InputError) as raised:
            pool.map_async(ruleset.evaluate, [good[0], bad, good[1]], chunksize=1).get(timeout=TIMEOUT)
    assert raised.value.problems == expected.value.problems
    assert str(raised.value) == str(expected.value)


def _json_of(job: tuple[cmrules.Ruleset, dict[str, Any]]) -> bytes:
    """A worker's task: the slip's bytes made in the worker."""
    ruleset, case = job
    return ruleset.evaluate(case).to_json()
