"""The layering in .importlinter holds: no module imports from a layer above it,
and sibling packages of one layer never import each other."""

from __future__ import annotations

import ast
import configparser
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def layers() -> list[list[str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    raw = cfg["importlinter:contract:layers"]["layers"]
    return [[p.strip() for p in line.split("|")] for line in raw.strip().splitlines() if line.strip()]


def owner(module: str, table: list[list[str]]) -> tuple[int, str] | None:
    for i, row in enumerate(table):
        for pkg in row:
            if module == pkg or module.startswith(pkg + "."):
                return i, pkg
    return None


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (not imported at run time)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def imports_of(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out += [f"{node.module}.{a.name}" for a in node.names]
    return [m for m in out if m.startswith("minik8s.")]


def test_no_module_imports_from_a_higher_layer_or_a_sibling() -> None:
    table = layers()
    problems = []
    for path in sorted((ROOT / "minik8s").rglob("*.py")):
        mod = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if mod == "minik8s":
            continue
        me = owner(mod, table)
        assert me is not None, f"{mod} is in no layer of .importlinter"
        for imp in imports_of(path):
            other = owner(imp, table)
            if other is None or other[1] == me[1]:
                continue
            if other[0] < me[0] or (other[0] == me[0]):
                problems.append(f"{mod} imports {imp}")
    assert problems == []
