"""Changes that alter what is heard fade instead of clicking: rendered, the largest
sample-to-sample step right after the change is no larger than the steady signal's own.

(Freeing a playing node, solo and unsolo, route and unroute, a send's level, scene recall, voice
stealing, a voice reused in its release tail, hush.)"""

from __future__ import annotations

import json

import numpy as np
from audio import largest_step
from test_render import render

import kr
from kr.patterns import Pattern
from kr.session import pattern_ir

RATE = 48000
TONE = 'import("stdfaust.lib"); process = os.osc(330) * 0.5;'
# A level the DSP does not smooth: a jump in it is a step in the sound.
LEVEL_TONE = (
    'import("stdfaust.lib"); level = hslider("level", 0.5, 0, 1, 0.001);'
    " process = os.osc(330) * level;"
)
# A note voice whose envelope restarts from 0 at each note (FAUST's `en.adsr`).
KEYS = (
    'import("stdfaust.lib"); freq = hslider("freq", 440, 20, 20000, 0.001);'
    ' gate = hslider("gate", 0, 0, 1, 1);'
    " process = os.osc(freq) * en.adsr(0.005, 0.05, 0.8, 0.3, gate) * 0.4;"
)


def step_at(x: np.ndarray, at: int) -> float:
    """The largest step from just before frame `at` to 20 ms after it: a change's click."""
    return largest_step(x[at - 64 : at + RATE // 50])


def render_recall(score: dict[str, object], recall_at: float) -> tuple[np.ndarray, int]:
    """The left channel of `score` and the frame of its scene recall at `recall_at` s, checked
    for a click: the largest step from the recall on is no larger than the steady signal's
    before it (from 0.5 s)."""
    left = render(json.dumps(score))[:, 0]
    at = int(recall_at * RATE)
    steady = largest_step(left[RATE // 2 : at - 256])
    step = step_at(left, at)
    assert step <= 1.1 * steady, f"a click: step {step:.4f} at the recall, {steady:.4f} steady"
    return left, at


def render_keys(pattern: Pattern, seconds: float) -> np.ndarray:
    """The left channel of KEYS with two voices playing `pattern` for `seconds`."""
    score = {
        "duration": seconds,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "keys", "source": KEYS, "count": 2},
            {"at": 0, "cmd": "play", "target": "keys", "pattern": pattern_ir(pattern)},
        ],
    }
    return render(json.dumps(score))[:, 0]


def test_freeing_a_playing_node_fades_it_out() -> None:
    # Graph changes apply at the start of a 64-frame block; this one (frame 48192) finds the
    # 330 Hz tone near its peak (sin(2π · 0.32) = 0.9), where cutting it off would click.
    free_at = 48192 / RATE
    score = {
        "duration": 1.5,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "tone", "source": TONE},
            {
                "at": 0,
                "cmd": "node_new",
                "name": "other",
                "source": TONE.replace("330", "220"),
            },
            {"at": free_at, "cmd": "node_free", "name": "tone"},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    at = int(free_at * RATE)
    steady = largest_step(left[RATE // 2 : at - 256])
    after = step_at(left, at)
    assert after <= 1.1 * steady, f"a click: step {after:.4f} after the free, {steady:.4f} steady"
    # the freed node is gone (only `other` is heard), not merely turned down
    tail = left[at + RATE // 10 :]
    spectrum = np.abs(np.fft.rfft(tail * np.hanning(len(tail))))
    freqs = np.fft.rfftfreq(len(tail), 1.0 / RATE)
    assert spectrum[np.argmin(np.abs(freqs - 330))] < 1e-4 * spectrum.max()


def test_unsolo_fades_the_others_back_in() -> None:
    # Unsolo at frame 48064 finds the 220 Hz tone near its peak (sin(2π · 0.29) = 0.97).
    unsolo_at = 48064 / RATE
    score = {
        "duration": 1.5,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "a", "source": TONE},
            {
                "at": 0,
                "cmd": "node_new",
                "name": "b",
                "source": TONE.replace("330", "220"),
            },
            {"at": 0.5, "cmd": "solo", "name": "a", "on": True},
            {"at": unsolo_at, "cmd": "solo", "name": "a", "on": False},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    at = int(unsolo_at * RATE)
    steady = largest_step(left[RATE // 10 : RATE // 2 - 256])  # both heard
    solo = int(0.5 * RATE)
    soloing = step_at(left, solo)
    after = step_at(left, at)
    assert soloing <= 1.1 * steady, f"a click: step {soloing:.4f} at the solo, {steady:.4f} steady"
    assert after <= 1.1 * steady, f"a click: step {after:.4f} at the unsolo, {steady:.4f} steady"
    assert np.abs(left[at + RATE // 10 :]).max() > 0.5, "both tones are heard again"


def test_route_and_unroute_fade_the_send() -> None:
    # Both land on a block start where the 330 Hz tone is near its peak (sin(2π · 0.32) = 0.9).
    route_at, unroute_at = 48192 / RATE, 72192 / RATE
    score = {
        "duration": 2.0,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "a", "source": TONE},
            {"at": 0, "cmd": "node_new", "name": "fx", "source": "process = _;"},
            {"at": route_at, "cmd": "route", "from": "a", "to": "fx", "level": 1.0},
            {"at": unroute_at, "cmd": "unroute", "from": "a", "to": "fx"},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    routed = largest_step(left[int(route_at * RATE) + 1024 : int(unroute_at * RATE) - 256])
    assert routed > 1.8 * largest_step(left[RATE // 2 : int(route_at * RATE) - 256]), (
        "the send is heard"
    )
    for name, t in (("route", route_at), ("unroute", unroute_at)):
        at = int(t * RATE)
        step = step_at(left, at)
        assert step <= 1.1 * routed, f"a click: step {step:.4f} at the {name}, {routed:.4f} steady"


def test_redefining_a_routed_node_keeps_its_send() -> None:
    # The new definition crossfades in; its send to the effect must carry on, not restart.
    redefine_at = 48192 / RATE
    score = {
        "duration": 1.5,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "a", "source": TONE},
            {"at": 0, "cmd": "node_new", "name": "fx", "source": "process = _;"},
            {"at": 0, "cmd": "route", "from": "a", "to": "fx", "level": 1.0},
            {
                "at": redefine_at,
                "cmd": "node_new",
                "name": "a",
                "source": TONE + " // again",
            },
        ],
    }
    left = render(json.dumps(score))[:, 0]
    at = int(redefine_at * RATE)
    steady = largest_step(left[RATE // 2 : at - 256])
    # An equal-power crossfade of two sines out of phase may swell by up to √2; a send that
    # restarted from 0 would step by the whole tone.
    step = step_at(left, at)
    assert step <= 1.5 * steady, (
        f"a click: step {step:.4f} at the redefinition, {steady:.4f} steady"
    )


def test_a_send_level_change_fades() -> None:
    down_at, up_at = 48192 / RATE, 72192 / RATE
    score = {
        "duration": 2.0,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "a", "source": TONE},
            {"at": 0, "cmd": "node_new", "name": "fx", "source": "process = _;"},
            {"at": 0, "cmd": "route", "from": "a", "to": "fx", "level": 1.0},
            {"at": down_at, "cmd": "route", "from": "a", "to": "fx", "level": 0.1},
            {"at": up_at, "cmd": "route", "from": "a", "to": "fx", "level": 1.0},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    down, up = int(down_at * RATE), int(up_at * RATE)
    steady = largest_step(left[RATE // 2 : down - 256])
    assert np.abs(left[up - 4096 : up - 64]).max() < 0.7 * np.abs(left[: down - 64]).max(), (
        "the lower level is heard"
    )
    for name, at in (("lowering", down), ("raising", up)):
        step = step_at(left, at)
        assert step <= 1.1 * steady, f"a click: step {step:.4f} {name} the send ({steady:.4f})"


def test_recalling_a_scene_glides_its_controls() -> None:
    # Scene "thin" has a's unsmoothed level at 0.1 (from 0.5), a's fader at 0.5 and no b. The
    # recall lands on a block start where the 330 Hz tone is near its peak.
    recall_at = 48192 / RATE
    score = {
        "duration": 1.5,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "a", "source": LEVEL_TONE},
            {
                "at": 0,
                "cmd": "node_new",
                "name": "b",
                "source": LEVEL_TONE.replace("330", "220"),
            },
            {"at": 0, "cmd": "scene_save", "name": "both"},
            {"at": 0, "cmd": "node_free", "name": "b"},
            {"at": 0, "cmd": "set", "path": "a/level", "value": 0.1},
            {"at": 0, "cmd": "set", "path": "a/gain", "value": 0.5},
            {"at": 0, "cmd": "scene_save", "name": "thin"},
            {"at": 0, "cmd": "scene_recall", "name": "both"},
            {"at": recall_at, "cmd": "scene_recall", "name": "thin"},
        ],
    }
    left, at = render_recall(score, recall_at)
    # the scene is what is heard: a alone at level 0.1, fader 0.5 (mono: -3 dB; master 0.8)
    expected = 0.1 * 0.5 * np.sqrt(0.5) * 0.8
    assert abs(np.abs(left[at + RATE // 10 :]).max() - expected) < 0.02 * expected


def test_a_stolen_voice_fades_out_before_its_new_note() -> None:
    # Two voices, notes every 0.5 s held for 1.5 s: from the third note on, each takes the voice
    # of the oldest note still held. The steal begins 5 ms (240 frames) before the onset.
    left = render_keys(kr.note("c4 e4 g4 b4").legato(3), seconds=3.0)
    for k in (2, 3, 4):
        at = k * RATE // 2
        # the two notes held just before, against the steal and the new note's first ms
        steady = largest_step(left[at - 1200 : at - 240])
        step = largest_step(left[at - 240 : at + 48])
        assert step <= 1.1 * steady, f"a click: step {step:.4f} at steal {k}, {steady:.4f} before"
        # the new note is heard at full level (a sine at 0.4 x sustain 0.8, with the other note)
        assert np.abs(left[at + RATE // 10 : at + RATE // 5]).max() > 0.4 * 0.8 * np.sqrt(0.5) * 0.8


def test_hush_leaves_the_sound_as_it_was() -> None:
    # Stopping a pattern on a control holds the control where it is; stopping a note pattern
    # lets the notes already sounding end as they would have: nothing steps.
    base = [
        {"at": 0, "cmd": "node_new", "name": "keys", "source": KEYS, "count": 4},
        {
            "at": 0,
            "cmd": "play",
            "target": "keys",
            "pattern": pattern_ir(kr.note("c4 e4 g4 b4")),
        },
        {
            "at": 0,
            "cmd": "node_new",
            "name": "a",
            "source": LEVEL_TONE.replace("330", "110"),
        },
        {
            "at": 0,
            "cmd": "play",
            "target": "a/level",
            "pattern": pattern_ir(kr.sine(0.1, 0.6).fast(2)),
        },
    ]
    hushes = [
        {"at": 1.1, "cmd": "hush", "target": "a/level"},
        {"at": 1.3, "cmd": "hush", "target": "keys"},
    ]
    left = render(json.dumps({"duration": 2.0, "commands": base + hushes}))[:, 0]
    for h in hushes:
        at = int(float(str(h["at"])) * RATE)
        before = largest_step(left[at - 1024 : at - 64])
        step = step_at(left, at)
        assert step <= 1.1 * before, f"a click: step {step:.4f} at hush {h['target']}"
    assert np.abs(left[int(1.9 * RATE) :]).max() > 0.02, "the held level is still heard"


def test_a_voice_reused_in_its_release_tail_fades_out_first() -> None:
    # Two voices, 16 notes a cycle (0.125 s apart) held 62.5 ms: each note takes the voice of
    # the note before last, released 187.5 ms before with 0.3 s of release: its tail still
    # sounds (at about 0.38 of the sustain level) where the new gate would restart the envelope.
    left = render_keys(kr.note("[c4 e4 g4 b4 c5 e5 g5 b5]*2").legato(0.5), seconds=2.0)
    for k in range(2, 14):
        at = k * RATE // 8
        steady = largest_step(left[at - 1200 : at - 240])
        step = largest_step(left[at - 240 : at + 48])
        assert step <= 1.1 * steady, f"a click: step {step:.4f} at note {k}, {steady:.4f} before"
        # the new note is heard at full level (a sine at 0.4 x sustain 0.8 at least)
        assert np.abs(left[at + RATE // 100 : at + RATE // 20]).max() > 0.4 * 0.8


def test_recalling_a_scene_glides_every_control_of_a_node_of_many() -> None:
    # Sixteen layers of one 110 Hz tone, each at a level of its own that the DSP does not
    # smooth: the scene moves all sixteen at once (a voice has 32 slots for moving controls;
    # with 8, half of them jumped). The recall lands on a block start at the tone's peak.
    layers = " + ".join(f'hslider("l{k}", 0.05, 0, 0.1, 0.0001)' for k in range(16))
    source = f'import("stdfaust.lib"); process = os.osc(110) * ({layers});'
    recall_at = 41344 / RATE
    score = {
        "duration": 1.3,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "a", "source": source},
            {"at": 0, "cmd": "scene_save", "name": "full"},
            *({"at": 0, "cmd": "set", "path": f"a/l{k}", "value": 0.04} for k in range(16)),
            {"at": 0, "cmd": "scene_save", "name": "softer"},
            {"at": 0, "cmd": "scene_recall", "name": "full"},
            {"at": recall_at, "cmd": "scene_recall", "name": "softer"},
        ],
    }
    left, at = render_recall(score, recall_at)
    # every layer went to its scene's level: 0.8 of the sound
    before = np.abs(left[at - RATE // 10 : at]).max()
    after = np.abs(left[at + RATE // 10 :]).max()
    assert abs(after / before - 0.8) < 0.01, f"{after / before}"
