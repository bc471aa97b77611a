"""Envelope generators (FAUST `envelopes.lib`)."""

from __future__ import annotations

from kr.krs.signal import Signal, SignalLike, as_signal, call

__all__ = ["adsr", "ar"]


def adsr(a: SignalLike, d: SignalLike, s: SignalLike, r: SignalLike, gate: SignalLike) -> Signal:
    """ADSR envelope (`en.adsr`): attack `a`, decay `d`, release `r` in seconds, sustain
    level `s` in 0..1; the attack starts when `gate` rises above 0, the release when it is 0."""
    at = as_signal(a, "krs.adsr(a)")
    dt = as_signal(d, "krs.adsr(d)")
    sl = as_signal(s, "krs.adsr(s)")
    rt = as_signal(r, "krs.adsr(r)")
    g = as_signal(gate, "krs.adsr(gate)")
    return call("adsr", "en.adsr(", at, ", ", dt, ", ", sl, ", ", rt, ", ", g, ")")


def ar(a: SignalLike, r: SignalLike, gate: SignalLike) -> Signal:
    """Percussive attack/release envelope (`en.ar`): when `gate` rises, rise to 1 in `a`
    seconds, then fall to 0 in `r` seconds."""
    at = as_signal(a, "krs.ar(a)")
    rt = as_signal(r, "krs.ar(r)")
    g = as_signal(gate, "krs.ar(gate)")
    return call("ar", "en.ar(", at, ", ", rt, ", ", g, ")")
