"""Oscillators and noise. Band-limited (alias-suppressed) where FAUST's library offers it."""

from __future__ import annotations

from kr.krs.signal import Noise, Signal, SignalLike, as_signal, call

__all__ = [
    "phasor",
    "pink_noise",
    "pulse",
    "saw",
    "sine_osc",
    "square",
    "triangle",
    "white_noise",
]


def sine_osc(freq: SignalLike) -> Signal:
    """Sine oscillator (`os.osc`), in [-1, 1]."""
    return call("sine_osc", "os.osc(", as_signal(freq, "krs.sine_osc(freq)"), ")")


def saw(freq: SignalLike) -> Signal:
    """Band-limited sawtooth (`os.sawtooth`), in [-1, 1]."""
    return call("saw", "os.sawtooth(", as_signal(freq, "krs.saw(freq)"), ")")


def square(freq: SignalLike) -> Signal:
    """Band-limited square wave (`os.square`), in [-1, 1]."""
    return call("square", "os.square(", as_signal(freq, "krs.square(freq)"), ")")


def triangle(freq: SignalLike) -> Signal:
    """Band-limited triangle wave (`os.triangle`), in [-1, 1]."""
    return call("triangle", "os.triangle(", as_signal(freq, "krs.triangle(freq)"), ")")


def pulse(freq: SignalLike, width: SignalLike = 0.5) -> Signal:
    """Band-limited pulse wave (`os.pulsetrain`) with duty cycle `width` in 0..1.

    FAUST's alias-suppressed pulse clips `freq` below 23.4 Hz; for slow pulses use
    `krs.phasor(freq) < width`.
    """
    f = as_signal(freq, "krs.pulse(freq)")
    w = as_signal(width, "krs.pulse(width)")
    return call("pulse", "os.pulsetrain(", f, ", ", w, ")")


def phasor(freq: SignalLike) -> Signal:
    """A ramp from 0 to 1, `freq` times per second (`os.lf_sawpos`), e.g. for LFOs."""
    return call("phasor", "os.lf_sawpos(", as_signal(freq, "krs.phasor(freq)"), ")")


def white_noise() -> Signal:
    """White noise in [-1, 1]. Each call is an independent (decorrelated) noise source."""
    return Noise()


def pink_noise() -> Signal:
    """Pink (1/f) noise: an independent white noise through `no.pink_filter`."""
    return call("pink_noise", "(", Noise(), " : no.pink_filter)")
