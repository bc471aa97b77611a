"""Changes that alter what is heard fade instead of clicking: rendered, the largest
sample-to-sample step right after the change is no larger than the steady signal's own.

(Freeing a playing node, solo and unsolo, route and unroute.)"""

from __future__ import annotations

import json

import numpy as np
from test_render import render

RATE = 48000
TONE = 'import("stdfaust.lib"); process = os.osc(330) * 0.5;'


def largest_step(x: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(x.astype(np.float64)))))


def test_freeing_a_playing_node_fades_it_out() -> None:
    # Graph changes apply at the start of a 64-frame block; this one (frame 48192) finds the
    # 330 Hz tone near its peak (sin(2π · 0.32) = 0.9), where cutting it off would click.
    free_at = 48192 / RATE
    score = {
        "duration": 1.5,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "tone", "source": TONE},
            {"at": 0, "cmd": "node_new", "name": "other", "source": TONE.replace("330", "220")},
            {"at": free_at, "cmd": "node_free", "name": "tone"},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    at = int(free_at * RATE)
    steady = largest_step(left[RATE // 2 : at - 256])
    after = largest_step(left[at - 64 : at + RATE // 50])
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
            {"at": 0, "cmd": "node_new", "name": "b", "source": TONE.replace("330", "220")},
            {"at": 0.5, "cmd": "solo", "name": "a", "on": True},
            {"at": unsolo_at, "cmd": "solo", "name": "a", "on": False},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    at = int(unsolo_at * RATE)
    steady = largest_step(left[RATE // 10 : RATE // 2 - 256])  # both heard
    solo = int(0.5 * RATE)
    soloing = largest_step(left[solo - 64 : solo + RATE // 50])
    after = largest_step(left[at - 64 : at + RATE // 50])
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
        step = largest_step(left[at - 64 : at + RATE // 50])
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
            {"at": redefine_at, "cmd": "node_new", "name": "a", "source": TONE + " // again"},
        ],
    }
    left = render(json.dumps(score))[:, 0]
    at = int(redefine_at * RATE)
    steady = largest_step(left[RATE // 2 : at - 256])
    # An equal-power crossfade of two sines out of phase may swell by up to √2; a send that
    # restarted from 0 would step by the whole tone.
    step = largest_step(left[at - 64 : at + RATE // 50])
    assert step <= 1.5 * steady, (
        f"a click: step {step:.4f} at the redefinition, {steady:.4f} steady"
    )
