"""The soak test of "Sessions of any size, and nothing lost": several clients edit one krd at
once, for minutes (CI) or an hour, while its audio, its answers and its memory are watched.

    scripts/with-jack.sh .venv/bin/python tests/soak.py --seconds 3600

The clients, each a thread with a transport of its own and a disjoint set of nodes:

- `py`: the `kr` library (`kr.Session(port=...)`, its TCP connection), single edits and
  `batch()` bundles;
- `oscsend`: one `oscsend` process (liblo-tools, UDP) per edit. It reads no replies, so it only
  sends edits the model says are valid; krd applies packets in the order they arrive (compiles
  included), so their end state is known, and the final dump checks it;
- `udp`, `tcp`: raw OSC (tests/oscclient.py, python-osc), single messages and bundles, every
  request with an int64 id, the reply matched by it;
- `slow`: a notification subscriber over TCP that reads a few hundred bytes at a time and sleeps
  in between. krd may cut it off (allowed; reported). At the end it drains its connection and
  checks that the `seq` of `/kr/notify/state` has no gap and counts every change acknowledged.

Every edit is random and valid: create or redefine a node from a small set of cheap FAUST
programs (a source stays a source, an effect an effect), set or fade a control (a few values out
of range, which krd clamps), play or hush mini-notation on a node or a control, route or unroute
between the client's own nodes (a cycle is refused, as it should be), mute, unmute, free; and now
and then a read of one node (`/kr/node/info`), compared with the model at once. Each client keeps
a model of its nodes (`Model`, the engine's semantics), predicts every reply and applies what krd
acknowledged. A reply that differs from the prediction is a "surprise".

Meanwhile `/kr/status` is probed every 200 ms from a socket of its own (answered within 0.5 s,
always), krd's VmRSS is sampled every second, and a JACK client on `<krd>:master/out_1` keeps
running sums only (bounded memory for any length of run) and checks every 2 s that there was
sound: a node of the harness's own (`soak/anchor`) plays a pattern throughout. `--wav FILE` also
has krd record its master for the whole run, analysed second by second at the end.

At the end: the dump equals the union of the models (nodes with source, count, gain, mute,
meta, every control value; routes with levels; patterns), and again after `/kr/hush`; krd still
answers and exits cleanly. The summary says which krd ran (KR_KRD, else target/release/krd when
built, else target/debug/krd)."""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import re
import select
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from oscclient import Tcp, Udp, bundle, message, parse

import kr
from kr import engine

ROOT = Path(__file__).resolve().parent.parent
PROBE_LIMIT_S = 0.5
"""The liveness probe's documented bound: `/kr/status` answers within this, always."""
REQUEST_TIMEOUT_S = 30.0
TOP = "soak"
"""Every node of the soak is under this group: `soak/<client>/n<i>`, and `soak/anchor`."""
ANCHOR = f"{TOP}/anchor"
ANCHOR_PATTERN = "c4 e4 g4 e4"
SILENCE_RMS = 1e-3
LOAD_PEAK_LIMIT = 0.8
"""krd's longest callback, as a share of the JACK period, must stay below this (1.0: an xrun of
its own making)."""


def f32(x: float) -> float:
    """`x` as the 32-bit float krd keeps (values, gains, levels are f32 in the engine)."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


# --- the programs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    name: str
    init: float
    lo: float
    hi: float
    patterns: tuple[str, ...] = ()  # mini-notation for a pattern on this control

    def clamp(self, v: float) -> float:
        return min(max(f32(v), f32(self.lo)), f32(self.hi))


@dataclass(frozen=True)
class Program:
    """A cheap FAUST program: one factory in krd, so compiles after the first are cache hits."""

    name: str
    source: str
    inputs: int
    controls: tuple[Control, ...]

    def control(self, name: str) -> Control | None:
        return next((c for c in self.controls if c.name == name), None)


FREQ_PATTERNS = ("110 220 330", "<220 440> 330", "200 ~ 300")
CUTOFF_PATTERNS = ("400 800 1600 3200", "<500 2000>")
PROGRAMS: dict[str, Program] = {
    p.name: p
    for p in [
        Program(
            "tone",
            'import("stdfaust.lib"); freq = hslider("freq", 220, 20, 2000, 0.01); '
            'gate = button("gate"); process = os.osc(freq) * en.ar(0.002, 0.2, gate) * 0.2;',
            0,
            (Control("freq", 220, 20, 2000, FREQ_PATTERNS), Control("gate", 0, 0, 1)),
        ),
        Program(
            "saw",
            'import("stdfaust.lib"); freq = hslider("freq", 110, 20, 2000, 0.01); '
            'cutoff = hslider("cutoff", 1200, 50, 8000, 1); gate = button("gate"); '
            "process = os.sawtooth(freq) : fi.lowpass(2, cutoff) "
            ": *(en.ar(0.005, 0.3, gate) * 0.1);",
            0,
            (
                Control("freq", 110, 20, 2000, FREQ_PATTERNS),
                Control("cutoff", 1200, 50, 8000, CUTOFF_PATTERNS),
                Control("gate", 0, 0, 1),
            ),
        ),
        Program(
            "drone",
            'import("stdfaust.lib"); freq = hslider("freq", 110, 20, 2000, 0.01); '
            'level = hslider("level", 0.05, 0, 0.2, 0.001); process = os.osc(freq) * level;',
            0,
            (
                Control("freq", 110, 20, 2000, FREQ_PATTERNS),
                Control("level", 0.05, 0, 0.2, ("0.02 0.05 0.1", "<0.01 0.1>")),
            ),
        ),
        Program(
            "amp",
            'mix = hslider("mix", 0.5, 0, 1, 0.01); process = _ * mix;',
            1,
            (Control("mix", 0.5, 0, 1, ("0 0.5 1", "<0.25 0.75>")),),
        ),
        Program(
            "lpf",
            'import("stdfaust.lib"); cutoff = hslider("cutoff", 2000, 50, 8000, 1); '
            "process = fi.lowpass(2, cutoff);",
            1,
            (Control("cutoff", 2000, 50, 8000, CUTOFF_PATTERNS),),
        ),
    ]
}
SOURCES = ("tone", "saw", "drone")
EFFECTS = ("amp", "lpf")
GAIN = Control("gain", 1, 0, 16, ("0.2 0.5", "<0.3 0.6 0.9>"))
NOTE_PATTERNS = ("c4 e4 g4", "a3 ~ c4 e4", "<c4 d4> [e4 g4]", "c3*4", "a2 [e3 a3]")


# --- edits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One request. `target` is the node (new, mute, free, info, route's source) or the path."""

    kind: str  # new set fade play hush route unroute mute unmute free info
    target: str
    program: str = ""
    count: int = 1
    value: float = 0.0  # set's value, fade's target, new's gain, route's level
    cycles: float = 0.0
    pattern: str = ""
    from_zero: bool = False
    to: str = ""
    meta: str = ""
    double: bool = False  # numbers as OSC doubles (`d`): krd takes i, f and d

    def osc(self) -> tuple[str, list[tuple[str, Any]]]:
        """The OSC address and arguments as (type tag, value), without the request id."""
        num = "d" if self.double else "f"
        t = self.target
        if self.kind == "new":
            src = PROGRAMS[self.program].source
            args = [("s", t), ("s", src), ("i", self.count), (num, self.value), ("s", self.meta)]
            return "/kr/node/new", args
        if self.kind == "set":
            return "/kr/set", [("s", t), (num, self.value)]
        if self.kind == "fade":
            return "/kr/fade", [("s", t), (num, self.value), (num, self.cycles)]
        if self.kind == "play":
            return "/kr/play", [("s", t), ("s", self.pattern), ("i", int(self.from_zero))]
        if self.kind == "route":
            return "/kr/route", [("s", t), ("s", self.to), (num, self.value)]
        if self.kind == "unroute":
            return "/kr/unroute", [("s", t), ("s", self.to)]
        address = {
            "hush": "/kr/hush",
            "mute": "/kr/mute",
            "unmute": "/kr/unmute",
            "free": "/kr/node/free",
            "info": "/kr/node/info",
        }[self.kind]
        return address, [("s", t)]

    def __str__(self) -> str:
        address, args = self.osc()
        shown = [repr(v) for _, v in args]
        if self.kind == "new":
            shown[1] = f"<{self.program}>"
        return f"{address} {' '.join(shown)}"


