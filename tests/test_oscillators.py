"""krs oscillators are band-limited: rendered by `krd render`, at most a small share of their
energy lies off their harmonics (aliasing folded back from above Nyquist, or DC), and their
harmonics have the levels of the ideal waveform (so a sine, which has no aliasing, would not
pass for a saw).

For scale (scripts/alias_vs_scsynth.py, same analysis): at 3520 Hz a naive saw has -10 dB off
its harmonics, FAUST's `os.sawtooth` -20 dB, SuperCollider's `Saw.ar` -36 dB."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from alias import alias_share_db
from test_render import render

from kr import krs

RATE = 48000
FREQS = (440.0, 1760.0, 3520.0)
# dB off the harmonics, at most (each measured 1.5-4 dB below at 3520 Hz, more below it).
LIMITS = {"saw": -40.0, "square": -40.0, "triangle": -55.0}
OSCILLATORS: dict[str, Callable[[krs.SignalLike], krs.Signal]] = {
    "saw": krs.saw,
    "square": krs.square,
    "triangle": krs.triangle,
}


def ideal_level(shape: str, k: int) -> float:
    """Amplitude of harmonic k relative to the fundamental (0 for absent ones)."""
    if shape == "saw":
        return 1.0 / k
    if k % 2 == 0:
        return 0.0
    return 1.0 / k if shape == "square" else 1.0 / k**2


def tone(shape: str, freq: float) -> np.ndarray:
    """One second of the oscillator at `freq` (after 0.1 s), rendered offline."""

    def voice() -> krs.Signal:
        return OSCILLATORS[shape](freq) * 0.25

    score = {
        "duration": 1.2,
        "commands": [
            {"at": 0, "cmd": "node_new", "name": "osc", "source": krs.faust_source(voice)}
        ],
    }
    return render(json.dumps(score))[4800 : 4800 + RATE, 0]


@pytest.mark.parametrize("shape", sorted(OSCILLATORS))
def test_oscillators_are_band_limited(shape: str) -> None:
    shares = {f: alias_share_db(tone(shape, f), f) for f in FREQS}
    worst = max(shares.values())
    assert worst <= LIMITS[shape], f"krs.{shape}: dB off the harmonics by frequency: {shares}"


@pytest.mark.parametrize("shape", sorted(OSCILLATORS))
def test_oscillators_have_the_harmonics_of_their_waveform(shape: str) -> None:
    f = 440.0
    x = tone(shape, f)
    spectrum = np.abs(np.fft.rfft(x * np.blackman(len(x))))  # 1 Hz bins: harmonic k is bin k·f
    fundamental = spectrum[int(f)]
    assert 0.2 < np.max(np.abs(x)) / 0.25 / 0.8 < 1.6, (
        "full-scale waveform (master gain 0.8, centre pan)"
    )
    for k in (2, 3, 5, 7):
        level = spectrum[int(k * f)] / fundamental
        ideal = ideal_level(shape, k)
        if ideal == 0.0:
            assert level < 0.01, (
                f"krs.{shape}: harmonic {k} should be absent, is {20 * np.log10(level):.1f} dB"
            )
        else:
            db = 20 * np.log10(level / ideal)
            assert abs(db) < 1.0, (
                f"krs.{shape}: harmonic {k} is {db:+.2f} dB off the ideal waveform's"
            )


@pytest.mark.parametrize("shape", sorted(OSCILLATORS))
def test_oscillators_stay_bounded_at_any_frequency(shape: str) -> None:
    # Their phase wraps by at most one cycle per sample: a frequency beyond the sample rate
    # (an FM index gone wild) is held just below it instead of running the phase away.
    for freq in (-150000.0, -30000.0, 47000.0, 150000.0):
        x = tone(shape, freq)
        assert np.isfinite(x).all() and np.abs(x).max() < 0.25 * 1.5, (shape, freq)
