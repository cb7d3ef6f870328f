"""Fail on any import cycle between modules of golem_task_api and tutorial_app.

`lint-imports` keeps the rooms in their layers (pyproject's contracts); this
checks what layers cannot: no two modules import each other, even through
imports inside functions or under TYPE_CHECKING (grimp reads them all).
"""

import sys

import grimp

PACKAGES = ("golem_task_api", "tutorial_app")


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def main() -> int:
    graph = grimp.build_graph(*PACKAGES)
    found = cycles(graph)
    for group in found:
        print("import cycle: " + " <-> ".join(group), file=sys.stderr)
    if not found:
        print(f"import cycles: none among {len(graph.modules)} modules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
