"""Caps on deductions: what a cap limits, the facts it sets, the notice it gives, and the cap."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from cmrules.spec._common import Bilingual, Expr, NoticeKind, Rounding, Strict


class CapLimits(Strict):
    """What a cap limits: the lines of the rules named and of the categories named (a rule's
    own category or a deduction-side category: ``deduction``, ``fine``, ``forfeiture``)."""

    categories: list[Literal["deduction", "fine", "forfeiture"]] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> CapLimits:
        if not self.categories and not self.rules:
            raise ValueError("a cap limits the lines of some 'categories' or 'rules'")
        return self


class CapFacts(Strict):
    """Declared money facts a cap sets: the amount its deductions may reach, and the excess."""

    limit: str | None = None
    excess: str | None = None


class CapNotice(Strict):
    """The notice a cap gives when its deductions go above it; the text may read ``{capped}``,
    ``{limit}`` and ``{excess}``."""

    kind: NoticeKind = "compliance"
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    text: Bilingual


class Cap(Strict):
    """A limit on deductions: the lines it ``limits`` may add up to ``limit`` (and never take
    net below ``net_floor``); the excess is waived, carried forward, or only reported."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual
    limits: CapLimits
    limit: Expr
    rounding: Rounding | None = None
    net_floor: Expr | None = None
    excess: Literal["waive", "carry_forward", "report"] = "waive"
    order: list[str] = Field(default_factory=list)
    facts: CapFacts = CapFacts()
    notice: CapNotice | None = None
    reference: str | None = None
    note: str | None = None
