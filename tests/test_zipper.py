"""Controls swept by a pattern change smoothly: no zipper noise.

The engine sends a continuous pattern on a control as a ramp and updates the control every few
frames; a krs control adds its own smoother (except pitch controls, which the engine's ramp alone
keeps clean: an oscillator integrates its frequency). A 1 kHz sine swept through a lowpass
whose cutoff the engine ramps, and a sine whose pitch the engine ramps, keep everything above
2.5 kHz (where steps every 8 frames would put their spurs, around multiples of 6 kHz) at least
90 dB below the tone. Without the cutoff's smoother that spur is at -84 dB."""

from __future__ import annotations

import json

import numpy as np
from test_render import render

import kr
from kr import krs
from kr.session import pattern_ir

RATE = 48000
LIMIT_DB = -90.0


def swept(voice: krs.DspFunction, control: str, lo: float, hi: float) -> np.ndarray:
    """The second second of `voice` while the engine sweeps `control` from lo to hi each second."""
    score = {
        "duration": 2.5,
        "commands": [
            {"at": 0, "cmd": "tempo", "bpm": 240},  # one cycle per second
            {"at": 0, "cmd": "node_new", "name": "tone", "source": krs.faust_source(voice)},
            {
                "at": 0,
                "cmd": "play",
                "target": f"tone/{control}",
                "pattern": pattern_ir(kr.saw(lo, hi)),
            },
        ],
    }
    return render(json.dumps(score))[RATE : 2 * RATE, 0]


def highest_spur_db(x: np.ndarray, above_hz: float) -> float:
    """The strongest spectral line above `above_hz`, relative to the strongest of all, in dB
    (a Kaiser window whose sidelobes are far below the limit)."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.kaiser(len(x), 20)))
    freqs = np.fft.rfftfreq(len(x), 1.0 / RATE)
    return float(20 * np.log10(spectrum[freqs > above_hz].max() / spectrum.max()))


def test_a_cutoff_swept_by_the_engine_has_no_zipper_noise() -> None:
    def voice() -> krs.Signal:
        cutoff = krs.control("cutoff", 500.0, 100.0, 4000.0)
        return krs.lowpass(krs.sine_osc(1000.0), cutoff) * 0.5

    x = swept(voice, "cutoff", 500.0, 2000.0)
    assert np.abs(x).max() > 0.05, "the tone is heard"
    spur = highest_spur_db(x, 2500.0)
    assert spur < LIMIT_DB, f"zipper noise of the cutoff sweep at {spur:.1f} dB"


def test_a_pitch_swept_by_the_engine_has_no_zipper_noise() -> None:
    def voice() -> krs.Signal:
        return krs.sine_osc(krs.control("freq", 500.0, 20.0, 4000.0)) * 0.5

    assert "si.smooth" not in krs.faust_source(voice), (
        "pitch controls are raw: the engine ramps them"
    )
    x = swept(voice, "freq", 500.0, 1000.0)
    assert np.abs(x).max() > 0.05, "the tone is heard"
    spur = highest_spur_db(x, 2500.0)
    assert spur < LIMIT_DB, f"zipper noise of the pitch sweep at {spur:.1f} dB"
