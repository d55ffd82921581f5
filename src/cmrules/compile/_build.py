"""Turn a validated ruleset document into a compiled program.

Steps: declare names → compile every expression against the schema → build
the dependency graph of rules and facts → stratify it (cycles and conflicts
are load errors) → generate one Python function that runs the strata in order.
Every problem is reported to the sink with its location; nothing stops at the
first error.
"""

from __future__ import annotations

import ast
import datetime as dt
import keyword
import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from cmrules._money import Rounder
from cmrules._yaml import Located
from cmrules.compile import _runtime as runtime
from cmrules.compile._graph import Cycle, stratify
from cmrules.compile._program import InvariantExpr, InvariantInfo, Program, RuleInfo, element_var
from cmrules.compile._tables import CellError, TierFn, cells_overlap, parse_cell
from cmrules.errors import IssueSink
from cmrules.expr._calls import FUNCTIONS
from cmrules.expr._check import Checker
from cmrules.expr._errors import ExprError
from cmrules.expr._operators import as_decimal
from cmrules.expr._parse import ExprSyntaxError, in_range, out_of_range, parse
from cmrules.expr._symbols import CATEGORIES, RESERVED, Callee, Compiled, Consts, Scope, Symbol, line_var
from cmrules.expr._types import BOOL, INT, MONEY, STR, T, assignable, maybe, scalar
from cmrules.inputs._values import convert_value
from cmrules.spec._model import Fact, InputField, Invariant, LineSpec, Rule, RulesetDoc

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_BAD = object()  # a YAML value that could not be converted (its problem is reported)
_IDENT = re.compile(r"\b[_A-Za-z][_A-Za-z0-9]*\b")


#: Names an invariant can read besides the ruleset's own (which win on a clash).
SLIP_NAMES: dict[str, T] = {
    "net": MONEY,
    "carry_forward": MONEY,
    "earnings": MONEY,
    "deductions": MONEY,
    "notices": T("list", STR),  # the codes of the slip's notices
}
_PERTURBABLE = ("money", "decimal", "rate", "int")


@dataclass
class _Node:
    info: RuleInfo
    order: int
    salience: int
    reads: set[tuple[str, str]] = field(default_factory=set)
    writes: set[tuple[str, str]] = field(default_factory=set)
    code: list[str] = field(default_factory=list)
    when_at: int | None = None  # the line of ``code`` that tests the rule's ``when``


BUILTIN_INPUTS: dict[str, InputField] = {
    "employee": InputField(type="str"),
    "period": InputField(type="period"),
    "carried_deductions": InputField(type="money", ge=Decimal(0), default=Decimal(0)),
}
CARRIED_RULE = Rule(
    id="carried_deductions",
    label={"zh": "上期结转扣款", "en": "Deductions carried from last period"},  # type: ignore[arg-type]
    when="carried_deductions > 0",
    line=LineSpec(category="deduction", amount="carried_deductions"),
)


def input_type(spec: InputField, name: str = "") -> T:
    if spec.type == "list":
        assert spec.of is not None
        return T("list", input_type(spec.of, name))
    if spec.type == "record":
        assert spec.fields is not None
        return T("record", fields=tuple((k, input_type(v, k)) for k, v in spec.fields.items()), name=name)
    if spec.type == "map":
        assert spec.values is not None
        value_t = input_type(spec.values, name)
        return T("map", value_t, fields=tuple((k, value_t) for k in spec.keys or ()))
    return scalar(spec.type)


