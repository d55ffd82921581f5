"""The ledger commands: ``run --ledger``, ``close``, ``restate``, ``ledger show`` and ``ledger
import-balances`` as functions.

Each opens the ledger file for the one command and returns what it did; ``render`` fields
hold the slips in one of the formats ``cmrules run`` writes (to stdout when no output
file is given).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmrules.commands._guard import check_output, ruleset_paths
from cmrules.commands._open import check_table_columns, evaluator_of
from cmrules.errors import InputFileError, UsageError
from cmrules.inputs._text import PERIOD_RE
from cmrules.ledger import (
    Ledger,
    LedgerBusy,
    LedgerError,
    LedgerFileError,
    LedgerRefused,
    LedgerRun,
    Restated,
    read_openings,
)
from cmrules.outputs import OUTPUT_FORMATS, write_slips
from cmrules.outputs.render import detail_for
from cmrules.outputs.render._arrow import Declared, declared_columns
from cmrules.ruleset._ruleset import money_places
from cmrules.run import Evaluator
from cmrules.slip import DETAILS, Detail
from cmrules.sources import Record, open_records
from cmrules.sources._headers import header_map, rename_source

__all__ = [
    "LedgerOutcome",
    "close_periods",
    "import_balances_file",
    "ledger_run",
    "restate_file",
    "show_ledger",
]


@dataclass
class LedgerOutcome:
    """What a ledger command did: the run (or restatement), the periods closed, what it rendered.

    ``summary`` holds the lines the command line prints on stderr (naming its options, e.g.
    ``--allow-failures``); ``not_closed`` why ``close`` was refused as the Python API words it.
    """

    period: str
    run: LedgerRun | None = None
    restated: Restated | None = None
    closed: list[str] = field(default_factory=list)
    rendered: str | None = None
    out: Path | None = None
    summary: list[str] = field(default_factory=list)
    not_closed: str | None = None  # why ``close`` was refused (the run itself was kept)

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The failure dicts of the run or restatement."""
        found = self.run or self.restated
        return [] if found is None else found.failures


def _records(
    evaluator: Evaluator,
    input_path: str | Path,
    input_format: str | None,
    encoding: str | None,
    columns: Mapping[str, str] | str | Path | None = None,
) -> list[Record]:
    source = open_records(input_path, input_format, encoding=encoding, places=money_places(evaluator))
    source = rename_source(source, header_map(evaluator, columns))  # HR's headers, as fields
    check_table_columns(input_path, source.columns, evaluator, mapped=columns is not None)
    records = list(source)
    if not records:
        raise InputFileError(input_path, None, f"no employees in {input_path}")
    return records


def _period_of(records: list[Record], period: str | None) -> str:
    """``--period``, else the period of the first record that gives one (a record whose period is
    not a ``YYYY-MM`` is that record's failure, ``input.type``, not the run's period)."""
    if period is not None:
        return period
    for record in records:
        if isinstance(record.data, dict) and isinstance(given := record.data.get("period"), str):
            if PERIOD_RE.match(given):
                return given
    raise UsageError("no record gives a period YYYY-MM: give --period YYYY-MM")


def _level(fmt: str, detail: str | None) -> Detail:
    """The detail ``fmt`` writes (its default for None); a usage error when it cannot."""
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
    try:
        return detail_for(fmt, detail)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _write(
    slips: list[dict[str, Any]],
    failures: list[dict[str, Any]],
    out: str | Path | None,
    fmt: str,
    detail: str | None = None,
    declared: Declared | None = None,
) -> tuple[str | None, Path | None]:
    level = _level(fmt, detail)
    target = Path(out) if out is not None else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
    return write_slips(slips, failures, target, fmt, detail=level, declared=declared), target


