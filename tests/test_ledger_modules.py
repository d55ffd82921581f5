"""The ledger's modules keep one job each and stay clearly under the ~400-line guide."""

from __future__ import annotations

from pathlib import Path

import cmrules.ledger

LEDGER = Path(cmrules.ledger.__file__).parent


def test_every_ledger_module_is_clearly_under_the_guide() -> None:
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in LEDGER.glob("*.py")}
    assert {name: size for name, size in sizes.items() if size > 380} == {}
