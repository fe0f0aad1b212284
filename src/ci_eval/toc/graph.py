"""Cycles and dependency order in small directed graphs (``leads_to``, derived indicators).

>>> find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
[['a', 'b', 'c', 'a']]
>>> dependency_order({"x": ["y"], "y": [], "z": ["x"]})
['y', 'x', 'z']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycles(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Every distinct cycle met by a depth-first search, each as a closed path.

    Edges to unknown nodes are ignored (they are reported elsewhere). Each cycle is
    rotated to start at its smallest node, so the result does not depend on the
    order of the search.
    """
    cycles: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif state.get(target) is None:
                visit(target, path)
        path.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [])
    return [[*cycle, cycle[0]] for cycle in sorted(cycles)]


def dependency_order(depends_on: Mapping[str, Sequence[str]]) -> list[str]:
    """Nodes ordered so that each comes after the nodes it depends on.

    Ties keep the mapping's order, so the result is deterministic. Dependencies on
    unknown nodes are ignored; a cycle raises ``ValueError`` (validation reports it).
    """
    done: list[str] = []
    placed: set[str] = set()
    remaining = list(depends_on)
    while remaining:
        ready = [
            n for n in remaining if all(d in placed or d not in depends_on for d in depends_on[n])
        ]
        if not ready:
            raise ValueError(f"dependency cycle among {remaining}")
        done.extend(ready)
        placed.update(ready)
        remaining = [n for n in remaining if n not in placed]
    return done