class Builder:
    def __init__(
        self, doc: RulesetDoc, located: Located, sink: IssueSink, optional_facts: frozenset[str] = frozenset()
    ):
        self.doc, self.loc, self.sink = doc, located, sink
        self.optional_facts = optional_facts  # facts whose readers must allow None
        self.none_facts: set[str] = set()  # facts found to be given a value that may be None
        self.consts = Consts()
        self.rounder = Rounder(doc.rounding.places, doc.rounding.mode)
        self.namespace: dict[str, Any] = runtime.globals_for(self.rounder)
        self.base = Scope({})
        self.callees: dict[str, Callee] = {}
        self.dated: list[tuple[str, list[tuple[dt.date, Any]]]] = []
        self.dated_vars: list[str] = []
        self.fact_syms: dict[str, Symbol] = {}
        self.fact_inits: dict[str, str] = {}  # fact name -> code of its starting value
        self.broken: set[str] = set()  # names whose declaration failed: their readers are not reported
        self.maybe_unknown: set[str] = set()
        self.nodes: list[_Node] = []
        self.table_code: list[str] = []
        self.inputs: dict[str, InputField] = {}
        self.invariant_infos: list[InvariantInfo] = []
        self.invariant_code: list[str] = []
        self.rule_index: dict[str, int] = {}  # rule id -> position (names its line-sum variable)
        self.when_code: dict[int, str] = {}  # rule index -> code of its when

    # -- reporting -----------------------------------------------------------
    def error(
        self,
        code: str,
        message: str,
        path: tuple[Any, ...],
        rule_id: str | None = None,
        at_key: bool = False,
        offset: int | None = None,
    ) -> None:
        """Report at ``path`` (its key with ``at_key``; character ``offset`` of its text if given)."""
        if offset is not None:
            line, col = self.loc.char_at(path, offset)
        else:
            line, col = self.loc.key_at(path) if at_key else self.loc.at(path)
        self.sink.add(code, message, line, col, rule_id)

    # -- names ---------------------------------------------------------------
    def _check_name(self, name: str, path: tuple[Any, ...], seen: dict[str, str]) -> bool:
        bad = (
            not name.isidentifier()
            or keyword.iskeyword(name)
            or name.startswith("_")
            or name in RESERVED
            or name in FUNCTIONS
        )
        if bad:
            self.error(
                "schema.name",
                f"'{name}' is not a usable name (an identifier, not a "
                "keyword, function or reserved word, not starting with '_')",
                path,
                at_key=True,
            )
            return False
        if name in seen:
            self.error(
                "schema.duplicate_name", f"'{name}' is already declared as {seen[name]}", path, at_key=True
            )
            return False
        seen[name] = path[0]
        return True

    def declare(self) -> None:
        seen: dict[str, str] = {}
        doc = self.doc
        self.inputs = dict(doc.inputs)
        for name, spec in BUILTIN_INPUTS.items():
            declared = self.inputs.get(name)
            if declared is None:
                self.inputs[name] = spec
            elif declared.type != spec.type:
                self.error(
                    "schema.type", f"input '{name}' must have type {spec.type}", ("inputs", name, "type")
                )
        for i, (name, spec) in enumerate(self.inputs.items()):
            if self._check_name(name, ("inputs", name), seen):
                self._check_fields(spec, ("inputs", name))
                self.base.symbols[name] = Symbol(name, input_type(spec, name), f"v{i}", ("input", name))
        for i, (name, param) in enumerate(doc.parameters.items()):
            if not self._check_name(name, ("parameters", name), seen):
                continue
            self._declare_param(i, name, param)
        for i, (name, table) in enumerate(doc.tables.items()):
            if self._check_name(name, ("tables", name), seen):
                self._declare_table(i, name, table)
        for i, (name, tier) in enumerate(doc.tiers.items()):
            if self._check_name(name, ("tiers", name), seen):
                self._declare_tier(i, name, tier)
        for i, (name, fact) in enumerate(doc.facts.items()):
            if self._check_name(name, ("facts", name), seen):
                typ = scalar(fact.type) if fact.type != "list" else T("list", None)
                null_default = (
                    fact.type != "list" and "default" in fact.model_fields_set and fact.default is None
                )
                if name in self.optional_facts or null_default:
                    typ = maybe(typ)
                sym = Symbol(name, typ, f"f{i}", ("fact", name))
                self.fact_syms[name] = sym
                self.base.symbols[name] = sym
                self.fact_inits[name] = self._fact_init(fact, sym)

    def _check_fields(self, spec: InputField, path: tuple[Any, ...], top: bool = True) -> None:
        for bound in ("ge", "gt", "le", "lt"):
            value = getattr(spec, bound)
            if value is not None and not in_range(value):
                self.error("schema.value", out_of_range(str(value)), (*path, bound))
        if not top and "default" in spec.model_fields_set:
            self.error(
                "schema.value",
                "only top-level inputs have a default; a record field, list element or map value "
                "is given in every element",
                (*path, "default"),
                at_key=True,
            )
        for sub, child in (spec.fields or {}).items():
            if not sub.isidentifier() or sub.startswith("_") or keyword.iskeyword(sub):
                self.error(
                    "schema.name", f"'{sub}' is not a usable field name", (*path, "fields", sub), at_key=True
                )
            self._check_fields(child, (*path, "fields", sub), top=False)
        for key, child in (("of", spec.of), ("values", spec.values)):
            if child is not None:
                self._check_fields(child, (*path, key), top=False)

    def _declare_param(self, i: int, name: str, param: Any) -> None:
        path = ("parameters", name)
        typ = scalar(param.type)
        if param.values is None:
            value = self._converted(param.type, param.value, (*path, "value"))
            if value is _BAD:
                self.broken.add(name)  # its readers are not reported again
                return
            var = self.consts.name(value)
            self.base.symbols[name] = Symbol(name, typ, var, ("param", name), param.type == "rate")
            return
        dated: list[tuple[dt.date, Any]] = []
        for j, item in enumerate(param.values):
            value = self._converted(param.type, item.value, (*path, "values", j, "value"))
            if value is not _BAD:
                dated.append((item.from_, value))
        if any(a[0] >= b[0] for a, b in pairwise(dated)):
            self.error(
                "param.dates", "dated values must be in strictly ascending 'from' order", (*path, "values")
            )
        var = f"p{i}"
        self.dated.append((name, dated))
        self.dated_vars.append(var)
        self.base.symbols[name] = Symbol(name, typ, var, ("param", name), param.type == "rate")

    def _converted(
        self, kind: str, raw: Any, path: tuple[Any, ...], what: str = "", code: str = "param.value"
    ) -> Any:
        """``raw`` converted to ``kind``, or :data:`_BAD` once the problem is reported at
        ``path`` (its message after ``what``). Money has at most the ruleset's places; a
        parameter or fact default shows them (3000.00), a table cell keeps its digits."""
        try:
            value = convert_value(kind, raw)
            if kind == "money":
                money = self._money(value)
                return value if code == "table.cell" else money
            return value
        except ValueError as exc:
            self.error(code, f"{what}{exc}", path)
            return _BAD

    def _money(self, value: Decimal) -> Decimal:
        """A money constant with the ruleset's places (more places would be a silent rounding)."""
        exact = value.quantize(self.rounder.exp)
        if exact != value:
            raise ValueError(f"{value} has more decimal places than the ruleset's {self.rounder.places}")
        return exact

    def _declare_table(self, i: int, name: str, table: Any) -> None:
        path = ("tables", name)
        var = f"t{i}"
        args = [f"a{j}" for j in range(len(table.inputs))]
        kinds = [c.type for c in table.inputs]
        rows_cells = []
        ok = True
        for r, row in enumerate(table.rows):
            if len(row.when) != len(table.inputs):
                self.error(
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
                    self.error(
                        "table.cell",
                        f"row {r + 1}, column {table.inputs[c].name}: {exc}",
                        (*path, "rows", r, "when", c),
                    )
                    ok = False
            # null is "no value" (like an 'x if c else None' expression): e.g. no prize
            out = None
            if row.then is not None:
                what = f"row {r + 1} output: "
                out = self._converted(
                    table.output.type, row.then, (*path, "rows", r, "then"), what, "table.cell"
                )
            if out is _BAD:
                ok = False
                continue
            rows_cells.append((cells, out))
        if not ok:
            self.broken.add(name)
            return
        if table.hit_policy == "UNIQUE":
            self._check_overlaps(path, table, rows_cells, kinds)
        lines = [f"def {var}({', '.join(args)}):"]
        collect = table.hit_policy == "COLLECT"
        if collect:
            lines.append("    out = []")
        for cells, out in rows_cells:
            cond = " and ".join(f"({c.code(a, self.consts)})" for c, a in zip(cells, args, strict=True))
            value = self._const_code(out)
            lines.append(f"    if {cond}:")
            lines.append(f"        out.append({value})" if collect else f"        return {value}")
        out_t = scalar(table.output.type)
        nulls = [r for r, (_, out) in enumerate(rows_cells) if out is None]
        if collect and nulls:
            self.error(
                "table.cell",
                f"row {nulls[0] + 1} output: a COLLECT table cannot give null",
                (*path, "rows", nulls[0], "then"),
            )
            return
        if nulls or ("default" in table.model_fields_set and table.default is None):
            out_t = maybe(out_t)  # no prize: None
        if collect:
            agg = table.aggregate or "list"
            lines.append(
                {
                    "sum": "    return sum(out, _Z)",
                    "min": "    return min(out, default=_Z)",
                    "max": "    return max(out, default=_Z)",
                    "count": "    return len(out)",
                    "list": "    return out",
                }[agg]
            )
            out_t = {"count": INT, "list": T("list", out_t)}.get(agg, out_t)
        elif "default" in table.model_fields_set:
            default = None
            if table.default is not None:
                where = (*path, "default")
                default = self._converted(table.output.type, table.default, where, "default: ", "table.cell")
            if default is not _BAD:
                lines.append(f"    return {self._const_code(default)}")
        else:
            lines.append(f"    raise _NoRow({self.consts.name(f'no row of table {name} matches')})")
        self.table_code.append("\n".join(lines) + "\n")
        self.callees[name] = Callee(name, var, tuple(scalar(k) for k in kinds), out_t)

    def _check_overlaps(self, path: tuple[Any, ...], table: Any, rows: list[Any], kinds: list[str]) -> None:
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                witness = []
                for col, kind in enumerate(kinds):
                    point = cells_overlap(rows[a][0][col], rows[b][0][col], kind)
                    if point is None:
                        break
                    witness.append(f"{table.inputs[col].name} = {point}")
                else:
                    self.error(
                        "table.overlap",
                        f"UNIQUE table '{path[1]}': rows {a + 1} and {b + 1} overlap "
                        f"(both match {', '.join(witness)}); use hit policy FIRST to let "
                        "the earlier row win, or make the rows disjoint",
                        (*path, "rows", b),
                    )

    def _const_code(self, value: Any) -> str:
        if value is None or isinstance(value, (bool, int)):
            return repr(value)
        return self.consts.name(value)

    def _declare_tier(self, i: int, name: str, tier: Any) -> None:
        path = ("tiers", name)
        brackets = []
        for j, b in enumerate(tier.brackets):
            at = (*path, "brackets", j)
            start = self._converted("decimal", b.from_, (*at, "from"))
            brackets.append((start, self._converted("rate", b.rate, (*at, "rate"))))
        if any(v is _BAD for bracket in brackets for v in bracket):
            self.broken.add(name)
            return
        if any(a[0] >= b[0] for a, b in pairwise(brackets)):
            self.error(
                "tier.order", "brackets must start at strictly ascending 'from' values", (*path, "brackets")
            )
            return
        fn = TierFn(tier.mode, brackets)
        var = f"r{i}"
        self.namespace[var] = fn
        self.callees[name] = Callee(name, var, (MONEY,), MONEY, tier=fn)

    # -- expressions ------------------------------------------------------------
    def compile_expr(
        self,
        checker: Checker,
        text: str,
        scope: Scope,
        path: tuple[Any, ...],
        rule_id: str | None,
        want: T | None = None,
        base: int = 0,
    ) -> Compiled | None:
        """Compile ``text``, found at character ``base`` of the YAML value at ``path``."""
        try:
            parsed = parse(text)
        except ExprSyntaxError as exc:
            self.error(exc.code, exc.message, path, rule_id, offset=base + exc.offset)
            return None
        try:
            return checker.compile(parsed, scope, want)
        except ExprError as exc:
            if _named(exc) in self.broken:  # already reported where it is declared
                return None
            offset = parsed.source_offset(exc.node) if exc.node is not None else 0
            self.error(exc.code, exc.message, path, rule_id, offset=base + offset)
            return None
        except RecursionError:
            self.error("expr.too_complex", "expression nests too deeply", path, rule_id, offset=base)
            return None

    # -- the whole ruleset -------------------------------------------------------
    def build(self) -> Program | None:
        self.declare()
        rules = [*self.doc.rules, CARRIED_RULE]
        ids: dict[str, int] = {}
        line_kinds: dict[str, str] = {}
        for r, rule in enumerate(rules):
            if rule.id in ids:
                self.error(
                    "schema.duplicate_name", f"rule id '{rule.id}' is used twice", ("rules", r, "id"), rule.id
                )
            ids.setdefault(rule.id, r)
            if rule.line is not None:
                line_kinds[rule.id] = rule.line.category
            elif rule.forfeit is not None:
                line_kinds[rule.id] = "forfeiture"
        self.rule_index = ids
        checker = Checker(self.callees, self.consts, self.doc.rounding.places, ids, line_kinds)
        # Facts that may stay unknown, known before any guard is generated: those no
        # expression computes and no default covers (rules reading them do not fire).
        self.maybe_unknown = {
            name
            for name, fact in self.doc.facts.items()
            if fact.expr is None
            and "default" not in fact.model_fields_set
            and fact.combine in (None, "max", "min")
        }
        order = 0
        computed: list[tuple[_Node, Compiled]] = []
        for name, fact in self.doc.facts.items():
            if name in self.fact_syms and fact.expr is not None:
                made = self._fact_node(checker, name, fact, order)
                if made is not None:
                    computed.append(made)
            order += 1
        self._fact_code(computed)
        for r, rule in enumerate(rules):
            self._rule_node(checker, rule, r, order, line_kinds, ids)
            order += 1
        self._invariants(checker)
        self._check_writers()
        # stratified even after other errors: a rule or fact that failed to compile is
        # left out, which can hide a cycle but never make one up
        ordered = self._stratify()
        if ordered is None or self.sink.issues:
            return None
        return self._generate(ordered, checker)

    def _fact_node(
        self, checker: Checker, name: str, fact: Fact, order: int
    ) -> tuple[_Node, Compiled] | None:
        path = ("facts", name, "expr")
        sym = self.fact_syms[name]
        compiled = self.compile_expr(checker, fact.expr, self.base, path, None)
        if compiled is None:
            return None
        if not assignable(compiled.type, sym.type):
            self.error(
                "expr.type",
                f"fact '{name}' is declared {sym.type}, the expression gives {compiled.type}",
                path,
            )
            return None
        if compiled.type.optional:  # the fact may be None: its readers are checked for that
            self.none_facts.add(name)
        info = RuleInfo(
            len(self.nodes),
            name,
            {"zh": name, "en": name},
            "fact",
            self.loc.at(path),
            trace_names=tuple(s.name for s in compiled.reads),
            trace_refs=self._refs(compiled.reads)[1],
        )
        node = _Node(info, order, 0)
        node.reads = {s.dep for s in compiled.reads if s.dep}
        node.writes = {("fact", name)}
        self.nodes.append(node)
        return node, compiled

    def _fact_code(self, computed: list[tuple[_Node, Compiled]]) -> None:
        """Code of the computed facts, once it is known which of them may be unknown.

        A computed fact is unknown when a fact it reads may be; declaration order does
        not matter, so this grows the set to a fixpoint before generating any guard.
        """
        grown = True
        while grown:
            grown = False
            for node, compiled in computed:
                if node.info.id not in self.maybe_unknown and self._guard(compiled.reads):
                    self.maybe_unknown.add(node.info.id)
                    grown = True
        for node, compiled in computed:
            sym = self.fact_syms[node.info.id]
            code = _as_declared(compiled, sym.type)
            guard = self._guard(compiled.reads)
            value = f"({code} if {guard} else _U)" if guard else f"({code})"
            node.code = [f"{sym.var} = {value}", f"TR(({node.info.index}, None, ()))"]

    def _guard(self, reads: tuple[Symbol, ...]) -> str:
        return " and ".join(
            f"{s.var} is not _U"
            for s in reads
            if s.dep and s.dep[0] == "fact" and s.dep[1] in self.maybe_unknown
        )

    def _refs(self, reads: Any) -> tuple[str, tuple[tuple[str, Any], ...]]:
        """Where each read value can be found after the run, and the code of the rule-local ones.

        Stratification runs every reader after every writer, so inputs, parameters,
        facts, line sums and totals still hold at the end of the run the values a rule
        read; only rule-local names (the element, ``let``) are captured when it fires.
        """
        local: list[str] = []
        refs: list[tuple[str, Any]] = []
        for sym in reads:
            kind = sym.dep[0] if sym.dep else "local"
            if kind == "local":
                refs.append(("local", len(local)))
                local.append(sym.var)
            elif kind == "param":
                dated = sym.var in self.dated_vars
                refs.append(("dated", self.dated_vars.index(sym.var)) if dated else ("const", sym.var))
            elif kind == "fact":
                refs.append(("fact", list(self.doc.facts).index(sym.dep[1])))
            else:
                refs.append((kind, sym.dep[1]))
        return "".join(f"{v}, " for v in local), tuple(refs)

    def _rule_node(
        self,
        checker: Checker,
        rule: Rule,
        r: int,
        order: int,
        line_kinds: dict[str, str],
        ids: dict[str, int],
    ) -> None:
        rid = rule.id
        path = ("rules", r)
        builtin = rule is CARRIED_RULE
        info = RuleInfo(
            len(self.nodes),
            rid,
            rule.label.model_dump(),
            "builtin" if builtin else "rule",
            (0, 0) if builtin else self.loc.at(path),
            when=rule.when,
            for_each=rule.for_each,
        )
        node = _Node(info, order, rule.salience)
        scope = Scope({}, self.base)
        reads: dict[str, Symbol] = {}
        ok = True

        def comp(text: str, sub: tuple[Any, ...], want: T | None = None, base: int = 0) -> Compiled | None:
            nonlocal ok
            compiled = self.compile_expr(checker, text, scope, (*path, *sub), rid, want, base)
            if compiled is None:
                ok = False
                return None
            for sym in compiled.reads:
                reads.setdefault(sym.var, sym)
            return compiled

        loop = ""
        if rule.for_each is not None:
            match = re.fullmatch(r"\s*(\w+)\s+in\s+(.+)", rule.for_each)
            if match is None or not match.group(1).isidentifier() or match.group(1).startswith("_"):
                self.error(
                    "expr.syntax",
                    "for_each reads 'name in list', e.g. 'b in bookings'",
                    (*path, "for_each"),
                    rid,
                )
                return
            if scope.get(match.group(1)) is not None:  # as for a let name: no silent shadowing
                self.error(
                    "schema.name",
                    f"for_each name '{match.group(1)}' hides a declared name",
                    (*path, "for_each"),
                    rid,
                    offset=match.start(1),
                )
                ok = False
            lst = comp(match.group(2), ("for_each",), base=match.start(2))
            if lst is None:
                return
            if lst.type.optional or lst.type.kind != "list" or lst.type.elem is None:
                self.error("expr.type", f"for_each needs a list, got {lst.type}", (*path, "for_each"), rid)
                return
            # the iterated list orders the rule but is not repeated in every element's trace entry
            node.reads |= {sym.dep for sym in lst.reads if sym.dep}
            for sym in lst.reads:
                reads.pop(sym.var, None)
            elem = Symbol(match.group(1), lst.type.elem, element_var(info.index), None)
            scope.symbols[elem.name] = elem
            loop = f"for n{info.index}, e{info.index} in enumerate({lst.code}):"
        lets = []
        for name, text in rule.let.items():
            if not name.isidentifier() or name.startswith("_") or scope.get(name) is not None:
                self.error(
                    "schema.name",
                    f"let name '{name}' is not usable or hides a declared name (or the for_each name)",
                    (*path, "let", name),
                    rid,
                    at_key=True,
                )
                ok = False
                continue
            compiled = comp(text, ("let", name))
            if compiled is not None:
                sym = Symbol(name, compiled.type, f"l{info.index}_{len(lets)}", None)
                lets.append(f"{sym.var} = {compiled.code}")
                scope.symbols[name] = sym
                reads.setdefault(sym.var, sym)
        when = comp(rule.when, ("when",), BOOL) if rule.when is not None else None
        if when is not None:
            info.when_names = tuple(s.name for s in when.reads)
            info.when_refs = self._refs(when.reads)[1]
        body: list[str] = []
        if rule.line is not None and rule.forfeit is not None:
            self.error(
                "rule.no_effect",
                "a rule makes either a line or a forfeiture, not both",
                (*path, "forfeit"),
                rid,
                at_key=True,
            )
            ok = False
        if rule.line is not None:
            amount = comp(rule.line.amount, ("line", "amount"), MONEY)
            if amount is not None:
                info.category = rule.line.category
                info.explain = amount.explain
                info.explain_vars = tuple(s.var for s in amount.reads)
                body += self._line_code(info, rid, amount.code, amount.reads, node, amount.type.kind == "int")
        if rule.forfeit is not None:
            target = rule.forfeit.rule
            if target in self.broken and target not in ids:  # its rule is already reported
                ok = False
            elif target not in ids or target not in line_kinds or target == rid:
                self.error(
                    "rule.unknown_target",
                    f"forfeit names '{target}', which is not another rule that makes lines",
                    (*path, "forfeit", "rule"),
                    rid,
                )
                ok = False
            else:
                info.category = "forfeiture"
                info.forfeits = target
                info.forfeit_reason = rule.forfeit.reason.model_dump() if rule.forfeit.reason else None
                node.reads.add(("lines", target))
                var = line_var(ids[target])
                forfeited = Symbol(f"lines.{target}", MONEY, var, ("lines", target))
                body += [f"if {var}:"]
                body += ["    " + c for c in self._line_code(info, rid, var, (forfeited,), node)]
        for kind, mapping in (("set", rule.set), ("contribute", rule.contribute)):
            for fact_name, text in mapping.items():
                sym = self.fact_syms.get(fact_name)
                decl = self.doc.facts.get(fact_name)
                if sym is None and fact_name in self.broken:  # its declaration is already reported
                    ok = False
                    continue
                if sym is None or decl is None:
                    self.error(
                        "rule.unknown_target",
                        f"{kind} names '{fact_name}', which is not a declared fact",
                        (*path, kind, fact_name),
                        rid,
                        at_key=True,
                    )
                    ok = False
                    continue
                compiled = comp(text, (kind, fact_name))
                if compiled is None:
                    continue
                collects = kind == "contribute" and decl.combine == "list"  # each contribution is an element
                if kind == "contribute" and compiled.type.optional:
                    self.error(
                        "expr.type",
                        f"a contribution to '{fact_name}' cannot be None (no value); got {compiled.type}",
                        (*path, kind, fact_name),
                        rid,
                    )
                    ok = False
                    continue
                if compiled.type.optional:  # the fact may be None: its readers are checked for that
                    self.none_facts.add(fact_name)
                if not collects and not assignable(compiled.type, sym.type):
                    self.error(
                        "expr.type",
                        f"fact '{fact_name}' is {sym.type}, this gives {compiled.type}",
                        (*path, kind, fact_name),
                        rid,
                    )
                    ok = False
                    continue
                node.writes.add(("fact", fact_name))
                code = _as_declared(compiled, sym.type)
                body += self._assign_code(kind, decl, sym, code, rid, path, fact_name)
        if rule.notice is not None:
            body += self._notice_code(info, rule, comp, path)
        if not (rule.line or rule.forfeit or rule.set or rule.contribute or rule.notice):
            self.error(
                "rule.no_effect", "the rule has no line, forfeit, set, contribute or notice", path, rid
            )
            ok = False
        if not ok:
            return
        node.reads |= {s.dep for s in reads.values() if s.dep}
        info.trace_names = tuple(s.name for s in reads.values())
        local, info.trace_refs = self._refs(reads.values())
        index = f"n{info.index}" if loop else "None"
        body.append(f"TR(({info.index}, {index}, ({local})))")
        code = list(lets)
        if when is not None:
            node.when_at = len(code)
            code.append(f"if {when.code}:")
            code += ["    " + c for c in body]
        else:
            code += body
        if loop:
            code = [loop] + ["    " + c for c in code]
        guard = self._guard(tuple(reads.values()))
        if guard:
            code = [f"if {guard}:"] + ["    " + c for c in code]
        if node.when_at is not None:
            node.when_at += bool(loop) + bool(guard)
            self.when_code[info.index] = when.code  # type: ignore[union-attr]
        node.code = code
        self.nodes.append(node)

    def _line_code(
        self,
        info: RuleInfo,
        rid: str,
        amount: str,
        capture: tuple[Symbol, ...],
        node: _Node,
        is_int: bool = False,
    ) -> list[str]:
        category = info.category
        assert category is not None
        local, info.explain_refs = self._refs(capture)
        node.writes |= {("lines", rid), ("totals", category)}
        index = f"n{info.index}" if info.for_each else "None"
        element = f"e{info.index}" if info.for_each else "None"
        check = [] if category == "adjustment" else ["if a < 0: _neg(a)"]
        # a method call with positional arguments: several times cheaper than a partial
        rounded = f"({amount}).quantize(_E, _M)" if not is_int else f"_D({amount}).quantize(_E, _M)"
        constant = self.consts.values.get(amount)
        if isinstance(constant, Decimal) and constant >= 0:  # a fixed amount: rounded once, here
            rounded, check = self.consts.name(constant.quantize(self.rounder.exp, self.rounder.mode)), []
        elif category == "adjustment":
            rounded += " + 0"  # turns -0.00 into 0.00
        return [
            f"a = {rounded}",
            *check,
            f"{line_var(self.rule_index[rid])} += a",
            f"T_{category} += a",
            *(["if a > 0: T_adjpos += a", "else: T_adjneg -= a"] if category == "adjustment" else []),
            f"LN(({info.index}, a, {index}, {element}, ({local})))",
        ]

    def _assign_code(
        self, kind: str, decl: Fact, sym: Symbol, code: str, rid: str, path: tuple[Any, ...], fact_name: str
    ) -> list[str]:
        var = sym.var
        if kind == "set":
            return [f"{var} = {code}"]
        combine = decl.combine
        if combine is None:
            self.error(
                "rule.conflict",
                f"fact '{fact_name}' declares no 'combine', so rules can only 'set' it",
                (*path, kind, fact_name),
                rid,
                at_key=True,
            )
            return []
        return {
            "sum": [f"{var} += {code}"],
            "any": [f"{var} = {var} or {code}"],
            "all": [f"{var} = {var} and {code}"],
            "max": [f"c = {code}", f"{var} = c if {var} is _U else max({var}, c)"],
            "min": [f"c = {code}", f"{var} = c if {var} is _U else min({var}, c)"],
            "list": [f"{var}.append({code})"],
        }[combine]

    def _notice_code(self, info: RuleInfo, rule: Rule, comp: Any, path: tuple[Any, ...]) -> list[str]:
        assert rule.notice is not None
        templates: dict[str, list[Any]] = {}
        codes: list[str] = []
        types: list[T] = []
        for lang in ("zh", "en"):
            text = getattr(rule.notice.text, lang)
            parts: list[Any] = []
            pos = 0
            for match in _PLACEHOLDER.finditer(text):
                parts.append(text[pos : match.start()])
                compiled = comp(match.group(1), ("notice", "text", lang), base=match.start(1))
                if compiled is not None:
                    parts.append(len(codes))
                    codes.append(compiled.code)
                    types.append(compiled.type)
                pos = match.end()
            parts.append(text[pos:])
            templates[lang] = parts
        info.notice = (rule.notice.kind, rule.notice.code, templates)
        info.notice_types = tuple(types)
        return [f"NT(({info.index}, ({''.join(c + ', ' for c in codes)})))"]

    def _check_writers(self) -> None:
        setters: dict[str, list[_Node]] = {}
        for node in self.nodes:
            for kind, name in node.writes:
                if kind == "fact":
                    setters.setdefault(name, []).append(node)
        for name, fact in self.doc.facts.items():
            nodes = setters.get(name, [])
            sym = self.fact_syms.get(name)
            if sym is None:
                continue
            if fact.combine is None and fact.expr is None:
                if len(nodes) > 1:
                    ids = ", ".join(n.info.id for n in nodes)
                    self.error(
                        "rule.conflict",
                        f"fact '{name}' is set by several rules ({ids}) but declares no 'combine'",
                        ("facts", name),
                        at_key=True,
                    )
                elif nodes and nodes[0].info.for_each:
                    self.error(
                        "rule.conflict",
                        f"fact '{name}' is set once per element by rule "
                        f"{nodes[0].info.id}; declare a 'combine'",
                        ("facts", name),
                        at_key=True,
                    )
            elif fact.expr is not None and len(nodes) > 1:
                ids = ", ".join(n.info.id for n in nodes if n.info.kind != "fact")
                self.error(
                    "rule.conflict",
                    f"fact '{name}' is computed by its expr and also set by rules ({ids})",
                    ("facts", name),
                    at_key=True,
                )

    def _stratify(self) -> list[_Node] | None:
        order = stratify([(n.reads, n.writes, -n.salience, n.order) for n in self.nodes])
        if isinstance(order, Cycle):
            self._report_cycle(order.path)
            return None
        return [self.nodes[i] for i in order]

    def _report_cycle(self, cycle: list[int]) -> None:
        infos = [self.nodes[i].info for i in cycle]
        chain = " → ".join(f"{x.id} (line {x.position[0]})" for x in infos)
        first = infos[0]
        self.sink.add(
            "rule.cycle",
            f"rules depend on each other in a cycle: {chain}",
            first.position[0] or 1,
            first.position[1] or 1,
            first.id if first.kind != "fact" else None,
        )

    # -- invariants ----------------------------------------------------------------
    def _invariants(self, checker: Checker) -> None:
        """Compile the ``invariants:`` laws against the declared names plus :data:`SLIP_NAMES`.

        Each expression becomes a small function of the values it reads, so an
        invariant costs nothing at evaluation time and its errors are located at load.
        """
        slip = Scope({n: Symbol(n, t, f"s_{n}", ("slip", n)) for n, t in SLIP_NAMES.items()})
        scope = Scope(dict(self.base.symbols), slip)
        seen: set[str] = set()
        for i, inv in enumerate(self.doc.invariants):
            path = ("invariants", i)
            if inv.id in seen:
                self.error("schema.duplicate_name", f"invariant id '{inv.id}' is used twice", (*path, "id"))
                continue
            seen.add(inv.id)
            key = "always" if inv.always is not None else "monotonic"
            law = self._invariant_expr(checker, inv, key, scope, path)
            given = self._invariant_expr(checker, inv, "given", scope, path) if inv.given else None
            perturb, direction = None, 0
            if inv.monotonic is not None:
                up = inv.increasing_in is not None
                perturb = inv.increasing_in if up else inv.decreasing_in
                direction = 1 if up else -1
                assert perturb is not None
                if not self._check_perturb(perturb, (*path, "increasing_in" if up else "decreasing_in")):
                    continue
            if law is None or (inv.given and given is None):
                continue
            label = inv.label.model_dump() if inv.label else None
            info = InvariantInfo(inv.id, label, self.loc.at(path), law, given, perturb, direction)
            self.invariant_infos.append(info)

    def _invariant_expr(
        self, checker: Checker, inv: Invariant, key: str, scope: Scope, path: tuple[Any, ...]
    ) -> InvariantExpr | None:
        text = getattr(inv, key)
        want = None if key == "monotonic" else BOOL
        compiled = self.compile_expr(checker, text, scope, (*path, key), None, want)
        if compiled is None:
            return None
        if key == "monotonic" and (compiled.type.optional or not compiled.type.numeric):
            self.error("invariant.form", f"monotonic needs a number, got {compiled.type}", (*path, key))
            return None
        var = f"i{len(self.invariant_code)}"
        args = ", ".join(s.var for s in compiled.reads)
        self.invariant_code.append(f"def {var}({args}):\n    return {compiled.code}\n")
        names = tuple(s.name for s in compiled.reads)
        return InvariantExpr(" ".join(str(text).split()), var, names, self._refs(compiled.reads)[1])

    def _check_perturb(self, text: str, path: tuple[Any, ...]) -> bool:
        """``increasing_in``/``decreasing_in`` names an input that can grow: a number or a bool,
        a list (grows by one element), or ``list.field`` / ``map.key`` / ``record.field`` of a number."""
        head, _, sub = text.strip().partition(".")
        spec = self.inputs.get(head)
        target: InputField | None = spec
        if spec is not None and sub:
            if spec.type == "list" and spec.of is not None and spec.of.type == "record":
                target = (spec.of.fields or {}).get(sub)
            elif spec.type == "record":
                target = (spec.fields or {}).get(sub)
            elif spec.type == "map":
                target = spec.values if not spec.keys or sub in spec.keys else None
            else:
                target = None
        ok = target is not None and (
            (target.type in _PERTURBABLE and target.enum is None)
            or target.type == "bool"
            or (target.type == "list" and not sub)
        )
        if not ok and head not in self.broken:
            self.error(
                "invariant.form",
                f"'{text}' is not an input that can grow: name a number, a bool or a list input, "
                "or a number field of one ('bookings.amount')",
                path,
            )
        return ok

    def _bind_invariants(self, namespace: dict[str, Any]) -> list[InvariantInfo]:
        for info in self.invariant_infos:
            for part in (info.law, info.given):
                if part is not None:
                    part.fn = namespace[part.var]
        return self.invariant_infos

    # -- code generation -----------------------------------------------------------
    def _generate(self, ordered: list[_Node], checker: Checker) -> Program:
        out = ["def run(I, P, LN, NT, TR):"]
        for name, sym in self.base.symbols.items():
            if sym.dep and sym.dep[0] == "input":
                out.append(f"    {sym.var} = I[{self.consts.name(name)}]")
        for j, var in enumerate(self.dated_vars):
            out.append(f"    {var} = P[{j}]")
        read = _drop_unread_line_sums(ordered)
        for position in sorted({self.rule_index[n.info.id] for n in ordered if n.info.category}):
            if line_var(position) in read:
                out.append(f"    {line_var(position)} = _Z")
        for cat in CATEGORIES:
            out.append(f"    T_{cat} = _Z0")
        out.append("    T_adjpos = T_adjneg = _Z0")
        for name in self.doc.facts:
            out.append(f"    {self.fact_syms[name].var} = {self.fact_inits[name]}")
        whens: dict[int, tuple[int, str]] = {}
        for node in ordered:
            out.append(f"    # {node.info.kind} {node.info.id}")
            out.append("    try:")
            if node.when_at is not None:
                whens[node.info.index] = (len(out) - 1 + node.when_at, self.when_code[node.info.index])
            out += ["        " + c for c in node.code]
            out.append("    except (ArithmeticError, TypeError) as exc:")
            out.append(f"        raise _Fail({node.info.index}, _why(exc))")
        facts = [self.fact_syms[n].var for n in self.doc.facts]
        out.append(
            f"    return ({''.join(v + ', ' for v in facts)}), T_earning + T_adjpos, "
            "T_deduction + T_fine + T_forfeiture + T_adjneg"
        )
        namespace = self.namespace
        namespace.update(self.consts.values)
        # bind every global the plan uses as a keyword default: locals are faster to read
        used = sorted(set(_IDENT.findall("\n".join(out[1:]))) & set(namespace) - {"__builtins__"})
        defaults = ", ".join(f"{n}={n}" for n in used)
        out[0] = f"def run(I, P, LN, NT, TR, *, {defaults}):"
        source = "\n".join([*checker.lambdas, *self.table_code, *self.invariant_code, "\n".join(out)]) + "\n"
        code = compile(source, f"<cmrules {self.doc.id} {self.doc.version}>", "exec")
        exec(code, namespace)  # generated from the checked tree only; see module docstring
        infos = sorted((n.info for n in self.nodes), key=lambda x: x.index)
        return Program(
            run=namespace["run"],
            namespace=namespace,
            rules=infos,
            facts=[(n, self.fact_syms[n].type) for n in self.doc.facts],
            dated=self.dated,
            input_types={k: s.type for k, s in self.base.symbols.items() if s.dep and s.dep[0] == "input"},
            rounder=self.rounder,
            source=source,
            invariants=self._bind_invariants(namespace),
            input_vars={s.var: k for k, s in self.base.symbols.items() if s.dep and s.dep[0] == "input"},
            plan=out[1:],
            plan_defaults=defaults,
            whens=whens,
        )

    def _fact_init(self, fact: Fact, sym: Symbol) -> str:
        """The code of a fact's starting value (its default is checked here, at declaration)."""
        if "default" in fact.model_fields_set:
            path = ("facts", sym.name, "default")
            if fact.type == "list":
                if fact.default not in (None, []):
                    self.error("param.value", "a list fact starts empty: its default can only be []", path)
                return "[]"
            if fact.default is None:
                return "None"
            value = self._converted(fact.type, fact.default, path, f"default of fact '{sym.name}': ")
            return "_U" if value is _BAD else self._const_code(value)
        return {
            "sum": "0" if sym.type.kind == "int" else "_Z",
            "any": "False",
            "all": "True",
            "list": "[]",
        }.get(fact.combine or "", "_U")


_LINE_SUM = re.compile(r"\s*(L\d+) \+= a")
_LINE_VAR = re.compile(r"\bL\d+\b")


def _drop_unread_line_sums(ordered: list[_Node]) -> set[str]:
    """Keep a rule's running line sum (``L<k> += a``) only where some code reads it, such as
    a forfeiture or a ``lines.<rule>`` expression; return the sums that are read.

    The slip's own per-rule totals come from its lines, so the rest is work for nothing.
    """
    read = {v for n in ordered for c in n.code if not _LINE_SUM.fullmatch(c) for v in _LINE_VAR.findall(c)}
    for node in ordered:
        kept = []
        for i, line in enumerate(node.code):
            store = _LINE_SUM.fullmatch(line)
            if store and store.group(1) not in read:
                if node.when_at is not None and i < node.when_at:
                    node.when_at -= 1
                continue
            kept.append(line)
        node.code = kept
    return read


def _named(exc: ExprError) -> str | None:
    """The name an unknown-name or unknown-function error is about (``lines.<id>``: the id)."""
    node = exc.node
    if exc.code == "expr.unknown_name":
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
    if exc.code == "expr.unknown_function" and isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _as_declared(compiled: Compiled, target: T) -> str:
    """The code of a value stored in a fact: an int made Decimal where money or decimal is declared."""
    if target.kind in ("money", "decimal"):
        return as_decimal(compiled.code, compiled.type)
    return compiled.code


def build(
    doc: RulesetDoc, located: Located, sink: IssueSink, broken: frozenset[str] = frozenset()
) -> Program | None:
    """The program of ``doc``, or None when it has errors (in ``sink``); the names in
    ``broken`` were declared by entries already reported, so their readers are not."""
    optional: frozenset[str] = frozenset()
    while True:  # until every fact that may be None is typed so (once more per such fact at most)
        trial = IssueSink(sink.file, sink.source)
        builder = Builder(doc, located, trial, optional)
        builder.broken |= broken
        program = builder.build()
        if builder.none_facts <= optional:
            break
        optional |= builder.none_facts
    sink.issues.extend(trial.issues)
    return program
