"""FAUST code generation from a finished signal graph.

The graph is hash-consed (structurally equal nodes become one), every node used more than once
and every library primitive gets its own definition line, and everything else is inlined fully
parenthesised, so the source grows linearly with the graph and no operator precedence can
regroup an expression. Effect inputs are lambda parameters (`process = \\(in0).(...)`) and
feedback loops are lambdas closed by `~`; definitions that depend on them live in a `with`
block inside that lambda.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kr.krs import oscillators
from kr.krs.errors import DspError
from kr.krs.signal import (
    Const,
    Control,
    Expr,
    Feedback,
    Input,
    Loop,
    LoopVar,
    Noise,
    Proj,
    Signal,
    fmt_number,
)

__all__ = ["emit", "control_line"]

ROOT = -1
INPUTS = -2

_LEAKED = (
    "a krs.feedback loop signal (the argument given to the loop function) is used outside "
    "its loop; use the value krs.feedback returns instead"
)


@dataclass
class _Node:
    sig: Signal
    args: list[int]
    free: frozenset[int]
    refs: int = 0
    scope: int = ROOT
    ref: str = ""


@dataclass
class _Graph:
    nodes: list[_Node] = field(default_factory=list)
    binders: dict[int, int] = field(default_factory=dict)  # id(Loop) -> binder number
    loops: list[Loop] = field(default_factory=list)  # keeps ids stable while emitting
    noises: list[int] = field(default_factory=list)  # node indices of Noise nodes


def _postorder(roots: Sequence[Signal]) -> list[Signal]:
    """Every node reachable from `roots`, children before parents (iterative: deep graphs)."""
    order: list[Signal] = []
    seen: set[int] = set()
    stack: list[tuple[Signal, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        sig, done = stack.pop()
        if done:
            order.append(sig)
            continue
        if id(sig) in seen:
            continue
        seen.add(id(sig))
        stack.append((sig, True))
        stack.extend((a, False) for a in reversed(sig.args) if id(a) not in seen)
    return order


def _binder(graph: _Graph, loop: Loop) -> int:
    number = graph.binders.get(id(loop))
    if number is None:
        number = len(graph.binders)
        graph.binders[id(loop)] = number
        graph.loops.append(loop)
    return number


def _build(roots: Sequence[Signal]) -> tuple[_Graph, dict[int, int]]:
    """Hash-cons the reachable graph. Returns the graph and id(signal) -> node index."""
    graph = _Graph()
    index: dict[int, int] = {}
    keys: dict[tuple[object, ...], int] = {}
    controls: dict[str, Control] = {}
    for sig in _postorder(roots):
        args = [index[id(a)] for a in sig.args]
        free: frozenset[int] = frozenset().union(*(graph.nodes[a].free for a in args))
        key: tuple[object, ...]
        if isinstance(sig, Const):
            key = ("const", fmt_number(sig.value))
        elif isinstance(sig, Input):
            key = ("input", sig.index)
            free = frozenset({INPUTS})
        elif isinstance(sig, Control):
            known = controls.setdefault(sig.spec.name, sig)
            if known.spec != sig.spec or known.smoothing != sig.smoothing:
                raise DspError(
                    f"control {sig.spec.name!r} is used with two different specs: "
                    f"{known.spec} and {sig.spec}"
                )
            key = ("control", sig.spec.name)
        elif isinstance(sig, Noise):
            key = ("noise", len(graph.noises))
        elif isinstance(sig, Expr):
            key = ("expr", sig.label, sig.pieces, sig.call, sig.nout, tuple(args))
        elif isinstance(sig, Proj):
            key = ("proj", sig.index, sig.nout, tuple(args))
        elif isinstance(sig, LoopVar):
            binder = _binder(graph, sig.loop)
            key = ("var", binder, sig.index)
            free = frozenset({binder})
        elif isinstance(sig, Feedback):
            binder = _binder(graph, sig.loop)
            key = ("feedback", binder, tuple(args))
            free = free - {binder}
        else:  # pragma: no cover - every Signal subclass is handled above
            raise DspError(f"unknown signal node {sig!r}")
        found = keys.get(key)
        if found is None:
            found = len(graph.nodes)
            keys[key] = found
            graph.nodes.append(_Node(sig, args, free))
            if isinstance(sig, Noise):
                graph.noises.append(found)
        index[id(sig)] = found
    return graph, index


def _place(graph: _Graph, depth: dict[int, int], parent: dict[int, int]) -> None:
    """Give every node the innermost binder (effect inputs or a loop) it depends on."""

    def deepest(free: frozenset[int]) -> int:
        best = ROOT
        for b in free:
            if b not in depth:
                raise DspError(_LEAKED)
            if depth[b] > depth[best]:
                best = b
        for b in free:
            walk = best
            while walk != b and walk != ROOT:
                walk = parent[walk]
            if walk != b:
                raise DspError(_LEAKED)
        return best

    for node in reversed(graph.nodes):  # parents before children
        node.scope = deepest(node.free)
        if isinstance(node.sig, Feedback):
            binder = graph.binders[id(node.sig.loop)]
            parent[binder] = node.scope
            depth[binder] = depth[node.scope] + 1


def _named(node: _Node) -> bool:
    sig = node.sig
    if isinstance(sig, (Const, Input, LoopVar, Control)):
        return False
    if isinstance(sig, (Feedback, Noise)) or (isinstance(sig, Expr) and sig.call):
        return True
    return node.refs > 1


def _label(sig: Signal) -> str:
    if isinstance(sig, Expr):
        return sig.label
    if isinstance(sig, Proj):
        return "out"
    if isinstance(sig, Noise):
        return "noise"
    return "loop"


def control_line(node: Control) -> str:
    """`c_<name> = hslider(...)` (smoothed unless raw)."""
    s = node.spec
    slider = (
        f'hslider("{s.name}", {fmt_number(s.init)}, {fmt_number(s.lo)}, '
        f"{fmt_number(s.hi)}, {fmt_number(s.step)})"
    )
    if node.smoothing > 0:
        # The pole is 0 on the first sample, so the control starts at its value (no glide in).
        pole = f"ba.tau2pole({fmt_number(node.smoothing)}) * (1')"
        slider = f"({slider} : si.smooth({pole}))"
    return f"c_{s.name} = {slider};"


def _unwrap(text: str) -> str:
    """`text` without one pair of parentheses enclosing all of it, if it has one."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return text  # the first parenthesis closes before the end
    return text[1:-1]


