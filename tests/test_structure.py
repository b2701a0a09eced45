"""The code's shape, read from the source with ``ast`` (nothing is imported): layers, the architecture table, sizes.

The layers, from the bottom: ``nst_plumbing/`` < ``nst_helpers.py`` (the lesson) < ``nst_extended/``
< ``nst_cli/`` < ``tools/``. A module may import its own layer and those below it, never one
above, and no files, folders or layers import each other in a circle. Imports inside functions
count. ``docs/architecture.md``'s table of modules is checked against the same graph, so the
document says what the code does.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("nst_plumbing", "nst_helpers", "nst_extended", "nst_cli", "tools")  # bottom to top
PACKAGES = ("nst_plumbing", "nst_extended", "nst_cli")
ARCHITECTURE = ROOT / "docs" / "architecture.md"

MAX_FUNCTION_LINES = 80
MAX_PARAMETERS = 8  # self counts
PARAMETER_EXEMPTIONS = {("nst_helpers.py", "run_style_transfer"): 9}  # the article's signature, keyword extras
ARGPARSE_BUILDER_NAMES = {"build_parser"}


def _project_files() -> list[Path]:
    """The modules of the four layers and the tools, as paths relative to the root."""
    files = [Path("nst_helpers.py")]
    for package in PACKAGES:
        files += [path.relative_to(ROOT) for path in (ROOT / package).rglob("*.py") if "__pycache__" not in path.parts]
    files += [path.relative_to(ROOT) for path in (ROOT / "tools").rglob("*.py")
              if "__pycache__" not in path.parts and "_scratch" not in path.parts]
    return sorted(files)


def _test_files() -> list[Path]:
    return sorted(path.relative_to(ROOT) for path in (ROOT / "tests").glob("*.py")) + [Path("conftest.py")]


PROJECT = _project_files()
EVERY_FILE = PROJECT + _test_files()
_TREES: dict[Path, ast.Module] = {}


def _tree(path: Path) -> ast.Module:
    if path not in _TREES:
        _TREES[path] = ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=str(path))
    return _TREES[path]


def module_name(path: Path) -> str:
    """``nst_plumbing/config.py`` is ``nst_plumbing.config``; a package's ``__init__.py`` is the package."""
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(path: Path) -> str:
    return path.with_suffix("").parts[0]


def _search_roots(importer: Path) -> list[tuple[Path, str]]:
    """Where an import in ``importer`` is looked for: (folder, the module-name prefix of what is there).

    Everything sees the root. A script in tools/ or a test sees its own folder (Python puts it
    first on ``sys.path``), and the tests put tools/ on it too (``import notebooks as tool``).
    """
    roots = [(ROOT, "")]
    if importer.parts[0] in ("tools", "tests"):
        roots.append((ROOT / importer.parts[0], importer.parts[0] + "."))
    if importer.parts[0] == "tests":
        roots.append((ROOT / "tools", "tools."))
    return roots


def _module_file(folder: Path, dotted: str) -> Path | None:
    base = folder.joinpath(*dotted.split("."))
    for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(ROOT)
    return None


def _is_ours(top: str, importer: Path) -> bool:
    """Whether a top-level name is one of this project's modules (or was meant to be: ``nst_*``)."""
    return top.startswith("nst_") or any(_module_file(folder, top) for folder, _ in _search_roots(importer))


def resolve(dotted: str, importer: Path) -> Path | None:
    """The file of module ``dotted`` as imported from ``importer``, or None when it is not a module of ours."""
    for folder, _ in _search_roots(importer):
        found = _module_file(folder, dotted)
        if found is not None:
            return found
    return None


