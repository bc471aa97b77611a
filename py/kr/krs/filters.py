"""Filters. Cutoffs are kept within 10 Hz .. 0.45 x the sample rate, so a modulated cutoff
cannot make a filter unstable; constant cutoffs in that range are emitted as they are."""

from __future__ import annotations

from kr.krs.signal import Const, Signal, SignalLike, as_signal, call

__all__ = ["dcblock", "bandpass", "highpass", "lowpass", "onepole", "resonant", "smooth"]

_SAFE_CONST_HZ = (10.0, 9000.0)  # always inside 10 .. 0.45 * SR for SR >= 20 kHz


def cutoff_hz(value: object, where: str) -> Signal:
    """`value` kept within 10 Hz .. 0.45 * SR (a no-op for ordinary constants)."""
    c = as_signal(value, where)
    if isinstance(c, Const) and _SAFE_CONST_HZ[0] <= c.value <= _SAFE_CONST_HZ[1]:
        return c
    return call("cutoff", "max(10.0, min(", c, ", (0.45 * ma.SR)))", inline=True)


def _q(value: object, where: str) -> Signal:
    q = as_signal(value, where)
    if isinstance(q, Const):
        if q.value <= 0:
            raise ValueError(f"{where}: must be positive, got {q.value:g}")
        return q
    return call("q", "max(0.01, ", q, ")", inline=True)


def _order(order: int, where: str) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= 8:
        raise ValueError(f"{where}: must be an int in 1..8, got {order!r}")
    return order


def lowpass(sig: SignalLike, cutoff: SignalLike, order: int = 2) -> Signal:
    """Butterworth lowpass (`fi.lowpass`, 2nd order unless `order` says otherwise)."""
    x = as_signal(sig, "krs.lowpass(sig)")
    c = cutoff_hz(cutoff, "krs.lowpass(cutoff)")
    n = _order(order, "krs.lowpass(order)")
    return call("lowpass", "(", x, f" : fi.lowpass({n}, ", c, "))")


def highpass(sig: SignalLike, cutoff: SignalLike, order: int = 2) -> Signal:
    """Butterworth highpass (`fi.highpass`, 2nd order unless `order` says otherwise)."""
    x = as_signal(sig, "krs.highpass(sig)")
    c = cutoff_hz(cutoff, "krs.highpass(cutoff)")
    n = _order(order, "krs.highpass(order)")
    return call("highpass", "(", x, f" : fi.highpass({n}, ", c, "))")


def bandpass(sig: SignalLike, cutoff: SignalLike, q: SignalLike = 1.0) -> Signal:
    """2-pole state-variable bandpass (`fi.svf.bp`) around `cutoff`, gain 1 at the centre."""
    x = as_signal(sig, "krs.bandpass(sig)")
    c = cutoff_hz(cutoff, "krs.bandpass(cutoff)")
    qq = _q(q, "krs.bandpass(q)")
    return call("bandpass", "((", x, " : fi.svf.bp(", c, ", ", qq, ")) / ", qq, ")")


def resonant(sig: SignalLike, cutoff: SignalLike, q: SignalLike = 2.0) -> Signal:
    """Resonant 2-pole lowpass (`fi.svf.lp`); `q` = 0.707 is flat, higher values ring."""
    x = as_signal(sig, "krs.resonant(sig)")
    c = cutoff_hz(cutoff, "krs.resonant(cutoff)")
    qq = _q(q, "krs.resonant(q)")
    return call("resonant", "(", x, " : fi.svf.lp(", c, ", ", qq, "))")


def onepole(sig: SignalLike, cutoff: SignalLike) -> Signal:
    """One-pole lowpass, y = (1-p)x + p y' with p = exp(-2 pi cutoff / SR)."""
    x = as_signal(sig, "krs.onepole(sig)")
    c = as_signal(cutoff, "krs.onepole(cutoff)")
    if isinstance(c, Const) and c.value < 0:
        raise ValueError(f"krs.onepole(cutoff): must be >= 0, got {c.value:g}")
    if not isinstance(c, Const):
        c = call("cutoff", "max(0.0, ", c, ")", inline=True)
    return call("onepole", "(", x, " : si.smooth(exp((-2.0 * ma.PI) * ", c, " / ma.SR)))")


def dcblock(sig: SignalLike) -> Signal:
    """DC blocker (`fi.dcblocker`: a zero at DC and a pole at 0.995)."""
    return call("dcblock", "(", as_signal(sig, "krs.dcblock(sig)"), " : fi.dcblocker)")


def smooth(sig: SignalLike, seconds: SignalLike) -> Signal:
    """Exponential smoothing with time constant `seconds` (`si.smooth(ba.tau2pole(t))`)."""
    x = as_signal(sig, "krs.smooth(sig)")
    t = as_signal(seconds, "krs.smooth(seconds)")
    if isinstance(t, Const):
        if t.value < 0:
            raise ValueError(f"krs.smooth(seconds): must be >= 0, got {t.value:g}")
    else:
        t = call("seconds", "max(0.0, ", t, ")", inline=True)
    return call("smooth", "(", x, " : si.smooth(ba.tau2pole(", t, ")))")
