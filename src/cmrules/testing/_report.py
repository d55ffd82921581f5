"""Plain-text views of a slip for test failure reports (no hypothesis needed)."""

from __future__ import annotations

from cmrules.slip import PaySlip, json_value


def slip_summary(slip: PaySlip, indent: str = "  ") -> list[str]:
    """The lines with their arithmetic, the notices, the facts and the totals of one slip."""
    out = []
    for line in slip.lines:
        head = line.rule_id + (f"[{line.index}]" if line.index is not None else "")
        out.append(f"{indent}{head:<32} {line.category:<11} {line.amount:>12}  {line.explanation}")
    out += [f"{indent}notice {n.code}: {n.text.get('en', '')}" for n in slip.notices]
    if slip.facts:
        out.append(f"{indent}facts: {', '.join(f'{k} = {json_value(v)}' for k, v in slip.facts.items())}")
    out.append(
        f"{indent}earnings {slip.earnings}, deductions {slip.deductions}, "
        f"net {slip.net}, carry_forward {slip.carry_forward}"
    )
    return out


def trace_lines(slip: PaySlip, indent: str = "  ") -> list[str]:
    """The rule trace: each rule (or fact) that fired, the values it read, the lines it made."""
    out = []
    for entry in slip.trace:
        item = f"[{entry['item']}]" if "item" in entry else ""
        read = ", ".join(f"{k}={json_value(v)}" for k, v in entry["read"].items())
        made = f" -> lines {entry['lines']}" if entry["lines"] else ""
        out.append(f"{indent}{entry['rule_id']}{item}: {read}{made}")
    return out
