"""Rule coverage: over generated inputs, how often each rule fired and made its line or notice.

A rule *fired* on an example when the slip's trace lists it (a rule with ``for_each``
counts once per example, however many elements it fired on). A line rule *made a
line* when the slip has a line of it; a notice rule *made a notice* likewise. A rule
that never fires over a run is a rule the generated inputs never test: its laws hold
vacuously and a bug in it would go unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import Any

from hypothesis import Phase, given
from hypothesis.errors import InvalidArgument

from cmrules.compile._program import RuleInfo
from cmrules.ruleset._ruleset import Ruleset, Version, versions_of
from cmrules.slip._payslip import PaySlip
from cmrules.testing._plan import inputs
from cmrules.testing._rulesets import as_ruleset, check_max_list_size
from cmrules.testing._settings import profile, search_settings, with_seed

__all__ = ["CoverageReport", "RuleCoverage", "rule_coverage"]

#: Examples of a coverage run: a rule that needs two rare conditions in one slip (the bar
#: ruleset's commission forfeiture on dismissal needs a commission and a dismissal) makes
#: its line within 200 examples for each of the seeds 0-19, within 100 for 15 to 17 of them.
DEFAULT_EXAMPLES = 200


@dataclass
class RuleCoverage:
    """One rule of one version: on how many examples it fired and made its output."""

    version: Version
    rule: RuleInfo
    examples: int = 0  # examples paid by this rule's version
    fired: int = 0
    made: int = 0  # examples with a line of this rule (a line rule) or a notice (a notice rule)

    @property
    def makes(self) -> str:
        """``line``, ``notice``, or ``none`` for a rule that only sets facts."""
        if self.rule.category is not None:
            return "line"
        return "notice" if self.rule.notice is not None else "none"

    @property
    def covered(self) -> bool:
        """It fired, and made its line or notice, at least once."""
        return self.fired > 0 and (self.makes == "none" or self.made > 0)


@dataclass
class CoverageReport:
    """Every rule of every version of a ruleset, over one run of generated inputs."""

    examples: int
    rules: list[RuleCoverage]

    @property
    def ok(self) -> bool:
        """Every rule of every version drawn fired and made its line or notice."""
        return all(r.covered for r in self.rules if r.examples)

    def never_fired(self) -> list[str]:
        """``<version> <rule>`` of each rule that never fired on an example of its version."""
        return [f"{r.version.version} {r.rule.id}" for r in self.rules if r.examples and not r.fired]

    def never_made(self) -> list[str]:
        """``<version> <rule>`` of each line or notice rule that fired but never made one."""
        return [
            f"{r.version.version} {r.rule.id}"
            for r in self.rules
            if r.fired and r.makes != "none" and not r.made
        ]

    def by_rule(self, version: str | None = None) -> dict[str, RuleCoverage]:
        """The rules of one version (the only or the latest one by default), by id."""
        versions = [r.version for r in self.rules]
        wanted = version if version is not None else versions[-1].version
        found = {r.rule.id: r for r in self.rules if r.version.version == wanted}
        if not found:
            raise KeyError(f"no version {wanted!r} in this report")
        return found

    def render(self) -> str:
        """Per version, each rule's counts (an uncovered rule marked) and the totals."""
        out = []
        for label in dict.fromkeys(r.version.version for r in self.rules):
            rules = list(self.by_rule(label).values())
            version, drawn = rules[0].version, rules[0].examples
            out.append(f"rule coverage of {version.id} {label} over {drawn} examples")
            out.append(f"  {'rule':<34} {'makes':<7} {'fired':>6} {'made':>6}")
            for r in rules:
                made = "-" if r.makes == "none" else str(r.made)
                mark = "" if r.covered or not drawn else "   <- not covered"
                out.append(f"  {r.rule.id:<34} {r.makes:<7} {r.fired:>6} {made:>6}{mark}")
            fired = sum(1 for r in rules if r.fired)
            covered = sum(1 for r in rules if r.covered)
            out.append(
                f"  {fired} of {len(rules)} rules fired; {covered} of {len(rules)} "
                "fired and made their line or notice"
            )
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.render()


def check_run_options(max_examples: Any, seed: Any, max_list_size: Any) -> None:
    """``InvalidArgument`` for options a search cannot run with (hypothesis' style)."""
    if max_examples is None:
        pass  # the loaded profile's
    elif not isinstance(max_examples, int) or isinstance(max_examples, bool) or max_examples < 1:
        raise InvalidArgument(f"max_examples={max_examples!r} must be an integer >= 1")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise InvalidArgument(f"seed={seed!r} must be an integer or None")
    check_max_list_size(max_list_size)


class _Counter:
    def __init__(self, versions: list[Version]) -> None:
        self.by_version = {
            id(v): {r.id: RuleCoverage(v, r) for r in v.program.rules if r.kind != "fact"} for v in versions
        }
        self.examples = 0

    def add(self, version: Version, slip: PaySlip) -> None:
        self.examples += 1
        rules = self.by_version[id(version)]
        fired = {entry["rule_id"] for entry in slip.trace}
        made = {line.rule_id for line in slip.lines} | {notice.rule_id for notice in slip.notices}
        for rule_id, coverage in rules.items():
            coverage.examples += 1
            coverage.fired += rule_id in fired
            coverage.made += rule_id in made

    def report(self) -> CoverageReport:
        rules = [c for by_id in self.by_version.values() for c in by_id.values()]
        return CoverageReport(self.examples, rules)


def rule_coverage(
    ruleset: Ruleset | Version | str | PathLike[str],
    *,
    max_examples: int | None = DEFAULT_EXAMPLES,
    seed: int | None = 0,
    max_list_size: int = 3,
    sizes: dict[str, int | tuple[int, int]] | None = None,
    **overrides: Any,
) -> CoverageReport:
    """Evaluate ``max_examples`` inputs drawn by :func:`inputs` and count, per rule of each
    version, the examples on which it fired and made its line or notice.

    The options are those of :func:`check_invariants` (``seed=None`` draws anew each
    call), with twice its examples by default; keyword arguments of :func:`inputs` fix
    or restrict input fields (``boundaries=False`` and ``sizes`` too). ``max_examples=None``:
    twice the loaded hypothesis profile's.
    """
    check_run_options(max_examples, seed, max_list_size)
    if max_examples is None:
        max_examples = 2 * profile().max_examples
    ruleset = as_ruleset(ruleset)
    strategy = inputs(ruleset, max_list_size=max_list_size, sizes=sizes, **overrides)
    counter = _Counter(versions_of(ruleset))

    def version_of(raw: dict[str, Any]) -> Version:
        return ruleset.version_for(raw["period"]) if isinstance(ruleset, Ruleset) else ruleset

    def count(raw: dict[str, Any]) -> None:
        version = version_of(raw)
        counter.add(version, version.evaluate(raw))

    chosen = search_settings(max_examples, seed, phases=[Phase.generate])
    with_seed(chosen(given(strategy)(count)), seed)()
    return counter.report()
