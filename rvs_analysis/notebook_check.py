"""Check that committed notebooks are clean: no outputs, no execution counts, a parameters cell,
and no kernel but Jupyter's own ``python3`` (:data:`PORTABLE_KERNEL`).

Report notebooks (directly under ``notebooks/``) must also read as reports: they define no functions
or classes, use no pandas selection or arithmetic (``.loc[``, ``.iloc[``, boolean masks,
``.sort_values(``, subscripts of frames, ``+ - * /`` on values) and their code cells average at most
:data:`MAX_MEAN_CODE_LINES` non-comment lines: logic lives in the library
(:mod:`rvs_analysis.report.chapters`). Run as ``python -m rvs_analysis.notebook_check notebooks``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

PORTABLE_KERNEL = "python3"
"""The only kernel a notebook may name: Jupyter's own Python 3, present wherever Jupyter is, so a
notebook runs from a checkout, from the installed wheel and under papermill alike (a project kernel
such as ``rvs-analysis`` exists only where ``make install`` registered it: NoSuchKernel elsewhere)."""

MAX_MEAN_CODE_LINES = 10
"""The most non-comment lines a report notebook's code cells may average."""

_PANDAS_METHODS = {"loc", "iloc", "at", "iat", "sort_values", "query", "nlargest", "nsmallest"}
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def code_lines(source: str) -> int:
    """Non-empty lines of a code cell that are not comments."""
    return sum(
        1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    )


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def data_handling(tree: ast.AST) -> list[str]:
    """What in a cell selects or computes with data instead of calling the library."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _PANDAS_METHODS:
            found.append(f"pandas .{node.attr}")
        elif isinstance(node, ast.Subscript):
            found.append("a subscript (selection)")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            found.append("a boolean mask (~)")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
            found.append("a boolean mask (& or |)")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
            if not (_is_text(node.left) or _is_text(node.right)):
                found.append("arithmetic")
        elif isinstance(node, ast.Compare) and not isinstance(
            node.ops[0], ast.Is | ast.IsNot | ast.In | ast.NotIn
        ):
            found.append("a comparison (mask or condition)")
    return found


def problems(path: Path, *, report: bool) -> list[str]:
    """Return what is wrong with one notebook (empty when it is clean)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel not in (None, PORTABLE_KERNEL):
        found.append(
            f"{path}: names the kernel {kernel!r}; use {PORTABLE_KERNEL!r} (any Jupyter's own "
            "Python 3), so that it runs wherever the package is installed"
        )
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
    if report:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for what in sorted(set(data_handling(tree))):
                found.append(
                    f"{path}: cell {index} uses {what}; move the selection or arithmetic into "
                    "rvs_analysis.report"
                )
        if code_cells:
            mean = sum(code_lines(c.source) for c in code_cells) / len(code_cells)
            if mean > MAX_MEAN_CODE_LINES:
                found.append(
                    f"{path}: code cells average {mean:.1f} non-comment lines (at most "
                    f"{MAX_MEAN_CODE_LINES}); let each cell call the library and show one result"
                )
    if not any("parameters" in c.metadata.get("tags", []) for c in code_cells):
        found.append(f"{path}: no code cell tagged 'parameters'")
    return found


NOT_REPORT_FOLDERS = ("masterclass", "explore")
"""Folders of notebooks that are teaching or exploration material, not reports."""


def check_tree(root: Path) -> list[str]:
    """Check every notebook below ``root``; report notebooks are those directly in it.

    A folder named like one of :data:`NOT_REPORT_FOLDERS` holds no report notebooks, also when it
    is the root itself (``python -m rvs_analysis.notebook_check notebooks/masterclass``).
    """
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        report = path.parent == root and root.name not in NOT_REPORT_FOLDERS
        found.extend(problems(path, report=report))
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
