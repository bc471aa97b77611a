"""Tab completion of node names and controls: `kr["ba<TAB>`, `kr["bass/cu<TAB>`,
`bass["cu<TAB>` (readline), and `_ipython_key_completions_` for IPython."""

from __future__ import annotations

import re
import rlcompleter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import KrError
from .handle import Node

if TYPE_CHECKING:
    from .protocols import SessionLike

_SUBSCRIPT = re.compile(r"([A-Za-z_][\w.]*)\[\s*([\"'])([^\"']*)$")


def paths(session: SessionLike) -> list[str]:
    """Every node name and control path (`bass`, `bass/cutoff`, `bass/gain`), from the dump."""
    try:
        nodes = session.dump()["nodes"]
    except KrError:
        return []
    out: list[str] = []
    for n in nodes:
        out.append(n["name"])
        controls = [c["name"] for c in n["controls"]]
        out += [
            f"{n['name']}/{c}" for c in (controls if "gain" in controls else [*controls, "gain"])
        ]
    return sorted(out)


def _lookup(namespace: dict[str, Any], expr: str) -> Any:
    """The value of a dotted name in `namespace` (attribute reads only, nothing is called)."""
    head, *rest = expr.split(".")
    obj = namespace[head]
    for attr in rest:
        obj = getattr(obj, attr)
    return obj


def subscript_candidates(namespace: dict[str, Any], line: str) -> tuple[str, list[str]] | None:
    """For a line ending inside `x["...`, the typed key and the keys it can complete to:
    node names and control paths for `kr` (or a Session), controls for a Node."""
    m = _SUBSCRIPT.search(line)
    if m is None:
        return None
    expr, _, typed = m.groups()
    try:
        obj = _lookup(namespace, expr)
    except (KeyError, AttributeError):
        return None
    keys_of: Callable[[], list[str]] | None = getattr(obj, "_ipython_key_completions_", None)
    if isinstance(obj, Node):
        keys_of = obj.controls
    if keys_of is None:
        return None
    try:
        keys = keys_of()
    except (KrError, KeyError):
        return None
    return typed, [k for k in keys if k.startswith(typed)]


class Completer:
    """A readline completer: keys inside `kr["` / `node["`, Python names elsewhere."""

    def __init__(self, namespace: dict[str, Any], line_buffer: Callable[[], str]) -> None:
        self.namespace = namespace
        self.line_buffer = line_buffer
        self._python = rlcompleter.Completer(namespace)
        self._matches: list[str] = []

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            self._matches = self.matches(text, self.line_buffer())
        return self._matches[state] if state < len(self._matches) else None

    def matches(self, text: str, line: str) -> list[str]:
        """What `text` (the word readline replaces) completes to, given the line so far."""
        found = subscript_candidates(self.namespace, line)
        if found is not None:
            typed, keys = found
            # readline replaces only `text`, the tail of `typed` after its last delimiter.
            head = typed[: len(typed) - len(text)]
            return [k[len(head) :] for k in keys]
        out: list[str] = []
        i = 0
        while (m := self._python.complete(text, i)) is not None:
            out.append(m)
            i += 1
        return out
