"""The generated program's source with the ruleset's names in comments, for people to read.

Generated code names nothing of the ruleset (``v3``, ``f1``, ``k7``, ``t0``): no ruleset
text reaches compiled code. :class:`Annotations` collects, while building, what each
generated name stands for; :meth:`Annotations.render` puts it back as comments only, so
the readable text holds every code line of the compiled program, in order, plus comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+")
_DEF = re.compile(r"def (\w+)\(")
_PLAN_COMMENT = re.compile(r"(\s*)# ((?:rule|fact|builtin|cap) \w+)")

_PROTOCOL = (
    "run(I, P, LN, NT, TR): I holds the inputs by name, P the dated parameters' values for",
    "the period; LN(line), NT(notice) and TR(trace) receive what each rule makes. It returns",
    "the facts, earnings and deductions. L<k> is a rule's running line total, T_<category>",
    "a category's total, a the amount of the line being made; _-names are runtime helpers.",
)


def _one_line(text: str) -> str:
    """``text`` safe inside one comment line: unprintable characters escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


@dataclass
class Annotations:
    """What the generated names stand for in the ruleset, collected while building.

    ``notes`` maps the name of a generated function (``t0``, ``x3``, ``i1``) or the text
    of a plan comment (``rule late_fine``) to the comment shown with it; ``legend`` lists
    generated variables with what they hold.
    """

    title: str
    notes: dict[str, str] = field(default_factory=dict)
    legend: dict[str, str] = field(default_factory=dict)

    def note(self, anchor: str, text: str) -> None:
        """Show ``text`` as the comment of the generated function or plan comment ``anchor``."""
        self.notes[anchor] = _one_line(text)

    def name(self, var: str, meaning: str) -> None:
        """List generated variable ``var`` as holding ``meaning`` (several meanings join with '; ')."""
        meaning = _one_line(meaning)
        known = self.legend.get(var)
        self.legend[var] = meaning if known is None or known == meaning else f"{known}; {meaning}"

    def constant(self, var: str, value: str) -> None:
        """List named constant ``var`` with its ``value`` first (then what it was declared as)."""
        known = self.legend.get(var)
        self.legend[var] = _one_line(value if known is None else f"{value}  {known}")

    def render(self, source: str) -> str:
        """``source`` with a header naming every generated variable and a comment on each part."""
        head = [f"# cmrules program of {self.title}", "#"]
        head += [f"# {line}" for line in _PROTOCOL]
        used = set(_WORD.findall(source))
        legend = {var: meaning for var, meaning in self.legend.items() if var in used}
        if legend:
            width = max(len(var) for var in legend)
            head += ["#", "# Generated names:"]
            head += [f"#   {var.ljust(width)}  {meaning}" for var, meaning in legend.items()]
        out = [*head, ""]
        for line in source.rstrip("\n").split("\n"):
            plan = _PLAN_COMMENT.fullmatch(line)
            if plan is not None and plan.group(2) in self.notes:
                out.append(f"{plan.group(1)}# {self.notes[plan.group(2)]}")
                continue
            fn = _DEF.match(line)
            if fn is not None and fn.group(1) in self.notes:
                out.append(f"# {self.notes[fn.group(1)]}")
            out.append(line)
        return "\n".join(out) + "\n"
