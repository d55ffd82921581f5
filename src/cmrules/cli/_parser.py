"""The ``cmrules`` argument parser: commands, options, and exit code 64 for bad usage."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import NoReturn

from cmrules.inputs._text import PERIOD_RE
from cmrules.outputs import OUTPUT_FORMATS
from cmrules.slip import DETAILS
from cmrules.sources import ENCODINGS, INPUT_FORMATS

EXIT_OK, EXIT_ERROR, EXIT_EMPLOYEES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 64, 130


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 64 (EX_USAGE), so that 2 keeps meaning "some employees failed"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _size(text: str) -> tuple[str, int | tuple[int, int]]:
    """``--size orders=590..910`` (or ``orders=600``): a list input path and its lengths."""
    path, sep, lengths = text.partition("=")
    low, dots, high = lengths.partition("..")
    if not sep or not path.strip() or not low.strip().isdigit() or (dots and not high.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"expected LIST=N or LIST=LOW..HIGH (orders=590..910), got {text!r}")
    if not dots:
        return path.strip(), int(low)
    if int(low) > int(high):
        raise argparse.ArgumentTypeError(f"{text!r}: the low length is above the high one")
    return path.strip(), (int(low), int(high))


def _period(text: str) -> str:
    if not PERIOD_RE.match(text):
        raise argparse.ArgumentTypeError(f"expected a period YYYY-MM, got {text!r}")
    return text


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes, at least 1, got {text!r}")
    return jobs


def _version() -> str:
    try:
        return package_version("cmrules")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _add_input(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="input format (default: from the suffix of INPUT: .json, .jsonl/.ndjson, .yaml/.yml, .csv, "
        ".parquet/.pq, .xlsx)",
    )
    sub.add_argument(
        "--period", type=_period, metavar="YYYY-MM", help="fill or override every employee's period"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``cmrules check | run | explain | test | diff``."""
    parser = _Parser(
        prog="cmrules",
        description="Pay policies as declarative rulesets, evaluated into exact, explained pay slips.",
        epilog="A RULESET is a .yaml file, a folder of dated versions of one plan, or FOLDER@VERSION "
        "to apply one version whatever the period. Exit codes: 0 done, 1 errors, "
        "2 some employees failed, 64 usage, 75 ledger busy, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"cmrules {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_check, _add_run, _add_explain, _add_test, _add_diff, _add_schema, _add_ledger):
        add(commands)
    return parser


def _add_check(commands: argparse._SubParsersAction[_Parser]) -> None:
    check = commands.add_parser(
        "check",
        help="load rulesets and report every error",
        epilog="e.g. cmrules check rulesets/*.yaml rulesets/securities_client_manager",
    )
    check.add_argument("rulesets", nargs="+", metavar="RULESET")
    check.add_argument(
        "--show-code",
        action="store_true",
        help="also print the Python generated for each version that loads (every version of a plan)",
    )


def _add_run(commands: argparse._SubParsersAction[_Parser]) -> None:
    run = commands.add_parser(
        "run",
        help="evaluate a file of employees and write their pay slips",
        epilog="Output is atomic. A file OUT: OUT, OUT.errors.json (when some employees failed) and "
        "OUT.run.json (the run record: both files' SHA-256) are written under temporary names, then "
        "renamed into place together; trust OUT and its errors only when OUT.run.json matches them. "
        "A folder OUT (html): pages, index.html and errors.json are written into a hidden folder "
        "beside it that then replaces OUT whole. Temporary files of runs that were killed are "
        "removed by the next run. csv is one row per slip, csv-lines one row per line item, xlsx both "
        "as two sheets, parquet and parquet-lines the same tables (binary files: give -o). "
        "Exit codes: 0 done, 1 nothing paid (a ruleset or the input as a whole is wrong), 2 some "
        "employees failed (the others were paid; see OUT.errors.json), 64 usage, 75 ledger busy, "
        "130 interrupted.",
    )
    run.add_argument("ruleset", metavar="RULESET")
    run.add_argument(
        "input",
        metavar="INPUT",
        help="employees: .json, .jsonl, .yaml, .csv, .parquet or .xlsx (or say --input-format)",
    )
    run.add_argument("-o", "--out", metavar="OUT", help="output file (a folder for html); default stdout")
    run.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        help="output format (default: from the suffix of OUT: .json, .jsonl/.ndjson, .csv, .txt, .xlsx, "
        ".parquet/.pq; else text)",
    )
    _add_input(run)
    _add_encoding(run)
    run.add_argument(
        "--detail",
        choices=DETAILS,
        help="how much of each slip: summary (totals, notices, facts), lines (and the lines with "
        "their explanations) or trace (and every rule that fired with what it read); default: "
        "trace for json and jsonl, lines for the others; csv-lines, xlsx, parquet and parquet-lines offer "
        "lines only, csv no trace",
    )
    run.add_argument(
        "--allow-empty",
        action="store_true",
        help="an input without employees writes an empty output (default: it is an error, exit 1)",
    )
    run.add_argument(
        "--ledger", metavar="FILE", help="pay one period through this ledger (see docs/ledger.md)"
    )
    run.add_argument("--close", action="store_true", help="with --ledger: close the period once paid")
    run.add_argument(
        "--allow-failures",
        action="store_true",
        help="with --ledger --close: close the period even if some records failed",
    )
    run.add_argument(
        "--columns",
        metavar="FILE",
        help="a YAML or JSON file of header: field, for a table whose headers are HR's own "
        "(the ruleset's labels, 员工 and 期间 are understood without it)",
    )
    run.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help="pay on N worker processes, output byte for byte that of one (default: the CPUs this "
        "process may use; 1 starts none; an input of a few thousand records is paid in one)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="with --ledger: replace the open run of the period even when this run pays fewer "
        "employees (without it such a re-run is refused and the earlier run kept)",
    )


