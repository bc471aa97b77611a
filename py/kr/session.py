"""The session API: nodes, routing, patterns, controls, transport. The engine owns the state;
this module keeps only a connection, so several clients always see one session."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from . import engine, krs
from ._kr import Pattern
from .client import DEFAULT_HOST, DEFAULT_PORT, Client
from .errors import EngineUnavailable, KrError

PatternLike = Pattern | str | int | float | None
COMPILE_TIMEOUT = 60.0


def _pattern_ir(p: PatternLike) -> dict[str, Any]:
    """The IR node of anything that can be played: a Pattern, mini-notation, or a number."""
    if isinstance(p, Pattern):
        node: dict[str, Any] = json.loads(p.to_ir())["p"]
        return node
    if isinstance(p, str):
        return {"op": "mini", "src": p}
    if isinstance(p, bool) or not isinstance(p, int | float):
        raise TypeError(
            f"cannot play {type(p).__name__}: give a Pattern, a mini-notation string or a number"
        )
    return {"op": "pure", "value": float(p)}


def _dsp_source(dsp: Callable[..., Any] | krs.DspDef | str) -> str:
    if isinstance(dsp, str):
        return dsp
    return krs.trace(dsp).source


class Node:
    """A handle to a node by name: `>>` routes, `@` plays, `[]` sets and reads controls."""

    def __init__(self, session: Session, name: str) -> None:
        self._session = session
        self.name = name

    def __repr__(self) -> str:
        return f"<kr.Node {self.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __rshift__(self, other: Node | str | tuple[Node | str, float]) -> Node:
        """`a >> b` or `a >> (b, level)`: a post-fader send. Returns the target, for chaining."""
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


class Session:
    """One connection to krd, made (and krd started, if none answers) on first use."""

    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        self.host = host or os.environ.get("KR_HOST", DEFAULT_HOST)
        self.port = port or int(os.environ.get("KR_PORT", DEFAULT_PORT))
        self._client: Client | None = None
        self._krd: engine.Process | None = None

    # ---- connection -------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Client:
        c = Client(self.host, self.port)
        if c.status(0.5) is not None:
            return c
        if not self.host.startswith("127.") and self.host != "localhost":
            raise EngineUnavailable(f"no krd answers at {self.host}:{self.port}")
        self._krd = engine.start_krd(self.port)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if c.status(0.2) is not None:
                return c
            if not self._krd.alive():
                break
        tail = self._krd.log_tail()
        self._krd.stop()
        self._krd = None
        raise EngineUnavailable(f"krd did not start on port {self.port}:\n{tail}")

    def close(self) -> None:
        """Disconnect; stop the krd this session started, if any."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._krd is not None:
            self._krd.stop()
            self._krd = None

    def _req(self, cmd: str, timeout: float = 5.0, **fields: Any) -> list[Any]:
        return self.client.request(cmd, fields, timeout)

    # ---- nodes ------------------------------------------------------------------------------

    def node(
        self,
        name: str,
        dsp: Callable[..., Any] | krs.DspDef | str,
        gain: float = 1.0,
        count: int = 1,
        **init: float,
    ) -> Node:
        """Create (or redefine, crossfading) a node from a krs function, a DspDef, FAUST
        source, or a `"faust:<type>"` from the engine's dsp directory. `init` sets controls."""
        source = _dsp_source(dsp)
        self._req(
            "node_new",
            COMPILE_TIMEOUT,
            name=name,
            source=_wire_source(source),
            count=count,
            gain=gain,
        )
        for control, value in init.items():
            self.set(f"{name}/{control}", value)
        return Node(self, name)

    def remove(self, name: str | Node) -> None:
        self._req("node_free", name=_name(name))

    def __getitem__(self, path: str) -> Node | float:
        """`kr["bass"]` is a node handle; `kr["bass/cutoff"]` a control's value."""
        names = {n["name"] for n in self.dump()["nodes"]}
        if path in names:
            return Node(self, path)
        if "/" in path:
            return self.get(path)
        raise KeyError(f"no node named {path!r}")

    # ---- controls, routing, patterns --------------------------------------------------------

    def set(self, path: str, value: float) -> None:
        self._req("set", path=path, value=float(value))

    def get(self, path: str) -> float:
        return float(self._req("get", path=path)[0])

    def route(self, source: str | Node, target: str | Node, level: float = 1.0) -> None:
        fields = {"from": _name(source), "to": _name(target), "level": float(level)}
        self.client.request("route", fields)

    def unroute(self, source: str | Node, target: str | Node) -> None:
        self.client.request("unroute", {"from": _name(source), "to": _name(target)})

    def play(self, target: str | Node, pattern: PatternLike, from_zero: bool = False) -> None:
        """Play a pattern on a node (notes) or a control path (`bass/cutoff`); None hushes."""
        if pattern is None:
            self.hush(target)
            return
        self._req("play", target=_name(target), pattern=_pattern_ir(pattern), from_zero=from_zero)

    def hush(self, target: str | Node | None = None) -> None:
        """Stop the pattern on `target`, or every pattern."""
        self._req("hush", target=None if target is None else _name(target))

    def mute(self, name: str | Node) -> None:
        self._req("mute", name=_name(name), on=True)

    def unmute(self, name: str | Node) -> None:
        self._req("mute", name=_name(name), on=False)

    # ---- transport and state ----------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self._req("dump")[0])
        return state

    def status(self) -> dict[str, Any]:
        s = self.client.status(2.0)
        if s is None:
            raise KrError(f"krd at {self.host}:{self.port} does not answer /kr/status")
        return s

    @property
    def tempo(self) -> float:
        return float(self.dump()["tempo"])

    @tempo.setter
    def tempo(self, bpm: float) -> None:
        self._req("tempo", bpm=float(bpm))

    @property
    def meter(self) -> float:
        return float(self.dump()["meter"])

    @meter.setter
    def meter(self, beats: float) -> None:
        self._req("meter", beats=float(beats))

    @property
    def master(self) -> float:
        return float(self.dump()["master"])

    @master.setter
    def master(self, gain: float) -> None:
        self._req("master", gain=float(gain))


def _name(x: str | Node) -> str:
    return x.name if isinstance(x, Node) else x


def _wire_source(source: str) -> dict[str, str]:
    """The serde form of kr_osc::DspSource."""
    if source.startswith("faust:") and "\n" not in source and ";" not in source:
        return {"file": source[len("faust:") :]}
    return {"faust": source}
