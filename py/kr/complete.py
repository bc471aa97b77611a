"""Tab completion of node names and controls: `kr["ba<TAB>`, `kr["bass/cu<TAB>`,
`bass["cu<TAB>` (readline), and `_ipython_key_completions_` for IPython, with the evaluation
policy that lets IPython complete `kr["bass"]["cu<TAB>` too (`ipython_config`)."""

from __future__ import annotations

import re
import rlcompleter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import KrError
from .handle import Node, control_names

if TYPE_CHECKING:
    from .protocols import SessionLike

_SUBSCRIPT = re.compile(r"([A-Za-z_][\w.]*)\[\s*([\"'])([^\"']*)$")


EXPAND_LIMIT = 64
"""Control paths are listed for at most this many nodes at once (beyond it, node names only,
until what is typed narrows them down), so completing costs one round trip of bounded size."""


def paths(session: SessionLike, typed: str = "") -> list[str]:
    """The node names and control paths (`bass`, `bass/cutoff`, `bass/gain`) that `typed` can
    complete to, asked of the engine (`/kr/nodes`, then `/kr/node/info` of the nodes whose
    controls can match, in one bundle). Empty when the engine cannot be asked."""
    try:
        names = session.nodes()
    except KrError:
        return []
    expand = [n for n in names if (n + "/").startswith(typed) or typed.startswith(n + "/")]
    if len(expand) > EXPAND_LIMIT:
        expand = [n for n in expand if typed.startswith(n + "/")]
    try:
        infos = session.node_infos(expand)
    except KrError:  # a node removed meanwhile (the bundle fails as a whole): names only
        infos, expand = [], []
    out = list(names)
    for name, info in zip(expand, infos, strict=True):
        out += [f"{name}/{c}" for c in control_names(info)]
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
    # A session (or the `kr` namespace) lists keys for what is typed: `_kr_key_completions`.
    keys_for: Callable[[str], list[str]] | None = getattr(obj, "_kr_key_completions", None)
    keys_of: Callable[[], list[str]] | None = getattr(obj, "_ipython_key_completions_", None)
    try:
        if isinstance(obj, Node):
            keys = obj.controls()
        elif keys_for is not None:
            keys = keys_for(typed)
        elif keys_of is not None:
            keys = keys_of()
        else:
            return None
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


KR_SUBSCRIPTABLE: tuple[tuple[str, ...], ...] = (
    ("kr", "namespace", "KrNamespace"),
    ("kr", "session", "Session"),
)
"""The types whose `[...]` IPython may evaluate while completing: the `kr` module (whose class
is KrNamespace) and Session. Their `[...]` only reads the engine (`kr["bass"]` asks for the
node's description), so evaluating it to complete what follows changes nothing."""


def ipython_policy_overrides() -> dict[str, set[tuple[str, ...]]]:
    """Overrides of IPython's `limited` evaluation policy (the default) for kr's types.

    IPython completes `x["fr<TAB>` by asking `x` for `_ipython_key_completions_`, but to get
    `x` in `kr["bass"]["fr<TAB>` (or `kr.session["ba<TAB>`) it must evaluate `kr["bass"]`, which
    its policy allows only for types it trusts (builtins, numpy, pandas): `kr`'s custom
    `__getitem__` and `__getattr__` are not among them. These are IPython's own lists plus kr's
    types."""
    from IPython.core.guarded_eval import EVALUATION_POLICIES

    limited: Any = EVALUATION_POLICIES["limited"]
    return {
        "allowed_getitem_external": {
            *_as_paths(limited.allowed_getitem_external),
            *KR_SUBSCRIPTABLE,
        },
        "allowed_getattr_external": {
            *_as_paths(limited.allowed_getattr_external),
            ("kr", "namespace", "KrNamespace"),
        },
    }


def _as_paths(items: set[tuple[str, ...] | str]) -> set[tuple[str, ...]]:
    """IPython's allow-lists hold tuples or dotted strings: tuples, all of them."""
    return {p if isinstance(p, tuple) else tuple(p.split(".")) for p in items}


def ipython_config() -> Any:
    """The IPython configuration the `kr` REPL starts IPython with: node and control names
    complete after `kr["bass"]["` and `kr.session["` as they do after `node["`."""
    from traitlets.config import Config

    config = Config()
    config.Completer.policy_overrides = ipython_policy_overrides()
    return config


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext kr.complete` in any IPython or Jupyter: completion of node and control names
    after `kr["bass"]["` as in the `kr` REPL (its evaluation policy overrides, added to the
    shell's own)."""
    current = dict(ipython.Completer.policy_overrides)
    for key, paths in ipython_policy_overrides().items():
        current[key] = {*_as_paths(current.get(key, set())), *paths}
    ipython.Completer.policy_overrides = current
