"""`python -m tests.sizes`: the largest modules and functions of okrbot, printed by `make lint`
as a prompt to look (is this one thing, or several?), never as a gate."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
SHOWN = 8


def main() -> None:
    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # schema history, written once
                continue
            text = path.read_text()
            name = str(path.relative_to(ROOT))
            modules.append((len(text.splitlines()), name))
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    functions.append((length, f"{name}:{node.lineno} {node.name}"))
    print(f"largest modules of {', '.join(PACKAGES)} (lines):")
    for lines, name in sorted(modules, reverse=True)[:SHOWN]:
        print(f"  {lines:5d}  {name}")
    print("largest functions (lines):")
    for lines, name in sorted(functions, reverse=True)[:SHOWN]:
        print(f"  {lines:5d}  {name}")


if __name__ == "__main__":
    main()