@dataclass
class NodeState:
    program: str
    count: int
    gain: float
    muted: bool
    meta: str
    values: dict[str, float]


class Model:
    """What krd holds for some nodes, by its documented semantics (and host/src/session): every
    edit is `step`ped here, which applies it and returns None, or returns why krd refuses it."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeState] = {}
        self.routes: dict[tuple[str, str], float] = {}
        self.patterns: dict[str, tuple[str, bool]] = {}  # target -> (mini-notation, from_zero)

    def copy(self) -> Model:
        return copy.deepcopy(self)

    def merge(self, other: Model) -> None:
        self.nodes.update(copy.deepcopy(other.nodes))
        self.routes.update(other.routes)
        self.patterns.update(other.patterns)

    def targets_of(self, name: str) -> list[str]:
        """Patterns on `name` or under `name/` (krd's `Scheduler::targets_of`)."""
        return [t for t in self.patterns if t == name or t.startswith(name + "/")]

    def value_path(self, path: str) -> tuple[NodeState, Control] | str:
        node, _, ctl = path.rpartition("/")
        if node not in self.nodes:
            return f"no node named '{node or path}'"
        n = self.nodes[node]
        c = PROGRAMS[n.program].control(ctl)
        if c is not None:
            return n, c
        if ctl == "gain":
            return n, GAIN
        return f"no control '{ctl}'"

    def _path_between(self, a: str, b: str) -> bool:
        seen, stack = {a}, [a]
        while stack:
            x = stack.pop()
            if x == b:
                return True
            for f, t in self.routes:
                if f == x and t not in seen:
                    seen.add(t)
                    stack.append(t)
        return False

    def step(self, op: Op) -> str | None:
        k, t = op.kind, op.target
        if k == "new":
            prog = PROGRAMS[op.program]
            old = self.nodes.get(t)
            if old is None:
                values = {c.name: f32(c.init) for c in prog.controls}
                self.nodes[t] = NodeState(
                    op.program, op.count, f32(op.value), False, op.meta, values
                )
                return None
            # A redefinition keeps the fader and the mute, and the values of controls present
            # in both programs; a pattern on a control that is gone stops.
            old.values = {
                c.name: c.clamp(old.values[c.name]) if c.name in old.values else f32(c.init)
                for c in prog.controls
            }
            old.program, old.count, old.meta = op.program, op.count, op.meta
            for target in self.targets_of(t):
                ctl = target[len(t) + 1 :]
                if target != t and ctl != "gain" and prog.control(ctl) is None:
                    del self.patterns[target]
            return None
        if k in ("set", "fade"):
            vp = self.value_path(t)
            if isinstance(vp, str):
                return vp
            n, c = vp
            if c is GAIN:
                n.gain = c.clamp(op.value)
            else:
                n.values[c.name] = c.clamp(op.value)
            self.patterns.pop(t, None)  # a value set or faded is no longer a pattern's
            return None
        if k == "play":
            if t not in self.nodes:
                vp = self.value_path(t)
                if isinstance(vp, str):
                    return vp
            self.patterns[t] = (op.pattern, op.from_zero)
            return None
        if k == "hush":
            stopped = [t] if t in self.patterns else self.targets_of(t)
            if not stopped:
                return f"nothing is playing on '{t}'"
            for s in stopped:
                del self.patterns[s]
            return None
        if k == "route":
            for name in (t, op.to):
                if name not in self.nodes:
                    return f"no node named '{name}'"
            if PROGRAMS[self.nodes[op.to].program].inputs == 0:
                return f"'{op.to}' has no audio inputs"
            if self._path_between(op.to, t):
                return f"cycle {t} → {op.to}"
            self.routes[(t, op.to)] = f32(op.value)
            return None
        if k == "unroute":
            if self.routes.pop((t, op.to), None) is None:
                return f"no route {t} → {op.to}"
            return None
        if k in ("mute", "unmute"):
            members = [n for n in self.nodes if n == t or n.startswith(t + "/")]
            if not members:
                return f"no node named '{t}'"
            for m in members:
                self.nodes[m].muted = k == "mute"
            return None
        if k == "free":
            if t not in self.nodes:
                return f"no node named '{t}'"
            del self.nodes[t]
            self.routes = {r: lv for r, lv in self.routes.items() if t not in r}
            for target in self.targets_of(t):
                del self.patterns[target]
            return None
        if k == "info":
            return None if t in self.nodes else f"no node named '{t}'"
        raise ValueError(f"unknown edit {k}")


def node_differences(name: str, got: dict[str, Any], want: NodeState) -> list[str]:
    """How krd's description of a node (`/kr/dump` or `/kr/node/info`) differs from the model."""
    prog = PROGRAMS[want.program]
    out = []
    expect: dict[str, Any] = {
        "source": prog.source,
        "count": want.count,
        "gain": want.gain,
        "muted": want.muted,
        "soloed": False,
        "meta": want.meta,
        "inputs": prog.inputs,
        "outputs": 1,
    }
    for key, value in expect.items():
        if got.get(key) != value:
            shown = f"<{prog.name}>" if key == "source" else repr(value)
            out.append(f"{name}: {key} is {got.get(key)!r:.60}, the model says {shown}")
    controls = {c["name"]: c for c in got.get("controls", [])}
    if set(controls) != set(want.values):
        out.append(f"{name}: controls {sorted(controls)}, the model says {sorted(want.values)}")
    for cname, value in want.values.items():
        c = controls.get(cname)
        spec = prog.control(cname)
        if c is None or spec is None:
            continue
        if c["value"] != value:
            out.append(f"{name}/{cname} = {c['value']!r}, the model says {value!r}")
        ranges = (c["min"], c["max"], c["init"])
        if ranges != (f32(spec.lo), f32(spec.hi), f32(spec.init)):
            out.append(f"{name}/{cname}: range {ranges} differs from the program's")
    return out


def mini_ir(src: str) -> dict[str, Any]:
    return {"v": 1, "p": {"op": "mini", "src": src}}


def dump_differences(dump: dict[str, Any], want: Model, only: str = TOP) -> list[str]:
    """Differences between krd's dump and the model, for nodes, routes and patterns under
    `only/` (every node of the soak; a krd the soak started has nothing else)."""
    mine = only + "/"
    out = []
    got_nodes = {n["name"]: n for n in dump["nodes"] if n["name"].startswith(mine)}
    for name in sorted(set(got_nodes) - set(want.nodes)):
        out.append(f"{name}: in the dump, not in the model")
    for name in sorted(set(want.nodes) - set(got_nodes)):
        out.append(f"{name}: in the model, not in the dump")
    for name in sorted(set(got_nodes) & set(want.nodes)):
        out += node_differences(name, got_nodes[name], want.nodes[name])
    got_routes = {
        (r["from"], r["to"]): r["level"]
        for r in dump["routes"]
        if r["from"].startswith(mine) or r["to"].startswith(mine)
    }
    if got_routes != want.routes:
        extra = {k: v for k, v in got_routes.items() if want.routes.get(k) != v}
        missing = {k: v for k, v in want.routes.items() if got_routes.get(k) != v}
        out.append(f"routes: the dump has {extra} where the model has {missing}")
    got_patterns = {
        p["target"]: (p["pattern"], p["from_zero"])
        for p in dump["patterns"]
        if p["target"].startswith(mine)
    }
    want_patterns = {t: (mini_ir(src), fz) for t, (src, fz) in want.patterns.items()}
    if got_patterns != want_patterns:
        extra = {k: v for k, v in got_patterns.items() if want_patterns.get(k) != v}
        missing = {k: v for k, v in want_patterns.items() if got_patterns.get(k) != v}
        out.append(f"patterns: the dump has {extra} where the model has {missing}")
    return out


class Chooser:
    """Random valid edits of one client's nodes: `sources` source slots and `effects` effect
    slots (a slot keeps its kind, so a redefinition never turns an effect into a source)."""

    # How often each kind of edit is chosen (of a node that exists; a missing node is created).
    weights: dict[str, float] = {
        "new": 1.0,
        "set": 6.0,
        "fade": 3.0,
        "play": 4.0,
        "hush": 2.0,
        "route": 2.0,
        "unroute": 1.5,
        "mute": 2.0,
        "free": 0.4,
        "info": 0.5,
    }

    def __init__(self, prefix: str, rng: random.Random, sources: int = 3, effects: int = 2) -> None:
        self.rng = rng
        self.sources = [f"{prefix}/n{i}" for i in range(sources)]
        self.effects = [f"{prefix}/n{sources + i}" for i in range(effects)]
        self.names = self.sources + self.effects

    def value(self, c: Control, out_of_range: bool = True) -> float:
        r = self.rng
        if out_of_range and r.random() < 0.05:  # clamped by krd (a fader only to 0, not 16)
            return f32(c.hi + (c.hi - c.lo) * 0.5) if c is not GAIN and r.random() < 0.5 else -1.0
        hi = min(c.hi, 1.0) if c is GAIN else c.hi  # a fader within reason
        return f32(round(r.uniform(c.lo, hi), 3))

    def new(self, name: str, m: Model, meta: bool) -> Op:
        r = self.rng
        progs = SOURCES if name in self.sources else EFFECTS
        old = m.nodes.get(name)
        # A redefinition passes the node's own gain: the fader stays as it is either way.
        gain = old.gain if old else f32(round(r.uniform(0.2, 1.0), 3))
        text = f"{name} v{r.randrange(1000)}" if meta and r.random() < 0.5 else ""
        return Op(
            "new",
            name,
            program=r.choice(progs),
            count=r.choice((1, 1, 2)),
            value=gain,
            meta=text,
            double=r.random() < 0.2,
        )

    def edit(self, m: Model, meta: bool = True, reads: bool = True) -> Op:
        r = self.rng
        present = [n for n in self.names if n in m.nodes]
        missing = [n for n in self.names if n not in m.nodes]
        if missing and (not present or r.random() < 0.3):
            return self.new(r.choice(missing), m, meta)
        name = r.choice(present)
        n = m.nodes[name]
        prog = PROGRAMS[n.program]
        controls = [c for c in prog.controls if c.name != "gate"] + [GAIN]
        weights = {k: w for k, w in self.weights.items() if reads or k != "info"}
        kind = r.choices(list(weights), list(weights.values()))[0]
        double = r.random() < 0.2
        if kind == "new":
            return self.new(name, m, meta)
        if kind in ("set", "fade"):
            c = r.choice(controls)
            cycles = round(r.uniform(0.25, 4), 2) if kind == "fade" else 0.0
            return Op(kind, f"{name}/{c.name}", value=self.value(c), cycles=cycles, double=double)
        if kind == "play":
            fz = r.random() < 0.2
            if prog.inputs == 0 and r.random() < 0.5:
                return Op("play", name, pattern=r.choice(NOTE_PATTERNS), from_zero=fz)
            c = r.choice([c for c in controls if c.patterns])
            return Op("play", f"{name}/{c.name}", pattern=r.choice(c.patterns), from_zero=fz)
        if kind == "hush":
            playing = m.targets_of(name)
            # Mostly what plays; sometimes the node as a group, or nothing (a valid refusal).
            choices = playing + [name] + [f"{name}/{controls[0].name}"]
            return Op("hush", r.choice(choices))
        if kind in ("route", "unroute"):
            routes = [x for x in m.routes if x[0] in self.names]
            if kind == "unroute" and routes and r.random() < 0.85:
                f, t = r.choice(routes)
                return Op("unroute", f, to=t)
            effects = [e for e in self.effects if e in m.nodes]
            if not effects:
                return Op("mute" if r.random() < 0.5 else "unmute", name)
            return Op(
                kind,
                name,
                to=r.choice(effects),
                value=f32(round(r.uniform(0, 1), 3)),
                double=double,
            )
        if kind == "mute":
            return Op("unmute" if n.muted else "mute", name)
        if kind == "free":
            return Op("free", name)
        return Op("info", name)


# --- clients -----------------------------------------------------------------------------------


class Lost(Exception):
    """A request whose outcome is unknown: no answer in time, or the connection broke."""


@dataclass
class Result:
    ok: bool
    message: str
    extra: list[Any] = field(default_factory=list)


def reason(message: str) -> str:
    """A failure message without its names and numbers, to count failures by kind."""
    text = re.sub(r"'[^']*'", "'…'", message)
    text = re.sub(r"\S*/n\d+\S*", "…", text)
    return re.sub(r"\d+(\.\d+)?", "N", text)[:90]


class EditClient(threading.Thread, ABC):
    """A thread making random valid edits of its own nodes until `stop` is set."""

    name_prefix = ""
    batches = True  # some edits go as one atomic bundle
    reads = True  # some /kr/node/info reads, compared with the model
    predicts_only = False  # reads no replies: sends only what the model says is valid
    free_in_bundles = True  # a bundle may free a node (and create it again)

    def __init__(self, port: int, stop: threading.Event, seed: int, rate: float) -> None:
        super().__init__(name=f"soak-{self.name_prefix}", daemon=True)
        self.port = port
        self.stop_event = stop
        self.rng = random.Random(seed)
        self.rate = rate
        self.chooser = Chooser(f"{TOP}/{self.name_prefix}", self.rng)
        self.model = Model()
        self.requests = 0  # OSC messages sent
        self.packets = 0
        self.acked = 0  # /kr/done received (or, for oscsend, predicted)
        self.changes = 0  # of which changed the session (each is one /kr/notify/state)
        self.failed: Counter[str] = Counter()  # /kr/fail, by reason
        self.kinds: Counter[str] = Counter()
        self.bundles = 0
        self.reads_checked = 0
        self.surprises: list[str] = []
        self.history: deque[str] = deque(maxlen=6)  # the last packets, and what came of them
        self.before_first_surprise: list[str] = []
        self.lost: list[str] = []
        self.error: str | None = None

    # A subclass sends ops (one, or several as one bundle) and returns one Result per op.
    @abstractmethod
    def execute(self, ops: list[Op]) -> list[Result]: ...

    def close(self) -> None:
        pass

    def surprise(self, text: str) -> None:
        if not self.surprises:  # the first: with what came just before it
            self.before_first_surprise = list(self.history)[:-1]
        if len(self.surprises) < 50:
            self.surprises.append(text)

    def pick(self) -> list[Op]:
        if self.batches and self.rng.random() < 0.08:
            trial = self.model.copy()
            ops: list[Op] = []
            for _ in range(self.rng.randint(2, 4)):
                op = self.chooser.edit(trial, meta=self.name_prefix != "py", reads=False)
                if op.kind == "free" and not self.free_in_bundles:
                    break
                trial.step(op)
                ops.append(op)
            return ops
        meta = self.name_prefix != "py"  # the kr library sends its own meta ("" here)
        while True:
            op = self.chooser.edit(self.model, meta=meta, reads=self.reads)
            if not self.predicts_only or self.model.copy().step(op) is None:
                return [op]

    def one_round(self) -> None:
        ops = self.pick()
        trial = self.model.copy()
        why = None
        for op in ops:
            why = trial.step(op)
            if why is not None:
                break
        self.requests += len(ops)
        self.packets += 1
        self.bundles += len(ops) > 1
        for op in ops:
            self.kinds[op.kind] += 1
        results = self.execute(ops)
        what = " + ".join(str(op) for op in ops)
        refusals = [r.message for r in results if not r.ok]
        self.history.append(f"{what} -> {refusals[0] if refusals else 'done'}")
        if all(r.ok for r in results):
            self.acked += len(ops)
            self.changes += sum(op.kind != "info" for op in ops)
            if why is not None:
                self.surprise(f"{what}: krd did it; the model expected a refusal ({why})")
                return
            self.model = trial
            for op, res in zip(ops, results, strict=True):
                if op.kind == "info" and res.extra:
                    got = json.loads(res.extra[-1])
                    diffs = node_differences(op.target, got, self.model.nodes[op.target])
                    want = sorted(self.model.targets_of(op.target))
                    if sorted(got.get("patterns", [])) != want:
                        diffs.append(f"{op.target}: patterns {got.get('patterns')}, model {want}")
                    self.reads_checked += 1
                    if diffs:
                        self.surprise(f"{what}: " + "; ".join(diffs))
            return
        first = next(r for r in results if not r.ok)
        self.failed[reason(first.message)] += 1
        if why is None:
            self.surprise(f"{what}: krd refused ({first.message}); the model expected it done")

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    self.one_round()
                except Lost as e:
                    # The outcome is unknown, so the model is: this client stops editing.
                    self.lost.append(str(e))
                    return
                self.stop_event.wait(self.rng.uniform(0, 2 / self.rate))
        except Exception as e:  # reported in the summary, not lost in a thread
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.close()

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "packets": self.packets,
            "bundles": self.bundles,
            "acked": self.acked,
            "changes": self.changes,
            "failed": sum(self.failed.values()),
            "fail_reasons": dict(self.failed.most_common(8)),
            "reads_checked": self.reads_checked,
            "kinds": dict(self.kinds),
            "surprises": self.surprises,
            "before_first_surprise": self.before_first_surprise,
            "lost": self.lost,
            "error": self.error,
            "nodes_at_end": len(self.model.nodes),
        }