def _add_encoding(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--encoding",
        choices=ENCODINGS,
        type=str.lower,
        help="text encoding of INPUT (default: UTF-8 with or without BOM; a CSV that is not UTF-8 "
        "is read as GB18030, what Excel saves on a Chinese Windows, with a note)",
    )


def _add_explain(commands: argparse._SubParsersAction[_Parser]) -> None:
    explain = commands.add_parser("explain", help="one employee's slip: arithmetic, trace, rules not fired")
    explain.add_argument("ruleset", metavar="RULESET")
    explain.add_argument("input", metavar="INPUT")
    explain.add_argument("--employee", required=True, metavar="ID")
    _add_input(explain)
    _add_encoding(explain)
    explain.add_argument(
        "--items",
        action="store_true",
        help="list every item of a rule over a list (default: count, sum, example)",
    )
    explain.add_argument(
        "--rule", metavar="ID", help="list every item of rule ID (its lines, trace and misses)"
    )
    explain.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="CHANGE",
        help="what-if: pay the employee again with CHANGE made to their input (NAME=VALUE, NAME+=N, "
        "NAME-=N, list.field+=N for its last item, list[i].field, a list=N items repeating its last); "
        "shows the lines that changed and the net difference (repeatable)",
    )


def _add_test(commands: argparse._SubParsersAction[_Parser]) -> None:
    test = commands.add_parser("test", help="run the YAML test cases and ruleset invariants under the paths")
    test.add_argument("paths", nargs="+", metavar="PATH")
    test.add_argument(
        "--coverage",
        action="store_true",
        help="also report, per ruleset, how often each rule fired and made its line or notice "
        "over generated inputs (informative: it does not change the exit code)",
    )
    test.add_argument(
        "--size",
        action="append",
        type=_size,
        default=[],
        metavar="LIST=LOW..HIGH",
        help="draw the list input LIST (orders, or orders.parcels inside its records) with LOW to "
        "HIGH elements (LIST=N: exactly N) when searching invariants and coverage; repeatable; "
        "rulesets without that list ignore it",
    )


def _add_schema(commands: argparse._SubParsersAction[_Parser]) -> None:
    commands.add_parser(
        "schema",
        help="print the JSON Schema of a pay slip (what `run --format json` writes)",
        description="The JSON Schema of one pay slip, generated from the slip's types; the package "
        "ships the same text as cmrules/payslip.schema.json.",
    )


def _add_diff(commands: argparse._SubParsersAction[_Parser]) -> None:
    diff = commands.add_parser("diff", help="two rulesets or versions on the same inputs: who gains, loses")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("input", metavar="INPUT")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    _add_input(diff)


def _add_ledger(commands: argparse._SubParsersAction[_Parser]) -> None:
    close = commands.add_parser("close", help="close a period of a ledger: final, never recomputed")
    close.add_argument("--ledger", required=True, metavar="FILE")
    close.add_argument("period", type=_period, metavar="PERIOD")
    close.add_argument("--ruleset", metavar="ID", help="close it for this ruleset id only")
    close.add_argument("--allow-failures", action="store_true", help="close a run with failed records")
    restate = commands.add_parser(
        "restate", help="correct a closed period: differences become adjustments of the next run"
    )
    restate.add_argument("ruleset", metavar="RULESET")
    restate.add_argument("input", metavar="INPUT")
    restate.add_argument("--ledger", required=True, metavar="FILE")
    restate.add_argument("--period", required=True, type=_period, metavar="YYYY-MM")
    restate.add_argument("--input-format", choices=INPUT_FORMATS)
    _add_encoding(restate)
    ledger = commands.add_parser("ledger", help="what a ledger holds: an employee's history, a period")
    actions = ledger.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="an employee's slips over time, or a period's slips and totals")
    show.add_argument("--ledger", required=True, metavar="FILE")
    which = show.add_mutually_exclusive_group(required=True)
    which.add_argument("--employee", metavar="ID")
    which.add_argument("--period", type=_period, metavar="YYYY-MM")
    show.add_argument("--ruleset", metavar="ID", help="one ruleset id (when several were run)")
    show.add_argument("--format", choices=[f for f in OUTPUT_FORMATS if f != "html"], default="text")
    openings = actions.add_parser(
        "import-balances",
        help="opening balances before a period from a file: one row per employee, a column per balance",
        epilog="All or nothing: every bad row is reported and nothing is imported. The same values "
        "again change nothing; another value for a balance already imported is refused unless "
        "--replace, and any new value once the ruleset has a run of the period or later. "
        "See docs/ledger.md.",
    )
    openings.add_argument("ruleset", metavar="RULESET", help="ruleset file or shipped name")
    openings.add_argument("input", metavar="FILE", help="the opening balances: one row per employee")
    openings.add_argument("--ledger", required=True, metavar="FILE", help="the ledger (started if not there)")
    openings.add_argument(
        "--period", required=True, type=_period, metavar="YYYY-MM", help="the balances before it"
    )
    openings.add_argument("--input-format", choices=INPUT_FORMATS)
    _add_encoding(openings)
    openings.add_argument("--columns", metavar="FILE", help="a YAML or JSON file of header: balance name")
    openings.add_argument("--replace", action="store_true", help="replace values imported before with others")
