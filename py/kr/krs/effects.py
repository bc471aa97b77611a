"""Time-based effects, panning and feedback loops."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import overload

from kr.krs.signal import (
    Const,
    Feedback,
    Loop,
    Proj,
    Signal,
    SignalLike,
    as_number,
    as_signal,
    binary,
    call,
    unary,
)

__all__ = ["delay", "echo", "feedback", "pan", "reverb"]

MAX_DELAY_SECONDS = 60.0
_MAX_SR = 192000  # FAUST's ma.SR never exceeds this, so it sizes the delay lines


def _max_seconds(value: object, where: str) -> float:
    m = as_number(value, where)
    if not 0.0 < m <= MAX_DELAY_SECONDS:
        raise ValueError(f"{where}: must be in (0, {MAX_DELAY_SECONDS:g}] seconds, got {m:g}")
    return m


def _seconds(value: object, max_s: float, where: str) -> Signal:
    """A delay time clamped to 0..max_s (checked at once when constant)."""
    t = as_signal(value, where)
    if isinstance(t, Const):
        if not 0.0 <= t.value <= max_s:
            raise ValueError(f"{where}: must be within 0..{max_s:g} seconds, got {t.value:g}")
        return t
    return binary("max", 0.0, binary("min", t, max_s))


def delay(sig: SignalLike, seconds: SignalLike, max_seconds: float = 1.0) -> Signal:
    """`sig` delayed by `seconds` (interpolated, so it may be modulated), at most
    `max_seconds` (a number: it sizes the delay line)."""
    x = as_signal(sig, "krs.delay(sig)")
    m = _max_seconds(max_seconds, "krs.delay(max_seconds)")
    t = _seconds(seconds, m, "krs.delay(seconds)")
    n = math.ceil(m * _MAX_SR)
    return call("delay", "(", x, f" : de.fdelay({n}, ", t, " * ma.SR))")


def echo(
    sig: SignalLike, seconds: SignalLike, feedback: SignalLike, max_seconds: float = 1.0
) -> Signal:
    """Feedback echo (`ef.echo`): `sig` plus its repeats every `seconds`, each `feedback`
    times the previous (|feedback| < 1; a modulated feedback is clamped to +-0.99)."""
    x = as_signal(sig, "krs.echo(sig)")
    m = _max_seconds(max_seconds, "krs.echo(max_seconds)")
    t = _seconds(seconds, m, "krs.echo(seconds)")
    fb = as_signal(feedback, "krs.echo(feedback)")
    if isinstance(fb, Const):
        if not -1.0 < fb.value < 1.0:
            raise ValueError(f"krs.echo(feedback): must be strictly within -1..1, got {fb.value:g}")
    else:
        fb = binary("max", -0.99, binary("min", fb, 0.99))
    return call("echo", "(", x, f" : ef.echo({m!r}, ", t, ", ", fb, "))")


def reverb(sig: SignalLike, room: SignalLike, damp: SignalLike = 0.5) -> Signal:
    """Freeverb (`re.mono_freeverb`), wet signal only. `room` (size) and `damp` in 0..1."""
    x = as_signal(sig, "krs.reverb(sig)")
    size = _unit(as_signal(room, "krs.reverb(room)"))
    dmp = _unit(as_signal(damp, "krs.reverb(damp)"))
    fb1 = 0.7 + size * 0.28  # Freeverb's room scale and offset
    return call(
        "reverb", "((", x, " * 0.1) : re.mono_freeverb(", fb1, ", 0.5, ", dmp * 0.4, ", 0))"
    )


def _unit(s: Signal) -> Signal:
    return binary("max", 0.0, binary("min", s, 1.0))


def pan(sig: SignalLike, pos: SignalLike) -> tuple[Signal, Signal]:
    """Equal-power pan: `pos` -1 (left) .. 0 (centre, -3 dB each) .. 1 (right).
    Returns the (left, right) pair; return it from a DSP function for a stereo node."""
    x = as_signal(sig, "krs.pan(sig)")
    p = binary("max", -1.0, binary("min", as_signal(pos, "krs.pan(pos)"), 1.0))
    angle = (p + 1.0) * (math.pi / 4.0)
    return x * unary("cos", angle), x * unary("sin", angle)


def _arity(fn: Callable[..., object]) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


@overload
def feedback(fn: Callable[[Signal], SignalLike]) -> Signal: ...


@overload
def feedback(
    fn: Callable[..., Sequence[SignalLike]], channels: int | None = None
) -> tuple[Signal, ...]: ...


def feedback(
    fn: Callable[..., SignalLike | Sequence[SignalLike]], channels: int | None = None
) -> Signal | tuple[Signal, ...]:
    """A recursive loop (FAUST `~`). `fn` gets the loop's own output one sample earlier
    (one signal per channel) and returns the new output; `feedback` returns that output.

    >>> y = krs.feedback(lambda prev: inp + 0.5 * krs.delay(prev, 0.25))

    With several channels `fn` takes and returns that many signals (a tuple) and `feedback`
    returns a tuple; `channels` defaults to the number of `fn`'s parameters.
    """
    if not callable(fn):
        raise TypeError(f"krs.feedback(fn): expected a function, got {type(fn).__name__}")
    n = _arity(fn) if channels is None else channels
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"krs.feedback(channels): must be a positive int, got {n!r}")
    loop = Loop(n)
    result = fn(*loop.vars)
    tupled = isinstance(result, (tuple, list))
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    if len(outs) != n:
        raise ValueError(
            f"krs.feedback: the loop function takes {n} signal(s) but returns {len(outs)}; "
            "it must return one signal per loop channel"
        )
    body = tuple(as_signal(o, f"krs.feedback: loop output {i}") for i, o in enumerate(outs))
    node = Feedback(loop, body)
    if n == 1 and channels is None and not tupled:
        return node
    return tuple(Proj(node, i, n) for i in range(n))