def _absolute(node: ast.ImportFrom, importer: Path) -> str:
    """The absolute module name of ``from X import ...`` (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module_name(importer).split(".")
    if importer.name != "__init__.py":
        package = package[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join(part for part in (*package, node.module or "") if part)


@dataclass(frozen=True)
class Import:
    """One module of ours that a file imports, where, and what the import statement said."""

    target: str  # the module's name, e.g. nst_plumbing.config
    file: Path | None  # its file, or None when no such module exists
    line: int
    written: str


def imports_of(path: Path) -> list[Import]:
    """Every import of a module of ours in ``path``: at the top, in functions, under ``if``.

    ``from package import submodule`` counts as importing the submodule; ``from module import
    name`` as importing the module; ``import a.b.c`` as importing ``a.b.c``.
    """
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_ours(alias.name.split(".")[0], path):
                    found.append(Import(alias.name, resolve(alias.name, path), node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, path)
            if not base or not (node.level or _is_ours(base.split(".")[0], path)):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                sub_file = resolve(sub, path) if alias.name != "*" else None
                target, target_file = (sub, sub_file) if sub_file is not None else (base, resolve(base, path))
                found.append(Import(target, target_file, node.lineno, f"from {base} import {alias.name}"))
    return found


def _canonical(target: Import) -> str:
    """The name a module goes by in the graph and the table: its file's module name."""
    return module_name(target.file) if target.file is not None else target.target


def import_graph() -> dict[Path, dict[Path, Import]]:
    """Which project file imports which (the first import statement of each pair)."""
    graph: dict[Path, dict[Path, Import]] = {}
    for path in PROJECT:
        edges: dict[Path, Import] = {}
        for found in imports_of(path):
            if found.file is not None and found.file in PROJECT and found.file != path:
                edges.setdefault(found.file, found)
        graph[path] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of nodes that import each other in a circle (Tarjan), as one circle through it."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, set(group)) for group in groups]


