"""`@kr.dsp`: mark a Python function as a DSP definition, and remember the Python source of the
DSP functions this process turned into nodes, so that `kr.export` can write them back as Python.

A definition made while a session is connected to krd is compiled at once, in the background
(`/kr/compile`, not waited for), and those made before a session connects are compiled when it
does: the first node made from one then starts without waiting for the compiler. Nothing of
this is ever an error: without krd, or when the function cannot be traced yet, nothing is sent.
"""

from __future__ import annotations

import builtins
import dis
import functools
import inspect
import json
import re
import textwrap
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import krs

DspLike = Callable[..., Any] | krs.DspDef | str
"""What `kr.node` accepts: a krs function, a traced DspDef, FAUST source, or `"faust:<type>"`."""


class Dsp:
    """A DSP function marked with `@kr.dsp`: still callable (and traceable) like the function,
    and usable wherever a DSP is expected. `.faust` is its FAUST program, `.inputs` its number
    of inputs (0: a source)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"@kr.dsp decorates a function, not {type(fn).__name__}")
        self.fn = fn
        functools.update_wrapper(self, fn)  # __name__, __doc__, __wrapped__ (inspect follows it)
        _defined.add(self)
        _compile_ahead(self, list(_connected))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<kr.dsp {getattr(self.fn, '__name__', '?')} ({self.inputs} inputs)>"

    @property
    def definition(self) -> krs.DspDef:
        return krs.trace(self.fn)

    @property
    def faust(self) -> str:
        return krs.faust_source(self.fn)

    @property
    def inputs(self) -> int:
        return krs.input_count(self.fn)


def dsp(fn: Callable[..., Any]) -> Dsp:
    """Decorator: `@kr.dsp def kick() -> krs.Signal: ...`. The function is traced (and errors in
    it raised) each time a node is made from it, so redefining it and the node picks up changes.
    While a session is connected, it is also traced once when defined and compiled by krd in the
    background, so the first node made from it need not wait for the compiler (an error in it is
    not raised then, but when a node is made from it)."""
    return Dsp(fn)


class CompilesAhead(Protocol):
    """A session that can have krd compile a program without waiting for it."""

    def _compile_ahead(self, name: str, source: str) -> bool: ...


_connected: weakref.WeakSet[CompilesAhead] = weakref.WeakSet()
_defined: weakref.WeakSet[Dsp] = weakref.WeakSet()
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def connected(session: CompilesAhead) -> None:
    """`session` is connected to a krd: it compiles each `@kr.dsp` defined from now on, and
    those defined so far (in the background)."""
    _connected.add(session)
    for d in list(_defined):
        _compile_ahead(d, [session])


def disconnected(session: CompilesAhead) -> None:
    _connected.discard(session)


def _compile_ahead(d: Dsp, sessions: list[CompilesAhead]) -> None:
    """Send `d`'s FAUST program to each session's krd to compile, waiting for none."""
    if not sessions:
        return
    try:
        source = krs.trace(d.fn).source
    except Exception:  # the user's code: its error is raised when a node is made from it
        return
    name = _NOT_IN_NAME.sub("_", getattr(d.fn, "__name__", "")).strip(".") or "dsp"
    for s in sessions:
        s._compile_ahead(name, source)


@dataclass(frozen=True)
class PythonDsp:
    """The Python definition a FAUST program was traced from."""

    name: str
    source: str

    def to_meta(self) -> str:
        """The node's `meta` in the engine, so any client can export the function."""
        return json.dumps({"kr": 1, "python": {"name": self.name, "source": self.source}})

    @staticmethod
    def from_meta(meta: str) -> PythonDsp | None:
        try:
            py = json.loads(meta)["python"]
            return PythonDsp(str(py["name"]), str(py["source"]))
        except (ValueError, KeyError, TypeError):
            return None


_python_sources: dict[str, PythonDsp] = {}


def faust_of(d: DspLike) -> tuple[str, PythonDsp | None]:
    """The FAUST source (or `faust:<type>`) of a DSP, and its Python definition when it is a
    Python function whose source can stand alone in an exported file."""
    if isinstance(d, str):
        return d, None
    if isinstance(d, krs.DspDef):
        return d.source, None
    fn = d.fn if isinstance(d, Dsp) else d
    source = krs.trace(fn).source
    py = _python_definition(d, fn)
    if py is not None:
        _python_sources[source] = py
    return source, py


def python_definition(faust: str) -> PythonDsp | None:
    """The Python definition this process traced `faust` from, if any."""
    return _python_sources.get(faust)


def _python_definition(obj: object, fn: Callable[..., Any]) -> PythonDsp | None:
    """`fn`'s source if it depends on nothing but `kr`, `krs` and builtins (so the text alone
    rebuilds it); None otherwise."""
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
        return None
    if fn.__name__ == "<lambda>" or not _self_contained(fn.__code__, fn.__name__):
        return None
    try:
        text = textwrap.dedent(inspect.getsource(obj if isinstance(obj, Dsp) else fn))
    except (OSError, TypeError):
        return None
    return PythonDsp(fn.__name__, text)


_ALLOWED = frozenset(dir(builtins)) | {"kr", "krs"}


def _self_contained(code: types.CodeType, name: str) -> bool:
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval not in _ALLOWED:
            if ins.argval != name:  # recursion on itself is fine
                return False
    return all(_self_contained(c, name) for c in code.co_consts if isinstance(c, types.CodeType))
