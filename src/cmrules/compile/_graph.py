"""Stratification: the order in which rules and computed facts run.

A node reading a key (a fact, a rule's lines, a category total) runs after every
node writing it. Each node's stratum is the length of the longest chain of writers
before it; nodes run by stratum, then by their tie-break key (salience, then
declaration order). A cycle has no such order: it is returned so the loader can
report it with rule ids and locations.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

Node = tuple[Collection[Hashable], Collection[Hashable], Any, Any]  # reads, writes, tie-break keys


@dataclass(frozen=True)
class Cycle:
    """Nodes that depend on each other in a ring: no running order exists."""

    path: list[int]  # node indexes, the first repeated at the end


def stratify(nodes: Sequence[Node]) -> list[int] | Cycle:
    """Node indexes in running order, or the first cycle found."""
    writers: dict[Hashable, list[int]] = {}
    for i, (_, writes, *_keys) in enumerate(nodes):
        for key in writes:
            writers.setdefault(key, []).append(i)
    preds = [sorted({w for key in reads for w in writers.get(key, ())}) for reads, *_ in nodes]
    stratum: dict[int, int] = {}
    for root in range(len(nodes)):
        if root in stratum:
            continue
        path: list[int] = [root]  # depth-first, without recursion: rulesets may be long chains
        pending: list[int] = [0]
        on_path = {root}
        while path:
            node, at = path[-1], pending[-1]
            if at < len(preds[node]):
                pending[-1] += 1
                nxt = preds[node][at]
                if nxt in on_path:
                    return Cycle([*path[path.index(nxt) :], nxt])
                if nxt not in stratum:
                    path.append(nxt)
                    pending.append(0)
                    on_path.add(nxt)
                continue
            stratum[node] = max((stratum[p] + 1 for p in preds[node]), default=0)
            on_path.discard(node)
            path.pop()
            pending.pop()
    return sorted(range(len(nodes)), key=lambda i: (stratum[i], nodes[i][2], nodes[i][3]))