class PyClient(EditClient):
    """The `kr` library: its own TCP connection (kr.Session), ids and matching inside."""

    name_prefix = "py"

    def __init__(self, port: int, stop: threading.Event, seed: int, rate: float) -> None:
        super().__init__(port, stop, seed, rate)
        self.session = kr.Session(port=port)

    def call(self, op: Op) -> dict[str, Any] | None:
        s, t = self.session, op.target
        if op.kind == "new":
            s.node(t, PROGRAMS[op.program].source, gain=op.value, count=op.count)
        elif op.kind == "set":
            s.set(t, op.value)
        elif op.kind == "fade":
            s.fade(t, op.value, bars=op.cycles)
        elif op.kind == "play":
            s.play(t, op.pattern, from_zero=op.from_zero)
        elif op.kind == "hush":
            s.hush(t)
        elif op.kind == "route":
            s.route(t, op.to, op.value)
        elif op.kind == "unroute":
            s.unroute(t, op.to)
        elif op.kind == "mute":
            s.mute(t)
        elif op.kind == "unmute":
            s.unmute(t)
        elif op.kind == "free":
            s.remove(t)
        elif op.kind == "info":
            return s.node_info(t)
        return None

    def execute(self, ops: list[Op]) -> list[Result]:
        try:
            if len(ops) == 1:
                info = self.call(ops[0])
                return [Result(True, "", [json.dumps(info)] if info is not None else [])]
            with self.session.batch():
                for op in ops:
                    self.call(op)
            return [Result(True, "") for _ in ops]
        except (kr.EngineTimeout, kr.EngineUnavailable) as e:
            raise Lost(f"{ops[0]}: {e}") from None
        except kr.RequestError as e:
            return [Result(False, str(e)) for _ in ops]

    def close(self) -> None:
        self.session.close()


