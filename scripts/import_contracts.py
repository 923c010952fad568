"""softlogit's own import-linter contract: no private names across packages.

``lint-imports`` loads this module (``contract_types`` in ``pyproject.toml``; the test
command puts ``scripts/`` on ``PYTHONPATH``). The rule: no module imports a private
name (``_name``) from a private module (``_module``) of *another* package. Private
modules are shared inside their package; across packages, a private module offers
only its public names (the package's internal API, e.g. the kernels of
``softlogit._special`` that the experiment uses).
"""

from __future__ import annotations

import ast
import importlib.util
from typing import Any

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _package(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def _violations(modules: set[str]) -> list[tuple[str, str, str, int]]:
    found: list[tuple[str, str, str, int]] = []
    for module in sorted(modules):
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        is_package = spec.submodule_search_locations is not None
        here = _package(module, is_package)
        with open(spec.origin, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), spec.origin)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            target = node.module
            if target not in modules:
                continue
            owner, _, last = target.rpartition(".")
            if not last.startswith("_") or owner == here or target == here:
                continue
            for alias in node.names:
                name = alias.name
                if not name.startswith("_") or f"{target}.{name}" in modules:
                    continue  # a public name, or a submodule
                found.append((module, target, name, node.lineno))
    return found


class PrivateNamesContract(Contract):
    """No module imports a private name of another package's private module."""

    type_name = "private_names"
    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        prefixes = tuple(str(c) for c in self.containers)  # type: ignore[attr-defined]
        modules = {m for m in graph.modules if m.startswith(prefixes)}
        found = _violations(modules)
        return ContractCheck(kept=not found, metadata={"violations": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for module, target, name, line in check.metadata["violations"]:
            output.print_error(
                f"{module} imports the private name {name} of {target} (l.{line})",
                bold=False,
            )
            output.new_line()
