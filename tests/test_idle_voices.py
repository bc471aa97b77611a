"""Idle voices skip compute: a voice whose gate is down and whose output stayed below -120 dB
for a whole block is not computed until its next note (config `engine.skip_idle_voices`), and
what is heard does not change.

Rendered twice, with idle voices skipped (the default) and with every voice computed every
block, a pattern with releases on an 8-voice node comes out the same (to -120 dB), while a
continuous pattern keeps moving a control of the idle voices. A voice that counts its own
samples shows that idle voices really were not computed, that a note wakes its voice at its
exact frame, and that effects (nodes with inputs) and nodes without a gate never idle."""

from __future__ import annotations

import json

import numpy as np
from test_render import render as render_score

import kr
from kr.session import pattern_ir

RATE = 48000

# The oscillator restarts its phase at each note (hs_oscsin resets when the gate rises), so a
# note's sound depends only on the note, whatever the voice computed or skipped before it.
VOICE = """import("stdfaust.lib");
freq = hslider("freq", 440, 20, 20000, 0.001);
gate = hslider("gate", 0, 0, 1, 1);
cutoff = hslider("cutoff", 2000, 100, 8000, 0.01);
process = os.hs_oscsin(freq, gate > gate') * en.adsr(0.002, 0.02, 0.7, 0.03, gate)
  : fi.lowpass(2, cutoff) : *(0.2);
"""

# The seconds of engine time the voice has computed, heard while its gate is up.
COUNTER = """import("stdfaust.lib");
gate = hslider("gate", 0, 0, 1, 1);
process = ba.time / ma.SR * gate;
"""


def render(score: dict[str, object], skip_idle: bool) -> np.ndarray:
    config = f"engine:\n  skip_idle_voices: {'true' if skip_idle else 'false'}\n"
    return render_score(json.dumps(score), config=config)


def test_skipping_idle_voices_changes_nothing_heard() -> None:
    score = {
        "duration": 6.0,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "keys", "source": VOICE, "count": 8},
            {
                "at": 0,
                "cmd": "play",
                "target": "keys",
                "pattern": pattern_ir(kr.note("c4 [e4 g4] ~ <a4 [b4 d5]>")),
            },
            # moves the idle voices' cutoff too: their next notes start where the sweep is
            {
                "at": 0,
                "cmd": "play",
                "target": "keys/cutoff",
                "pattern": pattern_ir(kr.sine(500, 4000).slow(0.75)),
            },
        ],
    }
    skipped = render(score, skip_idle=True)
    computed = render(score, skip_idle=False)
    left = computed[:, 0]
    assert np.abs(left).max() > 0.05, "the notes are heard"
    # 120 bpm, 4 beats: a cycle is 2 s, the rest on its third quarter lasts 1.0..1.5 s
    rest = left[int(1.2 * RATE) : int(1.5 * RATE)]
    assert np.abs(rest).max() < 1e-6, "the notes were released before the rest: voices idled"
    difference = np.abs(skipped.astype(np.float64) - computed.astype(np.float64)).max()
    assert difference < 1e-6, f"skipping idle voices changed the output by {difference:.2e}"


def test_idle_voices_are_not_computed_and_wake_at_their_note() -> None:
    # Two notes, 2 s apart, on a one-voice node that counts the samples it computed.
    score = {
        "duration": 3.0,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "synth", "source": COUNTER},
            {"at": 0, "cmd": "play", "target": "synth", "pattern": pattern_ir(kr.note("c4 ~"))},
        ],
    }
    computed = render(score, skip_idle=False)[:, 0]
    skipped = render(score, skip_idle=True)[:, 0]
    # 120 bpm: notes at 0 s and 2 s, each 0.5 s long (legato 0.5 of a half cycle)
    onset = 2 * RATE
    mono = np.sqrt(0.5) * 0.8  # a mono node centred on master, master gain 0.8
    assert skipped[onset - 1] == 0 and skipped[onset] != 0, "the note wakes its voice at its frame"
    # synth, skipped: it stopped counting 0.5 s (plus a block) after its first note
    counted = skipped[onset + 100] / mono
    assert 0.5 < counted < 0.51, f"the idle voice counted {counted:.3f} s, not ~0.5 s"
    assert abs(computed[onset + 100] / mono - (onset + 100) / RATE) < 1e-3, (
        "computing every voice, the counter runs on"
    )


def test_effects_never_idle() -> None:
    fx = COUNTER.replace("process = ", "process = _ * 0 + ")
    score = {
        "duration": 3.0,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "fx", "source": fx},
            {"at": 0, "cmd": "play", "target": "fx", "pattern": pattern_ir(kr.note("c4 ~"))},
        ],
    }
    skipped = render(score, skip_idle=True)[:, 0]
    mono = np.sqrt(0.5) * 0.8
    at = 2 * RATE + 100
    assert abs(skipped[at] / mono - at / RATE) < 1e-3, "an effect computes while its gate is down"


def test_a_set_control_wakes_an_idle_voice() -> None:
    # A drone that also has a gate: silent while its level is 0; setting the level is heard at
    # once, without a note.
    drone = """import("stdfaust.lib");
gate = hslider("gate", 0, 0, 1, 1);
level = hslider("level", 0, 0, 1, 0.001);
process = os.osc(330) * level * (1 + gate);
"""
    score = {
        "duration": 1.0,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "drone", "source": drone},
            {"at": 0.5, "cmd": "set", "path": "drone/level", "value": 0.5},
        ],
    }
    skipped = render(score, skip_idle=True)[:, 0]
    assert np.abs(skipped[: RATE // 2 - 64]).max() == 0
    assert np.abs(skipped[int(0.6 * RATE) :]).max() > 0.2, "the drone is heard once set"