def _circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """One path from the group's first member back to itself, staying in the group (breadth first)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return paths[node] + [start]
            if nxt in group and nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return sorted(group)


def _where(path: Path, found: Import) -> str:
    return f"{path}:{found.line} ({found.written})"


# ---------------------------------------------------------------------------
# 1. Imports run one way, without circles
# ---------------------------------------------------------------------------

def test_the_layers_are_the_project_s_modules():
    assert {layer_of(path) for path in PROJECT} == set(LAYERS)
    strays = [path.name for path in ROOT.glob("*.py") if path.name not in ("nst_helpers.py", "conftest.py")]
    assert strays == [], f"a module at the root belongs to no layer: {strays}"


def test_every_import_of_ours_names_a_module_that_exists():
    """Imports inside functions included: a renamed module fails here, not when that function first runs."""
    missing = [_where(path, found) for path in PROJECT for found in imports_of(path) if found.file is None]
    assert missing == [], "imports of modules that do not exist:\n" + "\n".join(missing)


def test_no_layer_imports_a_layer_above_it():
    rank = {layer: position for position, layer in enumerate(LAYERS)}
    upward = [f"{_where(path, found)}: {layer_of(path)} imports {layer_of(target)}, a layer above it"
              for path, edges in import_graph().items() for target, found in edges.items()
              if rank[layer_of(target)] > rank[layer_of(path)]]
    assert upward == [], "imports that go up the layers (" + " < ".join(LAYERS) + "):\n" + "\n".join(upward)


def _collapsed(key) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path, edges in import_graph().items():
        graph[key(path)]
        for target in edges:
            if key(target) != key(path):
                graph[key(path)].add(key(target))
    return graph


@pytest.mark.parametrize("level", ["file", "folder", "layer"])
def test_no_import_cycles(level):
    key = {"file": lambda path: str(path), "folder": lambda path: str(path.parent),
           "layer": layer_of}[level]
    cycles = _cycles(_collapsed(key))
    assert cycles == [], f"import cycles between {level}s:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


# ---------------------------------------------------------------------------
# 2. docs/architecture.md's table says what the code does
# ---------------------------------------------------------------------------

def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def architecture_table(text: str) -> dict[str, set[str]]:
    """The rows of the first table with columns ``module`` and ``imports (of ours)``: module to its imports.

    Raises:
        AssertionError: There is no such table, or a module has two rows.
    """
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        header = [cell.lower() for cell in _cells(line)]
        if "module" in header and "imports (of ours)" in header:
            break
    else:
        raise AssertionError(f"{ARCHITECTURE.relative_to(ROOT)} has no table with the columns "
                             "'module' and 'imports (of ours)'")
    module_column, imports_column = header.index("module"), header.index("imports (of ours)")
    rows: dict[str, set[str]] = {}
    for line in lines[start + 2:]:  # after the header and its |---| line
        if not line.lstrip().startswith("|"):
            break
        cells = _cells(line)
        module = cells[module_column].strip("`").strip() if module_column < len(cells) else ""
        written = cells[imports_column] if imports_column < len(cells) else ""
        assert module not in rows, f"{ARCHITECTURE.relative_to(ROOT)}: {module} has two rows"
        rows[module] = (set() if written.strip("` ").lower() == "none"
                        else {name.strip().strip("`").strip() for name in written.split(",") if name.strip()})
    return rows


def _code_table() -> dict[str, set[str]]:
    return {str(path): {module_name(target) for target in edges} for path, edges in import_graph().items()}


def table_differences(documented: dict[str, set[str]], code: dict[str, set[str]]) -> list[str]:
    differences = [f"no row for {module} (imports: {', '.join(sorted(code[module])) or 'none'})"
                   for module in sorted(code.keys() - documented.keys())]
    differences += [f"a row for {module}, which is not a module of the project"
                    for module in sorted(documented.keys() - code.keys())]
    for module in sorted(code.keys() & documented.keys()):
        unsaid, untrue = code[module] - documented[module], documented[module] - code[module]
        if unsaid or untrue:
            differences.append(f"{module}: the code imports {', '.join(sorted(code[module])) or 'none'}; "
                               f"the table says {', '.join(sorted(documented[module])) or 'none'}"
                               + (f" (missing: {', '.join(sorted(unsaid))})" if unsaid else "")
                               + (f" (not imported: {', '.join(sorted(untrue))})" if untrue else ""))
    return differences


def test_the_architecture_table_matches_the_imports():
    documented = architecture_table(ARCHITECTURE.read_text(encoding="utf-8"))
    differences = table_differences(documented, _code_table())
    assert differences == [], (f"{ARCHITECTURE.relative_to(ROOT)} disagrees with the code:\n" + "\n".join(differences))


def test_the_table_check_names_each_kind_of_difference():
    text = ("| module | its one job | imports (of ours) |\n|---|---|---|\n"
            "| `a.py` | a | `b`, `c` |\n| `x.py` | x | none |\n\nafter\n| `z.py` | not in the table | `q` |\n")
    documented = architecture_table(text)
    assert documented == {"a.py": {"b", "c"}, "x.py": set()}
    assert table_differences(documented, {"a.py": {"b", "d"}, "y.py": set()}) == [
        "no row for y.py (imports: none)",
        "a row for x.py, which is not a module of the project",
        "a.py: the code imports b, d; the table says b, c (missing: d) (not imported: c)"]


def test_the_graph_sees_imports_inside_functions_and_submodules():
    edges = {module_name(target) for target in import_graph()[Path("nst_cli/app.py")]}
    assert {"nst_extended", "nst_helpers", "nst_cli.batch", "nst_plumbing.images"} <= edges
    assert "nst_plumbing.vgg19" in {module_name(target) for target in import_graph()[Path("nst_helpers.py")]}


# ---------------------------------------------------------------------------
# 3. Private names stay private
# ---------------------------------------------------------------------------

def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_bindings(path: Path) -> dict[str, Path]:
    """Names that stand for a module of ours in ``path`` (``import nst_helpers as nst``: nst), at any depth."""
    bound = {}
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name if alias.asname else alias.name.split(".")[0]
                file = resolve(name, path)
                if file is not None:
                    bound[alias.asname or name] = file
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, path)
            for alias in node.names:
                file = resolve(f"{base}.{alias.name}", path) if base and alias.name != "*" else None
                if file is not None:
                    bound[alias.asname or alias.name] = file
    return bound


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attributes."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _private_use(module: Path, attributes: list[str], importer: Path) -> str | None:
    """The private name reached by ``module.attr1.attr2...``, or None (submodules are followed)."""
    for attribute in attributes:
        if is_private(attribute):
            return f"{module_name(module)}.{attribute}" if module != importer else None
        sub = resolve(f"{module_name(module)}.{attribute}", importer)
        if sub is None:
            return None
        module = sub
    return None


def private_uses(path: Path) -> list[str]:
    """Where ``path`` uses a private name of another module of ours, as ``file:line: name``."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(node, path)
            if base and resolve(base, path) not in (None, path):
                found += [(node.lineno, f"from {base} import {alias.name}") for alias in node.names
                          if is_private(alias.name)]
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [(node.lineno, f"import of the private module {name}") for name in names
                      if any(is_private(part) for part in name.split(".")) and _is_ours(name.split(".")[0], path)]
    bound = _module_bindings(path)

    def reached(parts: list[str]) -> str | None:
        return _private_use(bound[parts[0]], parts[1:], path) if parts and parts[0] in bound else None

    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and not isinstance(getattr(node, "parent", None), ast.Attribute):
            parts = _dotted(node)
            use = reached(parts) if parts else None
            if use:
                found.append((node.lineno, use))
        elif isinstance(node, ast.Call) and len(node.args) >= 1:
            first = node.args[0]
            name = node.args[1] if len(node.args) >= 2 else None
            if (isinstance(name, ast.Constant) and isinstance(name.value, str) and is_private(name.value)
                    and _dotted(first)):  # getattr(module, "_x"), monkeypatch.setattr(module, "_x", ...)
                use = reached(_dotted(first) + [name.value])
                if use:
                    found.append((node.lineno, use))
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and re.fullmatch(r"\w+(\.\w+)+",
                                                                                                  first.value):
                top, *rest = first.value.split(".")  # monkeypatch.setattr("nst_x.module._y", ...)
                module = resolve(top, path)
                use = _private_use(module, rest, path) if module is not None else None
                if use:
                    found.append((node.lineno, use))
    return sorted({f"{path}:{line}: {use}" for line, use in found})