def ledger_run(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    ledger: str | Path,
    *,
    period: str | None = None,
    close: bool = False,
    allow_failures: bool = False,
    out: str | Path | None = None,
    fmt: str = "text",
    input_format: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | str | Path | None = None,
    detail: str | None = None,
    force: bool = False,
) -> LedgerOutcome:
    """Pay the file's employees for one period through the ledger (``--period``, else the first
    record's), write their slips like ``cmrules run`` (``columns`` and ``detail`` as there), and
    with ``close`` close the period; a close refused (a failed record, unless ``allow_failures``
    as ``cmrules close --allow-failures``) is ``not_closed``, the run and its slips kept and written.
    A run that would pay fewer employees than the open run it replaces raises
    :class:`~cmrules.ledger.LedgerRefused` unless ``force`` (``--force``); nothing is written then."""
    level = _level(fmt, detail)
    files, folders = ruleset_paths(ruleset)
    check_output(out, fmt, input_path, [*files, Path(ledger)], folders)
    evaluator = evaluator_of(ruleset)
    records = _records(evaluator, input_path, input_format, encoding, columns)
    chosen = _period_of(records, period)
    with Ledger(ledger) as book:
        result = book.run(evaluator, chosen, records, force=force)
        outcome = LedgerOutcome(chosen, run=result)
        slips: list[dict[str, Any]] = [dict(s.to_dict(level)) for s in result.slips]
        outcome.rendered, outcome.out = _write(
            slips, result.failures, out, fmt, level, declared_columns(evaluator)
        )
        refusal = ""
        if close:
            try:
                outcome.closed = book.close(chosen, evaluator.id, allow_failures=allow_failures)
            except (LedgerBusy, LedgerFileError):
                raise
            except LedgerError as exc:
                outcome.not_closed = str(exc)
                refusal = exc.on_command_line() if isinstance(exc, LedgerRefused) else str(exc)
    outcome.summary = [
        f"{len(result.slips)} slips of {chosen} kept in {ledger} (run {result.run})",
        *([f"joined: {', '.join(result.joined)}"] if result.joined and len(result.joined) <= 20 else []),
        *([f"left: {', '.join(result.left)}"] if result.left else []),
        *(
            [f"failed, not paid (balances kept for the next period): {_names(result.unpaid)}"]
            if result.unpaid
            else []
        ),
        *([f"closed {chosen}"] if outcome.closed else []),
        *([f"{chosen} not closed: {refusal}"] if outcome.not_closed else []),
    ]
    return outcome


def _names(employees: list[str]) -> str:
    """The employees, or how many when more than 20."""
    return ", ".join(employees) if len(employees) <= 20 else f"{len(employees)} employees"


def _existing(ledger: str | Path) -> None:
    """Refuse a ledger file that is not there: only ``run`` starts a ledger (a typo never
    creates an empty one to close or restate in)."""
    if str(ledger) != ":memory:" and not Path(ledger).exists():
        raise UsageError(f"no ledger {ledger} (cmrules run … --ledger {ledger} starts one)")


def close_periods(
    ledger: str | Path, period: str, ruleset: str | None = None, *, allow_failures: bool = False
) -> LedgerOutcome:
    """Close ``period`` in the ledger (for one ruleset id, or every ruleset run in it)."""
    _existing(ledger)
    with Ledger(ledger) as book:
        closed = book.close(period, ruleset, allow_failures=allow_failures)
    return LedgerOutcome(period, closed=closed, summary=[f"closed {period} of {', '.join(closed)}"])


def restate_file(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    ledger: str | Path,
    period: str,
    *,
    input_format: str | None = None,
    encoding: str | None = None,
) -> LedgerOutcome:
    """Correct closed ``period`` with the file's records: the differences become adjustments
    of the next run."""
    _existing(ledger)
    evaluator = evaluator_of(ruleset)
    records = _records(evaluator, input_path, input_format, encoding)
    with Ledger(ledger) as book:
        result = book.restate(evaluator, period, records)
    lines = [f"{a['employee']}: {a['label']} {a['amount']:+,}" for a in result.adjustments]
    lines += [
        f"{b['employee']}: {b['balance']} after {period} {b['was']} -> {b['now']}" for b in result.balances
    ]
    return LedgerOutcome(
        period,
        restated=result,
        rendered="".join(line + "\n" for line in lines),
        summary=[
            f"{len(result.adjustments)} adjustments and {len(result.balances)} balance corrections recorded"
            f" for the next run after {period}"
        ],
    )