def _lambda_body(body: str, defs: list[str], indent: int) -> str:
    """The body of a lambda, `\\(...).(BODY)`: `body` alone, or `(body) with { defs }` with
    the definitions indented."""
    if not defs:
        return _unwrap(body)
    pad = "  " * indent
    inner = "".join(f"{pad}{line}\n" for line in defs)
    return f"({_unwrap(body)}) with {{\n{inner}{'  ' * (indent - 1)}}}"


def emit(
    outputs: Sequence[Signal], ninputs: int, declared: Sequence[Control] = ()
) -> tuple[str, list[Control]]:
    """The complete FAUST program computing `outputs` from `ninputs` inputs.

    `declared` controls appear in the program even when no output uses them. Returns the
    source and the controls in declaration order (then in order of first use).
    """
    if not outputs:
        raise DspError("a DSP function must return at least one signal")
    used = {s.spec.name for s in _postorder(outputs) if isinstance(s, Control)}
    unused = [c for c in declared if c.spec.name not in used]
    graph, index = _build([*outputs, *unused])
    out_ids = [index[id(o)] for o in outputs]
    for node in graph.nodes:
        for a in node.args:
            graph.nodes[a].refs += 1
    for o in out_ids:
        graph.nodes[o].refs += 1
    for o in out_ids:
        if graph.nodes[o].free - {INPUTS}:
            raise DspError(_LEAKED)

    depth = {ROOT: 0, INPUTS: 1}
    parent = {INPUTS: ROOT}
    _place(graph, depth, parent)

    controls: dict[str, Control] = {c.spec.name: c for c in declared}
    for node in graph.nodes:
        if isinstance(node.sig, Control):
            controls.setdefault(node.sig.spec.name, node.sig)

    defs: dict[int, list[str]] = {}
    counter = 0
    nnoise = len(graph.noises)
    for i, node in enumerate(graph.nodes):
        sig = node.sig
        refs = [graph.nodes[a].ref for a in node.args]
        text = _expression(graph, i, sig, refs, nnoise, depth, defs)
        if _named(node):
            counter += 1
            name = f"{_label(sig)}_{counter}"
            defs.setdefault(node.scope, []).append(f"{name} = {text};")
            node.ref = name
        else:
            node.ref = text

    outs = [graph.nodes[o].ref for o in out_ids]
    for c in unused:
        outs[0] = f"attach({outs[0]}, {graph.nodes[index[id(c)]].ref})"
    body = ", ".join(outs)
    lines = ['import("stdfaust.lib");', ""]
    if controls:
        lines += [control_line(c) for c in controls.values()]
        lines.append("")
    lines += defs.get(ROOT, [])
    if ninputs:
        params = ", ".join(f"in{k}" for k in range(ninputs))
        inner = _lambda_body(body, defs.get(INPUTS, []), 1)
        lines.append(f"process = \\({params}).({inner});")
    else:
        lines.append(f"process = {body};")
    if any(f"{oscillators.LIBRARY}." in line for line in lines):
        lines += ["", oscillators.LIBRARY_SOURCE]  # FAUST definitions may follow their use
    return "\n".join(lines) + "\n", list(controls.values())


def _expression(
    graph: _Graph,
    i: int,
    sig: Signal,
    refs: list[str],
    nnoise: int,
    depth: dict[int, int],
    defs: dict[int, list[str]],
) -> str:
    """The FAUST text defining node `i` from its arguments' references."""
    if isinstance(sig, Const):
        return fmt_number(sig.value)
    if isinstance(sig, Input):
        return f"in{sig.index}"
    if isinstance(sig, Control):
        return f"c_{sig.spec.name}"
    if isinstance(sig, Noise):
        if nnoise == 1:
            return "no.noise"
        return f"no.noises({nnoise}, {graph.noises.index(i)})"
    if isinstance(sig, Expr):
        return "".join(p if isinstance(p, str) else refs[p] for p in sig.pieces)
    if isinstance(sig, Proj):
        sel = ", ".join("_" if j == sig.index else "!" for j in range(sig.nout))
        return f"({refs[0]} : {sel})"
    binder = graph.binders[id(sig.loop)] if isinstance(sig, (LoopVar, Feedback)) else 0
    if isinstance(sig, LoopVar):
        return f"fb{binder}_{sig.index}"
    assert isinstance(sig, Feedback)
    n = sig.loop.nvars
    params = ", ".join(f"fb{binder}_{k}" for k in range(n))
    inner = _lambda_body(", ".join(refs), defs.pop(binder, []), depth[binder])
    wires = "_" if n == 1 else "(" + ", ".join("_" for _ in range(n)) + ")"
    return f"((\\({params}).({inner})) ~ {wires})"
