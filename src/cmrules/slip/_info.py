"""What a slip carries besides the run: the version it shares with the other slips of that
version (:class:`SlipInfo`), what made it (:class:`SlipOrigin`, to pickle it) and a balance's
change over the period (:class:`BalanceChange`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cmrules.compile._program import Program


@dataclass(frozen=True)
class BalanceChange:
    """A balance over one period: its value ``before`` the period (as the rules read it) and
    ``after`` it (what the next period reads)."""

    before: Decimal | int
    after: Decimal | int


class SlipInfo:
    """What every slip of one ruleset version shares, and what its slips derive from it once per
    version instead of once per slip (the ruleset's JSON object, whether a cap can defer, the
    way its traces read the values of each rule, constants JSON-ready)."""

    __slots__ = (
        "_capped",
        "currency",
        "fact_names",
        "id",
        "line_writers",
        "modules",
        "ruleset_json",
        "sha256",
        "trace_writers",
        "version",
    )

    def __init__(
        self,
        id: str,
        version: str,
        sha256: str,
        currency: str,
        fact_names: tuple[str, ...],
        modules: tuple[tuple[str, str], ...] = (),  # (name, sha256) of each included module
    ):
        self.id = id
        self.version = version
        self.sha256 = sha256
        self.currency = currency
        self.fact_names = fact_names
        self.modules = modules
        #: ``PaySlip.ruleset`` of every slip of the version: written as is, copied when handed out.
        self.ruleset_json: dict[str, Any] = {"id": id, "version": version, "sha256": sha256}
        if modules:
            self.ruleset_json["modules"] = dict(modules)
        self._capped: bool | None = None
        #: What writing each rule's trace entry needs, for the program it was made for
        #: (:class:`cmrules.slip._trace.TraceWriters`).
        self.trace_writers: Any = None
        #: What writing each rule's lines needs, for the program it was made for
        #: (:class:`cmrules.slip._writer.LineWriters`).
        self.line_writers: Any = None

    def capped(self, program: Program) -> bool:
        """Whether ``program`` (this version's) has a cap, the only rule that makes ``deferral``
        lines: looked up on the first slip, then known."""
        capped = self._capped
        if capped is None:
            capped = self._capped = any(rule.kind == "cap" for rule in program.rules)
        return capped

    def _fields(self) -> tuple[Any, ...]:
        return (self.id, self.version, self.sha256, self.currency, self.fact_names, self.modules)

    def __reduce__(self) -> tuple[Any, ...]:
        return SlipInfo, self._fields()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlipInfo) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"SlipInfo(id={self.id!r}, version={self.version!r}, sha256={self.sha256!r})"


class SlipOrigin(Protocol):
    """What made a slip (a compiled ruleset version): a pickled slip keeps it (the version
    pickles as its source text and is compiled once per process) to be read again."""

    @property
    def program(self) -> Program:
        """The compiled program that ran."""
