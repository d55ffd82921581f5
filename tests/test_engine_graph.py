"""Stratification (engine/graph.py): order, ties, cycles, and long chains without recursion."""

from cmrules.compile._graph import Cycle, stratify


def node(reads: set[str], writes: set[str], salience: int = 0, order: int = 0):
    return (reads, writes, -salience, order)


def test_a_reader_runs_after_every_writer_whatever_the_declaration_order() -> None:
    nodes = [
        node({"total"}, set(), order=0),  # declared first, reads what the others write
        node({"x"}, {"total"}, order=1),
        node(set(), {"x"}, order=2),
        node(set(), {"total"}, order=3),
    ]
    assert stratify(nodes) == [2, 3, 1, 0]


def test_salience_then_declaration_order_break_ties_within_a_stratum() -> None:
    nodes = [
        node(set(), {"a"}, salience=0, order=0),
        node(set(), {"b"}, salience=5, order=1),
        node(set(), {"c"}, salience=0, order=2),
    ]
    assert stratify(nodes) == [1, 0, 2]


def test_a_cycle_is_returned_with_its_path() -> None:
    nodes = [node({"c"}, {"a"}), node({"a"}, {"b"}), node({"b"}, {"c"}), node(set(), {"d"})]
    result = stratify(nodes)
    assert isinstance(result, Cycle)
    assert result.path[0] == result.path[-1] and sorted(set(result.path)) == [0, 1, 2]


def test_a_self_dependency_is_a_cycle() -> None:
    assert stratify([node({"t"}, {"t"})]) == Cycle([0, 0])


def test_a_chain_of_5000_nodes_needs_no_recursion() -> None:
    nodes = [node({f"k{i - 1}"} if i else set(), {f"k{i}"}, order=i) for i in range(5000)]
    assert stratify(list(reversed(nodes))) == list(range(4999, -1, -1))
