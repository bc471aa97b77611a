"""The `kr` namespace: the session's functions, the pattern library, and settings
(`kr.tempo = 128`) that reach the engine. The `kr` module is one, bound to `kr.session`;
`kr.load` runs files with one bound to the loading session.

This module sits below `kr.session` in the import graph (`kr.sessionfile` uses it): it imports
the library's modules, never `kr` or `kr.session`, not even for types. The session it binds is
handed to `scope`; `NamespaceSession` is what is asked of it."""

from __future__ import annotations

import types
from typing import Any, Protocol

from . import krs, patterns
from .dspfn import Dsp, dsp
from .errors import EngineTimeout, EngineUnavailable, FaustError, KrError, RequestError
from .handle import Node
from .protocols import SessionLike

LIBRARY: dict[str, Any] = {
    "krs": krs,
    "KrError": KrError,
    "FaustError": FaustError,
    "RequestError": RequestError,
    "EngineUnavailable": EngineUnavailable,
    "EngineTimeout": EngineTimeout,
    "Dsp": Dsp,
    "dsp": dsp,
    "Node": Node,
    **{name: getattr(patterns, name) for name in patterns.__all__},
}
"""What every `kr` namespace holds besides its session (`session`, `Session`, the session's
functions and settings): the same objects as the `kr` module's."""

DOC = """The `kr` namespace of one session: its functions (`kr.node`, `kr.play`, ...) and
settings (`kr.tempo = 128`) act on `kr.session`; the pattern library and `krs` are kr's own."""

SETTINGS = ("tempo", "meter", "master")

SESSION_FUNCTIONS = (
    "batch",
    "clear",
    "delete_scene",
    "dump",
    "export",
    "fade",
    "gain",
    "get",
    "hush",
    "link",
    "load",
    "load_samples",
    "midi_clock",
    "midi_follow",
    "midi_learn",
    "midi_map",
    "midi_maps",
    "midi_notes",
    "midi_out",
    "midi_unmap",
    "mute",
    "node",
    "nodes",
    "play",
    "recall",
    "record",
    "remove",
    "route",
    "samples",
    "save",
    "scenes",
    "set",
    "solo",
    "status",
    "stop",
    "stop_record",
    "transition",
    "unmute",
    "unroute",
    "unsolo",
)


class NamespaceSession(SessionLike, Protocol):
    """A session as a `kr` namespace uses it: a `SessionLike` with `kr["bass"]` (a node handle)
    and `kr["bass/cutoff"]` (a control's value). Its settings (`SETTINGS`) and functions
    (`SESSION_FUNCTIONS`) are looked up by name."""

    def __getitem__(self, path: str) -> Node | float: ...

    def __setitem__(self, path: str, value: float) -> None: ...


class KrNamespace(types.ModuleType):
    """Lets `kr.tempo = 128` reach the engine, `kr["bass"]` find a node, and a misspelled
    setting (`kr.tmepo = 1`) raise instead of silently doing nothing."""

    def _session(self) -> NamespaceSession:
        s: NamespaceSession = self.__dict__["session"]
        return s

    def __getattr__(self, name: str) -> Any:
        if name in SETTINGS:
            return getattr(self._session(), name)
        raise AttributeError(f"module 'kr' has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in SETTINGS:
            setattr(self._session(), name, value)
        elif name in self.__dict__ or name.startswith("_") or _is_submodule(self, name, value):
            super().__setattr__(name, value)
        else:
            raise AttributeError(f"kr has no setting {name!r} (settings: {', '.join(SETTINGS)})")

    def __getitem__(self, path: str) -> Node | float:
        return self._session()[path]

    def __setitem__(self, path: str, value: float) -> None:
        self._session()[path] = value

    def __dir__(self) -> list[str]:
        return sorted({*self.__dict__, *SETTINGS})

    def _ipython_key_completions_(self) -> list[str]:
        return self._kr_key_completions("")

    def _kr_key_completions(self, typed: str) -> list[str]:
        """The keys `kr["typed...` can complete to (see `kr.complete.paths`)."""
        # Imported here: kr.complete imports rlcompleter, which sets up readline.
        from .complete import paths

        return paths(self._session(), typed)


def _is_submodule(ns: types.ModuleType, name: str, value: Any) -> bool:
    """Whether `value` is the package's submodule `name`: the import system binds
    `kr.complete` when `import kr.complete` runs after `import kr`."""
    return isinstance(value, types.ModuleType) and value.__name__ == f"{ns.__name__}.{name}"


def scope(session: NamespaceSession) -> KrNamespace:
    """A `kr` namespace whose functions and settings act on `session`: the names of the `kr`
    module, with `kr.Session` the session's class."""
    ns = KrNamespace("kr", DOC)
    ns.__dict__.update(LIBRARY)
    ns.__dict__["Session"] = type(session)
    for name in SESSION_FUNCTIONS:
        ns.__dict__[name] = getattr(session, name)
    ns.__dict__["session"] = session
    return ns
