"""kr: live-coding audio. Synths as Python functions, patterns, FAUST JIT, JACK.

`kr` is the session (the audio graph) and the pattern library; `kr.krs` is the DSP language::

    from kr import krs
    bass = kr.node("bass", acid_bass, gain=0.3)
    bass @ kr.seq("A2", "D3", None, "E2").over(2)

The module's functions act on `kr.session`, a connection to the krd at $KR_HOST:$KR_PORT
(127.0.0.1:57140), started when none answers. The engine owns all state. A krd that answers is
used with the session it holds (`kr.clear()` empties it); one kr starts starts empty, keeping the
session krd saved last as `<state file>.previous`, unless KR_RESTORE=1 asks it to restore that.
"""

from __future__ import annotations

import sys

from . import krs
from .dspfn import Dsp, dsp
from .errors import EngineTimeout, EngineUnavailable, FaustError, KrError, RequestError
from .handle import Node
from .namespace import SESSION_FUNCTIONS, KrNamespace
from .patterns import *  # noqa: F403 - the pattern constructors are kr's own namespace
from .patterns import __all__ as _pattern_names
from .patterns import iter as iter  # noqa: A004 - Strudel's top-level forms (kr.range, ...)
from .patterns import range as range  # noqa: A004
from .patterns import slice as slice  # noqa: A004
from .session import Session

session = Session()  # only its address: it connects (and starts krd) on first use

batch = session.batch
clear = session.clear
delete_scene = session.delete_scene
dump = session.dump
export = session.export
fade = session.fade
gain = session.gain
get = session.get
hush = session.hush
link = session.link
load = session.load
load_samples = session.load_samples
midi_clock = session.midi_clock
midi_follow = session.midi_follow
midi_learn = session.midi_learn
midi_map = session.midi_map
midi_maps = session.midi_maps
midi_notes = session.midi_notes
midi_out = session.midi_out
midi_unmap = session.midi_unmap
mute = session.mute
node = session.node
nodes = session.nodes
play = session.play
recall = session.recall
record = session.record
remove = session.remove
route = session.route
samples = session.samples
save = session.save
scenes = session.scenes
set = session.set  # noqa: A001 - kr.set is the seed's name
solo = session.solo
status = session.status
stop = session.stop
stop_record = session.stop_record
transition = session.transition
unmute = session.unmute
unroute = session.unroute
unsolo = session.unsolo

# `kr.tempo = 128` must reach the engine, `kr.tmepo = 1` raise, and `kr["bass"]` find a node.
# A module's own `__getattr__` (PEP 562) serves only reads of missing names: assigning to a plain
# module just stores the value (a later `kr.tempo` would read it back, stale) and a module cannot
# be subscripted. Setting the module's class, as the Python docs recommend for customizing
# attribute assignment, is the one way: KrNamespace is all of kr's module behaviour.
sys.modules[__name__].__class__ = KrNamespace

__all__ = [
    "krs",
    "KrError",
    "FaustError",
    "RequestError",
    "EngineUnavailable",
    "EngineTimeout",
    "Dsp",
    "dsp",
    "Node",
    "Session",
    "session",
    *SESSION_FUNCTIONS,
    *_pattern_names,
]
