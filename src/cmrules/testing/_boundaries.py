"""The numbers a ruleset compares its inputs with, harvested from its text.

:func:`boundary_values` gives, by input path, the literals and parameter values of the
comparisons (``min``/``max``, decision-table and tier calls too) that read the input;
:func:`ruleset_constants` every numeric constant, whatever it is compared with.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from os import PathLike
from typing import Any

from cmrules.expr._parse import ExprSyntaxError, parse
from cmrules.inputs._values import convert_value
from cmrules.ruleset._ruleset import Ruleset, Version, versions_of
from cmrules.spec._model import InputField, RulesetDoc
from cmrules.testing._rulesets import NUMERIC, as_ruleset, input_fields

__all__ = ["boundary_values", "ruleset_constants"]

_CELL_NUMBER = re.compile(r"-?\d+(?:\.\d+)?%?")
_ITEMS_KEY = re.compile(r"\s*(\w+)\s+in\s+(\w+)\s*")


def size_key(path: str) -> str:
    """The pool key of the length of the list at ``path``: ``len(orders)``."""
    return f"len({path})"


def list_sizes(found: dict[str, set[Decimal]], fields: dict[str, InputField]) -> dict[str, set[int]]:
    """The lengths each list input is compared with (whole numbers >= 0), by list path.

    ``found`` are pools as :func:`pools` gives them; a path that does not name a list
    (``len(employee)`` of a str) is left out.
    """
    out: dict[str, set[int]] = {}
    for key, values in found.items():
        if not (key.startswith("len(") and key.endswith(")")):
            continue
        path = key[4:-1]
        if list_field(path, fields) is None:
            continue
        out[path] = {int(v) for v in values if v >= 0 and v == v.to_integral_value()}
    return out


def list_field(path: str, fields: dict[str, InputField]) -> InputField | None:
    """The list field at ``path`` (``orders``, ``orders.parcels`` in a list's records), or None."""
    head, *rest = path.split(".")
    spec = fields.get(head)
    for part in rest:
        if spec is None:
            return None
        holder = spec.of if spec.type == "list" else spec
        spec = (holder.fields or {}).get(part) if holder is not None else None
    return spec if spec is not None and spec.type == "list" else None


def boundary_values(ruleset: Ruleset | Version | str | PathLike[str]) -> dict[str, set[Decimal]]:
    """The numbers the rules compare each input against, by input path (``bookings.amount``).

    A comparison (``<``, ``>=`` …, ``min``/``max``, a decision-table or tier call)
    associates the literals and parameter values in it with every input it reads,
    following facts, ``let`` names and loop variables back to the inputs: in the bar
    ruleset ``performance > performance_target`` gives 40000 to ``bookings.amount``.
    """
    return {k: v for k, v in pools(flows(ruleset)).items() if not k.startswith("len(")}


def ruleset_constants(ruleset: Ruleset | Version | str | PathLike[str]) -> set[Decimal]:
    """Every numeric constant of the ruleset, whatever it is compared with.

    Parameter values (each dated value), decision-table cells (the numbers in the
    conditions and the outputs), tier bracket bounds, and the literals of every
    comparison and ``min``/``max``.  In the securities plan the task 1,000,000 is a
    table output that ``new_assets`` is only divided by, and the contribution floor
    2,000 is compared with a total, not an input: both are here, neither is in
    :func:`boundary_values`.
    """
    return {value for flow in flows(ruleset) for values in flow.constants.values() for value in values}


def flows(ruleset: Ruleset | Version | str | PathLike[str]) -> list[Flow]:
    """The flow of each version of ``ruleset``, run."""
    out = []
    for version in versions_of(as_ruleset(ruleset)):
        flow = Flow(version.doc, input_fields(version))
        flow.run()
        out.append(flow)
    return out


def pools(runs: list[Flow]) -> dict[str, set[Decimal]]:
    """The boundary values of each input path, over the flows of every version."""
    out: dict[str, set[Decimal]] = {}
    for flow in runs:
        for path, values in flow.pools.items():
            out.setdefault(path, set()).update(values)
    return out


class Flow:
    """Which inputs each expression reads, and which constants each input is compared with."""

    def __init__(self, doc: RulesetDoc, fields: dict[str, InputField]) -> None:
        self.doc, self.fields = doc, fields
        self.constants: dict[str, set[Decimal]] = {}  # by declared type (``any``: a literal)
        self.params: dict[str, list[Decimal]] = {}
        for name, param in doc.parameters.items():
            raws = [param.value] if param.values is None else [v.value for v in param.values]
            try:
                self.params[name] = [Decimal(convert_value(param.type, raw)) for raw in raws]
            except (ValueError, TypeError):
                continue  # not a number (a str or date parameter)
            self._constant(param.type, self.params[name])
        self.tables: dict[str, list[set[Decimal]]] = {}  # the numbers of each condition column
        self.outputs: dict[str, set[Decimal]] = {}  # the numbers a table can give
        for name, table in doc.tables.items():
            columns: list[set[Decimal]] = [set() for _ in table.inputs]
            outputs: set[Decimal] = set()
            for row in table.rows:
                for column, cell in zip(columns, row.when, strict=False):
                    column.update(_cell_numbers(cell))
                if table.output.type in NUMERIC:
                    outputs |= _cell_numbers(row.then)
            self.tables[name], self.outputs[name] = columns, outputs
            for spec, column in zip(table.inputs, columns, strict=True):
                self._constant(spec.type, column)
            self._constant(table.output.type, outputs)
        for name, tier in doc.tiers.items():
            self.tables[name] = [{b.from_ for b in tier.brackets}]
            self._constant("any", self.tables[name][0])  # a tier reads whatever it is given
        self.setters: dict[str, list[tuple[str, dict[str, set[str]]]]] = {}
        self.facts: dict[str, set[str]] = {}
        self.pools: dict[str, set[Decimal]] = {}  # by input path; ``len(<list path>)``: its length
        self.item_values: dict[str, dict[str, str]] = {}  # list path -> item value -> its text
        self.item_reads: dict[tuple[str, str], set[str]] = {}
        self.item_vars: dict[str, str] = {}  # list path -> the name its items are read by
        for key, values in doc.items.items():
            match = _ITEMS_KEY.fullmatch(key)
            if match:
                self.item_values[match.group(2)] = {k: str(v) for k, v in values.items()}
                self.item_vars[match.group(2)] = match.group(1)

    def run(self) -> None:
        """Visit every expression: fills :attr:`pools` and :attr:`constants`."""
        doc = self.doc
        rule_envs = []
        for rule in doc.rules:
            env = self._rule_env(rule.for_each, rule.let)
            rule_envs.append(env)
            for fact, text in [*rule.set.items(), *rule.contribute.items()]:
                self.setters.setdefault(fact, []).append((text, env))
        for declared in doc.facts.values():
            if declared.expr:
                self._visit_text(declared.expr, {})
        for path, values in self.item_values.items():
            for name in values:
                self._item_value(path, name)
        for rule, env in zip(doc.rules, rule_envs, strict=True):
            texts = [rule.when, *rule.let.values(), *rule.set.values(), *rule.contribute.values()]
            texts += [rule.line.amount] if rule.line else []
            for rule_text in texts:
                if rule_text:
                    self._visit_text(rule_text, env)
        for inv in doc.invariants:
            for law_text in (inv.always, inv.monotonic, inv.given):
                if law_text:
                    self._visit_text(law_text, {})

    def _rule_env(self, for_each: str | None, lets: dict[str, str]) -> dict[str, set[str]]:
        env: dict[str, set[str]] = {}
        match = re.fullmatch(r"\s*(\w+)\s+in\s+(.+)", for_each or "")
        if match:
            env[match.group(1)] = self._visit_text(match.group(2), {})
        for name, text in lets.items():
            env[name] = self._visit_text(str(text), env)
        return env

    def _visit_text(self, text: Any, env: dict[str, set[str]]) -> set[str]:
        try:
            parsed = parse(str(text))
        except ExprSyntaxError:
            return set()
        return self._visit(parsed.tree, parsed.literals, env)

    def _fact(self, name: str) -> set[str]:
        if name not in self.facts:
            self.facts[name] = set()  # a cycle (refused at load anyway) stops here
            fact = self.doc.facts[name]
            found: set[str] = set()
            if fact.expr:
                found |= self._visit_text(fact.expr, {})
            for text, env in self.setters.get(name, []):
                found |= self._visit_text(text, env)
            self.facts[name] = found
        return self.facts[name]

    def _item_value(self, path: str, name: str) -> set[str]:
        """The input paths the item value ``name`` of the list ``path`` reads (with ``path.name``)."""
        key = (path, name)
        if key not in self.item_reads:
            self.item_reads[key] = set()  # a cycle (refused at load anyway) stops here
            text = self.item_values[path][name]
            env = {self.item_vars[path]: {path}}
            self.item_reads[key] = {f"{path}.{name}"} | self._visit_text(text, env)
        return self.item_reads[key]

    def _counted(self, node: ast.AST, literals: dict[str, Any], env: dict[str, set[str]]) -> set[str]:
        """``len(<list>)`` keys when ``node`` counts the elements of lists: ``count(...)``,
        ``len(...)``, ``sum(1 for ...)``; empty otherwise."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1):
            return set()
        arg, name = node.args[0], node.func.id
        gen = arg.generators[0] if isinstance(arg, ast.GeneratorExp) and len(arg.generators) == 1 else None
        if name == "sum":
            one = gen is not None and isinstance(arg.elt, ast.Name) and arg.elt.id in literals  # type: ignore[attr-defined]
            if not one or Decimal(literals[arg.elt.id].value) != 1:  # type: ignore[attr-defined]
                return set()
        elif name not in ("count", "len"):
            return set()
        lists = self._visit(gen.iter if gen is not None else arg, literals, env)
        return {size_key(p) for p in lists if not p.startswith("len(")}

    def _visit(self, node: ast.AST, literals: dict[str, Any], env: dict[str, set[str]]) -> set[str]:
        """The input paths ``node`` reads; records the constants of the comparisons inside it."""
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.fields:
                return {node.id}
            return self._fact(node.id) if node.id in self.doc.facts else set()
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("lines", "totals"):
                return set()
            out = set()
            for p in self._visit(node.value, literals, env):
                if node.attr in self.item_values.get(p, {}):
                    out |= self._item_value(p, node.attr)
                else:
                    out.add(f"{p}.{node.attr}")
            return out
        if isinstance(node, ast.Subscript):  # a map's values share one path
            return self._visit(node.value, literals, env)
        if isinstance(node, ast.GeneratorExp) and len(node.generators) == 1:
            gen = node.generators[0]
            inner = dict(env)
            if isinstance(gen.target, ast.Name):
                inner[gen.target.id] = self._visit(gen.iter, literals, env)
            found = set()
            for part in (node.elt, *gen.ifs):
                found |= self._visit(part, literals, inner)
            return found
        found = self._counted(node, literals, env)
        for child in ast.iter_child_nodes(node):
            found |= self._visit(child, literals, env)
        if isinstance(node, ast.Compare) or _called(node, ("min", "max")):
            constants = self._constants(node, literals)
            self._constant("any", self._literals(node, literals))
            for path in found:
                self.pools.setdefault(path, set()).update(constants)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.tables:
            for arg, column in zip(node.args, self.tables[node.func.id], strict=False):
                for path in self._visit(arg, literals, env):
                    self.pools.setdefault(path, set()).update(column)
        return found

    def _constant(self, kind: str, values: set[Decimal] | list[Decimal]) -> None:
        self.constants.setdefault(kind, set()).update(values)

    @staticmethod
    def _literals(node: ast.AST, literals: dict[str, Any]) -> set[Decimal]:
        """The number literals written in ``node`` (the parser names each one)."""
        names = (sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name))
        return {Decimal(literals[name].value) for name in names if name in literals}

    def _constants(self, node: ast.AST, literals: dict[str, Any]) -> set[Decimal]:
        out = self._literals(node, literals)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                out.update(self.params.get(sub.id, ()))
                out.update(self.outputs.get(sub.id, ()))  # a table called inside the comparison
        return out


def _cell_numbers(cell: Any) -> set[Decimal]:
    """The numbers written in a table cell (``"[2..3]"``, ``">= 90"``, ``5%``, ``2500``)."""
    out = set()
    for number in _CELL_NUMBER.findall(str(cell)):
        value = Decimal(number.rstrip("%"))
        out.add(value.scaleb(-2) if number.endswith("%") else value)
    return out


def _called(node: ast.AST, names: tuple[str, ...]) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
