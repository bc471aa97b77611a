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


def partial_centre(x: np.ndarray, rate: int, lo: float, hi: float) -> float:
    """The power-weighted mean frequency between lo and hi Hz: the centre of a cluster of
    detuned partials (a supersaw's seven saws), where the strongest peak alone lands anywhere in
    the cluster, depending on the partials' phases when the note starts."""
    n = 1 << int(np.ceil(np.log2(len(x) * 8)))
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)), n)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = (freqs >= lo) & (freqs <= hi)
    return float((power[band] * freqs[band]).sum() / power[band].sum())


def first_onset(x: np.ndarray, start: int, threshold: float = 1e-3) -> int | None:
    """Index of the first sample at or after `start` whose magnitude exceeds `threshold`."""
    idx = np.flatnonzero(np.abs(x[start:]) > threshold)
    return int(start + idx[0]) if len(idx) else None


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def read_wav(path: str) -> tuple[int, np.ndarray]:
    """Read a 32-bit float WAV (as krd writes them): sample rate and (frames, channels) array."""
    import struct

    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file"
    pos, rate, channels, samples = 12, 0, 0, None
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        if tag == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            assert bits == 32, f"{bits}-bit samples"
        elif tag == b"data":
            samples = np.frombuffer(body, dtype="<f4")
        pos += 8 + size + (size & 1)
    assert samples is not None and channels > 0
    return rate, samples.reshape(-1, channels)


def largest_step(x: np.ndarray) -> float:
    """The largest sample-to-sample step: a click shows as one larger than the signal's own."""
    return float(np.max(np.abs(np.diff(x.astype(np.float64)))))


def zero_crossing_hz(x: np.ndarray, rate: float) -> float:
    """Frequency from upward zero crossings (good enough for one plain tone)."""
    ups = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    return float((len(ups) - 1) * rate / (ups[-1] - ups[0]))
