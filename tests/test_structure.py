"""The package's shape: nothing outside tasks/ branches on a task's name, no two modules import each
other (directly or around a loop), no module grows past 350 lines."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rnnlab"


def _modules():
    """{module name: (path, syntax tree)} of every module under src/rnnlab."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return out


def _is_face(path, tree) -> bool:
    """A package's __init__ that defines nothing, only hands names on (not a node of the graph)."""
    return path.name == "__init__.py" and not any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)


def _imports(name, path, tree) -> set[str]:
    """The rnnlab modules ``name`` imports anywhere in its body (lazy imports included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("rnnlab")}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _through_faces(mods, faces) -> dict[str, str]:
    """{face.name: the module that defines it} for every name a face hands on."""
    out = {}
    for face in faces:
        path, tree = mods[face]
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level:
                source = ".".join(face.split(".")[: len(face.split(".")) - node.level + 1] + [node.module or ""])
                out |= {f"{face}.{a.asname or a.name}": source.rstrip(".") for a in node.names}
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> the modules it imports; an import of a name through a package's face counts as one of
    the module that defines it (followed through faces that hand on faces)."""
    mods = _modules()
    faces = {name for name, (path, tree) in mods.items() if _is_face(path, tree)}
    via = _through_faces(mods, faces)

    def resolve(m):
        for _ in range(5):
            m = via.get(m, m)
        return m

    return {name: {resolve(m) for m in _imports(name, *pt)} & (set(mods) - faces) - {name}
            for name, pt in mods.items() if name not in faces}


def test_no_module_imports_itself_around_a_loop():
    graph = _graph()
    assert _cycles(graph) == []
    # the check sees a loop when there is one: a made-up edge back from the registry to a layer that needs it
    graph["rnnlab.nn.kinds"] = graph["rnnlab.nn.kinds"] | {"rnnlab.nn.recurrent"}
    assert ["rnnlab.nn.kinds", "rnnlab.nn.recurrent"] in _cycles(graph)


def _task_comparisons(tree) -> list[int]:
    """Lines where a name or attribute called ``task`` is compared with a string or strings."""
    def strings(node):
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and bool(node.elts) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = any((isinstance(s, ast.Name) and s.id == "task") or (isinstance(s, ast.Attribute) and s.attr == "task")
                        for s in sides)
            if named and any(strings(s) for s in sides):
                lines.append(node.lineno)
    return lines


def test_nothing_outside_tasks_branches_on_a_tasks_name():
    found = [f"{path.relative_to(SRC)}:{line}" for path, tree in _modules().values()
             if "tasks" not in path.relative_to(SRC).parts[:1] for line in _task_comparisons(tree)]
    assert found == []
    assert _task_comparisons(ast.parse("if cfg.task == 'lm': pass\nok = task in ('a', 'b')")) == [1, 2]


def test_no_module_is_over_350_lines():
    sizes = {str(path.relative_to(SRC)): path.read_text(encoding="utf-8").count("\n") for path, _ in _modules().values()}
    assert {k: n for k, n in sizes.items() if n > 350} == {}
