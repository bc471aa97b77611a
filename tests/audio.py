"""Small audio analysis helpers for the end-to-end tests."""

from __future__ import annotations

import numpy as np


def fundamental(x: np.ndarray, rate: int, lo: float = 40.0, hi: float = 1000.0) -> float:
    """The strongest spectral peak between lo and hi Hz (parabolic interpolation)."""
    n = 1 << int(np.ceil(np.log2(len(x) * 8)))
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = (freqs >= lo) & (freqs <= hi)
    i = int(np.argmax(np.where(band, spec, 0)))
    a, b, c = spec[i - 1], spec[i], spec[i + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float((i + shift) * rate / n)


def first_onset(x: np.ndarray, start: int, threshold: float = 1e-3) -> int | None:
    """Index of the first sample at or after `start` whose magnitude exceeds `threshold`."""
    idx = np.flatnonzero(np.abs(x[start:]) > threshold)
    return int(start + idx[0]) if len(idx) else None


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
