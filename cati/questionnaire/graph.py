"""Small graph helpers over item names."""

from __future__ import annotations

from collections.abc import Mapping, Set


def find_cycle(graph: Mapping[str, Set[str]]) -> list[str] | None:
    """A cycle in ``graph`` (name -> names it depends on) as a list of names, or None."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    for start in graph:
        if colour[start] != white:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        colour[start] = grey
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                colour[node] = black
                continue
            nxt = pending.pop()
            if nxt not in colour:
                continue
            if colour[nxt] == grey:
                return path[path.index(nxt):]
            if colour[nxt] == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append((nxt, sorted(graph[nxt])))
    return None


def dependents_closure(graph: Mapping[str, Set[str]]) -> dict[str, frozenset[str]]:
    """For each name, every name whose value may change when it changes (transitively)."""
    reverse: dict[str, set[str]] = {name: set() for name in graph}
    for name, needs in graph.items():
        for need in needs:
            reverse.setdefault(need, set()).add(name)
    closure: dict[str, frozenset[str]] = {}
    for name in reverse:
        seen: set[str] = set()
        todo = list(reverse[name])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(reverse.get(current, ()))
        closure[name] = frozenset(seen)
    return closure
