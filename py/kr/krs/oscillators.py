"""Oscillators and noise. `saw`, `square`, `pulse` and `triangle` are band-limited."""

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


# The band-limited oscillators are naive waveforms of a phase `t` (0..1, `dt` per sample) whose
# edges are corrected by polynomial residuals (PolyBLEP for jumps, PolyBLAMP for corners) of an
# order-5 B-spline, 3 samples each side of the edge: the waveform becomes the ideal one convolved
# with that kernel, so what would fold back from above Nyquist is suppressed (a 3520 Hz saw at
# 48 kHz keeps -42 dB of its energy off its harmonics, SuperCollider's `Saw` -36 dB, FAUST's
# `os.sawtooth` -14 dB) at the price of a gentle top-octave roll-off (-4 dB at 10 kHz).
# The residuals are the kernel's integral (and double integral) written as truncated powers,
# even/odd about the edge, so each costs a dozen multiplies and no table or branch.
# `near(e)`: signed distance from `t` to the nearest instance of the edge at phase `e`, in samples.
LIBRARY = "kr_osc"
"""Name of the FAUST environment below; a program that uses it gets it at its end."""

LIBRARY_SOURCE = """kr_osc = environment {
  edges(F) = environment {
    // The phase of os.lf_sawpos, x - floor(x) of x = prev + inc, with the floor written as
    // selects: no floor, which libfaust's JIT code calls as a function (17 % of a saw voice's
    // cost), and the wrap picked from x - 1, x and x + 1 computed beside each other, so the
    // recursion's chain from one sample to the next is an add and two selects (a quarter
    // less CPU for a saw voice than the same floor as compares and sums). |F| stays below SR,
    // so the phase wraps by 1 at most.
    t = step ~ _ with {
      inc = max(-0.999, min(F / ma.SR, 0.999));
      step(prev) = select2(x >= 1.0, select2(x < 0.0, x, x + 1.0), x - 1.0)
        with { x = prev + inc; };
    };
    // floor(x) for x in (-1, 2), as compares (the rounding in near()).
    fl(x) = float(x >= 1.0) - float(x < 0.0);
    dt = max(abs(F), 0.001) / ma.SR;
    idt = 1.0 / dt;  // per block when F is a control: a multiply per sample, not a divide
    near(e) = (t - e - fl(t - e + 0.5)) * idt;
    // near(0.0) and near(0.5) with what the phase's range [0, 1] gives: fewer operations per
    // sample, the same values but where the phase is half a cycle from the edge either way,
    // which both break alike (blamp is even; blep there is 0 below SR / 6).
    near0 = (t - float(t >= 0.5)) * idt;
    near_half = (t - 0.5) * idt;
    b(u) = 3.0 - min(abs(u), 3.0);
    // Each residual is 0 beyond 3 samples of its edge, i.e. most of the time: selected as 0
    // there, which the JIT code skips the polynomial for (a quarter of a saw voice's CPU).
    blep(u) = select2(u < 0.0, 0.0 - i, i) with {
      x = b(u); p(y) = y * y * y * y * y * y;
      i = select2(x > 0.0, 0.0, spline(p, x) / 720.0);
    };
    blamp(u) = select2(x > 0.0, 0.0, spline(p, x) / 5040.0) with {
      x = b(u); p(y) = y * y * y * y * y * y * y;
    };
    spline(p, x) = p(x) - 6.0 * p(max(x - 1.0, 0.0)) + 15.0 * p(max(x - 2.0, 0.0));
  };
  saw(F) = 2.0 * e.t - 1.0 - 2.0 * e.blep(e.near0) with { e = edges(F); };
  pulse(F, W) = select2(e.t < w, -1.0, 1.0) + 2.0 * e.blep(e.near0) - 2.0 * e.blep(e.near(w))
    with { e = edges(F); w = max(0.0, min(W, 1.0)); };
  triangle(F) = 4.0 * abs(e.t - 0.5) - 1.0 - k * e.blamp(e.near0) + k * e.blamp(e.near_half)
    with { e = edges(F); k = 8.0 * e.dt; };
};"""


def saw(freq: SignalLike) -> Signal:
    """Band-limited sawtooth (PolyBLEP, order-5 B-spline), rising from -1 to 1."""
    return call("saw", f"{LIBRARY}.saw(", as_signal(freq, "krs.saw(freq)"), ")")


def square(freq: SignalLike) -> Signal:
    """Band-limited square wave (PolyBLEP, order-5 B-spline), in [-1, 1]."""
    return call("square", f"{LIBRARY}.pulse(", as_signal(freq, "krs.square(freq)"), ", 0.5)")


def triangle(freq: SignalLike) -> Signal:
    """Band-limited triangle wave (PolyBLAMP, order-5 B-spline), in [-1, 1]."""
    return call("triangle", f"{LIBRARY}.triangle(", as_signal(freq, "krs.triangle(freq)"), ")")


def pulse(freq: SignalLike, width: SignalLike = 0.5) -> Signal:
    """Band-limited pulse wave (PolyBLEP, order-5 B-spline) with duty cycle `width` in 0..1."""
    f = as_signal(freq, "krs.pulse(freq)")
    w = as_signal(width, "krs.pulse(width)")
    return call("pulse", f"{LIBRARY}.pulse(", f, ", ", w, ")")


def phasor(freq: SignalLike) -> Signal:
    """A ramp from 0 to 1, `freq` times per second (`os.lf_sawpos`), e.g. for LFOs."""
    return call("phasor", "os.lf_sawpos(", as_signal(freq, "krs.phasor(freq)"), ")")


def white_noise() -> Signal:
    """White noise in [-1, 1]. Each call is an independent (decorrelated) noise source."""
    return Noise()


def pink_noise() -> Signal:
    """Pink (1/f) noise: an independent white noise through `no.pink_filter`."""
    return call("pink_noise", "(", Noise(), " : no.pink_filter)")