class RawClient(EditClient):
    """Raw OSC with python-osc over UDP or TCP: an int64 id first in every request."""

    def __init__(
        self, port: int, stop: threading.Event, seed: int, rate: float, transport: str
    ) -> None:
        self.name_prefix = transport
        super().__init__(port, stop, seed, rate)
        self.conn: Udp | Tcp = Udp(port) if transport == "udp" else Tcp(port)
        self.next_id = 1

    def execute(self, ops: list[Op]) -> list[Result]:
        ids = list(range(self.next_id, self.next_id + len(ops)))
        self.next_id += len(ops)
        msgs = []
        for rid, op in zip(ids, ops, strict=True):
            address, args = op.osc()
            msgs.append(message(address, ("h", rid), *args))
        data = msgs[0].build().dgram if len(msgs) == 1 else bundle(msgs)
        replies: dict[int, Result] = {}
        deadline = time.monotonic() + REQUEST_TIMEOUT_S
        try:
            self.conn.send(data)
            while len(replies) < len(ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                address, args = self.conn.recv(left)
                if address in ("/kr/done", "/kr/fail") and len(args) >= 3 and args[1] in ids:
                    replies[args[1]] = Result(address == "/kr/done", str(args[2]), args[3:])
        except (TimeoutError, ConnectionError, OSError) as e:
            kind = type(e).__name__
            raise Lost(f"{ops[0]}: {len(replies)} of {len(ids)} answered ({kind})") from None
        return [replies[i] for i in ids]

    def close(self) -> None:
        self.conn.close()


class OscsendClient(EditClient):
    """One `oscsend` process per edit: it reads no replies, so only edits the model says are
    valid are sent, and the model applies them as sent (krd applies packets in order of
    arrival, a compile holding back the packets after it). The final dump checks the lot."""

    name_prefix = "oscsend"
    batches = False
    reads = False
    predicts_only = True

    def execute(self, ops: list[Op]) -> list[Result]:
        (op,) = ops
        address, args = op.osc()
        types = "h" + "".join("f" if tag in "fd" else tag for tag, _ in args)
        values = [str(self.requests)] + [
            repr(float(v)) if tag in "fd" else str(v) for tag, v in args
        ]
        cmd = ["oscsend", "localhost", str(self.port), address, types, *values]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=10)
        except subprocess.TimeoutExpired:
            raise Lost(f"{op}: oscsend did not finish in 10 s") from None
        if r.returncode != 0:
            raise Lost(f"{op}: oscsend failed: {r.stderr.decode(errors='replace').strip()}")
        return [Result(True, "predicted")]


# --- watchers ----------------------------------------------------------------------------------


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def probe_status(port: int, timeout: float = 2.0) -> tuple[float, dict[str, Any] | None]:
    """One `/kr/status` from a socket of its own: (latency, status); (inf, None) unanswered."""
    u = Udp(port)
    try:
        start = time.monotonic()
        u.send(message("/kr/status").build().dgram)
        deadline = start + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                address, args = u.recv(left)
            except (TimeoutError, ConnectionRefusedError):
                break
            if address == "/kr/status.reply":
                return time.monotonic() - start, json.loads(args[0])
        return math.inf, None
    finally:
        u.close()


