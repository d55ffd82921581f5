"""Input checks (the ``checks:`` section): conditions a record must meet before it is paid.

A check's ``require`` (and optional ``when``) are conditions over the inputs, the balances
(their values before the period) and the parameters: nothing a rule computes, since a check
runs on the validated record before the plan. Each expression becomes a small generated
function of the values it reads, like an invariant's, so its errors are located at load.
:func:`refusals` runs them on one validated record: the checks that fail, as the problems
of an ``InputError`` (code ``input.check``) naming the employee, the check's ``field`` and
its value.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

from cmrules._money import CONTEXT
from cmrules.compile._context import Context, Path
from cmrules.compile._program import CheckInfo, InvariantExpr
from cmrules.errors import InputProblem
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Scope
from cmrules.expr._types import BOOL

__all__ = ["bind_checks", "compile_checks", "refusals"]

_READABLE = ("input", "param")


def compile_checks(ctx: Context, checker: Checker) -> tuple[CheckInfo, ...]:
    """The compiled checks of ``ctx.doc`` (those with errors reported and left out)."""
    scope = Scope(dict(ctx.base.symbols))
    seen: set[str] = set()
    out: list[CheckInfo] = []
    for k, check in enumerate(ctx.doc.checks):
        path: Path = ("checks", k)
        if check.id in seen:
            ctx.error("schema.duplicate_name", f"check id '{check.id}' is used twice", (*path, "id"))
            continue
        seen.add(check.id)
        if check.field not in ctx.inputs:
            if check.field not in ctx.broken:
                message = f"check '{check.id}' names field '{check.field}', which is no input or balance"
                ctx.error("rule.unknown_target", message, (*path, "field"))
            continue
        require = _expr(ctx, checker, check.id, check.require, scope, (*path, "require"))
        when = _expr(ctx, checker, check.id, check.when, scope, (*path, "when")) if check.when else None
        if require is None or (check.when and when is None):
            continue
        out.append(
            CheckInfo(check.id, check.field, check.message.model_dump(), ctx.loc.at(path), require, when)
        )
    return tuple(out)


def _expr(
    ctx: Context, checker: Checker, ident: str, text: str, scope: Scope, path: Path
) -> InvariantExpr | None:
    compiled = ctx.compile_expr(checker, text, scope, path, None, BOOL)
    if compiled is None:
        return None
    for sym in compiled.reads:
        kind = sym.dep[0] if sym.dep else "local"
        if kind not in _READABLE and kind != "local":
            what = f"{kind} '{sym.dep[1]}'" if sym.dep else repr(sym.name)
            ctx.error(
                "expr.unknown_name",
                f"check '{ident}' reads {what}: a check reads inputs, balances and parameters only "
                "(it runs on the record, before any rule)",
                path,
            )
            return None
    var = f"c{len(ctx.invariant_code)}"
    args = ", ".join(s.var for s in compiled.reads if s.dep)
    ctx.invariant_code.append(f"def {var}({args}):\n    return {compiled.code}\n")
    shown = " ".join(str(text).split())
    ctx.notes.note(var, f"check {ident}, {path[-1]}: {shown}  ({ctx.where(path)})")
    reads = [s for s in compiled.reads if s.dep]
    return InvariantExpr(shown, var, tuple(s.name for s in reads), ctx.refs(reads)[1])


def bind_checks(checks: tuple[CheckInfo, ...], namespace: Mapping[str, Any]) -> tuple[CheckInfo, ...]:
    """``checks`` with each expression's function taken from the executed program's ``namespace``."""
    for check in checks:
        for part in (check.require, check.when):
            if part is not None:
                part.fn = namespace[part.var]
    return checks


def refusals(
    checks: tuple[CheckInfo, ...],
    data: Mapping[str, Any],
    params: tuple[Any, ...],
    namespace: Mapping[str, Any],
) -> list[InputProblem]:
    """The problems of the ``checks`` that ``data`` (a validated record; ``params`` its period's dated
    parameters) fails: one ``input.check`` per failing check, naming its field and value."""
    problems: list[InputProblem] = []
    with decimal.localcontext(CONTEXT):
        for check in checks:
            if check.when is not None and not _value(check.when, data, params, namespace)[0]:
                continue
            holds, shown = _value(check.require, data, params, namespace)
            if holds:
                continue
            read = ", ".join(f"{name} = {value}" for name, value in shown.items())
            message = f"check {check.id}: {check.message['en']} / {check.message['zh']} ({read})"
            employee = data.get("employee", "<unknown>")
            problems.append(
                InputProblem(employee, check.field, data.get(check.field), message, "input.check")
            )
    return problems


def _value(
    expr: InvariantExpr, data: Mapping[str, Any], params: tuple[Any, ...], namespace: Mapping[str, Any]
) -> tuple[Any, dict[str, Any]]:
    values = []
    for kind, key in expr.refs:
        if kind == "input":
            values.append(data[key])
        elif kind == "dated":
            values.append(params[key])
        else:
            values.append(namespace[key])
    shown = {name: value for name, value in zip(expr.names, values, strict=True)}
    return expr.fn(*values), shown
