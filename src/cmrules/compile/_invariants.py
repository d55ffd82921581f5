"""The ``invariants:`` laws compiled against the declared names plus :data:`SLIP_NAMES`.

Each expression becomes a small generated function ``i<k>`` of the values it reads, so
an invariant costs nothing at evaluation time and its errors are located at load.
"""

from __future__ import annotations

from typing import Any

from cmrules.compile._context import Context, Path
from cmrules.compile._program import InvariantExpr, InvariantInfo
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Scope, Symbol
from cmrules.expr._types import BOOL, MONEY, STR, T
from cmrules.spec._model import InputField, Invariant

#: Names an invariant can read besides the ruleset's own (which win on a clash).
SLIP_NAMES: dict[str, T] = {
    "net": MONEY,
    "carry_forward": MONEY,
    "earnings": MONEY,
    "deductions": MONEY,
    "notices": T("list", STR),  # the codes of the slip's notices
}
_PERTURBABLE = ("money", "decimal", "rate", "int")


def compile_invariants(ctx: Context, checker: Checker) -> list[InvariantInfo]:
    """The compiled laws of ``ctx.doc`` (those with errors reported and left out)."""
    slip = Scope({n: Symbol(n, t, f"s_{n}", ("slip", n)) for n, t in SLIP_NAMES.items()})
    scope = Scope(dict(ctx.base.symbols), slip)
    seen: set[str] = set()
    infos: list[InvariantInfo] = []
    for i, inv in enumerate(ctx.doc.invariants):
        path = ("invariants", i)
        if inv.id in seen:
            ctx.error("schema.duplicate_name", f"invariant id '{inv.id}' is used twice", (*path, "id"))
            continue
        seen.add(inv.id)
        info = _invariant(ctx, checker, inv, scope, path)
        if info is not None:
            infos.append(info)
    return infos


def _invariant(
    ctx: Context, checker: Checker, inv: Invariant, scope: Scope, path: Path
) -> InvariantInfo | None:
    key = "always" if inv.always is not None else "monotonic"
    law = _invariant_expr(ctx, checker, inv, key, scope, path)
    given = _invariant_expr(ctx, checker, inv, "given", scope, path) if inv.given else None
    perturb, direction = None, 0
    if inv.monotonic is not None:
        up = inv.increasing_in is not None
        perturb = inv.increasing_in if up else inv.decreasing_in
        direction = 1 if up else -1
        assert perturb is not None
        if not _check_perturb(ctx, perturb, (*path, "increasing_in" if up else "decreasing_in")):
            return None
    if law is None or (inv.given and given is None):
        return None
    label = inv.label.model_dump() if inv.label else None
    return InvariantInfo(inv.id, label, ctx.loc.at(path), law, given, perturb, direction)


def _invariant_expr(
    ctx: Context, checker: Checker, inv: Invariant, key: str, scope: Scope, path: Path
) -> InvariantExpr | None:
    text = getattr(inv, key)
    want = None if key == "monotonic" else BOOL
    compiled = ctx.compile_expr(checker, text, scope, (*path, key), None, want)
    if compiled is None:
        return None
    if key == "monotonic" and (compiled.type.optional or not compiled.type.numeric):
        ctx.error("invariant.form", f"monotonic needs a number, got {compiled.type}", (*path, key))
        return None
    var = f"i{len(ctx.invariant_code)}"
    args = ", ".join(s.var for s in compiled.reads)
    ctx.invariant_code.append(f"def {var}({args}):\n    return {compiled.code}\n")
    shown = " ".join(str(text).split())
    ctx.notes.note(var, f"invariant {inv.id}, {key}: {shown}  ({ctx.where((*path, key))})")
    names = tuple(s.name for s in compiled.reads)
    return InvariantExpr(shown, var, names, ctx.refs(compiled.reads)[1])


def _check_perturb(ctx: Context, text: str, path: Path) -> bool:
    """``increasing_in``/``decreasing_in`` names an input that can grow: a number or a bool,
    a list (grows by one element), or ``list.field`` / ``map.key`` / ``record.field`` of a number."""
    head, _, sub = text.strip().partition(".")
    spec = ctx.inputs.get(head)
    target = _perturbed(spec, sub) if spec is not None and sub else spec
    ok = target is not None and (
        (target.type in _PERTURBABLE and target.enum is None)
        or target.type == "bool"
        or (target.type == "list" and not sub)
    )
    if not ok and head not in ctx.broken:
        ctx.error(
            "invariant.form",
            f"'{text}' is not an input that can grow: name a number, a bool or a list input, "
            "or a number field of one ('bookings.amount')",
            path,
        )
    return ok


def _perturbed(spec: InputField, sub: str) -> InputField | None:
    """The field ``sub`` of the elements of list ``spec``, of record ``spec``, or of map ``spec``."""
    if spec.type == "list" and spec.of is not None and spec.of.type == "record":
        return (spec.of.fields or {}).get(sub)
    if spec.type == "record":
        return (spec.fields or {}).get(sub)
    if spec.type == "map":
        return spec.values if not spec.keys or sub in spec.keys else None
    return None


def bind_invariants(infos: list[InvariantInfo], namespace: dict[str, Any]) -> list[InvariantInfo]:
    """``infos`` with each expression's function taken from the executed program's ``namespace``."""
    for info in infos:
        for part in (info.law, info.given):
            if part is not None:
                part.fn = namespace[part.var]
    return infos
