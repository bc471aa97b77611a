"""The session API: nodes, routing, patterns, controls, transport, scenes. The engine owns the
state; a Session keeps only its connection (and the modes of an open `batch()` or
`transition()` block), so several clients always see one session."""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal

from . import dspfn, engine, sessionfile
from ._kr import Pattern
from .client import DEFAULT_HOST, DEFAULT_PORT, Client, Reply
from .dspfn import DspLike, faust_of
from .errors import EngineTimeout, EngineUnavailable, RequestError
from .handle import Node
from .protocols import PatternLike

COMPILE_TIMEOUT = 60.0
RESTORE_TIMEOUT = 120.0
"""How long a session that started a restoring krd waits for the saved session to be back."""
BUNDLE_NODES = 1000
"""Nodes per bundle when many are asked about or removed at once (a bundle holds 1024 messages)."""

Origin = Literal["connected", "fresh", "restored"]
"""How a session's engine came to be: `connected` (a krd already answered; its session is used as
it is), `fresh` (the session started krd empty), `restored` (the session started krd restoring
its saved session)."""

_NOT_RESTORING = ("--fresh", "--no-state")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def restore_from_env() -> bool:
    """Whether $KR_RESTORE asks engines the library starts to restore the saved session
    (`1`, `true`, `yes`, `on`; unset, `0`, `false`, `no`, `off` do not). ValueError otherwise."""
    value = os.environ.get("KR_RESTORE", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"KR_RESTORE={os.environ['KR_RESTORE']!r}: give 1 (restore the saved session when kr "
        "starts krd) or 0 (start it fresh, the default)"
    )


def pattern_ir(p: PatternLike) -> dict[str, Any]:
    """The IR node of anything that can be played: a Pattern, mini-notation, or a number."""
    if isinstance(p, Pattern):
        node: dict[str, Any] = json.loads(p.to_ir())["p"]
        return node
    if isinstance(p, str):
        Pattern.mini(p)  # a syntax error is raised here, with its column
        return {"op": "mini", "src": p}
    if isinstance(p, bool) or not isinstance(p, int | float):
        raise TypeError(
            f"cannot play {type(p).__name__}: give a Pattern, a mini-notation string or a number"
        )
    return {"op": "pure", "value": float(p)}


