"""Declaring a decision table: its rows checked, then compiled to one generated function.

Table ``i`` becomes ``def t<i>(a0, a1, ...)``: one ``if`` per row in order, returning
(or, for a COLLECT table, gathering) the row's output; its cells and outputs are
named constants, never ruleset text.
"""

from __future__ import annotations

from typing import Any

from cmrules.compile._context import BAD, Context, Path
from cmrules.compile._tables import Cell, CellError, cells_overlap, parse_cell
from cmrules.expr._symbols import Callee
from cmrules.expr._types import INT, T, maybe, name_key, scalar
from cmrules.spec._model import Table

Row = tuple[list[Cell], Any]  # the row's cells and its output (None: no value)

_AGGREGATES = {
    "sum": "    return sum(out, _Z)",
    "min": "    return min(out, default=_Z)",
    "max": "    return max(out, default=_Z)",
    "count": "    return len(out)",
    "list": "    return out",
}


def declare_table(ctx: Context, i: int, name: str, table: Table) -> None:
    """Check table ``name`` (the ``i``-th) and declare it as a callee of generated function ``t<i>``."""
    path = ("tables", name)
    kinds: list[str] = [c.type for c in table.inputs]
    rows = _rows(ctx, path, table, kinds)
    if rows is None:
        ctx.broken.add(name)
        return
    if table.hit_policy == "UNIQUE":
        _check_overlaps(ctx, path, table, rows, kinds)
    var = f"t{i}"
    args = [f"a{j}" for j in range(len(table.inputs))]
    lines = [f"def {var}({', '.join(args)}):"]
    collect = table.hit_policy == "COLLECT"
    if collect:
        lines.append("    out = []")
    for cells, out in rows:
        cond = " and ".join(f"({c.code(a, ctx.consts)})" for c, a in zip(cells, args, strict=True))
        value = ctx.const_code(out)
        lines.append(f"    if {cond}:")
        lines.append(f"        out.append({value})" if collect else f"        return {value}")
    out_t = _ending(ctx, path, name, table, rows, lines)
    if out_t is None:
        return
    ctx.table_code.append("\n".join(lines) + "\n")
    ctx.callees[name_key(name)] = Callee(
        name, var, tuple(scalar(k) for k in kinds), out_t, percent=table.output.type == "rate"
    )
    ctx.notes.note(var, f"table {name}  ({ctx.where(path)})")
    ctx.notes.name(var, f"table {name}")


def _rows(ctx: Context, path: Path, table: Table, kinds: list[str]) -> list[Row] | None:
    """The table's rows parsed, or None once every bad cell and output is reported."""
    rows: list[Row] = []
    ok = True
    for r, row in enumerate(table.rows):
        if len(row.when) != len(table.inputs):
            ctx.error(
                "table.cell",
                f"row {r + 1} has {len(row.when)} cells for {len(table.inputs)} input columns",
                (*path, "rows", r, "when"),
            )
            ok = False
            continue
        cells = []
        for c, raw in enumerate(row.when):
            try:
                cells.append(parse_cell(raw, kinds[c]))
            except CellError as exc:
                ctx.error(
                    "table.cell",
                    f"row {r + 1}, column {table.inputs[c].name}: {exc}",
                    (*path, "rows", r, "when", c),
                )
                ok = False
        # null is "no value" (like an 'x if c else None' expression): e.g. no prize
        out = None
        if row.then is not None:
            what = f"row {r + 1} output: "
            out = ctx.converted(table.output.type, row.then, (*path, "rows", r, "then"), what, "table.cell")
        if out is BAD:
            ok = False
            continue
        rows.append((cells, out))
    return rows if ok else None


def _ending(ctx: Context, path: Path, name: str, table: Table, rows: list[Row], lines: list[str]) -> T | None:
    """Append the code after the rows (aggregate, default or no-row failure); the table's result type.

    None when a COLLECT table has a null output (reported).
    """
    out_t = scalar(table.output.type)
    nulls = [r for r, (_, out) in enumerate(rows) if out is None]
    collect = table.hit_policy == "COLLECT"
    if collect and nulls:
        ctx.error(
            "table.cell",
            f"row {nulls[0] + 1} output: a COLLECT table cannot give null",
            (*path, "rows", nulls[0], "then"),
        )
        return None
    if nulls or ("default" in table.model_fields_set and table.default is None):
        out_t = maybe(out_t)  # no prize: None
    if collect:
        agg = table.aggregate or "list"
        lines.append(_AGGREGATES[agg])
        return {"count": INT, "list": T("list", out_t)}.get(agg, out_t)
    if "default" in table.model_fields_set:
        default = None
        if table.default is not None:
            where = (*path, "default")
            default = ctx.converted(table.output.type, table.default, where, "default: ", "table.cell")
        if default is not BAD:
            lines.append(f"    return {ctx.const_code(default)}")
    else:
        lines.append(f"    raise _NoRow({ctx.consts.name(f'no row of table {name} matches')})")
    return out_t


def _check_overlaps(ctx: Context, path: Path, table: Table, rows: list[Row], kinds: list[str]) -> None:
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            witness = []
            for col, kind in enumerate(kinds):
                point = cells_overlap(rows[a][0][col], rows[b][0][col], kind)
                if point is None:
                    break
                witness.append(f"{table.inputs[col].name} = {point}")
            else:
                ctx.error(
                    "table.overlap",
                    f"UNIQUE table '{path[1]}': rows {a + 1} and {b + 1} overlap "
                    f"(both match {', '.join(witness)}); use hit policy FIRST to let "
                    "the earlier row win, or make the rows disjoint",
                    (*path, "rows", b),
                )
