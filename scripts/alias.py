"""How much of a periodic tone's energy lies off its harmonics: the aliasing a test or a
benchmark measures on rendered audio.

One second (a Blackman-windowed FFT of `rate` samples, 1 Hz bins); the energy more than `band` Hz
away from every harmonic k × `freq`, k >= 1, as a share of all the energy, in dB. DC is off the
harmonics: an offset is a defect too (SuperCollider's `Saw.ar(3520)` scores -36 dB, mostly the
DC its leaky integrator starts with; its aliasing alone is -71 dB). A naive (not band-limited)
3520 Hz sawtooth at 48 kHz scores -10 dB.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def alias_share_db(x: npt.ArrayLike, freq: float, rate: int = 48000, band: float = 20.0) -> float:
    """Energy of `x` (its first second) outside ±`band` Hz of the harmonics of `freq`, in dB."""
    s = np.asarray(x, dtype=np.float64)[:rate]
    if len(s) < rate:
        raise ValueError(f"need one second ({rate} samples), got {len(s)}")
    power = np.abs(np.fft.rfft(s * np.blackman(rate))) ** 2
    bins = np.fft.rfftfreq(rate, 1.0 / rate)
    k = np.maximum(np.round(bins / freq), 1.0)
    off = np.abs(bins - k * freq) > band
    total = float(power.sum())
    if total == 0.0:
        raise ValueError("silence has no harmonics")
    return float(10.0 * np.log10(max(float(power[off].sum()), 1e-30) / total))
