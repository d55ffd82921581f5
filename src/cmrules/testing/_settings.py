"""The hypothesis settings of a ruleset search: the user's profile, with cmrules' preferences
only where the profile keeps hypothesis' own defaults.

A search evaluates whole slips (a list aimed at a tier of 900 orders is 900 items), so
cmrules prefers no deadline, no example database (``cmrules test`` writes nothing beside
the rulesets), quiet output and the health checks that large generated inputs trip
suppressed. A profile that sets any of these (``settings.register_profile("ci",
deadline=1000)``, loaded by ``--hypothesis-profile=ci`` or ``settings.load_profile``) wins;
suppressed health checks add up. The seed: an explicit ``seed`` wins (``@seed``), else
hypothesis decides as for any test: the profile's ``derandomize``, then
``--hypothesis-seed``, then a random one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed

__all__ = ["PREFERRED", "profile", "search_settings", "with_seed"]

#: What cmrules sets where the loaded profile keeps hypothesis' default.
PREFERRED: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "verbosity": Verbosity.quiet,
    "phases": (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),  # no explain
}
#: Health checks a ruleset search trips by design: slow examples (a slip of 900 orders), large
#: data, many examples filtered (an invariant's ``given``), a large smallest example.
SUPPRESSED = (
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
)


def profile() -> settings:
    """The hypothesis settings profile loaded now (``settings.default``)."""
    loaded = settings.default
    assert loaded is not None  # hypothesis loads its default profile on import
    return loaded


def _user_set(name: str) -> bool:
    """Whether the loaded profile sets ``name`` to other than hypothesis' default."""
    loaded = getattr(profile(), name)  # the profile loaded now (settings.load_profile)
    builtin = getattr(settings.get_profile("default"), name)
    if name == "database":  # a database object is rebuilt per profile: compare its kind
        return type(loaded) is not type(builtin)
    return bool(loaded != builtin)


def search_settings(max_examples: int | None, seed: int | None, **forced: Any) -> settings:
    """The settings of one search: the loaded profile, cmrules' :data:`PREFERRED` where the
    profile says nothing, ``max_examples`` when given (else the profile's), ``forced`` always.

    An explicit ``seed`` turns ``derandomize`` off (the seed asked for is the one used).
    """
    chosen: dict[str, Any] = {k: v for k, v in PREFERRED.items() if not _user_set(k)}
    chosen["suppress_health_check"] = sorted(
        set(profile().suppress_health_check) | set(SUPPRESSED), key=lambda h: h.value
    )
    if max_examples is not None:
        chosen["max_examples"] = max_examples
    if seed is not None:
        chosen["derandomize"] = False
    chosen.update(forced)
    return settings(profile(), **chosen)


def with_seed(run: Callable[[], None], seed: int | None) -> Callable[[], None]:
    """``run`` with hypothesis' ``@seed(seed)`` when a seed is given."""
    return run if seed is None else hypothesis_seed(seed)(run)
