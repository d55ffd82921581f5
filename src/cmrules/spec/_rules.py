"""What a ruleset decides: facts, rules (the line, notice, forfeiture and facts each makes)
and the invariants every slip must obey.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from cmrules.spec._common import Bilingual, Category, Combine, Expr, NoticeKind, ScalarType, Strict


class Fact(Strict):
    """A named derived value: computed by ``expr``, or set/combined by rules (``combine``)."""

    type: ScalarType | Literal["list"]
    expr: Expr | None = None
    combine: Combine | None = None
    default: Any = None
    label: Bilingual | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _expr_or_rules(self) -> Fact:
        if self.expr is not None and self.combine is not None:
            raise ValueError("a fact with 'expr' is computed; it cannot also 'combine'")
        return self


class LineSpec(Strict):
    """The slip line a rule makes: its ``category`` and ``amount`` expression."""

    category: Category
    amount: Expr


class NoticeSpec(Strict):
    """A notice a rule raises (warning, grade, prize, ultimatum …) with a code and bilingual text."""

    kind: NoticeKind
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    text: Bilingual


class ForfeitSpec(Strict):
    """A rule's forfeiture of another rule's line, with an optional reason."""

    rule: str
    reason: Bilingual | None = None


class Rule(Strict):
    """A rule: when it fires (``for_each``, ``when``) and what it makes (line, facts, notice, forfeiture)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual
    for_each: str | None = None
    when: Expr | None = None
    let: dict[str, Expr] = Field(default_factory=dict)
    line: LineSpec | None = None
    set: dict[str, Expr] = Field(default_factory=dict)
    contribute: dict[str, Expr] = Field(default_factory=dict)
    notice: NoticeSpec | None = None
    forfeit: ForfeitSpec | None = None
    salience: int = 0
    reference: str | None = None
    note: str | None = None


class Invariant(Strict):
    """A law every slip must obey (``always``), or a monotonic relation between an input and an output."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual | None = None
    # always: an expression over slip names that must hold for every valid input
    always: Expr | None = None
    # monotonic: the output named grows (or shrinks) with the input named
    monotonic: Expr | None = None
    increasing_in: str | None = None
    decreasing_in: str | None = None
    given: Expr | None = None

    @model_validator(mode="after")
    def _one_law(self) -> Invariant:
        if (self.always is None) == (self.monotonic is None):
            raise ValueError("an invariant is either 'always' or 'monotonic'")
        if self.monotonic is not None and (self.increasing_in is None) == (self.decreasing_in is None):
            raise ValueError("'monotonic' needs exactly one of increasing_in / decreasing_in")
        return self
