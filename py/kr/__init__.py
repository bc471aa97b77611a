"""kr: live-coding audio. Synths as Python functions, patterns, FAUST JIT, JACK.

`kr` is the session (the audio graph) and the pattern library; `kr.krs` is the DSP language::

    from kr import krs
    bass = kr.node("bass", acid_bass, gain=0.3)
    bass @ kr.seq("A2", "D3", None, "E2").over(2)
"""

from __future__ import annotations

import sys
import types
from typing import Any

from . import krs
from .errors import EngineUnavailable, FaustError, KrError
from .patterns import *  # noqa: F403 - the pattern constructors are kr's own namespace
from .patterns import __all__ as _pattern_names
from .session import Node, Session

session = Session()

node = session.node
remove = session.remove
play = session.play
hush = session.hush
route = session.route
unroute = session.unroute
mute = session.mute
unmute = session.unmute
dump = session.dump
status = session.status


def stop() -> None:
    """Stop every pattern (the nodes stay)."""
    session.hush()


_ATTRIBUTES = ("tempo", "meter", "master")


class _KrModule(types.ModuleType):
    """Lets `kr.tempo = 128` reach the engine, `kr["bass"]` find a node, and a misspelled
    attribute assignment (`kr.tmepo = 1`) raise instead of silently doing nothing."""

    def __getattr__(self, name: str) -> Any:
        if name in _ATTRIBUTES:
            return getattr(session, name)
        raise AttributeError(f"module 'kr' has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _ATTRIBUTES:
            setattr(session, name, value)
        elif name in self.__dict__ or name.startswith("_"):
            super().__setattr__(name, value)
        else:
            raise AttributeError(f"kr has no setting {name!r} (settings: {', '.join(_ATTRIBUTES)})")

    def __getitem__(self, path: str) -> Node | float:
        return session[path]


sys.modules[__name__].__class__ = _KrModule

__all__ = [
    "krs",
    "KrError",
    "FaustError",
    "EngineUnavailable",
    "Node",
    "Session",
    "session",
    "node",
    "remove",
    "play",
    "hush",
    "stop",
    "route",
    "unroute",
    "mute",
    "unmute",
    "dump",
    "status",
    *_pattern_names,
]