class Monitor(threading.Thread):
    """`/kr/status` every `interval` s (latency and counters), VmRSS every second."""

    def __init__(self, port: int, pid: int | None, interval: float = 0.2) -> None:
        super().__init__(name="soak-monitor", daemon=True)
        self.port, self.pid, self.interval = port, pid, interval
        self.stop_event = threading.Event()
        self.t0 = time.monotonic()
        self.latencies: list[float] = []
        self.slow: list[tuple[float, float]] = []  # (seconds into the run, latency) over the limit
        self.first: dict[str, Any] | None = None
        self.last: dict[str, Any] | None = None
        self.load_mean_max = 0.0
        self.rss: list[tuple[float, int]] = []  # (seconds into the run, KiB)
        self.xrun_times: list[float] = []

    def run(self) -> None:
        next_rss = 0.0
        while not self.stop_event.is_set():
            now = time.monotonic() - self.t0
            latency, status = probe_status(self.port)
            self.latencies.append(latency)
            if latency >= PROBE_LIMIT_S:
                self.slow.append((now, latency))
            if status is not None:
                if self.first is None:
                    self.first = status
                if self.last is not None and status["xruns"] > self.last["xruns"]:
                    self.xrun_times.append(now)
                self.last = status
                self.load_mean_max = max(self.load_mean_max, float(status["load_mean"]))
            if self.pid is not None and now >= next_rss:
                kib = rss_kib(self.pid)
                if kib is not None:
                    self.rss.append((now, kib))
                next_rss = now + 1.0
            self.stop_event.wait(self.interval)

    def rss_at(self, t: float) -> int | None:
        before = [kib for at, kib in self.rss if at <= t]
        return before[-1] if before else None


class SlowSubscriber(threading.Thread):
    """Subscribed over TCP, reading `chunk` bytes every `pause` s (renewing every 30 s): krd
    must go on regardless, and may cut it off. `drain()` at the end reads the rest at once."""

    def __init__(self, port: int, chunk: int = 256, pause: float = 0.5) -> None:
        super().__init__(name="soak-slow-subscriber", daemon=True)
        self.port, self.chunk, self.pause = port, chunk, pause
        # A small receive buffer, set before connecting (a buffer shrunk after the handshake
        # leaves the window below one segment, and TCP then crawls on zero-window probes).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        self.sock.connect(("127.0.0.1", port))
        self.stop_event = threading.Event()
        self.t0 = time.monotonic()
        self.buf = bytearray()
        self.bytes = 0
        self.states = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.gaps: list[tuple[int, int]] = []
        self.counts: Counter[str] = Counter()
        self.xruns_notified = 0
        self.late: list[tuple[str, float]] = []  # /kr/notify/late: (what, seconds), the first
        self.late_max = 0.0
        self.errors: list[str] = []
        self.disconnected: float | None = None  # seconds into the run
        self.renewals = 0
        self.send_frame(message("/kr/notify/subscribe", 120.0).build().dgram)
        self.subscribed = self.wait_subscribed()

    def send_frame(self, data: bytes) -> None:
        self.sock.settimeout(5)
        self.sock.sendall(struct.pack(">I", len(data)) + data)

    def wait_subscribed(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not self.read(1 << 16, 0.5):
                return False
            if self.counts["/kr/done"]:
                return True
        return False

    def read(self, n: int, wait: float) -> bool:
        """Read up to `n` bytes (waiting up to `wait` s) and take the frames; False on EOF."""
        ready, _, _ = select.select([self.sock], [], [], wait)
        if not ready:
            return True
        try:
            chunk = self.sock.recv(n)
        except (ConnectionResetError, BrokenPipeError, TimeoutError, OSError):
            chunk = b""
        if not chunk:
            if self.disconnected is None:
                self.disconnected = time.monotonic() - self.t0
            return False
        self.bytes += len(chunk)
        self.buf += chunk
        self.frames()
        return True

    def frames(self) -> None:
        at = 0
        while len(self.buf) - at >= 4:
            size = struct.unpack(">I", self.buf[at : at + 4])[0]
            if len(self.buf) - at - 4 < size:
                break
            packet = bytes(self.buf[at + 4 : at + 4 + size])
            at += 4 + size
            try:
                messages = parse(packet)
            except Exception as e:  # python-osc raises several kinds
                self.errors.append(f"unparsable frame: {e}")
                continue
            for address, args in messages:
                self.counts[address] += 1
                if address == "/kr/notify/state":
                    seq = int(args[0])
                    if self.last_seq is not None and seq != self.last_seq + 1:
                        self.gaps.append((self.last_seq, seq))
                    if self.first_seq is None:
                        self.first_seq = seq
                    self.last_seq = seq
                    self.states += 1
                elif address == "/kr/notify/xrun":
                    self.xruns_notified = int(args[0])
                elif address == "/kr/notify/late":
                    self.late_max = max(self.late_max, float(args[1]))
                    if len(self.late) < 20:
                        self.late.append((str(args[0]), round(float(args[1]), 4)))
        del self.buf[:at]

    def run(self) -> None:
        last_renew = time.monotonic()
        while not self.stop_event.is_set() and self.disconnected is None:
            if time.monotonic() - last_renew > 30:
                try:
                    self.send_frame(message("/kr/notify/subscribe", 120.0).build().dgram)
                    self.renewals += 1
                except OSError as e:
                    self.errors.append(f"renewal: {e}")
                    self.disconnected = time.monotonic() - self.t0
                    break
                last_renew = time.monotonic()
            if not self.read(self.chunk, 0.1):
                break
            self.stop_event.wait(self.pause)

    def drain(self, quiet: float = 3.0, limit: float = 120.0) -> None:
        """Stop reading slowly; read everything until nothing comes for `quiet` s."""
        self.stop_event.set()
        self.join(10)
        deadline = time.monotonic() + limit
        while self.disconnected is None and time.monotonic() < deadline:
            before = self.bytes
            if not self.read(1 << 20, quiet):
                break
            if self.bytes == before:
                break

    def close(self) -> None:
        try:
            if self.disconnected is None:
                self.send_frame(message("/kr/notify/unsubscribe").build().dgram)
        except OSError:
            pass
        self.sock.close()


class Meter:
    """A JACK client on krd's master: running sums of a window, no audio kept."""

    def __init__(self, source: str, name: str) -> None:
        import jack

        self.client = jack.Client(name, no_start_server=True)
        self.rate = self.client.samplerate
        self.inport = self.client.inports.register("in_1")
        self.source = source
        self.acc = [0.0, 0, 0.0, 0]  # sum of squares, frames, peak, blocks not finite
        self.gaps = 0
        self.blocks = 0
        self._next: int | None = None
        self.client.set_process_callback(self._process)

    def _process(self, frames: int) -> None:
        now = self.client.last_frame_time
        if self._next is not None and now != self._next:
            self.gaps += 1
        self._next = now + frames
        self.blocks += 1
        x = self.inport.get_array()
        s = float(np.dot(x, x))
        a = self.acc
        if not math.isfinite(s):
            a[3] += 1
            return
        a[0] += s
        a[1] += frames
        a[2] = max(a[2], float(np.max(np.abs(x))))

    def start(self) -> None:
        self.client.activate()
        self.client.connect(self.source, self.inport)

    def take(self) -> tuple[float, float, int, int]:
        """(RMS, peak, frames, blocks not finite) since the last call."""
        a, self.acc = self.acc, [0.0, 0, 0.0, 0]
        rms = math.sqrt(a[0] / a[1]) if a[1] else 0.0
        return rms, a[2], int(a[1]), int(a[3])

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def wav_seconds_rms(path: Path) -> list[float]:
    """Per-second RMS of a 32-bit float WAV (as krd records), read a second at a time."""
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path} is not a WAV file")
        rate = channels = 0
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise ValueError(f"{path} has no data chunk")
            tag, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if tag == b"fmt ":
                body = f.read(size)
                _, channels, rate = struct.unpack("<HHI", body[:8])
            elif tag == b"data":
                offset = f.tell()
                break
            else:
                f.seek(size + (size & 1), 1)
    frames = (path.stat().st_size - offset) // (4 * channels)
    data = np.memmap(path, dtype="<f4", mode="r", offset=offset, shape=(frames, channels))
    out = []
    for at in range(0, frames - rate + 1, rate):
        x = np.asarray(data[at : at + rate, 0], dtype=np.float64)
        out.append(float(np.sqrt(np.mean(x * x))))
    return out


