"""The ledger commands on the terminal: ``run --ledger``, ``close``, ``restate``, ``ledger show``,
``ledger import-balances``.

Slips go to stdout (or the output file), failures and summaries to stderr. A refusal of
the ledger (a closed period, a period out of order, a re-run that would lose paid slips, a
close with failures) and a ledger file that cannot be used (damaged, not a ledger, of a newer
schema) exit 1 with the reason; a ledger busy with another writer exits 75 (``EX_TEMPFAIL``:
retry).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cmrules import commands
from cmrules.cli import _show as show
from cmrules.errors import CmrulesError, UsageError
from cmrules.ledger import LedgerBusy, LedgerError, LedgerRefused, OpeningsFileError

__all__ = ["EXIT_BUSY", "LEDGER_COMMANDS", "run_with_ledger"]

EXIT_OK, EXIT_ERROR, EXIT_EMPLOYEES, EXIT_USAGE = 0, 1, 2, 64
#: The ledger is busy with another writer: a passing state, retry (sysexits' ``EX_TEMPFAIL``).
EXIT_BUSY = 75


def _finish(command: str, outcome: commands.LedgerOutcome) -> int:
    sys.stderr.write(show.failure_lines(outcome.failures))
    if outcome.rendered is not None:
        sys.stdout.write(outcome.rendered)
        sys.stdout.flush()
    for line in outcome.summary:
        sys.stderr.write(f"{line}\n")
    if outcome.failures:
        return EXIT_EMPLOYEES
    return EXIT_ERROR if outcome.not_closed else EXIT_OK


def _guarded(command: str, action: Callable[[], commands.LedgerOutcome]) -> int:
    try:
        outcome = action()
    except UsageError:
        raise  # the command line's own handling (exit 64)
    except OpeningsFileError as exc:  # every bad row, nothing imported
        sys.stderr.write(f"cmrules {command}: {exc}\n")
        return EXIT_ERROR
    except LedgerBusy as exc:
        sys.stderr.write(f"cmrules {command}: {exc}\n")
        return EXIT_BUSY
    except LedgerRefused as exc:  # the failures of a refused re-run say what to fix
        sys.stderr.write(show.failure_lines(exc.failures))
        sys.stderr.write(f"cmrules {command}: {exc.on_command_line()}\n")
        return EXIT_ERROR
    except CmrulesError as exc:
        if type(exc) is not CmrulesError and not isinstance(exc, LedgerError):
            raise
        sys.stderr.write(f"cmrules {command}: {exc}\n")
        return EXIT_ERROR
    return _finish(command, outcome)


def run_with_ledger(args: argparse.Namespace, fmt: str) -> int:
    """``cmrules run RULESET INPUT --ledger FILE [--close [--allow-failures]] [--force]``."""
    if args.allow_failures and not args.close:
        raise UsageError("--allow-failures goes with --close: it lets a run with failed records close")
    return _guarded(
        "run",
        lambda: commands.ledger_run(
            args.ruleset,
            args.input,
            args.ledger,
            period=args.period,
            close=args.close,
            allow_failures=args.allow_failures,
            out=args.out,
            fmt=fmt,
            input_format=args.input_format,
            encoding=args.encoding,
            columns=args.columns,
            detail=args.detail,
            force=args.force,
        ),
    )


def _close(args: argparse.Namespace) -> int:
    return _guarded(
        "close",
        lambda: commands.close_periods(
            args.ledger, args.period, args.ruleset, allow_failures=args.allow_failures
        ),
    )


def _restate(args: argparse.Namespace) -> int:
    return _guarded(
        "restate",
        lambda: commands.restate_file(
            args.ruleset,
            args.input,
            args.ledger,
            args.period,
            input_format=args.input_format,
            encoding=args.encoding,
        ),
    )


def _ledger(args: argparse.Namespace) -> int:
    if args.action == "import-balances":
        return _guarded(
            "ledger import-balances",
            lambda: commands.import_balances_file(
                args.ruleset,
                args.input,
                args.ledger,
                args.period,
                input_format=args.input_format,
                encoding=args.encoding,
                columns=args.columns,
                replace=args.replace,
            ),
        )
    return _guarded(
        "ledger",
        lambda: commands.show_ledger(
            args.ledger, employee=args.employee, period=args.period, ruleset=args.ruleset, fmt=args.format
        ),
    )


#: The ledger's commands, by name, for :mod:`cmrules.cli`.
LEDGER_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "close": _close,
    "restate": _restate,
    "ledger": _ledger,
}
