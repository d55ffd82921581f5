"""The ``cmrules`` command: ``check | run | explain | test | diff``.

A thin layer over :mod:`cmrules.commands`: parse arguments (:mod:`cmrules.cli._parser`),
call one function, print what it returns (:mod:`cmrules.cli._show`), choose the exit
code. Results go to stdout; failures, summaries and the progress bar
(:mod:`cmrules.cli._progress`) to stderr. This package is the only code of cmrules
that writes to the terminal.

Exit codes: 0 done; 1 nothing usable (a ruleset or input file has errors, or a
test failed); 2 some employees failed (the others' slips are written);
64 bad usage; 75 the ledger is busy with another writer (retry); 130 interrupted (no
partial output is left behind).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from cmrules import commands
from cmrules.cli import _show as show
from cmrules.cli._ledger import LEDGER_COMMANDS, run_with_ledger
from cmrules.cli._parser import (
    EXIT_EMPLOYEES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
)
from cmrules.cli._progress import progress_for
from cmrules.errors import EvaluationError, InputError, InputFileError, RulesetError
from cmrules.outputs._atomic import drop_own_temporaries
from cmrules.slip import schema_text

__all__ = ["main", "script"]


def _visible(char: str) -> str:
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _shown(text: str) -> str:
    """``text`` safe for a terminal: control and format characters (escape sequences, a
    carriage return, bidi overrides) in ids and values escaped; newlines and tabs kept."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") else _visible(ch)
        for ch in text
    )


def _err(text: str) -> None:
    text = _shown(text)
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


def _out(text: str) -> None:
    sys.stdout.write(text)


def _cmd_check(args: argparse.Namespace) -> int:
    results = commands.check_paths(args.rulesets)
    for result in results:
        _out(show.check_text(result, show_code=args.show_code))
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR


def _output_format(args: argparse.Namespace) -> str | None:
    """The format asked for, else the one of the output's suffix, else text on stdout."""
    if args.format is not None:
        return str(args.format)
    if args.out is None:
        return "text"
    return commands.FORMAT_BY_SUFFIX.get(Path(args.out).suffix.lower())


def _cmd_run(args: argparse.Namespace) -> int:
    fmt = _output_format(args)
    if fmt is None:
        _err(f"cmrules run: cannot tell the output format from {args.out!r}: give --format")
        return EXIT_USAGE
    if fmt == "html" and args.out is None:
        _err("cmrules run: html output is a folder of pages: give -o FOLDER")
        return EXIT_USAGE
    if args.ledger is not None:
        return run_with_ledger(args, fmt)
    if args.close:
        _err("cmrules run: --close needs --ledger FILE")
        return EXIT_USAGE
    if args.allow_failures:
        _err(
            "cmrules run: --allow-failures goes with --ledger FILE --close (a run with failed records closes)"
        )
        return EXIT_USAGE
    if args.force:
        _err("cmrules run: --force goes with --ledger FILE (a re-run that pays fewer replaces the open run)")
        return EXIT_USAGE
    progress = progress_for(sys.stderr)
    try:
        result = commands.run_file(
            args.ruleset,
            args.input,
            args.out,
            fmt,
            args.period,
            progress,
            input_format=args.input_format,
            encoding=args.encoding,
            allow_empty=args.allow_empty,
            detail=args.detail,
            columns=args.columns,
            jobs=args.jobs,
        )
    finally:
        progress.close()
    for note in result.notes:
        _err(f"note: {note}")
    sys.stderr.write(_shown(show.failure_lines(result.failures)))
    if result.rendered is not None:
        _out(_shown(result.rendered) if sys.stdout.isatty() else result.rendered)
        sys.stdout.flush()
    sys.stderr.write(show.run_summary(result))
    return EXIT_EMPLOYEES if result.failures else EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    explanation = commands.explain_employee(
        args.ruleset,
        args.input,
        args.employee,
        args.period,
        input_format=args.input_format,
        encoding=args.encoding,
        limit=None if (args.items or args.rule) else commands.MAX_ELEMENTS,
    )
    if args.rule is not None and args.rule not in {r.id for r in explanation.version.program.rules}:
        raise commands.UsageError(f"--rule {args.rule}: no such rule in {explanation.slip.ruleset['id']}")
    _out(
        explanation.what_if(args.set).render(args.items)
        if args.set
        else explanation.render(args.items, args.rule)
    )
    return EXIT_OK


def _cmd_test(args: argparse.Namespace) -> int:
    progress = progress_for(sys.stderr)
    try:
        report = commands.run_tests(args.paths, progress=progress, sizes=dict(args.size) or None)
    finally:
        progress.close()
    _out(report.render())
    if args.coverage:
        _out(show.coverage_text(commands.coverage_reports(args.paths, sizes=dict(args.size) or None)))
    return EXIT_OK if report.ok else EXIT_ERROR


def _cmd_diff(args: argparse.Namespace) -> int:
    report = commands.diff_rulesets(
        args.old, args.new, args.input, args.period, input_format=args.input_format
    )
    _out(show.diff_text(report, args.format))
    return EXIT_EMPLOYEES if report.failures else EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.buffer.write(schema_text().encode("utf-8"))
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "schema": _cmd_schema,
    "check": _cmd_check,
    "run": _cmd_run,
    "explain": _cmd_explain,
    "test": _cmd_test,
    "diff": _cmd_diff,
    **LEDGER_COMMANDS,
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
    except InputFileError as exc:  # explain's employee not in the file is read, not unreadable
        _err(
            f"cmrules {args.command}: {exc}"
            if isinstance(exc, commands.UsageError)
            else f"cannot read input: {exc}"
        )
        return EXIT_ERROR
    except (InputError, EvaluationError) as exc:  # explain: the one employee asked about failed
        sys.stderr.write(_shown(show.failure_lines(exc.to_dicts())))
        return EXIT_EMPLOYEES
    except commands.UsageError as exc:
        _err(f"cmrules {args.command}: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        drop_own_temporaries()
        _err("interrupted: no partial output file is left")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout closed early (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK
    except OSError as exc:  # e.g. the output folder cannot be written
        _err(f"cmrules {args.command}: {exc}")
        return EXIT_ERROR
