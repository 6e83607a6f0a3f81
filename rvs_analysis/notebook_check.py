"""Check that committed notebooks are clean: no outputs, no execution counts, a parameters cell.

Report notebooks (directly under ``notebooks/``) must also define no functions or classes: logic
lives in the library. Run as ``python -m rvs_analysis.notebook_check notebooks``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat


def problems(path: Path, *, report: bool) -> list[str]:
    """Return what is wrong with one notebook (empty when it is clean)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"{path}: cell {index} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"{path}: cell {index} has an execution count")
        if report:
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(
                    node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
                ):
                    found.append(
                        f"{path}: cell {index} defines {type(node).__name__}; "
                        "move the logic into rvs_analysis"
                    )
    if not any("parameters" in c.metadata.get("tags", []) for c in code_cells):
        found.append(f"{path}: no code cell tagged 'parameters'")
    return found


def check_tree(root: Path) -> list[str]:
    """Check every notebook below ``root``; report notebooks are those directly in it."""
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        found.extend(problems(path, report=path.parent == root))
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else "notebooks")
    found = check_tree(root)
    for line in found:
        print(line)
    count = len(list(root.rglob("*.ipynb")))
    if found:
        print(
            f"{len(found)} problem(s) in notebooks; clean them (no outputs, no execution counts)."
        )
        return 1
    print(f"notebooks clean: {count} checked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