def _mark_parents(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node


def test_no_file_uses_another_module_s_private_names():
    offenders = []
    for path in EVERY_FILE:
        _mark_parents(_tree(path))
        offenders += private_uses(path)
    assert offenders == [], "private names used outside their module (make them public, or move the code):\n" + \
        "\n".join(offenders)


def test_the_private_name_check_sees_each_kind_of_use():
    probe = Path("tests/structure_probe.py")  # not on disk: its tree is given here
    _TREES[probe] = ast.parse(
        "import nst_helpers as nst\nimport nst_plumbing.config\nfrom nst_plumbing import weights\n"
        "from nst_plumbing.weights import _secret, __doc__\nimport notebooks as tool\n"
        "nst._a\nnst_plumbing.config._b.c\nweights.__name__\ngetattr(weights, '_c')\n"
        "monkeypatch.setattr('nst_plumbing.weights._d', 1)\ntool._setup_cells(nb)\nobj._fine\nnst.public\n")
    try:
        _mark_parents(_TREES[probe])
        assert private_uses(probe) == [
            "tests/structure_probe.py:10: nst_plumbing.weights._d",
            "tests/structure_probe.py:11: tools.notebooks._setup_cells",
            "tests/structure_probe.py:4: from nst_plumbing.weights import _secret",
            "tests/structure_probe.py:6: nst_helpers._a",
            "tests/structure_probe.py:7: nst_plumbing.config._b",
            "tests/structure_probe.py:9: nst_plumbing.weights._c"]
    finally:
        del _TREES[probe]


# ---------------------------------------------------------------------------
# 4. Each module says its one job
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", PROJECT, ids=str)
def test_every_module_opens_with_its_one_job(path):
    docstring = ast.get_docstring(_tree(path))
    assert docstring, f"{path} does not open with a docstring saying its one job"
    lines = docstring.splitlines()
    summary = lines[0].strip()
    assert summary, f"{path}: the docstring's first line is empty; it should say the module's one job"
    assert summary.endswith("."), f"{path}: the docstring's first line should be one whole sentence: {summary!r}"
    assert len(lines) == 1 or not lines[1].strip(), \
        f"{path}: the docstring's first line should stand alone (a blank line after it): {summary!r}"


# ---------------------------------------------------------------------------
# 5. Functions stay short, with few parameters
# ---------------------------------------------------------------------------

def _functions(tree: ast.Module):
    """Every function and method, nested ones too, with the class it is defined in (or None)."""
    def walk(node, owner):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, owner
                yield from walk(child, None)
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, child)
            else:
                yield from walk(child, owner)
    yield from walk(tree, None)


