"""`kr.Node`: a handle to a node by name. It holds nothing but the name and its session; every
read asks the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import RequestError

if TYPE_CHECKING:
    from .protocols import PatternLike, SessionLike


class Node:
    """A node by name: `>>` routes, `@` plays, `[]` sets and reads controls."""

    def __init__(self, session: SessionLike, name: str) -> None:
        self._session = session
        self.name = name

    def __repr__(self) -> str:
        return f"<kr.Node {self.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __rshift__(self, other: Node | str | tuple[Node | str, float]) -> Node:
        """`a >> b` or `a >> (b, level)`: a post-fader send. Returns the target, for chaining
        (`a >> b >> c`)."""
        target, level = other if isinstance(other, tuple) else (other, 1.0)
        name = target.name if isinstance(target, Node) else str(target)
        self._session.route(self.name, name, level)
        return Node(self._session, name)

    def __matmul__(self, what: PatternLike | tuple[str, PatternLike]) -> Node:
        """`node @ pattern`, `@ "mini"`, `@ ("control", pattern)`, `@ None` (hush)."""
        if isinstance(what, tuple):
            control, pattern = what
            self._session.play(f"{self.name}/{control}", pattern)
        else:
            self._session.play(self.name, what)
        return self

    def __getitem__(self, control: str) -> float:
        return self._session.get(f"{self.name}/{control}")

    def __setitem__(self, control: str, value: float) -> None:
        self._session.set(f"{self.name}/{control}", value)

    def _ipython_key_completions_(self) -> list[str]:
        return self.controls()

    def play(self, pattern: PatternLike, from_zero: bool = False) -> Node:
        """Play a pattern on this node (`node @ pattern`); `from_zero` starts it at the next
        cycle boundary."""
        self._session.play(self.name, pattern, from_zero=from_zero)
        return self

    def hush(self) -> None:
        """Stop the pattern playing on this node."""
        self._session.hush(self.name)

    def mute(self) -> None:
        """Silence this node, sends included."""
        self._session.mute(self.name)

    def unmute(self) -> None:
        """Undo `mute`."""
        self._session.unmute(self.name)

    def solo(self) -> None:
        """Solo this node: while anything is soloed only soloed nodes (and the effects they
        feed) sound."""
        self._session.solo(self.name)

    def unsolo(self) -> None:
        """Undo `solo`."""
        self._session.unsolo(self.name)

    def fade(self, control: str, target: float, bars: float = 1.0) -> None:
        """Move a control (or `gain`) linearly to `target` over `bars` bars."""
        self._session.fade(f"{self.name}/{control}", target, bars=bars)

    def remove(self) -> None:
        """Remove this node with its routes and patterns."""
        self._session.remove(self.name)

    def state(self) -> dict[str, Any]:
        """This node as the engine describes it (`/kr/node/info`: what the state dump lists
        for it, and the patterns playing on it). KeyError when there is no such node."""
        try:
            return self._session.node_info(self.name)
        except RequestError:
            raise KeyError(f"no node named {self.name!r}") from None

    def controls(self) -> list[str]:
        """The node's control names, `gain` included."""
        return control_names(self.state())


def control_names(info: dict[str, Any]) -> list[str]:
    """The control names of a node described by `/kr/node/info` (or the dump), `gain`
    included: every node has one (its fader) unless its DSP declares a control of that name."""
    names = [str(c["name"]) for c in info["controls"]]
    return names if "gain" in names else [*names, "gain"]
