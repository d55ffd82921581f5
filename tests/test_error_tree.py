"""The error tree of ``cmrules.errors``: its shape, its texts, pickling and causes kept."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path
from typing import Any

import pytest

import cmrules.errors
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

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cmrules"

#: Each error class and its parent, as the module docstring and docs/errors.md draw them.
TREE: dict[type[Exception], type[Exception]] = {
    CmrulesError: Exception,
    UsageError: CmrulesError,
    EngineUnavailable: UsageError,
    RulesetError: CmrulesError,
    InputFileError: CmrulesError,
    EmployeeError: CmrulesError,
    InputError: EmployeeError,
    EvaluationError: EmployeeError,
}

PROBLEMS = [
    InputProblem("E1", "sales", "12x", "Input should be a valid decimal", "input.type"),
    InputProblem("E1", "bookings[0].date", None, "Field required", "input.missing"),
]
ISSUES = [
    Issue("expr.syntax", "bad", "b.yaml", 3, 1),
    Issue("schema.type", "no", "a.yaml", 9, 4, "r1", "  9 | x\n    | ^"),
]


def _examples() -> dict[str, CmrulesError]:
    """One instance of each error class, with the text it must keep byte for byte."""
    return {
        "employee 9: rule r: boom": EvaluationError("9", "r", "boom"),
        "employee E1: sales = '12x': Input should be a valid decimal; "
        "employee E1: bookings[0].date = None: Field required": InputError(PROBLEMS),
        "employee E2: hours = 3: too many": EmployeeError("E2", "hours", 3, "too many", "input.constraint"),
        "in.csv:4: bad row": InputFileError(Path("in.csv"), 4, "bad row"),
        "in.csv: no such file": InputFileError("in.csv", None, "no such file"),
        "2 errors in ruleset\n" + "\n".join(str(i) for i in sorted(ISSUES, key=lambda i: i.file)): (
            RulesetError(ISSUES)
        ),
        "unknown employee": UsageError("unknown employee"),
        "engine=durable is unavailable": EngineUnavailable("engine=durable is unavailable"),
        "plain": CmrulesError("plain"),
    }


def test_the_tree() -> None:
    for cls, parent in TREE.items():
        assert cls.__bases__ == (parent,), cls
    assert issubclass(EngineUnavailable, CmrulesError)
    assert not issubclass(InputFileError, EmployeeError)  # a whole file, not one employee
    exported = {
        name
        for name, value in vars(cmrules.errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert exported == {cls.__name__ for cls in TREE}


def test_the_tree_is_drawn_where_documented() -> None:
    doc = cmrules.errors.__doc__ or ""
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for cls in TREE:
        if cls is not CmrulesError:
            assert f"── {cls.__name__} " in doc, cls
            assert f"── {cls.__name__} " in page, cls


@pytest.mark.parametrize("text", sorted(_examples()))
def test_texts_stay_as_they_were(text: str) -> None:
    error = _examples()[text]
    assert str(error) == text
    assert error.args == (text,)


def test_attributes() -> None:
    evaluation = EvaluationError("9", "r", "boom", "eval.engine")
    assert (evaluation.employee, evaluation.rule_id, evaluation.message, evaluation.code) == (
        "9",
        "r",
        "boom",
        "eval.engine",
    )
    assert (evaluation.field, evaluation.value) == ("rule:r", None)
    assert evaluation.to_dicts() == [
        {"employee": "9", "field": "rule:r", "value": None, "message": "boom", "code": "eval.engine"}
    ]
    bad = InputError(PROBLEMS)
    assert (bad.problems, bad.employee, bad.field, bad.value) == (PROBLEMS, "E1", "sales", "12x")
    assert (bad.message, bad.code) == ("Input should be a valid decimal", "input.type")
    assert bad.to_dicts() == [p.to_dict() for p in PROBLEMS]
    unreadable = InputFileError(Path("in.csv"), 4, "bad row")
    assert (unreadable.path, unreadable.line, unreadable.message) == ("in.csv", 4, "bad row")
    assert RulesetError(ISSUES).errors == sorted(ISSUES, key=lambda i: i.file)


def _state(error: BaseException) -> dict[str, Any]:
    return {"type": type(error), "str": str(error), "args": error.args, "vars": vars(error)}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("text", sorted(_examples()))
def test_every_error_pickles(text: str, protocol: int) -> None:
    """RulesetError, InputFileError, InputError and EvaluationError need their ``__reduce__``."""
    error = _examples()[text]
    error.add_note("a note added on the way")
    copy = pickle.loads(pickle.dumps(error, protocol))
    assert _state(copy) == _state(error)
    assert copy.__notes__ == ["a note added on the way"]


def test_records_pickle() -> None:
    for record in (*ISSUES, *PROBLEMS):
        assert pickle.loads(pickle.dumps(record)) == record


@pytest.mark.parametrize("text", sorted(_examples()))
def test_raise_from_keeps_the_cause(text: str) -> None:
    cause = ZeroDivisionError("division by zero")
    error = _examples()[text]
    with pytest.raises(type(error)) as caught:
        try:
            raise cause
        except ZeroDivisionError as exc:
            raise error from exc
    assert caught.value.__cause__ is cause


def _reraises_without_cause(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for handler in ast.walk(tree):
        if isinstance(handler, ast.ExceptHandler):
            for node in ast.walk(handler):
                if isinstance(node, ast.Raise) and node.exc is not None and node.cause is None:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_errors_and_slip_reraise_with_from() -> None:
    """Inside ``cmrules.errors`` and ``cmrules.slip`` an error raised while handling another says ``from``."""
    files = [SRC / "errors.py", *sorted((SRC / "slip").glob("*.py"))]
    assert [line for path in files for line in _reraises_without_cause(path)] == []