def _is_add_argument(statement: ast.stmt) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("add_argument", "add_argument_group", "add_mutually_exclusive_group", "add_parser"))


def is_parser_builder(function: ast.FunctionDef) -> bool:
    """An argparse parser's builder: named so, or most of its statements are ``add_argument`` calls."""
    statements = [node for node in ast.walk(function) if isinstance(node, ast.stmt) and node is not function]
    return function.name in ARGPARSE_BUILDER_NAMES or sum(map(_is_add_argument, statements)) * 2 > len(statements)


def _is_dataclass(owner: ast.ClassDef | None) -> bool:
    if owner is None:
        return False
    for decorator in owner.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (_dotted(target) or [""])[-1] == "dataclass":
            return True
    return False


def parameter_count(function: ast.FunctionDef) -> int:
    arguments = function.args
    return (len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
            + (arguments.vararg is not None) + (arguments.kwarg is not None))


def function_offenders(path: Path, tree: ast.Module) -> list[str]:
    offenders = []
    for function, owner in _functions(tree):
        where = f"{path}:{function.lineno}: {owner.name + '.' if owner else ''}{function.name}"
        length = function.end_lineno - function.lineno + 1
        if length > MAX_FUNCTION_LINES and not is_parser_builder(function):
            offenders.append(f"{where} is {length} lines long (at most {MAX_FUNCTION_LINES})")
        count = parameter_count(function)
        allowed = PARAMETER_EXEMPTIONS.get((str(path), function.name), MAX_PARAMETERS)
        if function.name in ("__init__", "__post_init__") and _is_dataclass(owner):
            continue  # a settings-style dataclass: one parameter per setting
        if count > allowed:
            offenders.append(f"{where} takes {count} parameters (at most {allowed})")
    return offenders


def test_functions_are_short_and_take_few_parameters():
    offenders = [offender for path in PROJECT for offender in function_offenders(path, _tree(path))]
    assert offenders == [], "functions too long or with too many parameters:\n" + "\n".join(offenders)


def test_the_function_check_counts_lines_and_parameters():
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    source = (f"def long(a):\n{body}\n\ndef many(a, b, c, d, e, f, g, *h, i, **j):\n    pass\n\n"
              "class C:\n    def method(self, a, b, c, d, e, f, g, h):\n        pass\n\n"
              "def build(p):\n" + "\n".join(f"    p.add_argument('--o{i}')" for i in range(90)) + "\n\n"
              "@dataclass\nclass S:\n    def __init__(self, a, b, c, d, e, f, g, h, i):\n        pass\n")
    assert function_offenders(Path("x.py"), ast.parse(source)) == [
        "x.py:1: long is 81 lines long (at most 80)",
        "x.py:83: many takes 10 parameters (at most 8)",
        "x.py:87: C.method takes 9 parameters (at most 8)"]


# ---------------------------------------------------------------------------
# 6. Importing a module has no side effects beyond its imports
# ---------------------------------------------------------------------------

