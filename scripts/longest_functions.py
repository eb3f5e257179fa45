"""The longest functions under a folder (default services/), by lines from `def` to the last line of the body.

uv run python scripts/longest_functions.py [folder] [--most N]
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

LIMIT = 60
"""docs/architecture.md: no function in a service is this long or longer."""


def functions(root: Path) -> Iterator[tuple[int, str]]:
    """(length in lines, "path:line name") of every function and method below `root`."""
    for path in sorted(root.rglob("*.py")):
        if ".venv" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                assert node.end_lineno is not None
                yield node.end_lineno - first + 1, f"{path}:{node.lineno} {node.name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", default="services")
    parser.add_argument("--most", type=int, default=10)
    args = parser.parse_args()
    for length, where in sorted(functions(Path(args.folder)), reverse=True)[: args.most]:
        print(f"{length:4d}  {where}")


if __name__ == "__main__":
    main()