# --- the run -----------------------------------------------------------------------------------


def pick_krd() -> str:
    """KR_KRD, else target/release/krd when built, else target/debug/krd."""
    if os.environ.get("KR_KRD"):
        return os.environ["KR_KRD"]
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "krd"
        if path.is_file():
            return str(path)
    return engine.find_krd()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_krd(jack_server: str | None) -> tuple[engine.Process, int]:
    """A krd (`--no-state`) on a free port, answering. A port free for UDP may be taken for TCP
    (by another program's connection): then another port."""
    for _ in range(5):
        port = free_port()
        proc = engine.start_krd(port, jack_server, ["--no-state", "--name", f"kr-soak-{port}"])
        deadline = time.monotonic() + 30
        while probe_status(port, 0.2)[1] is None:
            if not proc.alive() or time.monotonic() > deadline:
                break
        else:
            return proc, port
        proc.stop()
        if "Address already in use" not in proc.log_tail():
            raise RuntimeError(f"krd did not start on port {port}:\n{proc.log_tail()}")
    raise RuntimeError("no free port for krd in 5 tries")


def ask(conn: Udp | Tcp, address: str, *args: Any, timeout: float = 30.0) -> list[Any]:
    """Ask with an id and require `/kr/done`; its arguments."""
    rid = random.randrange(1 << 40)
    conn.send(message(address, ("h", rid), *args).build().dgram)
    deadline = time.monotonic() + timeout
    while True:
        reply, rargs = conn.recv(max(0.01, deadline - time.monotonic()))
        if reply in ("/kr/done", "/kr/fail") and len(rargs) >= 2 and rargs[1] == rid:
            if reply != "/kr/done":
                raise RuntimeError(f"{address} {args}: {rargs}")
            return rargs


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else math.nan


@dataclass
class Summary:
    seconds: float
    krd: str
    port: int
    pid: int | None
    clients: dict[str, dict[str, Any]]
    status: dict[str, Any]
    rss: dict[str, Any]
    engine: dict[str, Any]
    audio: dict[str, Any]
    subscriber: dict[str, Any]
    dump_differences: list[str]
    dump_after_hush_differences: list[str]
    alive: bool
    exit_code: int | None
    notes: list[str]

    def problems(self, rss_limit_mb: float = 50.0) -> list[str]:
        """What is wrong, by the soak's own limits (the CLI exits 1 when this is not empty)."""
        out = []
        if not self.alive:
            out.append("krd did not stay up")
        if self.exit_code not in (None, 0):
            out.append(f"krd exited with {self.exit_code}")
        st = self.status
        if st["max_ms"] >= PROBE_LIMIT_S * 1000 or st["unanswered"]:
            out.append(f"/kr/status: max {st['max_ms']:.1f} ms, {st['unanswered']} unanswered")
        for name, c in self.clients.items():
            if c["surprises"]:
                out.append(f"{name}: {len(c['surprises'])} replies not as the model predicted")
            if c["lost"] or c["error"]:
                out.append(f"{name}: {c['lost'] or c['error']}")
        if self.dump_differences or self.dump_after_hush_differences:
            out.append(
                f"the final dump differs from the model in "
                f"{len(self.dump_differences) + len(self.dump_after_hush_differences)} ways"
            )
        if self.rss.get("growth_mb") is not None and self.rss["growth_mb"] > rss_limit_mb:
            out.append(f"RSS grew {self.rss['growth_mb']:.1f} MB after warm-up (> {rss_limit_mb})")
        a = self.audio
        if a["silent_windows"] or a["nonfinite_blocks"] or a["windows"] == 0:
            out.append(
                f"audio: {a['silent_windows']} of {a['windows']} windows silent, "
                f"{a['nonfinite_blocks']} blocks not finite"
            )
        if a.get("wav_silent_seconds"):
            out.append(f"the recording has {a['wav_silent_seconds']} silent seconds")
        e = self.engine  # late_events are reported, not judged (see tests/test_soak.py)
        for key in ("dropped_events", "faulted_blocks"):
            if e.get(key):
                out.append(f"krd's own {key}: {e[key]}")
        if not e["load_peak"] < LOAD_PEAK_LIMIT:
            out.append(f"krd's callback took {e['load_peak']:.2f} of the period at its worst")
        s = self.subscriber
        if s["disconnected_s"] is None and (s["seq_gaps"] or not s["all_changes_notified"]):
            out.append(
                f"notifications: {s['seq_gaps']} seq gaps, {s['states']} of "
                f"{s['changes_expected']} changes heard (still connected)"
            )
        return out

    def text(self) -> str:
        lines = [
            f"soak: {self.seconds:.0f} s against {self.krd} (port {self.port}, pid {self.pid})",
            "clients (requests / acked / failed, by reason):",
        ]
        for name, c in self.clients.items():
            acked = "sent (no replies read)" if name == "oscsend" else f"{c['acked']} acked"
            lines.append(
                f"  {name:<8} {c['requests']:6d} requests in {c['packets']} packets "
                f"({c['bundles']} bundles), {acked}, {c['failed']} failed, "
                f"{c['reads_checked']} node reads checked, {c['nodes_at_end']} nodes at the end"
            )
            for why, n in c["fail_reasons"].items():
                lines.append(f"           {n:5d} × {why}")
            for text in c["before_first_surprise"]:
                lines.append(f"           (before it) {text}")
            for text in c["surprises"][:5]:
                lines.append(f"           SURPRISE {text}")
            for text in c["lost"] + ([c["error"]] if c["error"] else []):
                lines.append(f"           LOST {text}")
        st = self.status
        lines.append(
            f"/kr/status: {st['n']} probes, median {st['median_ms']:.2f} ms, p99 "
            f"{st['p99_ms']:.2f} ms, max {st['max_ms']:.2f} ms, {st['over_limit']} over "
            f"{PROBE_LIMIT_S * 1000:.0f} ms, {st['unanswered']} unanswered"
        )
        r = self.rss
        if r.get("start_mb") is not None:
            lines.append(
                f"RSS (MB): start {r['start_mb']:.1f}, after warm-up ({r['warm_at_s']:.0f} s) "
                f"{r['warm_mb']:.1f}, peak {r['peak_mb']:.1f}, end {r['end_mb']:.1f}; "
                f"growth after warm-up {r['growth_mb']:+.1f} (peak {r['peak_growth_mb']:+.1f}); "
                f"slope {r['slope_mb_per_h']:+.1f} MB/h"
            )
        e = self.engine
        lines.append(
            f"engine: xruns {e['xruns']} (JACK, any client), load peak {e['load_peak']:.3f} "
            f"mean max {e['load_mean_max']:.3f} of the period (krd's callback), late_events "
            f"{e['late_events']}, dropped_events {e['dropped_events']}, faulted_blocks "
            f"{e['faulted_blocks']}, late_packets {e['late_packets']}, nodes {e['nodes']}, "
            f"voices {e['voices']}"
        )
        a = self.audio
        wav = ""
        if "wav_seconds" in a:
            wav = f"; recording {a['wav']}: {a['wav_seconds']} s, {a['wav_silent_seconds']} silent"
        lines.append(
            f"audio (master/out_1): {a['windows']} windows of {a['window_s']} s, "
            f"{a['silent_windows']} silent, RMS min {a['rms_min']:.4f} median "
            f"{a['rms_median']:.4f}, peak {a['peak']:.3f}, {a['nonfinite_blocks']} blocks not "
            f"finite, meter gaps {a['meter_gaps']}{wav}"
        )
        s = self.subscriber
        cut = (
            f"cut off at {s['disconnected_s']:.1f} s"
            if s["disconnected_s"] is not None
            else "never cut off"
        )
        lines.append(
            f"slow subscriber: {cut}; read {s['bytes']} bytes, {s['states']} state "
            f"notifications (seq {s['first_seq']}..{s['last_seq']}, {s['seq_gaps']} gaps) of "
            f"{s['changes_expected']} changes acknowledged, {s['renewals']} renewals, "
            f"xruns notified {s['xruns_notified']}, late notified {s['late_notified']} "
            f"(at most {s['late_max_s'] * 1000:.1f} ms late)"
        )
        if self.dump_differences or self.dump_after_hush_differences:
            lines.append("final dump: DIFFERS from the model:")
            lines += [f"  {d}" for d in self.dump_differences[:20]]
            lines += [f"  after hush: {d}" for d in self.dump_after_hush_differences[:20]]
        else:
            lines.append("final dump: equal to the model (before and after /kr/hush)")
        lines.append(f"krd up at the end: {self.alive}; exit code {self.exit_code}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def run(
    seconds: float = 60.0,
    port: int | None = None,
    pid: int | None = None,
    jack_server: str | None = None,
    seed: int | None = None,
    rate: float = 20.0,
    wav: Path | None = None,
    window: float = 2.0,
    progress: float = 60.0,
    log: Any = print,
    free_in_bundles: bool = True,
) -> Summary:
    """Run the soak against the krd on `port` (pid `pid`, for its RSS), or one started here on
    a free port (with `--no-state`), and return its summary."""
    seed = random.randrange(1 << 30) if seed is None else seed
    notes = [f"seed {seed}"]
    jack_proc = None
    if jack_server is None:
        jack_server = os.environ.get("KR_TEST_JACK") or os.environ.get("JACK_DEFAULT_SERVER")
    if jack_server is None and not engine.jack_running():
        jack_proc, jack_server = engine.start_dummy_jack(period=1024)
        notes.append(f"started a dummy JACK server '{jack_server}'")
    if jack_server:
        os.environ["JACK_DEFAULT_SERVER"] = jack_server
    proc = None
    krd_path = "(given)"
    if port is None:
        krd_path = pick_krd()
        os.environ["KR_KRD"] = krd_path
        proc, port = start_krd(jack_server)
        pid = proc.proc.pid
    try:
        EditClient.free_in_bundles = free_in_bundles
        return _run(
            seconds, port, pid, proc, krd_path, seed, rate, wav, window, progress, log, notes
        )
    finally:
        if proc is not None:
            proc.stop()
        if jack_proc is not None:
            jack_proc.stop()


