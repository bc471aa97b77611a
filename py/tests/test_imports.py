"""The `kr` package's import graph has no cycles, not even counting the imports only the type
checker reads (`if TYPE_CHECKING:`), and importing it has no side effects beyond creating
`kr.session`: no krd, no JACK, no socket, no thread, no file.

Run as a script (`python py/tests/test_imports.py [--runtime] [package]`) to print the graph
(every import; with `--runtime`, without the `TYPE_CHECKING` ones) and its cycles."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kr"


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package (subpackages included), by dotted name: its Python files,
    and its extension modules by their stubs (`_kr.pyi`), which import nothing of the package."""
    out: dict[str, Path] = {}
    files = sorted(package.rglob("*.py"))
    files += [f for f in sorted(package.rglob("*.pyi")) if f.with_suffix(".py") not in files]
    for file in files:
        parts = [package.name, *file.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = file
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_checking: bool = False) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement anywhere in the module (in functions and methods too), except
    those under `if TYPE_CHECKING:`, which only the type checker reads, unless `type_checking`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if not type_checking and isinstance(node, ast.If) and _is_type_checking(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(package: Path = PACKAGE, type_checking: bool = False) -> dict[str, set[str]]:
    """module -> the package modules it imports (at run time; with `type_checking`, also those
    it imports under `if TYPE_CHECKING:`, for the type checker only).

    `from kr.krs import signal` or `from . import engine` is an edge to the submodule;
    `from kr import Session` (a name, not a module) an edge to the package `kr` itself. The
    import of a module's parent packages, which Python does before any submodule, is not an
    edge: it is no dependency of the module's code."""
    modules = module_names(package)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, file in modules.items():
        if file.suffix == ".pyi":
            continue
        is_package = file.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        for node in _imports(ast.parse(file.read_text(), str(file)), type_checking):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join([*base, node.module] if node.module else base)
                else:
                    stem = node.module or ""
                for alias in node.names:
                    sub = f"{stem}.{alias.name}"
                    targets.append(sub if sub in modules else stem)
            for target in targets:
                # `import kr.krs.signal` depends on kr.krs.signal: the longest known module name.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def tangles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan): the sets of modules
    that import each other, directly or through others."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle (a list of modules, the first repeated at the end, starting at
    its smallest name), found by depth-first search inside each tangle."""
    out: list[list[str]] = []
    for component in tangles(graph):
        inside = set(component)
        for start in component:
            # Cycles through `start` and modules after it only, so each is found once.
            allowed = {m for m in inside if m >= start}

            def walk(path: list[str], start: str = start, allowed: set[str] = allowed) -> None:
                for w in sorted(graph[path[-1]] & allowed):
                    if w == start:
                        out.append([*path, start])
                    elif w not in path:
                        walk([*path, w])

            walk([start])
    return out


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "kr.session" in graph["kr"]  # from .session import Session
    assert "kr.krs" in graph["kr"]  # from . import krs
    assert "kr.complete" in graph["kr.namespace"]  # inside a method
    assert "kr.krs.signal" in graph["kr.krs.trace"]  # absolute, inside a subpackage
    assert "kr" in graph["kr.repl"]  # import kr
    assert "kr.protocols" not in graph["kr.handle"]  # under `if TYPE_CHECKING:` only
    typed = import_graph(type_checking=True)
    assert "kr.protocols" in typed["kr.handle"]
    assert all(graph[m] <= typed[m] for m in graph)


def test_the_graph_sees_imports_under_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    from . import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .a import x\nelse:\n    from . import c\n"
    )
    (package / "c.py").write_text("")
    runtime = import_graph(package)
    assert runtime == {"pkg": set(), "pkg.a": set(), "pkg.b": {"pkg.c"}, "pkg.c": set()}
    assert import_graph(package, type_checking=True)["pkg.b"] == {"pkg.a", "pkg.c"}
    assert cycles(import_graph(package, type_checking=True)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_no_import_cycles_even_for_the_type_checker() -> None:
    """Counting `if TYPE_CHECKING:` imports too: a module below another takes what it needs of
    it as a parameter typed by a protocol (`kr.protocols`), never by importing it."""
    found = cycles(import_graph(type_checking=True))
    assert found == [], "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_cycles_are_found() -> None:
    graph = {"a": {"b", "c"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert tangles(graph) == [["a", "b", "c"]]
    assert cycles(graph) == [["a", "b", "c", "a"], ["a", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# ---- the kr module and its scopes ------------------------------------------------------------

_MODULE_ATTRIBUTES = {"__name__", "__doc__", "__package__", "__loader__", "__spec__"}


def test_a_scope_has_the_names_of_the_kr_module() -> None:
    """`kr.load` runs files with a namespace made without importing `kr`: it has the same
    names, bound to its own session."""
    import kr
    from kr.namespace import SESSION_FUNCTIONS, scope

    s = kr.Session(port=1)  # never connects: nothing here talks to the engine
    ns = scope(s)
    assert set(vars(ns)) - _MODULE_ATTRIBUTES == set(kr.__all__)
    for name in kr.__all__:
        if name in SESSION_FUNCTIONS:
            assert getattr(ns, name) == getattr(s, name), name  # the method, bound to `s`
        elif name == "session":
            assert ns.session is s
        else:
            assert getattr(ns, name) is getattr(kr, name), name
    assert isinstance(ns, type(kr))


def test_misspelled_settings_raise_without_an_engine() -> None:
    import kr
    from kr.namespace import scope

    with pytest.raises(AttributeError, match="no setting 'tmepo'"):
        kr.tmepo = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no setting 'tmepo'"):
        scope(kr.Session(port=1)).tmepo = 1
    with pytest.raises(AttributeError, match="has no attribute 'tmepo'"):
        kr.tmepo  # type: ignore[attr-defined]  # noqa: B018
    assert "tmepo" not in vars(kr)


def test_submodules_imported_later_are_bound() -> None:
    """The module's class refuses unknown names; the import system's binding of a submodule
    imported after `kr` is let through (it used to be refused with an ImportWarning)."""
    code = "import kr, kr.complete, kr.repl; print(kr.complete.__name__, kr.repl.__name__)"
    r = subprocess.run(
        [sys.executable, "-W", "error::ImportWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["kr.complete", "kr.repl"]


# ---- no side effects at import ---------------------------------------------------------------

_PROBE = textwrap.dedent(
    """
    import os, sys, threading

    def fds():  # the open descriptors (the one listdir itself used is closed by now)
        out = {}
        for fd in os.listdir("/proc/self/fd"):
            try:
                out[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except FileNotFoundError:
                pass
        return out

    def tasks():
        return len(os.listdir("/proc/self/task"))

    def children():
        try:
            return os.waitpid(-1, os.WNOHANG)  # (0, 0): a child still runs; else one that ended
        except ChildProcessError:
            return None

    before = fds()
    threads = threading.active_count(), tasks()

    import kr
    after_kr = fds(), (threading.active_count(), tasks()), children()

    import importlib, pkgutil
    for m in pkgutil.walk_packages(kr.__path__, "kr."):
        importlib.import_module(m.name)
    after_all = fds(), (threading.active_count(), tasks()), children()

    s = kr.session
    print(repr((before, threads, after_kr, after_all, s._client, s._krd, repr(s))))
    """
)


def test_import_kr_has_no_side_effects(tmp_path: Path) -> None:
    """`import kr` (and importing every module of the package) creates `kr.session` and
    nothing else: with no krd listening and KR_KRD=/bin/false, it returns at once, having
    started no process or thread and opened no socket or file."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once this socket is closed
    home = tmp_path / "home"
    home.mkdir()
    env = dict(
        os.environ,
        KR_PORT=str(port),
        KR_HOST="127.0.0.1",
        KR_KRD="/bin/false",
        HOME=str(home),
        TMPDIR=str(home),
        XDG_RUNTIME_DIR=str(home),
        XDG_STATE_HOME=str(home),
        XDG_DATA_HOME=str(home),
        PYTHONDONTWRITEBYTECODE="1",
    )
    r = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=30, env=env
    )
    assert r.returncode == 0, r.stderr
    before, threads, after_kr, after_all, client, krd, session = ast.literal_eval(
        r.stdout.strip().splitlines()[-1]
    )
    for fds, running, child in (after_kr, after_all):
        assert fds == before, "import opened a file or socket"
        assert running == threads, "import started a thread"
        assert child is None, "import started a process"
    assert (client, krd) == (None, None), "import connected to krd or started one"
    assert session == f"<kr.Session 127.0.0.1:{port}>"
    assert list(home.iterdir()) == [], "import wrote files"


if __name__ == "__main__":
    args = sys.argv[1:]
    runtime = "--runtime" in args
    args = [a for a in args if a != "--runtime"]
    g = import_graph(Path(args[0]) if args else PACKAGE, type_checking=not runtime)
    for module in sorted(g):
        print(f"{module} -> {', '.join(sorted(g[module])) or '-'}")
    found = cycles(g)
    print("tangles:", "; ".join(", ".join(t) for t in tangles(g)) or "none")
    print("cycles:", "none" if not found else "")
    for c in found:
        print("  " + " -> ".join(c))
    sys.exit(1 if found else 0)
