"""What a slip carries besides the run: the version it shares with the other slips of that
version (:class:`SlipInfo`), what made it (:class:`SlipOrigin`, to pickle it) and a balance's
change over the period (:class:`BalanceChange`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from cmrules.compile._program import Program


@dataclass(frozen=True)
class BalanceChange:
    """A balance over one period: its value ``before`` the period (as the rules read it) and
    ``after`` it (what the next period reads)."""

    before: Decimal | int
    after: Decimal | int


class SlipInfo(NamedTuple):
    """What every slip of one ruleset version shares."""

    id: str
    version: str
    sha256: str
    currency: str
    fact_names: tuple[str, ...]
    modules: tuple[tuple[str, str], ...] = ()  # (name, sha256) of each included module


class SlipOrigin(Protocol):
    """What made a slip (a compiled ruleset version): a pickled slip keeps it (the version
    pickles as its source text and is compiled once per process) to be read again."""

    @property
    def program(self) -> Program:
        """The compiled program that ran."""
