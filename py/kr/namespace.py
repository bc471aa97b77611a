"""The `kr` namespace: the session's functions, the pattern library, and settings
(`kr.tempo = 128`) that reach the engine. The `kr` module is one, bound to `kr.session`;
`kr.load` runs files with one bound to the loading session."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handle import Node
    from .session import Session

SETTINGS = ("tempo", "meter", "master")

SESSION_FUNCTIONS = (
    "batch",
    "delete_scene",
    "dump",
    "export",
    "fade",
    "gain",
    "get",
    "hush",
    "load",
    "mute",
    "node",
    "nodes",
    "play",
    "recall",
    "record",
    "remove",
    "route",
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


class KrNamespace(types.ModuleType):
    """Lets `kr.tempo = 128` reach the engine, `kr["bass"]` find a node, and a misspelled
    setting (`kr.tmepo = 1`) raise instead of silently doing nothing."""

    def _session(self) -> Session:
        s: Session = self.__dict__["session"]
        return s

    def __getattr__(self, name: str) -> Any:
        if name in SETTINGS:
            return getattr(self._session(), name)
        raise AttributeError(f"module 'kr' has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in SETTINGS:
            setattr(self._session(), name, value)
        elif name in self.__dict__ or name.startswith("_"):
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
        from .complete import paths

        return paths(self._session())


def scope(session: Session) -> KrNamespace:
    """A `kr` namespace whose functions and settings act on `session`."""
    import kr

    ns = KrNamespace("kr", kr.__doc__)
    for name in kr.__all__:
        ns.__dict__[name] = getattr(kr, name)
    for name in SESSION_FUNCTIONS:
        ns.__dict__[name] = getattr(session, name)
    ns.__dict__["session"] = session
    return ns
