"""Ruleset searches run with the user's hypothesis profile and seed: cmrules fills in only
what the profile leaves at hypothesis' defaults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Verbosity, settings
from hypothesis.database import InMemoryExampleDatabase

import cmrules
from cmrules.testing import check_invariant, check_invariants, rule_coverage
from cmrules.testing._settings import search_settings

pytest_plugins = ["pytester"]

FIXTURE = Path(__file__).parent / "fixtures" / "delivery_items.yaml"
CLIFF = """\
cmrules: 1
id: cliff
version: "1"
title: {zh: 测试, en: Test}
effective_from: 2024-01-01
inputs:
  sales: {type: money, ge: 0, le: 100000}
rules:
  - id: bonus
    label: {zh: 奖金, en: Bonus}
    when: sales >= 1000
    line: {category: earning, amount: sales * 0.1}
invariants:
  - id: net_never_negative
    always: net >= 0
"""


@pytest.fixture
def profile() -> Iterator[str]:
    """A registered profile the test loads; the one loaded before comes back after."""
    before = settings.default
    settings.register_profile("seven", max_examples=7, deadline=1234, database=InMemoryExampleDatabase())
    settings.load_profile("seven")
    try:
        yield "seven"
    finally:
        settings.register_profile("_restored", before)
        settings.load_profile("_restored")


def test_a_loaded_profile_sets_the_examples_deadline_and_database(profile: str) -> None:
    version = cmrules.load_ruleset(FIXTURE).versions[0]
    result = check_invariant(version, "fees_from_items")
    assert result.examples == 7  # the profile's max_examples: every example ran and held
    chosen = search_settings(None, 0)
    assert chosen.max_examples == 7
    assert chosen.deadline == timedelta(milliseconds=1234)
    assert isinstance(chosen.database, InMemoryExampleDatabase)
    assert rule_coverage(FIXTURE, max_examples=None).examples == 14  # twice the profile's
    assert check_invariants(FIXTURE, max_examples=3).results[0].examples == 3  # given wins


def test_where_the_profile_says_nothing_cmrules_prefers_quiet_unbounded_searches() -> None:
    before = settings.default
    settings.register_profile("plain")  # hypothesis' defaults
    settings.load_profile("plain")
    try:
        chosen = search_settings(None, None)
    finally:
        settings.register_profile("_restored", before)
        settings.load_profile("_restored")
    assert chosen.deadline is None and chosen.database is None
    assert chosen.verbosity == Verbosity.quiet and chosen.max_examples == 100
    assert HealthCheck.too_slow in chosen.suppress_health_check
    assert HealthCheck.return_value not in chosen.suppress_health_check  # not all of them


def test_an_explicit_seed_wins_over_a_derandomizing_profile() -> None:
    before = settings.default
    settings.register_profile("fixed", derandomize=True)
    settings.load_profile("fixed")
    try:
        assert search_settings(None, 5).derandomize is False
        assert search_settings(None, None).derandomize is True  # no seed: the profile decides
    finally:
        settings.register_profile("_restored", before)
        settings.load_profile("_restored")


def test_the_project_runs_with_its_fixed_seed_ci_profile() -> None:
    # tests/conftest.py registers and loads `ci` unless --hypothesis-profile names another.
    assert settings.default.derandomize is True
    assert settings.get_profile("ci").derandomize is True


def _coverage_table(pytester: pytest.Pytester, *args: str) -> str:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cmrules-coverage", *args)
    result.assert_outcomes(passed=1)
    text = result.stdout.str()
    return text[text.index("rule coverage of") : text.index("fired and made")]


@pytest.mark.slow
def test_the_plugin_honours_hypothesis_seed_and_profiles(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cliff=CLIFF)
    pytester.makeini("[pytest]\n")  # no cmrules_max_examples: the profile's
    pytester.makeconftest(
        "from hypothesis import settings\n"
        "settings.register_profile('seven', max_examples=7)\n"
        "settings.register_profile('fixed', max_examples=20, derandomize=True)\n"
    )
    # the profile's max_examples: the coverage section draws twice as many
    assert "over 14 examples" in _coverage_table(pytester, "--hypothesis-profile=seven")
    # a derandomizing profile: the same examples on every run, unless --hypothesis-seed says otherwise
    fixed = _coverage_table(pytester, "--hypothesis-profile=fixed")
    assert re.search(r"over 40 examples", fixed)
    one = _coverage_table(pytester, "--hypothesis-profile=fixed", "--hypothesis-seed=1")
    assert one == _coverage_table(pytester, "--hypothesis-profile=fixed", "--hypothesis-seed=1")
    two = _coverage_table(pytester, "--hypothesis-profile=fixed", "--hypothesis-seed=2")
    assert len({fixed, one, two}) > 1, "--hypothesis-seed did not change the examples"