def _executed_on_import(tree: ast.Module):
    """The nodes Python evaluates when it imports the module: module and class bodies, decorators and
    default values, but not function bodies nor an ``if __name__ == "__main__":`` block."""
    def walk(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for part in [*getattr(child, "decorator_list", []), *child.args.defaults,
                             *(default for default in child.args.kw_defaults if default is not None)]:
                    yield part
                    yield from walk(part)
            elif isinstance(child, ast.If) and "__main__" in ast.unparse(child.test) and "__name__" in ast.unparse(
                    child.test):
                continue
            else:
                yield child
                yield from walk(child)
    yield from walk(tree)


def _tensorflow_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The names bound to TensorFlow (``tf``) and to ``tf.function`` itself in a module."""
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "tensorflow"}
        elif isinstance(node, ast.ImportFrom) and node.module == "tensorflow":
            functions |= {alias.asname or alias.name for alias in node.names if alias.name == "function"}
    return modules, functions


def import_side_effects(path: Path, tree: ast.Module) -> list[str]:
    tf_modules, tf_functions = _tensorflow_names(tree)

    def is_tf_function(node: ast.expr) -> bool:
        parts = _dotted(node) or []
        return ((len(parts) == 2 and parts[0] in tf_modules and parts[1] == "function")
                or (len(parts) == 1 and parts[0] in tf_functions))

    def is_partial(node: ast.expr) -> bool:
        return (_dotted(node) or [""])[-1] == "partial"

    found = []
    for node in _executed_on_import(tree):
        if isinstance(node, ast.Call) and (is_tf_function(node.func)
                                           or (is_partial(node.func) and node.args and is_tf_function(node.args[0]))):
            found.append(f"{path}:{node.lineno}: makes a tf.function on import ({ast.unparse(node)[:60]})")
        elif (isinstance(node, ast.expr) and is_tf_function(node) and isinstance(getattr(node, "parent", None),
                                                                                   (ast.FunctionDef, ast.ClassDef))):
            found.append(f"{path}:{node.lineno}: @tf.function on import")
        elif isinstance(node, ast.Call) and (_dotted(node.func) or [""])[0] in tf_modules:
            found.append(f"{path}:{node.lineno}: calls TensorFlow on import ({ast.unparse(node)[:60]})")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            found.append(f"{path}:{node.lineno}: a call on import ({ast.unparse(node)[:60]})")
        elif isinstance(node, (ast.Assign, ast.AugAssign)) and any(
                "os.environ" in ast.unparse(target) for target in getattr(node, "targets", [getattr(node, "target", None)])):
            found.append(f"{path}:{node.lineno}: sets the environment on import")
        elif isinstance(node, ast.Call) and (_dotted(node.func) or [""])[:2] == ["os", "environ"] and \
                (_dotted(node.func) or [""])[-1] in ("setdefault", "update", "pop", "clear"):
            found.append(f"{path}:{node.lineno}: sets the environment on import")
    return found


def test_importing_a_module_has_no_side_effects():
    offenders = []
    for path in PROJECT:
        if layer_of(path) == "tools" or path.name == "__main__.py":  # scripts and the program itself
            continue
        tree = _tree(path)
        _mark_parents(tree)
        offenders += import_side_effects(path, tree)
    assert offenders == [], "side effects on import:\n" + "\n".join(offenders)


def test_the_side_effect_check_sees_tf_function_made_on_import():
    source = ("import functools\nimport tensorflow as tf\n\n"
              "step = tf.function(lambda x: x)\n"
              "compiled = functools.partial(tf.function, reduce_retracing=True)(print)\n\n"
              "@tf.function\ndef f(x):\n    return tf.function(x)\n\n"
              "def g():\n    return tf.function(g)\n\n"
              "if __name__ == '__main__':\n    tf.function(g)\n")
    tree = ast.parse(source)
    _mark_parents(tree)
    assert [line.split(":")[1] for line in import_side_effects(Path("x.py"), tree)] == ["4", "5", "7"]
