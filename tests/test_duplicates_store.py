"""The store of employee-periods seen in a run (``input.duplicate``): exact, and on disk past its cache."""

from __future__ import annotations

import pytest

from cmrules.errors import InputError
from cmrules.ruleset import _many
from cmrules.ruleset._many import Duplicates


def test_a_repeat_names_the_record_first_holding_the_pair() -> None:
    seen = Duplicates()
    assert seen.check({"employee": "E1", "period": "2024-05"}, 1) is None
    assert seen.check({"employee": "E1", "period": "2024-06"}, 2) is None
    assert seen.check({"employee": "E2", "period": "2024-05"}, 3) is None
    repeat = seen.check({"employee": "E1", "period": "2024-05"}, 4)
    assert isinstance(repeat, InputError)
    (problem,) = repeat.problems
    assert (problem.employee, problem.field, problem.code) == ("E1", "employee", "input.duplicate")
    assert "already appear in record 1: not paid twice" in problem.message
    # a third copy still names the first record, not the second
    again = seen.check({"employee": "E1", "period": "2024-05"}, 9)
    assert again is not None and "record 1:" in again.problems[0].message
    seen.close()


def test_records_without_ids_are_left_to_validation() -> None:
    seen = Duplicates()
    records = [["E1"], {"employee": 7.5, "period": "2024-05"}, {"employee": True, "period": "2024-05"}]
    for number, record in enumerate([*records, {"employee": "E1"}, {"employee": "", "period": "2024-05"}], 1):
        assert seen.check(record, number) is None
        assert seen.check(record, number + 10) is None
    seen.close()


@pytest.mark.slow
def test_pairs_spilled_past_the_page_cache_are_still_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_many, "_CACHE_KIB", 64)  # a 64 KiB cache: most pages live in the file
    seen = Duplicates()
    count = 30_000
    for number in range(1, count + 1):
        assert seen.check({"employee": f"E{number:06d}", "period": "2024-05"}, number) is None
    for first in (1, 12_345, count):
        repeat = seen.check({"employee": f"E{first:06d}", "period": "2024-05"}, count + first)
        assert repeat is not None
        assert f"already appear in record {first}: not paid twice" in repeat.problems[0].message
    assert seen.check({"employee": "E000001", "period": "2024-06"}, 2 * count + 1) is None
    seen.close()


def test_a_whole_number_id_repeated_through_the_python_api_is_paid_once() -> None:
    from pathlib import Path

    from cmrules import load_ruleset

    root = Path(__file__).resolve().parent.parent
    ruleset = load_ruleset(root / "examples" / "draw_clawback.yaml")
    record = {"employee": 1001, "period": "2026-01", "commission": "9000.00"}
    slips, failures = ruleset.evaluate_many([record, {**record, "employee": "1001"}])
    assert [slip.employee for slip in slips] == ["1001"]
    assert [(f.employee, f.code) for f in failures] == [("1001", "input.duplicate")]  # type: ignore[attr-defined]
