"""Math functions, shaping, selection and raw FAUST."""

from __future__ import annotations

import builtins
from typing import overload

from kr.krs.signal import (
    Const,
    Expr,
    Proj,
    Signal,
    SignalLike,
    as_signal,
    binary,
    call,
    eq,
    ne,
    unary,
)

__all__ = [
    "abs",
    "ceil",
    "clip",
    "cos",
    "eq",
    "exp",
    "faust",
    "floor",
    "log",
    "max",
    "midi_to_freq",
    "min",
    "ne",
    "pow",
    "select",
    "sin",
    "sqrt",
    "tan",
    "tanh",
]


def sin(x: SignalLike) -> Signal:
    """Sine of `x` (radians)."""
    return unary("sin", x)


def cos(x: SignalLike) -> Signal:
    """Cosine of `x` (radians)."""
    return unary("cos", x)


def tan(x: SignalLike) -> Signal:
    """Tangent of `x` (radians)."""
    return unary("tan", x)


def exp(x: SignalLike) -> Signal:
    """e to the power `x`."""
    return unary("exp", x)


def log(x: SignalLike) -> Signal:
    """Natural logarithm of `x`."""
    return unary("log", x)


def sqrt(x: SignalLike) -> Signal:
    """Square root of `x`."""
    return unary("sqrt", x)


def floor(x: SignalLike) -> Signal:
    """`x` rounded down."""
    return unary("floor", x)


def ceil(x: SignalLike) -> Signal:
    """`x` rounded up."""
    return unary("ceil", x)


def abs(x: SignalLike) -> Signal:  # noqa: A001 - the DSP language's abs
    """Absolute value of `x`."""
    return unary("abs", x)


def tanh(x: SignalLike) -> Signal:
    """Hyperbolic tangent: a smooth saturator into (-1, 1)."""
    return unary("tanh", x)


def pow(x: SignalLike, y: SignalLike) -> Signal:  # noqa: A001
    """`x` to the power `y` (also `x ** y`)."""
    return binary("**", x, y)


def min(x: SignalLike, y: SignalLike) -> Signal:  # noqa: A001
    """The smaller of `x` and `y`, per sample."""
    return binary("min", x, y)


def max(x: SignalLike, y: SignalLike) -> Signal:  # noqa: A001
    """The larger of `x` and `y`, per sample."""
    return binary("max", x, y)


def clip(sig: SignalLike, lo: SignalLike = -1.0, hi: SignalLike = 1.0) -> Signal:
    """`sig` limited to `lo`..`hi` (hard clipping)."""
    x = as_signal(sig, "krs.clip(sig)")
    low = as_signal(lo, "krs.clip(lo)")
    high = as_signal(hi, "krs.clip(hi)")
    return binary("max", low, binary("min", high, x))


def midi_to_freq(note: SignalLike) -> Signal:
    """Frequency in Hz of MIDI note number `note` (69 = A4 = 440 Hz), fractional notes too."""
    n = as_signal(note, "krs.midi_to_freq(note)")
    if isinstance(n, Const):
        return Const(440.0 * 2.0 ** ((n.value - 69.0) / 12.0))
    return call("midi_to_freq", "ba.midikey2hz(", n, ")", inline=True)


def select(cond: SignalLike, a: SignalLike, b: SignalLike) -> Signal:
    """`a` where `cond` is non-zero, else `b`, per sample (both are computed)."""
    c = as_signal(cond, "krs.select(cond)")
    sa = as_signal(a, "krs.select(a)")
    sb = as_signal(b, "krs.select(b)")
    if isinstance(c, Const):
        return sa if c.value != 0 else sb
    if isinstance(c, Expr) and c.label in _COMPARISONS:  # already 0 or 1
        return call("select", "select2(", c, ", ", sb, ", ", sa, ")", inline=True)
    return call("select", "select2((", c, " != 0), ", sb, ", ", sa, ")", inline=True)


_COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne"})


@overload
def faust(code: str, *inputs: SignalLike) -> Signal: ...


@overload
def faust(code: str, *inputs: SignalLike, outputs: int) -> tuple[Signal, ...]: ...


def faust(
    code: str, *inputs: SignalLike, outputs: int | None = None
) -> Signal | tuple[Signal, ...]:
    """Raw FAUST: an expression with as many inputs as signals given (none: a source).

    `krs.faust("os.osc(440)")`, `krs.faust("fi.lowpass(3, 500)", sig)`. With `outputs=n` the
    expression has n outputs and a tuple of n signals is returned. The code is used as it is,
    in parentheses; the FAUST compiler checks it when the DSP is compiled.
    """
    if not isinstance(code, str):
        raise TypeError(f"krs.faust(code): expected a str of FAUST code, got {type(code).__name__}")
    if not code.strip():
        raise ValueError("krs.faust(code): the FAUST code is empty")
    n = 1 if outputs is None else outputs
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"krs.faust(outputs): must be a positive int, got {outputs!r}")
    args = [as_signal(x, f"krs.faust(input {i})") for i, x in enumerate(inputs)]
    pieces: list[str | Signal] = []
    if args:
        pieces.append("(" if len(args) == 1 else "((")
        for i, x in enumerate(args):
            pieces += [", "] if i else []
            pieces.append(x)
        pieces.append(" : (" if len(args) == 1 else ") : (")
        pieces += [code, "))"]
    else:
        pieces += ["(", code, ")"]
    node = call("faust", *pieces, nout=n)
    if outputs is None:
        return node
    return tuple(Proj(node, i, n) for i in builtins.range(n))