def _run(
    seconds: float,
    port: int,
    pid: int | None,
    proc: engine.Process | None,
    krd_path: str,
    seed: int,
    rate: float,
    wav: Path | None,
    window: float,
    progress: float,
    log: Any,
    notes: list[str],
) -> Summary:
    deadline = time.monotonic() + 30
    while probe_status(port, 0.2)[1] is None:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"krd exited:\n{proc.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no krd answers on port {port}")
    if pid is None:
        notes.append("no pid given: RSS not sampled")
    admin = Tcp(port)
    dump0 = json.loads(ask(admin, "/kr/dump")[3])
    client_name = dump0["client"]
    if any(n["name"] == TOP or n["name"].startswith(TOP + "/") for n in dump0["nodes"]):
        raise RuntimeError(f"krd on port {port} already has nodes under '{TOP}/'")
    others = len(dump0["nodes"])
    # The harness's own node: a pattern that plays throughout, so there is always sound.
    harness = Model()
    anchor = [
        Op("new", ANCHOR, program="tone", value=0.5),
        Op("play", ANCHOR, pattern=ANCHOR_PATTERN),
    ]
    for op in anchor:
        address, args = op.osc()
        ask(admin, address, *args)
        harness.step(op)
    if wav is not None:
        ask(admin, "/kr/record/start", str(wav.resolve()))
    admin.close()  # a connection idle for the whole run would meet osc.idle_timeout_s
    log(f"soak: {seconds:.0f} s against {krd_path} on port {port} (seed {seed})")

    monitor = Monitor(port, pid)
    monitor.start()
    meter = Meter(f"{client_name}:master/out_1", f"kr-soak-meter-{port}")
    meter.start()
    subscriber = SlowSubscriber(port)
    if not subscriber.subscribed:
        notes.append("the slow subscriber's subscription was not confirmed")
    subscriber.start()
    stop = threading.Event()
    clients: list[EditClient] = [
        PyClient(port, stop, seed + 1, rate),
        OscsendClient(port, stop, seed + 2, rate),
        RawClient(port, stop, seed + 3, rate, "udp"),
        RawClient(port, stop, seed + 4, rate, "tcp"),
    ]
    t0 = time.monotonic()
    for c in clients:
        c.start()

    windows: list[tuple[float, float]] = []  # (RMS, peak)
    nonfinite = 0
    meter.take()
    next_progress = progress
    while (elapsed := time.monotonic() - t0) < seconds:
        stop.wait(min(window, seconds - elapsed))
        rms, peak, frames, bad = meter.take()
        nonfinite += bad
        if frames >= meter.rate * window * 0.5:  # the last, short window is not judged
            windows.append((rms, peak))
        if progress and time.monotonic() - t0 >= next_progress:
            next_progress += progress
            lat = [x for x in monitor.latencies[-300:] if x != math.inf]
            rss = monitor.rss[-1][1] / 1024 if monitor.rss else math.nan
            ops = sum(c.requests for c in clients)
            log(
                f"  {time.monotonic() - t0:6.0f} s: {ops} requests, status max (last 60 s) "
                f"{max(lat, default=math.nan) * 1000:.1f} ms, RSS {rss:.1f} MB, "
                f"xruns {monitor.last['xruns'] if monitor.last else '?'}, "
                f"audio RMS {rms:.4f}"
            )
        if any(not c.is_alive() for c in clients) and not stop.is_set():
            dead = [c.name_prefix for c in clients if not c.is_alive()]
            notes.append(f"client(s) {dead} stopped early, at {time.monotonic() - t0:.0f} s")
            break
    run_seconds = time.monotonic() - t0
    stop.set()
    for c in clients:
        c.join(REQUEST_TIMEOUT_S + 10)
        if c.is_alive():
            notes.append(f"client {c.name_prefix} did not stop")
    subscriber.drain()
    changes = sum(c.changes for c in clients)

    # The final state: the dump equals the union of the models, patterns included; after a
    # hush, the same without patterns.
    admin = Tcp(port)
    expected = Model()
    expected.merge(harness)
    for c in clients:
        expected.merge(c.model)
    dump1 = json.loads(ask(admin, "/kr/dump")[3])
    diffs = dump_differences(dump1, expected)
    if proc is not None and len(dump1["nodes"]) != len(expected.nodes) + others:
        diffs.append(f"{len(dump1['nodes'])} nodes in the dump, {len(expected.nodes)} expected")
    for key, want in (
        ("tempo", dump0["tempo"]),
        ("meter", dump0["meter"]),
        ("master", dump0["master"]),
        ("scenes", dump0["scenes"]),
    ):
        if dump1[key] != want:
            diffs.append(f"{key} is {dump1[key]}, was {want} (no client changes it)")
    ask(admin, "/kr/hush")
    expected.patterns.clear()
    dump2 = json.loads(ask(admin, "/kr/dump")[3])
    diffs2 = dump_differences(dump2, expected)
    recorded: list[float] | None = None
    if wav is not None:
        ask(admin, "/kr/record/stop", str(wav.resolve()))
        recorded = wav_seconds_rms(wav)
    alive = proc.alive() if proc is not None else True
    try:
        ask(admin, "/kr/ping", timeout=5)
    except (OSError, RuntimeError) as e:
        alive = False
        notes.append(f"the last ping failed: {e}")
    admin.close()
    time.sleep(0.5)
    monitor.stop_event.set()
    monitor.join(5)
    meter.close()
    subscriber.close()
    exit_code = None
    if proc is not None:
        proc.stop()
        exit_code = proc.proc.returncode
        if exit_code != 0:
            notes.append(f"krd's log:\n{proc.log_tail()}")
        log_lines = proc.log.read_text(errors="replace").splitlines()
        worrying = [ln for ln in log_lines if re.search(r"\b(ERROR|WARN)\b", ln)]
        notes += [f"krd's log: {ln}" for ln in worrying[:10]]
        if len(worrying) > 10:
            notes.append(f"krd's log: {len(worrying) - 10} more ERROR/WARN lines in {proc.log}")

    lat = monitor.latencies
    finite = [x * 1000 for x in lat if x != math.inf]
    status = {
        "n": len(lat),
        "median_ms": statistics.median(finite) if finite else math.nan,
        "p99_ms": percentile(finite, 99),
        "max_ms": max(x * 1000 for x in lat) if lat else math.nan,
        "over_limit": len(monitor.slow),
        "unanswered": sum(1 for x in lat if x == math.inf),
        "slow": monitor.slow[:20],
    }
    rss: dict[str, Any] = {}
    if monitor.rss:
        warm_at = min(30.0, run_seconds * 0.25)
        kib = [k for _, k in monitor.rss]
        warm = monitor.rss_at(warm_at) or kib[0]
        after = [k for t, k in monitor.rss if t >= warm_at] or [kib[-1]]
        ts = np.array([t for t, _ in monitor.rss if t >= warm_at] or [0.0])
        slope = float(np.polyfit(ts, np.array(after) / 1024, 1)[0] * 3600) if len(ts) > 2 else 0.0
        rss = {
            "start_mb": kib[0] / 1024,
            "warm_at_s": warm_at,
            "warm_mb": warm / 1024,
            "peak_mb": max(kib) / 1024,
            "end_mb": kib[-1] / 1024,
            "growth_mb": (kib[-1] - warm) / 1024,
            "peak_growth_mb": (max(after) - warm) / 1024,
            "slope_mb_per_h": slope,
            "samples": len(kib),
        }
    last = monitor.last or {}
    first = monitor.first or {}
    eng = {
        "xruns": last.get("xruns", 0) - first.get("xruns", 0),
        "xrun_times_s": [round(t, 1) for t in monitor.xrun_times[:30]],
        "load_peak": float(last.get("load_peak", math.nan)),
        "load_mean_max": monitor.load_mean_max,
        "late_events": last.get("late_events"),
        "dropped_events": last.get("dropped_events"),
        "faulted_blocks": last.get("faulted_blocks"),
        "late_packets": last.get("late_packets"),
        "nodes": last.get("nodes"),
        "voices": last.get("voices"),
    }
    rms_values = [w[0] for w in windows]
    audio: dict[str, Any] = {
        "window_s": window,
        "windows": len(windows),
        "silent_windows": sum(1 for r in rms_values if r < SILENCE_RMS),
        "rms_min": min(rms_values, default=0.0),
        "rms_median": statistics.median(rms_values) if rms_values else 0.0,
        "peak": max((w[1] for w in windows), default=0.0),
        "nonfinite_blocks": nonfinite,
        "meter_gaps": meter.gaps,
    }
    if recorded is not None:
        audio["wav"] = str(wav)
        audio["wav_seconds"] = len(recorded)
        audio["wav_silent_seconds"] = sum(1 for r in recorded if r < SILENCE_RMS)
    # Every change acknowledged after the subscription is one /kr/notify/state, in seq order.
    sub = {
        "disconnected_s": subscriber.disconnected,
        "bytes": subscriber.bytes,
        "states": subscriber.states,
        "first_seq": subscriber.first_seq,
        "last_seq": subscriber.last_seq,
        "seq_gaps": len(subscriber.gaps),
        "changes_expected": changes,
        "all_changes_notified": subscriber.states == changes,
        "renewals": subscriber.renewals,
        "xruns_notified": subscriber.xruns_notified,
        "late_notified": subscriber.counts["/kr/notify/late"],
        "late_max_s": subscriber.late_max,
        "late_first": subscriber.late,
        "counts": dict(subscriber.counts),
        "errors": subscriber.errors[:5],
    }
    if subscriber.disconnected is not None:
        notes.append(
            f"the slow subscriber was cut off by krd at {subscriber.disconnected:.1f} s "
            "(allowed: it reads too slowly)"
        )
    return Summary(
        seconds=run_seconds,
        krd=krd_path,
        port=port,
        pid=pid,
        clients={c.name_prefix: c.stats() for c in clients},
        status=status,
        rss=rss,
        engine=eng,
        audio=audio,
        subscriber=sub,
        dump_differences=diffs,
        dump_after_hush_differences=diffs2,
        alive=alive,
        exit_code=exit_code,
        notes=notes,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the clients edit")
    ap.add_argument("--port", type=int, help="use the krd on this port (default: start one)")
    ap.add_argument("--pid", type=int, help="that krd's process id, for its RSS")
    ap.add_argument("--rate", type=float, default=20.0, help="edits per second per client")
    ap.add_argument("--seed", type=int, help="random seed (default: random, printed)")
    ap.add_argument("--wav", type=Path, help="have krd record its master here, and check it")
    ap.add_argument("--json", type=Path, help="write the summary here as JSON")
    ap.add_argument("--rss-limit-mb", type=float, default=50.0, help="allowed RSS growth")
    ap.add_argument(
        "--no-free-in-bundles",
        action="store_true",
        help="no bundle frees a node (a failed bundle that freed one loses it, as of this writing)",
    )
    ap.add_argument("--progress", type=float, default=60.0, help="seconds between progress lines")
    a = ap.parse_args(argv)
    summary = run(
        seconds=a.seconds,
        port=a.port,
        pid=a.pid,
        seed=a.seed,
        rate=a.rate,
        wav=a.wav,
        progress=a.progress,
        free_in_bundles=not a.no_free_in_bundles,
    )
    print(summary.text())
    if a.json:
        a.json.write_text(json.dumps(summary.__dict__, indent=1, default=str))
    problems = summary.problems(a.rss_limit_mb)
    for p in problems:
        print(f"PROBLEM: {p}")
    print("soak: OK" if not problems else f"soak: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
