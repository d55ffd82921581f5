"""Guarded host for the optional durable-rules (Rete) matcher.

durable-rules is used here only as a forward-chaining *matcher*: a ruleset of
single-fact conditions is registered once, and :meth:`DurableHost.match`
asserts a batch of facts into a fresh session and returns every
``(rule_name, fact)`` pair the Rete network fired, in firing order.

The package has sharp edges; each one below was reproduced against
durable-rules 2.0.28 and is guarded as noted.

* ``durable.engine.Host()`` starts two ``threading.Timer`` dispatcher loops in
  its constructor; with actions left pending they run on the timer thread and
  race the caller (a caller deleting sessions segfaulted the process).  This
  host never constructs ``Host`` or touches ``durable.lang``: it drives the C
  module ``durable_rules_engine`` directly and runs every action synchronously
  in the calling thread, under one process-wide lock.
* ``Host.assert_facts`` raises ``MessageNotHandledException`` when *any* fact in
  the batch matched no rule, before running the actions of the facts that did
  match (they would be left for the dispatcher).  Here the C return code is
  read directly: "not handled" is normal, "already observed" is an error.
* Sessions are found by a 32-bit FNV-1 hash of the session id only (two ids
  with one hash share one state), and more than 1024 live sessions per ruleset
  fail / corrupt it.  Each ``match`` uses a fresh counter id (``s-<n>``) and
  deletes the session before returning, so at most one session is ever live;
  the ids in the returned state and in every fired fact are checked.
* Deleting a session in which no action ever started frees uninitialised
  pointers (segfault / "double free").  Every session therefore first asserts
  a sentinel fact matched by a hidden sentinel rule, and is deleted only once
  an action has started in it.
* Property names are also identified by their 32-bit hash: a rule on one field
  matched a fact that only had a different field with the same hash.  Field
  names are checked process-wide for hash collisions (message ids too).
* Numbers: JSON integers are C ``long long`` (out-of-range values saturate
  silently), floats are C doubles, ``Decimal`` cannot be serialised.  Only
  Python ``int`` within signed 64-bit range is accepted; ``float``/``Decimal``
  raise ``TypeError`` before anything reaches the C core.
* Values of different JSON types are compared after ad-hoc coercion (``1``
  equals ``True``, ``"1"`` and even ``""``).  Each field gets one type (int,
  str or bool) from the rule constants, and facts must agree.
* ``$div`` by an integer zero kills the process (SIGFPE); conditions here may
  only compare a field with a constant, so no arithmetic reaches the core.
* A multi-key condition ``{"a": 1, "b": 2}`` silently tests only one key, and
  the operator-inside form ``{"n": {"$gte": 1}}`` silently matches every fact;
  both are rejected.  ``$nex`` also matches the engine's own state fact
  (endless re-firing through the Python engine) and is rejected.
* Exceptions in engine-run actions are swallowed into the state's
  ``exception`` key, and the Python engine silently drops the rest of a
  session's actions when one takes over 10 s of wall-clock time.  Actions here
  are an in-thread ``list.append``; a callback error, an ``exception`` key or
  an unexpected firing raises :class:`DurableEngineError`.
* durable-rules does not import on Python 3.13+: :class:`DurableUnavailable`.

Rules are checked by :mod:`cmrules.engines._durable_rules`; the C core is loaded
by :mod:`cmrules.engines._durable_core`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cmrules.engines._durable_core import DurableEngineError, fnv1_32, load_engine, value_kind
from cmrules.engines._durable_rules import RESERVED_FIELDS, SENTINEL, FieldNames, compile_rule

__all__ = ["DurableHost", "get_host"]

_SENTINEL_ID = "f-s"
_RULESET_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")
_MAX_FIELDS = 200  # the C core allows 255 properties per object, sid and id included

# C return codes of assert_fact(s) that are not raised as exceptions
_OK, _NOT_HANDLED, _OBSERVED, _DEFERRED = 0, 1, 2, 3


@dataclass(frozen=True)
class _Ruleset:
    name: str
    handle: int
    canonical: str  # the caller's rules as canonical JSON, for idempotent register
    rules: frozenset[str]
    field_types: Mapping[str, str]


class DurableHost:
    """The process-wide durable-rules host; obtain it with :func:`get_host`.

    No dispatcher thread exists: the C core is driven synchronously from the
    calling thread, and a single lock is held around every engine call (a
    whole ``match`` is one critical section, so at most one session is live).
    """

    _created = False

    def __init__(self) -> None:
        if DurableHost._created:
            raise RuntimeError("DurableHost is one per process; use get_host()")
        self._core = load_engine()
        DurableHost._created = True
        self._lock = threading.Lock()
        self._rulesets: dict[str, _Ruleset] = {}
        self._sessions = itertools.count(1)
        self._broken: str | None = None
        self._fields = FieldNames(RESERVED_FIELDS)  # process-wide: property names must not collide
        # message ids f-0, f-1, ...: distinct 32-bit hashes, none equal to the sentinel's
        self._ids: list[str] = []
        self._id_hashes: dict[int, int] = {fnv1_32(_SENTINEL_ID): -1}
        self._id_index: dict[str, int] = {}
        self.on_fire: Callable[[str, dict[str, Any]], None] | None = None

    # -- public API ---------------------------------------------------------

    def register(self, name: str, rules: dict[str, Any]) -> None:
        """Register ``rules`` (durable-rules JSON ruleset form) under ``name``.

        Each rule is ``{"all": [{"m": <condition>}]}`` with an optional integer
        ``"pri"`` (lower fires first).  A condition is one of::

            {"field": <int|str|bool>}                     equality
            {"$eq"|"$neq": {"field": <int|str|bool>}}
            {"$gt"|"$gte"|"$lt"|"$lte": {"field": <int>}}
            {"$and"|"$or": [<condition>, ...]}            nestable

        Registering the same name again with equal rules is a no-op; with
        different rules it is an error (the engine cannot redefine a ruleset).
        """
        if not isinstance(name, str) or not _RULESET_RE.match(name):
            raise ValueError(f"invalid ruleset name {name!r}")
        if not isinstance(rules, Mapping) or not rules:
            raise ValueError(f"ruleset {name!r}: rules must be a non-empty dict")
        with self._lock:
            self._check_usable()
            field_types: dict[str, str] = {}
            compiled: dict[str, Any] = {}
            for rule_name, body in rules.items():
                compiled[rule_name] = compile_rule(name, rule_name, body, field_types, self._fields)
            canonical = json.dumps(compiled, ensure_ascii=False)  # rule order = firing order
            existing = self._rulesets.get(name)
            if existing is not None:
                if existing.canonical != canonical:
                    raise ValueError(f"ruleset {name!r} is already registered with other rules")
                return
            for field in field_types:
                self._fields.claim(field, f"ruleset {name!r}")
            definition = dict(compiled)
            definition[SENTINEL] = {"all": [{"m": {SENTINEL: 1}}]}
            try:
                handle = self._core.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
            except Exception as exc:  # durable_rules_engine.error (e.g. limits)
                raise DurableEngineError(None, f"ruleset {name!r} rejected: {exc}") from exc
            self._rulesets[name] = _Ruleset(name, handle, canonical, frozenset(compiled), dict(field_types))

    def match(self, name: str, facts: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
        """Assert ``facts`` in a fresh session of ruleset ``name``; return the firings.

        The result lists ``(rule_name, fact)`` in the engine's firing order (rules
        by ``pri`` then declaration order; within a rule, later facts first), where
        ``fact`` is the caller's own object.  Fact values must be int (signed
        64-bit), str or bool; float and Decimal raise ``TypeError``.
        """
        with self._lock:
            self._check_usable()
            rs = self._rulesets.get(name)
            if rs is None:
                raise KeyError(f"ruleset {name!r} is not registered")
            facts = list(facts)
            self._ensure_ids(len(facts))
            sid = self._next_sid(len(facts))
            payload = self._encode(rs, facts, sid)
            return self._run_session(rs, facts, sid, payload)

    @property
    def rulesets(self) -> frozenset[str]:
        """The names of the registered rulesets."""
        return frozenset(self._rulesets)

    # -- sessions -----------------------------------------------------------

    def _ensure_ids(self, n: int) -> None:
        k = len(self._ids)
        while len(self._ids) < n:
            candidate = f"f-{k}"
            k += 1
            h = fnv1_32(candidate)
            if h in self._id_hashes:
                continue  # would be deduplicated as "already observed"
            self._id_hashes[h] = len(self._ids)
            self._id_index[candidate] = len(self._ids)
            self._ids.append(candidate)

    def _next_sid(self, n_facts: int) -> str:
        while True:
            sid = f"s-{next(self._sessions)}"
            # the state fact's message id must not share a hash with a fact id
            index = self._id_hashes.get(fnv1_32("sid-" + sid))
            if index is None or index >= n_facts:
                return sid

    def _encode(self, rs: _Ruleset, facts: list[Any], sid: str) -> str:
        types = rs.field_types
        out = [{"sid": sid, "id": _SENTINEL_ID, SENTINEL: 1}]
        for i, fact in enumerate(facts):
            where = f"fact {i}"
            if not isinstance(fact, Mapping):
                raise TypeError(f"{where}: facts must be dicts, got {type(fact).__name__}")
            if len(fact) > _MAX_FIELDS:
                raise ValueError(f"{where}: more than {_MAX_FIELDS} fields")
            for field, value in fact.items():
                if field not in self._fields:
                    self._fields.check(field, where)
                    self._fields.claim(field, where)
                elif field in RESERVED_FIELDS:
                    raise ValueError(f"{where}: field name {field!r} is reserved")
                kind = value_kind(value, f"{where}, field {field!r}")
                want = types.get(field)
                if want is not None and want != kind:
                    raise TypeError(
                        f"{where}: field {field!r} is {kind} but ruleset {rs.name!r} "
                        f"compares it as {want} (the engine would coerce silently)"
                    )
            row = dict(fact)
            row["sid"] = sid
            row["id"] = self._ids[i]
            out.append(row)
        return json.dumps(out, ensure_ascii=False)

    def _run_session(self, rs: _Ruleset, facts: list[Any], sid: str, payload: str) -> list[tuple[str, Any]]:
        core = self._core
        handle = rs.handle
        fired: list[tuple[str, Any]] = []
        started = False  # has any action started? (else the state must not be deleted)
        failure: DurableEngineError | None = None
        try:
            code, offset = core.assert_facts(handle, payload)
            if code not in (_OK, _NOT_HANDLED):
                raise DurableEngineError(None, f"assert_facts returned code {code} for {sid}")
            result = core.start_action_for_state(handle, offset)
            if result is None:
                raise DurableEngineError(SENTINEL, "the sentinel rule did not fire")
            started = True
            state: Any = json.loads(result[0])  # the state the first action starts with
            messages: str | None = result[1]
            sentinel_seen = False
            rule = SENTINEL  # the rule of the latest action: a swallowed exception is its
            while messages:
                ((rule, frame),) = json.loads(messages).items()
                if state is not None:
                    self._check_state(state, sid, rule)
                    state = None
                fact = frame.get("m") if isinstance(frame, dict) else None
                if not isinstance(fact, dict):
                    raise DurableEngineError(rule, f"unexpected action frame {frame!r}")
                if fact.get("sid") != sid:
                    raise DurableEngineError(
                        rule, f"fired for session {fact.get('sid')!r} inside session {sid!r}"
                    )
                if rule == SENTINEL:
                    if fact.get("id") != _SENTINEL_ID or sentinel_seen:
                        raise DurableEngineError(rule, f"unexpected sentinel firing {fact!r}")
                    sentinel_seen = True
                else:
                    self._fire(rs, facts, sid, rule, fact, fired)
                messages = core.complete_and_start_action(handle, offset)
            if not sentinel_seen:
                raise DurableEngineError(SENTINEL, "the sentinel rule did not fire")
            self._check_state(self._get_state(handle, sid), sid, rule)
        except DurableEngineError as exc:
            failure = exc
        except Exception as exc:  # durable_rules_engine.error, MemoryError, JSON
            failure = DurableEngineError(None, f"engine call failed: {type(exc).__name__}: {exc}")
        finally:
            self._end_session(handle, sid, started)
        if failure is not None:
            raise failure
        return fired

    def _fire(
        self,
        rs: _Ruleset,
        facts: list[Any],
        sid: str,
        rule: str,
        fact: dict[str, Any],
        fired: list[tuple[str, Any]],
    ) -> None:
        """Record one firing of ``rule`` on ``fact`` (the engine's copy of one of ``facts``)."""
        index = self._id_index.get(fact.get("id", ""), len(facts))
        if rule not in rs.rules or index >= len(facts):
            raise DurableEngineError(rule, f"unexpected firing on {fact!r}")
        original = facts[index]
        try:
            self._record(fired, rule, original)
        except Exception as exc:
            raise DurableEngineError(rule, f"action callback raised {type(exc).__name__}: {exc}") from exc
        limit = len(rs.rules) * len(facts) + 1
        if len(fired) > limit:
            raise DurableEngineError(rule, f"more than {limit} firings: runaway")
        if self.on_fire is not None:  # a callback can write the state, as actions do
            self._check_state(self._get_state(rs.handle, sid), sid, rule)

    def _record(self, fired: list[tuple[str, Any]], rule: str, fact: Any) -> None:
        """The action bound to every rule: record the match (and notify ``on_fire``)."""
        if self.on_fire is not None:
            self.on_fire(rule, fact)
        fired.append((rule, fact))

    def _get_state(self, handle: int, sid: str) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self._core.get_state(handle, sid))
        return state

    @staticmethod
    def _check_state(state: Any, sid: str, rule: str) -> None:
        """The session's state must be ``sid``'s and carry no exception (named after ``rule``).

        durable-rules records an exception raised in an action under the state's
        ``exception`` key instead of raising it; ``rule`` is the rule of the action that
        ran last when the state was read, so the error names the rule that failed.
        """
        if not isinstance(state, dict) or state.get("sid") != sid:
            got = state.get("sid") if isinstance(state, dict) else state
            raise DurableEngineError(rule, f"asked for session {sid!r}, engine returned {got!r}")
        if "exception" in state:
            raise DurableEngineError(rule, f"engine state carries exception: {state['exception']}")

    def _end_session(self, handle: int, sid: str, started: bool) -> None:
        if not started:
            # Deleting a state in which no action started frees garbage pointers.
            # If the state exists it is leaked and the host refuses further work.
            try:
                self._core.get_state(handle, sid)
            except Exception:
                return  # no state was created: nothing to clean up
            self._broken = f"session {sid!r} could not be closed safely"
            return
        try:
            self._core.delete_state(handle, sid)
        except Exception as exc:
            self._broken = f"deleting session {sid!r} failed: {exc}"

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise DurableEngineError(None, f"durable host unusable: {self._broken}")


_host: DurableHost | None = None
_host_lock = threading.Lock()


def get_host() -> DurableHost:
    """Return the process-wide :class:`DurableHost`, creating it on first use.

    Raises :class:`DurableUnavailable` when durable-rules cannot be used.
    """
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = DurableHost()
    return _host
