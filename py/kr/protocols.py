"""What the modules below `kr.session` need of a session, as types: `PatternLike` (what can be
played) and `SessionLike` (the session methods a `Node`, the completer, a `kr` namespace and
the session file writer call).

`kr.Session` satisfies `SessionLike` and hands itself down (`Node(self, name)`,
`sessionfile.export(self, path)`); the modules that take it import this module, never
`kr.session`, so the import graph has no circle, not even one only the type checker reads."""

from __future__ import annotations

from typing import Any, Protocol

from ._kr import Pattern

PatternLike = Pattern | str | int | float | None
"""Anything that can be played: a Pattern, mini-notation, a number, or None (hush)."""


class SessionLike(Protocol):
    """A connection to one engine: the part of `kr.Session` that code below it uses.

    Nodes are named by strings here; `kr.Session` also takes `Node`s (a wider parameter, which
    still satisfies the protocol)."""

    host: str
    port: int

    def dump(self) -> dict[str, Any]: ...

    def nodes(self) -> list[str]: ...

    def node_info(self, name: str) -> dict[str, Any]: ...

    def node_infos(self, names: list[str]) -> list[dict[str, Any]]: ...

    def get(self, path: str) -> float: ...

    def set(self, path: str, value: float) -> None: ...

    def fade(self, path: str, target: float, bars: float = 1.0) -> None: ...

    def route(self, source: str, target: str, level: float = 1.0) -> None: ...

    def play(self, target: str, pattern: PatternLike, from_zero: bool = False) -> None: ...

    def hush(self, target: str) -> None: ...

    def mute(self, path: str) -> None: ...

    def unmute(self, path: str) -> None: ...

    def solo(self, path: str) -> None: ...

    def unsolo(self, path: str) -> None: ...

    def remove(self, name: str) -> None: ...