class Session:
    """One connection to krd, made (and krd started, if none answers) on first use.

    `kr.session` is the one the `kr` module's functions use; make others for other engines:
    `kr.Session(port=57141)`.

    Restoring is never a surprise. A krd that answers already (the systemd service, one started
    by hand) is used as it is, with whatever session it holds (`kr.clear()` empties it). A krd
    this session starts itself starts fresh (`krd --fresh`: empty; the session krd saved last is
    kept beside its state file as `<file>.previous`), so a script sounds the same whatever ran
    before it, unless asked to restore: `kr.Session(restore=True)`, or KR_RESTORE=1 in the
    environment (the `kr` module's session, the `kr` REPL's), or `kr --restore`. `origin` says
    which of these happened."""

    __slots__ = (
        "host",
        "port",
        "krd_args",
        "restore",
        "_client",
        "_krd",
        "_origin",
        "_batch",
        "_fade_cycles",
        "__weakref__",
    )

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        krd_args: list[str] | None = None,
        restore: bool | None = None,
    ) -> None:
        """`krd_args` are extra arguments for the krd this session starts when none answers
        (e.g. `["--no-state"]` for an engine that neither restores nor saves a session, or
        `["--state", FILE]`).

        `restore`: whether a krd this session starts restores the session krd saved last
        (default: $KR_RESTORE, else False: it starts fresh, keeping that session as
        `<state file>.previous`). It changes nothing when a krd answers already. `--fresh` or
        `--no-state` in `krd_args` win over $KR_RESTORE; with `restore=True` they are a
        ValueError."""
        self.host: str = host or os.environ.get("KR_HOST", DEFAULT_HOST)
        self.port: int = port or int(os.environ.get("KR_PORT", DEFAULT_PORT))
        self.krd_args: list[str] = list(krd_args or [])
        said = [a for a in self.krd_args if a in _NOT_RESTORING]
        if restore and said:
            raise ValueError(f"restore=True contradicts krd_args {said[0]}")
        self.restore: bool = restore_from_env() if restore is None else bool(restore)
        self._client: Client | None = None
        self._origin: Origin | None = None
        self._krd: engine.Process | None = None
        self._batch: list[tuple[str, dict[str, Any], float]] | None = None
        self._fade_cycles: float | None = None

    def __repr__(self) -> str:
        return f"<kr.Session {self.host}:{self.port}>"

    # ---- connection -------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The connection to krd, made (and krd started, if none answers) on first use."""
        if self._client is None:
            self._client = self._connect()
            dspfn.connected(self)
        return self._client

    def _connect(self) -> Client:
        c = Client(self.host, self.port)
        if c.status(0.5) is not None:
            self._origin = "connected"
            return c
        if not self.host.startswith("127.") and self.host != "localhost":
            c.close()
            raise EngineUnavailable(
                f"no krd answers at {self.host}:{self.port}: is it running? (kr starts one "
                "only on this machine)"
            )
        # Fresh unless asked to restore, or krd_args say already (krd refuses `--fresh` twice,
        # or with `--no-state`, which neither restores nor saves).
        restoring = self._restores()
        said = any(a in _NOT_RESTORING for a in self.krd_args)
        fresh = [] if restoring or said else ["--fresh"]
        try:
            self._krd = engine.start_krd(self.port, extra=[*self.krd_args, *fresh])
        except OSError as e:
            c.close()
            raise EngineUnavailable(f"cannot start krd on port {self.port}: {e}") from None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if c.status(0.2) is not None:
                if not self._krd.alive():
                    # Ours lost the port to a krd started meanwhile (krd binds it first): that
                    # one answers, with its own session.
                    self._krd.stop()
                    self._krd = None
                    self._origin = "connected"
                    return c
                self._origin = "restored" if restoring else "fresh"
                if restoring:
                    # krd answers requests once the saved session is back (its nodes compiled):
                    # wait for that here, so the first command does not time out behind it.
                    with suppress(EngineTimeout):
                        c.request("nodes", {}, RESTORE_TIMEOUT)
                return c
            if not self._krd.alive():
                break
        c.close()
        tail = self._krd.log_tail()
        self._krd.stop()
        self._krd = None
        raise EngineUnavailable(f"krd did not start on port {self.port}:\n{tail}")

    def _restores(self) -> bool:
        """Whether a krd started by this session restores the saved session."""
        return self.restore and not any(a in _NOT_RESTORING for a in self.krd_args)

    @property
    def started_engine(self) -> bool:
        """Whether this session started the krd it talks to (and stops it on close)."""
        return self._krd is not None

    @property
    def origin(self) -> Origin | None:
        """How this session's engine came to be (None before the session connects):
        `"connected"`: a krd answered already, and its session is used as it is;
        `"fresh"`: this session started krd empty (the session krd saved last, if any, is kept
        beside its state file as `<file>.previous`); `"restored"`: this session started krd
        with the session krd saved last (`restore=True`, KR_RESTORE=1, `kr --restore`)."""
        return self._origin

    def close(self) -> None:
        """Disconnect; stop the krd this session started, if any."""
        dspfn.disconnected(self)
        if self._client is not None:
            self._client.close()
            self._client = None
        self._origin = None
        if self._krd is not None:
            self._krd.stop()
            self._krd = None

    def _compile_ahead(self, name: str, source: str) -> bool:
        """Have krd compile `source` into its cache (`/kr/compile`) without waiting for it, on
        the connection there is (none is made): False when it was not sent."""
        if self._client is None:
            return False
        return self._client.send_nowait("compile", {"name": name, "source": _wire_source(source)})

    def _send(self, cmd: str, timeout: float = 5.0, **fields: Any) -> Reply | None:
        """A command that changes the session: queued inside `batch()`, else sent now."""
        return self._send_fields(cmd, fields, timeout)

    def _send_fields(self, cmd: str, fields: dict[str, Any], timeout: float = 5.0) -> Reply | None:
        if self._batch is not None:
            self._batch.append((cmd, fields, timeout))
            return None
        return self.client.request_reply(cmd, fields, timeout)

    def _req(self, cmd: str, timeout: float = 5.0, **fields: Any) -> list[Any]:
        """A query, sent at once (even inside `batch()`); the extra arguments of its reply."""
        return self.client.request(cmd, fields, timeout)

    def _value(self, path: str) -> float:
        """`/kr/get path` (a control, a gain, `master`, `tempo`, `meter`): the value now."""
        return float(self._req("get", path=path)[0])

    # ---- modes ------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Send every change made inside the block as ONE OSC bundle, which the engine applies
        atomically at one audio frame: all of it, or (if any command fails) none of it.

        An exception inside the block sends nothing. Reads (`node["x"]`, `kr.tempo`, `dump`)
        inside the block are answered at once, from the state before the block. A batch inside
        a batch joins the outer one."""
        if self._batch is not None:
            yield
            return
        self._batch = []
        try:
            yield
            queued = self._batch
        finally:
            self._batch = None
        if queued:
            timeout = max(t for _, _, t in queued)
            self.client.bundle([(c, f) for c, f, _ in queued], timeout)

    @contextmanager
    def transition(self, bars: float) -> Iterator[None]:
        """Inside the block, every control or gain change (`node["x"] = v`, `kr.set`, `kr.gain`,
        `kr.master = v`) becomes a `fade` over `bars` bars (a bar is a cycle), and
        `kr.recall(scene)` recalls with its controls, gains and master fading over `bars`.

        Tempo and meter have no ramp in the engine: `kr.tempo = 140` inside a transition
        switches at once (at the end of what is already scheduled, keeping the cycle position).
        Patterns, routes and nodes change at once too. Transitions cannot be nested
        (RuntimeError)."""
        if self._fade_cycles is not None:
            raise RuntimeError("kr.transition() blocks cannot be nested")
        cycles = float(bars)
        if not cycles >= 0:
            raise ValueError(f"transition(bars={bars!r}): bars must be a number >= 0")
        self._fade_cycles = cycles
        try:
            yield
        finally:
            self._fade_cycles = None

    # ---- nodes ------------------------------------------------------------------------------

    def node(
        self, name: str, dsp: DspLike, gain: float = 1.0, count: int = 1, **init: float
    ) -> Node:
        """Create (or redefine, crossfading) a node from a krs function (a source when it takes
        no parameters, an effect with one input per `krs.Signal` parameter), a `@kr.dsp`, a
        DspDef, FAUST source, or `"faust:<type>"` from the engine's dsp directory. `count` > 1
        makes a polyphonic node; `init` sets controls (`cutoff=1200`)."""
        source, py = faust_of(dsp)
        with self.batch():
            self._send(
                "node_new",
                COMPILE_TIMEOUT,
                name=name,
                source=_wire_source(source),
                count=count,
                gain=float(gain),
                meta=py.to_meta() if py is not None else "",
            )
            for control, value in init.items():
                self._send("set", path=f"{name}/{control}", value=float(value))
        return Node(self, name)

    def remove(self, name: str | Node) -> None:
        """Remove a node with its routes and patterns."""
        self._send("node_free", name=_name(name))

    def clear(self) -> None:
        """Empty the session: stop every pattern and remove every node, with its routes, and
        every MIDI out and mapping (the session a fresh krd starts with). Tempo, meter, master
        and the scenes stay.

        One atomic bundle (per 1000 nodes); inside `batch()`, part of that batch (which then
        removes the nodes there were before it, not those it creates)."""
        midi = self.midi_maps()
        names = self.nodes() + [o["name"] for o in midi["outs"]]
        for path in {c["path"] for c in midi["controls"]} | {n["node"] for n in midi["notes"]}:
            self.midi_unmap(path)
        parts = [names[at : at + BUNDLE_NODES] for at in range(0, len(names), BUNDLE_NODES)]
        for i, part in enumerate(parts or [[]]):
            with self.batch():
                if i == 0:
                    self.hush()
                for name in part:
                    self.remove(name)

    def nodes(self) -> list[str]:
        """The node names, sorted."""
        return sorted(str(n) for n in self._req("nodes"))

    def samples(self) -> list[dict[str, Any]]:
        """The sample banks krd finds in its sample folders (`dirt.sample_paths`): each bank's
        `name`, `files`, how many are `loaded`, and the `bytes` they take."""
        banks: list[dict[str, Any]] = json.loads(self._req("samples_list")[0])
        return banks

    def load_samples(self, bank: str) -> None:
        """Load every file of sample bank `bank` now; banks otherwise load file by file the
        first time they are played (which makes that first sound a little late)."""
        self._req("samples_load", bank=bank)

    # ---- MIDI -------------------------------------------------------------------------------

    def midi_out(self, name: str, channel: int = 1, port: str = "midi_out") -> str:
        """Create a MIDI out: the JACK MIDI port `krd:<name>/<port>`, sending on `channel`
        (1..16). Patterns played on `name` send notes (note-on at each event's frame, note-off
        `legato` × its duration later, velocity from `velocity` or `gain`), controllers (`ccn`
        with `ccv`, or `cc74=...`) and program changes (`progNum`). Calling it again changes the
        channel; `kr.remove(name)` frees it (its notes end). Returns `name`."""
        self._send("midi_out", name=name, channel=channel, port=port)
        return name

    def midi_clock(self, action: str = "start") -> None:
        """MIDI clock on `krd:midi_clock` (24 ticks per beat, always running): `"start"` or
        `"continue"` (with its song position) on the next cycle, or `"stop"` at once."""
        self._send("midi_clock", action=action)

    def midi_follow(self, on: bool = True) -> None:
        """Let `kr.tempo` follow the MIDI clock another device sends to `krd:midi_in` (tempo
        only, not its Start/Stop or position), or stop following with `False`."""
        self._send("midi_follow", on=on)

    def midi_map(
        self, cc: int, path: str, lo: float = 0.0, hi: float = 1.0, channel: int | None = None
    ) -> None:
        """Let MIDI controller `cc` (on `channel` 1..16, or any) move `path` (a control,
        `<node>/gain` or `master`) linearly from `lo` (controller at 0) to `hi` (at 127), at the
        frame each message arrives at `krd:midi_in`. Kept in the session, scenes and exports."""
        self._send("midi_map", cc=cc, path=path, lo=lo, hi=hi, channel=channel or 0)

    def midi_learn(self, path: str, lo: float = 0.0, hi: float = 1.0) -> None:
        """Map the next MIDI controller moved onto `path` (as `midi_map`, on the channel it
        moved on). `midi_maps()` shows it once made."""
        self._send("midi_learn", path=path, lo=lo, hi=hi)

    def midi_notes(self, node: str | Node, channel: int | None = None) -> None:
        """Play `node`'s voices from the notes arriving at `krd:midi_in` (on `channel`
        1..16, or any): pitch, velocity and gate at each message's frame; sustain pedal honoured."""
        self._send("midi_notes", node=_name(node), channel=channel or 0)

    def midi_unmap(self, path: str | Node) -> None:
        """Remove the controller mappings onto `path`, or the notes played on node `path`."""
        self._send("midi_unmap", path=_name(path))

    def midi_maps(self) -> dict[str, Any]:
        """The session's MIDI: `outs`, controller mappings (`controls`), `notes` routes, and
        whether the tempo follows MIDI clock (`follow_clock`)."""
        midi: dict[str, Any] = self.dump().get("midi", {})
        return {"outs": [], "controls": [], "notes": [], "follow_clock": False, **midi}

    def node_info(self, name: str) -> dict[str, Any]:
        """One node as the engine describes it (`/kr/node/info`): its source, voices, gain,
        mute and solo, channels, controls (ranges and values), ports, meta, and the targets of
        the patterns playing on it or its controls. RequestError when there is no such node."""
        info: dict[str, Any] = json.loads(self._req("node_info", name=name)[0])
        return info

    def node_infos(self, names: list[str]) -> list[dict[str, Any]]:
        """`node_info` of several nodes, asked in one round trip (a bundle per 1000 nodes)."""
        out: list[dict[str, Any]] = []
        for at in range(0, len(names), BUNDLE_NODES):
            part = [("node_info", {"name": n}) for n in names[at : at + BUNDLE_NODES]]
            out += [json.loads(r.extra[0]) for r in self.client.bundle(part)]
        return out

    def _is_node(self, name: str) -> bool:
        try:
            self._req("node_info", name=name)
        except RequestError:  # no node of that name (transport failures go on up)
            return False
        return True

    def __getitem__(self, path: str) -> Node | float:
        """`kr["bass"]` is a node handle; `kr["bass/cutoff"]` a control's value."""
        if self._is_node(path):
            return Node(self, path)
        if "/" in path:
            return self.get(path)
        raise KeyError(f"no node named {path!r}")

    def __setitem__(self, path: str, value: float) -> None:
        """`kr["bass/cutoff"] = 1200`."""
        self.set(path, value)

    def __contains__(self, name: str) -> bool:
        return self._is_node(name)

    def _ipython_key_completions_(self) -> list[str]:
        return self._kr_key_completions("")

    def _kr_key_completions(self, typed: str) -> list[str]:
        """The keys `self["typed...` can complete to (see `kr.complete.paths`)."""
        # Imported here: kr.complete imports rlcompleter, which sets up readline.
        from .complete import paths

        return paths(self, typed)

    # ---- controls, routing, patterns --------------------------------------------------------

    def set(self, path: str, value: float) -> None:
        """Set a control (`bass/cutoff`) or a node's gain (`bass/gain`); a fade inside
        `transition()`."""
        if self._fade_cycles is not None:
            self.fade(path, value, bars=self._fade_cycles)
        else:
            self._send("set", path=path, value=float(value))

    def get(self, path: str) -> float:
        """A control's (or a node's gain's) current value."""
        return self._value(path)

    def gain(self, name: str | Node, value: float) -> None:
        """Set a node's gain (a fade inside `transition()`)."""
        self.set(f"{_name(name)}/gain", value)

    def fade(self, path: str, target: float, bars: float = 1.0) -> None:
        """Move a control, a node's gain (`bass/gain`) or `master` linearly to `target` over
        `bars` bars (a bar is one cycle)."""
        self._send("fade", path=path, target=float(target), cycles=float(bars))

    def route(self, source: str | Node, target: str | Node, level: float = 1.0) -> None:
        """A post-fader send from `source` to the effect `target` (`source >> (target, level)`);
        routing again changes the level."""
        fields = {"from": _name(source), "to": _name(target), "level": float(level)}
        self._send_fields("route", fields)

    def unroute(self, source: str | Node, target: str | Node) -> None:
        """Remove the send from `source` to `target`."""
        fields = {"from": _name(source), "to": _name(target)}
        self._send_fields("unroute", fields)

    def play(self, target: str | Node, pattern: PatternLike, from_zero: bool = False) -> None:
        """Play a pattern on a node (notes) or a control path (`bass/cutoff`); None hushes.
        A replaced pattern stays in phase; `from_zero` starts it at the next cycle boundary."""
        if pattern is None:
            self.hush(target)
            return
        self._send("play", target=_name(target), pattern=pattern_ir(pattern), from_zero=from_zero)

    def hush(self, target: str | Node | None = None) -> None:
        """Stop the pattern on `target` (a node, a control path, or a group: every pattern
        under `drums/`), or every pattern."""
        # The engine resolves a group: with nothing playing on `target` itself, it stops
        # every pattern under `target/`.
        self._send("hush", target=None if target is None else _name(target))

    def stop(self) -> None:
        """Stop every pattern (the nodes stay)."""
        self.hush()

    def mute(self, path: str | Node) -> None:
        """Silence a node, sends included, or every node of a group: `kr.mute("drums")` mutes
        `drums/kick`, `drums/hat` (the engine resolves the group)."""
        self._send("mute", name=_name(path), on=True)

    def unmute(self, path: str | Node) -> None:
        """Undo `mute` of a node or a group."""
        self._send("mute", name=_name(path), on=False)

    def solo(self, path: str | Node) -> None:
        """Solo a node or a group: while anything is soloed only soloed nodes (and the effects
        they feed) sound."""
        self._send("solo", name=_name(path), on=True)

    def unsolo(self, path: str | Node) -> None:
        """Undo `solo` of a node or a group."""
        self._send("solo", name=_name(path), on=False)

    # ---- transport --------------------------------------------------------------------------

    @property
    def tempo(self) -> float:
        """Beats per minute. Assigning switches at once, even inside `transition()`."""
        return _f32_decimal(self._value("tempo"))

    @tempo.setter
    def tempo(self, bpm: float) -> None:
        self._send("tempo", bpm=float(bpm))

    @property
    def meter(self) -> float:
        """Beats per cycle (a cycle is a bar)."""
        return _f32_decimal(self._value("meter"))

    @meter.setter
    def meter(self, beats: float) -> None:
        self._send("meter", beats=float(beats))

    def link(self, on: bool = True, quantum: float | None = None) -> None:
        """Follow an Ableton Link session's tempo and beat phase (`on`), or stop following it.

        A Link beat is a kr beat: cycle × `meter`. `quantum` is in cycles (default 1): peers
        agree on where every `quantum`-th cycle starts, so `quantum=4` also lines up 4-bar
        phrases. While on, `kr.tempo = …` changes the whole session's tempo, and a peer's change
        moves kr's; `kr.status()["link"]` shows the peers, tempo and beat. krd remembers it in
        its state file.

        Only a krd built with Link can join (`cargo build --release --features link`; such a
        krd is GPL-2.0-or-later as a whole): any other answers with a `RequestError` saying so.

            kr.link(True)              # cycles start with the session's bars (4 beats)
            kr.link(True, quantum=4)   # and 4-cycle phrases line up too
            kr.link(False)
        """
        self._send("link", on=bool(on), quantum=float(1.0 if quantum is None else quantum))

    @property
    def master(self) -> float:
        """The master gain (smoothed; a fade inside `transition()`): the value set, or the
        target of a fade in progress."""
        # `/kr/get master` answers the value as it sounds now, mid-fade; the value set (a
        # fade's target) is in `/kr/status.reply`.
        return float(self.status()["master"])

    @master.setter
    def master(self, gain: float) -> None:
        if self._fade_cycles is not None:
            self.fade("master", gain, bars=self._fade_cycles)
        else:
            self._send("master", gain=float(gain))

    # ---- scenes -----------------------------------------------------------------------------

    def save(self, name: str) -> None:
        """Store the whole session (nodes with DSP, controls, routes, patterns, tempo, master)
        as a scene in the engine."""
        self._send("scene_save", name=name)

    def recall(self, name: str, bars: float | None = None) -> None:
        """Make the session equal a scene. Controls, gains and master fade over `bars` bars
        (default: the enclosing `transition()`'s, else at once)."""
        cycles = bars if bars is not None else (self._fade_cycles or 0.0)
        self._send("scene_recall", COMPILE_TIMEOUT, name=name, cycles=float(cycles))

    def scenes(self) -> list[str]:
        """The scene names, sorted."""
        return [str(s) for s in self._req("scene_list")]

    def delete_scene(self, name: str) -> None:
        """Remove a scene from the engine."""
        self._send("scene_delete", name=name)

    # ---- recording, state -------------------------------------------------------------------

    def record(self, file: str, node: str | Node | None = None) -> None:
        """Record the master (or one node's output) to `file`, a `.wav` path relative to
        krd's recording directory."""
        self._send("record_start", file=file, target=None if node is None else _name(node))

    def stop_record(self, file: str | None = None) -> str:
        """Stop that recording (or all); returns the engine's message naming the finished files
        with their full paths."""
        reply = self._send("record_stop", file=file)
        return reply.message if reply is not None else ""

    def dump(self) -> dict[str, Any]:
        """The engine's whole session state as a dict."""
        state: dict[str, Any] = json.loads(self._req("dump")[0])
        return state

    def status(self) -> dict[str, Any]:
        """Health and load (`/kr/status.reply`)."""
        s = self.client.status(2.0)
        if s is None:
            raise EngineUnavailable(
                f"krd at {self.host}:{self.port} does not answer /kr/status: is it running?"
            )
        return s

    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write a plain Python file that rebuilds this session (see `kr.export`)."""
        return sessionfile.export(self, path)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Run a Python file (e.g. one written by `export`) with `kr` bound to this session
        and `krs` in scope."""
        sessionfile.load(self, path)


def _name(x: str | Node) -> str:
    return x.name if isinstance(x, Node) else x


def _f32_decimal(x: float) -> float:
    """The shortest decimal that is the same 32-bit float as `x`: a value read back through
    OSC (`/kr/get` answers a 32-bit float) as it was written (`128.3`, not 128.3000030517578)."""
    want = struct.pack("<f", x)
    for digits in range(1, 10):
        value = float(f"{x:.{digits}g}")
        if struct.pack("<f", value) == want:
            return value
    return x


def _wire_source(source: str) -> dict[str, str]:
    """The serde form of kr_osc::DspSource."""
    if source.startswith("faust:") and "\n" not in source and ";" not in source:
        return {"file": source[len("faust:") :]}
    return {"faust": source}