def show_ledger(
    ledger: str | Path,
    *,
    employee: str | None = None,
    period: str | None = None,
    ruleset: str | None = None,
    fmt: str = "text",
) -> LedgerOutcome:
    """An employee's slips over time, or a period's slips (one ruleset) and totals, rendered
    in a format of ``cmrules run``."""
    if (employee is None) == (period is None):
        raise UsageError("give --employee or --period")
    _existing(ledger)
    with Ledger(ledger) as book:
        if employee is not None:
            history = book.history(employee, ruleset)
            slips = [h["slip"] for h in history]
            fixes: dict[tuple[str, str], list[str]] = {}  # (ruleset, period carried in) -> what
            for h in history:
                for c in h["balance_corrections"]:
                    change = Decimal(c["now"]) - Decimal(c["was"])
                    where = (h["ruleset"], c["carried_in"])
                    fixes.setdefault(where, []).append(f"{c['balance']} {change:+} restated in {h['period']}")
            lines = [
                (
                    h["period"],
                    1,
                    f"{h['period']} {h['ruleset']} ({h['status']}): net {h['slip']['totals']['net']}, "
                    + ", ".join(f"{n} {b['before']} -> {b['after']}" for n, b in h["balances"].items())
                    + "".join(f" ({fix})" for fix in fixes.get((h["ruleset"], h["period"]), [])),
                )
                for h in history
            ]
            lines += [
                (
                    o["period"],
                    0,
                    f"before {o['period']} {o['ruleset']} (opening balances): "
                    + ", ".join(f"{n} {v}" for n, v in o["balances"].items()),
                )
                for o in book.openings(employee, ruleset)
            ]
            summary = [line for _, _, line in sorted(lines, key=lambda x: x[:2])]
            shown = period or ""
        else:
            assert period is not None
            totals = book.totals(period, ruleset)
            if ruleset is None and len(totals) != 1:
                raise UsageError(f"{len(totals)} rulesets were run in {period}: give --ruleset")
            if not totals:
                raise UsageError(f"ruleset {ruleset} has no run for {period}")
            rid = totals[0]["ruleset"]
            slips = book.slips(period, rid)
            summary = [
                f"{t['period']} {t['ruleset']} ({t['status']}): {t['paid']} paid, {t['failed']} failed,"
                f" net {t['net']}, carried forward {t['carry_forward']}"
                for t in totals
            ]
            shown = period
    kept = "summary" if any("lines" not in s for s in slips) else "lines"
    kept = "trace" if slips and all("trace" in s for s in slips) else kept
    default = _level(fmt, None)
    level = default if DETAILS.index(default) <= DETAILS.index(kept) else _level(fmt, kept)
    rendered, _ = _write(slips, [], None, fmt, level)
    return LedgerOutcome(shown, rendered=rendered, summary=summary)


def import_balances_file(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    ledger: str | Path,
    period: str,
    *,
    input_format: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | str | Path | None = None,
    replace: bool = False,
) -> LedgerOutcome:
    """Import the opening balances before ``period`` in the file (one row per employee, a column
    per balance: see ``docs/ledger.md``) into the ledger, which it starts when it is not there
    yet (a company moving onto cmrules imports before its first run). All or nothing: a bad row
    (:class:`~cmrules.ledger.OpeningsFileError`) imports nothing; the same values again change
    nothing; another value for one already imported is refused unless ``replace``."""
    evaluator = evaluator_of(ruleset)
    openings = read_openings(
        evaluator, period, input_path, input_format=input_format, encoding=encoding, columns=columns
    )
    with Ledger(ledger) as book:
        written = book.import_balances(evaluator, period, openings, replace=replace)
    given, who = len(openings.rows), f"{openings.employees} employee(s)"
    if not given:
        line = f"nothing to import: every balance of the {who} in {input_path} is empty"
    elif not written:
        line = f"nothing new: the {given} opening value(s) of {who} before {period} were already in {ledger}"
    else:
        line = f"imported {written} opening value(s) of {who} before {period} into {ledger}"
        line += f" (ruleset {openings.ruleset})"
        line += f"; {given - written} were already there" if given != written else ""
    return LedgerOutcome(period, summary=[*openings.notes, line])
