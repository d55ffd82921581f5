"""The ``cmrules`` command: ``check | run | explain | test | diff``.

A thin layer over :mod:`cmrules.commands._runner`: parse arguments, call one function,
print, choose the exit code. Results go to stdout; failures, summaries and the
progress bar to stderr.

Exit codes: 0 done; 1 nothing usable (a ruleset or input file has errors, or a
test failed); 2 some employees failed (the others' slips are written);
64 bad usage; 130 interrupted (no partial output is left behind).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import NoReturn

from cmrules.commands import _runner as runner
from cmrules.errors import EvaluationError, InputError, RulesetError
from cmrules.inputs._text import PERIOD_RE
from cmrules.outputs import OUTPUT_FORMATS
from cmrules.sources import INPUT_FORMATS, InputFileError

EXIT_OK, EXIT_ERROR, EXIT_EMPLOYEES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 64, 130


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 64 (EX_USAGE), so that 2 keeps meaning "some employees failed"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _period(text: str) -> str:
    if not PERIOD_RE.match(text):
        raise argparse.ArgumentTypeError(f"expected a period YYYY-MM, got {text!r}")
    return text


def _version() -> str:
    try:
        return package_version("cmrules")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmrules",
        description="Pay policies as declarative rulesets, evaluated into exact, explained pay slips.",
        epilog="A RULESET is a .yaml file, a folder of dated versions of one plan, or FOLDER@VERSION "
        "to apply one version whatever the period. Exit codes: 0 done, 1 errors, "
        "2 some employees failed, 64 usage, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"cmrules {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="load rulesets and report every error",
        epilog="e.g. cmrules check rulesets/*.yaml rulesets/securities_client_manager",
    )
    check.add_argument("rulesets", nargs="+", metavar="RULESET")

    def add_input(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--input-format", choices=INPUT_FORMATS, help="input format (default: from the suffix)"
        )
        sub.add_argument(
            "--period", type=_period, metavar="YYYY-MM", help="fill or override every employee's period"
        )

    run = commands.add_parser(
        "run",
        help="evaluate a file of employees and write their pay slips",
        epilog="Output is atomic. A file OUT: first OUT.errors.json is written (some employees "
        "failed) or removed (none did), then OUT is replaced, so an interrupted run never leaves "
        "an earlier run's errors beside new slips. A folder OUT (html): pages, index.html and "
        "errors.json are written into a hidden folder beside it that then replaces OUT whole. "
        "Temporary files of runs that were killed are removed by the next run.",
    )
    run.add_argument("ruleset", metavar="RULESET")
    run.add_argument("input", metavar="INPUT", help="employees: .json, .jsonl, .yaml, .csv or .parquet")
    run.add_argument("-o", "--out", metavar="OUT", help="output file (a folder for html); default stdout")
    run.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        help="output format (default: from the suffix of OUT, else text)",
    )
    add_input(run)

    explain = commands.add_parser("explain", help="one employee's slip: arithmetic, trace, rules not fired")
    explain.add_argument("ruleset", metavar="RULESET")
    explain.add_argument("input", metavar="INPUT")
    explain.add_argument("--employee", required=True, metavar="ID")
    add_input(explain)

    test = commands.add_parser("test", help="run the YAML test cases and ruleset invariants under the paths")
    test.add_argument("paths", nargs="+", metavar="PATH")
    test.add_argument(
        "--coverage",
        action="store_true",
        help="also report, per ruleset, how often each rule fired and made its line or notice "
        "over generated inputs (informative: it does not change the exit code)",
    )

    diff = commands.add_parser("diff", help="two rulesets or versions on the same inputs: who gains, loses")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("input", metavar="INPUT")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    add_input(diff)
    return parser


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


def _cmd_check(args: argparse.Namespace) -> int:
    results = runner.check_paths(args.rulesets)
    for result in results:
        print(result.render())
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR


def _cmd_run(args: argparse.Namespace) -> int:
    fmt = args.format
    if fmt is None and args.out is None:
        fmt = "text"
    elif fmt is None:
        fmt = runner.FORMAT_BY_SUFFIX.get(Path(args.out).suffix.lower())
        if fmt is None:
            _err(f"cmrules run: cannot tell the output format from {args.out!r}: give --format")
            return EXIT_USAGE
    if fmt == "html" and args.out is None:
        _err("cmrules run: html output is a folder of pages: give -o FOLDER")
        return EXIT_USAGE
    progress = runner.ProgressBar(sys.stderr, enabled=sys.stderr.isatty())
    try:
        result = runner.run_file(
            args.ruleset,
            args.input,
            args.out,
            fmt,
            args.period,
            progress,
            input_format=args.input_format,
        )
    finally:
        progress.close()
    for failure in result.failures:
        _err(f"failed: {runner.format_failure(failure)}")
    if result.rendered is not None:
        sys.stdout.write(result.rendered)
        sys.stdout.flush()
    else:
        _err(f"{result.slips} slips written to {result.out} ({result.seconds:.2f}s)")
    if result.failures:
        where = f"; errors in {result.errors_file}" if result.errors_file else ""
        _err(f"{result.failed_records} employees failed{where}")
        return EXIT_EMPLOYEES
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    explanation = runner.explain_employee(
        args.ruleset, args.input, args.employee, args.period, input_format=args.input_format
    )
    sys.stdout.write(explanation.render())
    return EXIT_OK


def _cmd_test(args: argparse.Namespace) -> int:
    report = runner.run_tests(args.paths)
    sys.stdout.write(report.render())
    if args.coverage:
        for coverage in runner.coverage_reports(args.paths):
            sys.stdout.write("\n" + coverage.render().rstrip("\n") + "\n")
    return EXIT_OK if report.ok else EXIT_ERROR


def _cmd_diff(args: argparse.Namespace) -> int:
    report = runner.diff_rulesets(args.old, args.new, args.input, args.period, input_format=args.input_format)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(report.render())
    return EXIT_EMPLOYEES if report.failures else EXIT_OK


_COMMANDS = {
    "check": _cmd_check,
    "run": _cmd_run,
    "explain": _cmd_explain,
    "test": _cmd_test,
    "diff": _cmd_diff,
}


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM into an exception while a command runs, so temporary files are removed."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def script() -> NoReturn:
    """The ``cmrules`` console command: once the command is done, a late Ctrl-C cannot
    turn its exit code into a failure (the interpreter's shutdown would report it)."""
    code = main()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``cmrules`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        with _terminate_cleanly():
            return _COMMANDS[args.command](args)
    except RulesetError as exc:
        _err(str(exc))
        return EXIT_ERROR
    except InputFileError as exc:
        _err(f"cannot read input: {exc}")
        return EXIT_ERROR
    except (InputError, EvaluationError) as exc:  # explain: the one employee asked about failed
        for failure in exc.to_dicts():
            _err(f"failed: {runner.format_failure(failure)}")
        return EXIT_EMPLOYEES
    except runner.UsageError as exc:
        _err(f"cmrules {args.command}: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted: no partial output file is left")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout closed early (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK
    except OSError as exc:  # e.g. the output folder cannot be written
        _err(f"cmrules {args.command}: {exc}")
        return EXIT_ERROR
