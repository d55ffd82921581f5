"""What README.md, docs/outputs.md and ``cmrules run --help`` say about formats and detail levels
is what the code does: every input and output format named, and the levels each output offers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cmrules import INPUT_FORMATS, OUTPUT_FORMATS
from cmrules.cli import EXIT_USAGE, main
from cmrules.cli._parser import build_parser
from cmrules.outputs.render import DEFAULT_DETAIL, FORMAT_DETAILS
from cmrules.slip import DETAILS

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = {"json": ".json", "jsonl": ".jsonl", "yaml": ".yaml", "csv": ".csv", "parquet": ".parquet"}
SUFFIX["xlsx"] = ".xlsx"


def _run_help() -> str:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return str(action.choices["run"].format_help())  # type: ignore[union-attr]


def _readme_run_line() -> str:
    [line] = [
        ln
        for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if ln.startswith("| `cmrules run ")
    ]
    return line


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_run_help_names_every_input_format_and_the_levels_of_each_output() -> None:
    text = " ".join(_run_help().split())
    inputs = re.search(r"INPUT employees: (.*?)\(or say --input-format\)", text)
    assert inputs is not None, text
    assert all(SUFFIX[fmt] in inputs.group(1) for fmt in INPUT_FORMATS)
    assert "--input-format {" + ",".join(INPUT_FORMATS) + "}" in text
    assert "csv-lines, xlsx, parquet and parquet-lines offer lines only, csv no trace" in text


def test_the_readme_run_line_names_every_format_and_input_format() -> None:
    line = _readme_run_line()
    assert "[--format " + "\\|".join(("json", "jsonl", "csv", "csv-lines", "text", "html")) in line
    formats = re.search(r"\[--format ([^\]]*)\]", line)
    inputs = re.search(r"\[--input-format ([^\]]*)\]", line)
    assert formats is not None and inputs is not None
    assert formats.group(1).split("\\|") == list(OUTPUT_FORMATS)
    assert inputs.group(1).split("\\|") == list(INPUT_FORMATS)
    assert "YAML, CSV, Parquet or Excel (`.xlsx`) file" in line
    assert "the only level of csv-lines, xlsx, parquet and parquet-lines" in line


def test_docs_outputs_lists_every_format_and_the_levels_it_offers() -> None:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    rows = [_cells(ln) for ln in text.splitlines() if ln.startswith("| `")]
    listed = {cell.strip("`") for row in rows for cell in [row[0]] if len(row) == 3}
    assert set(OUTPUT_FORMATS) <= listed
    offered: dict[str, tuple[str, ...]] = {}
    for row in rows:
        if len(row) == 4 and all(cell in ("yes", "no") for cell in row[1:]):
            for fmt in re.findall(r"`([a-z-]+)`", row[0]):
                offered[fmt] = tuple(d for d, cell in zip(DETAILS, row[1:], strict=True) if cell == "yes")
    assert offered == FORMAT_DETAILS
    defaults = {}
    for row in rows:
        if len(row) == 3 and row[0].strip("`") in DETAILS:
            for fmt in re.findall(r"`([a-z-]+)`", row[2]):
                defaults[fmt] = row[0].strip("`")
    assert defaults == DEFAULT_DETAIL


@pytest.mark.parametrize("fmt", sorted(FORMAT_DETAILS))
def test_a_level_a_format_does_not_offer_is_refused_before_the_input_is_read(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ruleset = str(ROOT / "rulesets" / "bar_customer_manager.yaml")
    for detail in DETAILS:
        if detail in FORMAT_DETAILS[fmt]:
            continue
        out = tmp_path / f"out.{fmt}"
        argv = ["run", ruleset, str(tmp_path / "missing.csv"), "-o", str(out), "--format", fmt]
        assert main([*argv, "--detail", detail]) == EXIT_USAGE
        assert f"--format {fmt} cannot show detail '{detail}'" in capsys.readouterr().err
        assert not out.exists()
