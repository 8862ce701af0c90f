"""The library's packages depend downwards only, with no circle (DESIGN: layout).

The graph is built from every `import` statement of the library (`ast.walk`, so the
imports inside functions count: they hide a circle from Python, not from a reader),
relative imports resolved. Its nodes are the seven packages and the core (`infodl`
itself, with `infodl.run_folder`, `infodl.checks`, ...).
"""

import ast
import pathlib

import infodl

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = "core"
NODES = (CORE,) + tuple(infodl.PACKAGES)


def package_of(module):
    """The graph node of a dotted module name, or None outside the library."""
    parts = module.split(".")
    if parts[0] == "infodl":
        return parts[1] if len(parts) > 1 and parts[1] in infodl.PACKAGES else CORE
    return parts[0] if parts[0] in infodl.PACKAGES else None


def library_files():
    """(dotted module name, path, is a package __init__) of every library module."""
    for folder in ("infodl",) + tuple(infodl.PACKAGES):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "__main__.py":  # entry points (`python -m infodl`): no one imports them
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            if parts[0] != "infodl":
                parts = ["infodl"] + parts
            yield ".".join(parts), path, is_package


def imported_modules(module, path, is_package):
    """(line, dotted name) of every module that `path` imports, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[:len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield node.lineno, name
            for alias in node.names:  # `from infodl import run_folder` imports a package
                if node.module is not None and name.count(".") == 0:
                    yield node.lineno, f"{name}.{alias.name}"


def import_graph():
    """{(from node, to node): ["path:line module", ...]} between different nodes."""
    edges = {}
    for module, path, is_package in library_files():
        source = package_of(module)
        for line, name in imported_modules(module, path, is_package):
            target = package_of(name)
            if target is not None and target != source:
                where = f"{path.relative_to(ROOT)}:{line} imports {name}"
                edges.setdefault((source, target), []).append(where)
    return edges


def find_cycle(edges):
    """A list of nodes [a, b, ..., a] forming a cycle, or None."""
    successors = {}
    for source, target in edges:
        successors.setdefault(source, []).append(target)
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(successors.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(successors):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def describe(edges, cycle):
    steps = []
    for source, target in zip(cycle, cycle[1:], strict=False):
        steps.append(f"{source} -> {target}: " + "; ".join(edges[(source, target)][:3]))
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from ..models import resnet\n    import infodl.data\n")
    found = sorted(name for _, name in imported_modules("infodl.analysis.probe", source, False))
    assert found == ["infodl.data", "infodl.models"]
    edges = {("a", "b"): ["x"], ("b", "c"): ["y"], ("c", "a"): ["z"], ("a", "d"): ["w"]}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"): ["x"], ("a", "c"): ["y"], ("b", "c"): ["z"]}) is None


def test_the_packages_import_each_other_without_a_cycle():
    edges = import_graph()
    assert set(node for edge in edges for node in edge) <= set(NODES)
    assert ("experiments", "training") in edges  # the scan reads the library
    cycle = find_cycle(edges)
    assert cycle is None, f"import cycle between packages: {describe(edges, cycle)}"


def test_the_core_imports_no_package_above_it():
    upward = {edge: where for edge, where in import_graph().items() if edge[0] == CORE}
    assert upward == {}, f"the infodl core imports packages above it: {upward}"


def test_the_lower_packages_import_only_each_other_and_the_core():
    # DESIGN: experiments -> analysis, callbacks, training -> estimators, models, data
    # -> core. The lower three may use each other (without a circle), never upward.
    lower = {"estimators", "models", "data", CORE}
    upward = {edge: where for edge, where in import_graph().items()
              if edge[0] in lower and edge[1] not in lower}
    assert upward == {}, f"lower packages import upper ones: {upward}"
    into_experiments = [edge for edge in import_graph() if edge[1] == "experiments"]
    assert into_experiments == [], f"packages import the experiments: {into_experiments}"


def test_the_command_line_machinery_names_no_experiment():
    """`experiments/cli` builds flags from any config and runs any registered experiment:
    it imports no experiment's folder (only the registry, which lists them, and the
    sweep runner) and its code holds no experiment's name (docstrings may show one)."""
    import infodl.experiments.registry as registry

    folders = {"resnet", "info_plane", "ib", "invnet", "analyze"}
    names = set(registry.EXPERIMENTS)
    found = []
    for path in sorted((ROOT / "experiments" / "cli").glob("*.py")):
        module = "infodl.experiments.cli." + path.stem
        for line, name in imported_modules(module, path, path.stem == "__init__"):
            parts = name.split(".")
            if parts[:2] == ["infodl", "experiments"] and len(parts) > 2 and parts[2] in folders:
                found.append(f"{path.name}:{line} imports {name}")
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docstrings and \
                    isinstance(node.value, str) and node.value in names:
                found.append(f"{path.name}:{node.lineno} names {node.value!r}")
    assert found == []
    assert len(list((ROOT / "experiments" / "cli").glob("*.py"))) >= 5  # the scan reads it
