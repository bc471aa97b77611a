"""krs, the DSP language of kr: Python functions traced into FAUST programs.

A source is a function without parameters, an effect takes one `krs.Signal` per input; both
return a signal (or a tuple of signals for several outputs, e.g. stereo)::

    def acid_bass() -> krs.Signal:
        freq = krs.control("freq", 55.0, 20.0, 800.0)
        gate = krs.control("gate", 0.0, 0.0, 1.0)
        cutoff = krs.control("cutoff", 800.0, 100.0, 4000.0)
        env = krs.adsr(0.005, 0.15, 0.3, 0.08, gate)
        return krs.lowpass(krs.saw(freq), cutoff) * env * 0.55

    print(krs.faust_source(acid_bass))
"""

from kr.krs.controls import control, get_smoothing, set_smoothing
from kr.krs.effects import delay, echo, feedback, pan, reverb
from kr.krs.envelopes import adsr, ar
from kr.krs.errors import DspError
from kr.krs.filters import bandpass, dcblock, highpass, lowpass, onepole, resonant, smooth
from kr.krs.oscillators import (
    phasor,
    pink_noise,
    pulse,
    saw,
    sine_osc,
    square,
    triangle,
    white_noise,
)
from kr.krs.primitives import (
    abs,
    ceil,
    clip,
    cos,
    eq,
    exp,
    faust,
    floor,
    log,
    max,
    midi_to_freq,
    min,
    ne,
    pow,
    select,
    sin,
    sqrt,
    tan,
    tanh,
)
from kr.krs.signal import ControlSpec, Signal, SignalLike
from kr.krs.trace import DspDef, DspFunction, faust_source, input_count, trace

__all__ = [
    "ControlSpec",
    "DspDef",
    "DspError",
    "DspFunction",
    "Signal",
    "SignalLike",
    "abs",
    "adsr",
    "ar",
    "bandpass",
    "ceil",
    "clip",
    "control",
    "cos",
    "dcblock",
    "delay",
    "echo",
    "eq",
    "exp",
    "faust",
    "faust_source",
    "feedback",
    "floor",
    "get_smoothing",
    "highpass",
    "input_count",
    "log",
    "lowpass",
    "max",
    "midi_to_freq",
    "min",
    "ne",
    "onepole",
    "pan",
    "phasor",
    "pink_noise",
    "pow",
    "pulse",
    "resonant",
    "reverb",
    "saw",
    "select",
    "set_smoothing",
    "sin",
    "sine_osc",
    "smooth",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trace",
    "triangle",
    "white_noise",
]
