#!/usr/bin/env python3
"""Report modules over 500 lines of code and functions over 120 lines.

Lines of code exclude blank lines, comments and docstrings; a function's length
excludes its docstring. Usage: ``python3 scripts/code_size.py [PATHS...]`` (default
``src/softlogit``); exits 1 when a limit is exceeded. Run by the test suite
(``tests/test_architecture.py``).
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

MAX_MODULE_LOC = 500
MAX_FUNCTION_LINES = 120


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                doc = body[0]
                end = doc.end_lineno or doc.lineno
                lines.update(range(doc.lineno, end + 1))
    return lines


def code_lines(source: str) -> set[int]:
    """Line numbers holding code (not blank, not comment-only, not docstring)."""
    tree = ast.parse(source)
    docs = _docstring_lines(tree)
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        for line in range(tok.start[0], tok.end[0] + 1):
            if line not in docs:
                lines.add(line)
    return lines


def problems(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = code_lines(source)
    out: list[str] = []
    if len(lines) > MAX_MODULE_LOC:
        out.append(f"{path}: {len(lines)} lines of code (limit {MAX_MODULE_LOC})")
    tree = ast.parse(source)
    docs = _docstring_lines(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            end = node.end_lineno or node.lineno
            length = sum(1 for i in range(start, end + 1) if i not in docs)
            if length > MAX_FUNCTION_LINES:
                out.append(
                    f"{path}:{node.lineno}: function {node.name} has {length} lines "
                    f"(limit {MAX_FUNCTION_LINES})"
                )
    return out


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("src/softlogit")]
    found: list[str] = []
    for root in roots:
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            found.extend(problems(f))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
