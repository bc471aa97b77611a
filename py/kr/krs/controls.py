"""Controls: named parameters (`hslider`s), their smoothing, and the per-trace registry."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager

from kr.krs.signal import Control, ControlSpec, Signal, as_number

__all__ = [
    "ControlSpec",
    "control",
    "get_smoothing",
    "set_smoothing",
    "trace_scope",
    "RAW_NAMES",
]

RAW_NAMES = frozenset({"gate", "trig", "trigger", "freq", "note", "midi"})
"""Control names that are never smoothed unless asked (`smooth=True`): triggers must stay sharp,
and the pitch controls that notes set change at the note's exact frame (smoothed, every note
would glide in for a few ms). A pitch that a pattern sweeps needs no smoother either: the engine
ramps it (its zipper spurs stay below -100 dB), and leaving it raw keeps the oscillator's
per-note arithmetic out of the per-sample loop (-15 % CPU for a saw voice)."""

DEFAULT_STEP = 0.001
_NAME = re.compile(r"[A-Za-z0-9_]+\Z")
_MAX_SMOOTHING = 10.0


_smoothing = 0.005


def set_smoothing(seconds: float) -> None:
    """Set the smoothing time constant of controls traced from now on (default 0.005 s).

    0 turns smoothing off. Gate/trigger and pitch (`freq`, `note`, `midi`) controls are never
    smoothed unless asked.
    """
    global _smoothing
    t = as_number(seconds, "krs.set_smoothing(seconds)")
    if not 0.0 <= t <= _MAX_SMOOTHING:
        raise ValueError(f"krs.set_smoothing(seconds): must be in 0..{_MAX_SMOOTHING}, got {t}")
    _smoothing = t


def get_smoothing() -> float:
    """The current control smoothing time in seconds."""
    return _smoothing


# The registry of the trace in progress: name -> Control, in declaration order.
_scopes: list[dict[str, Control]] = []


@contextmanager
def trace_scope() -> Iterator[dict[str, Control]]:
    """Collect the controls declared while the body runs (nested traces get their own)."""
    registry: dict[str, Control] = {}
    _scopes.append(registry)
    try:
        yield registry
    finally:
        _scopes.pop()


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"krs.control(name): expected a str, got {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError(
            f"krs.control: invalid control name {name!r} "
            "(use only letters, digits and '_', e.g. 'cutoff' or 'lfo_rate')"
        )
    return name


def control(
    name: str,
    init: float,
    lo: float,
    hi: float,
    step: float | None = None,
    smooth: bool | float | None = None,
) -> Signal:
    """A named parameter, settable from patterns and `node[name] = value`.

    Smoothed (so that jumps do not click) over `krs.set_smoothing` seconds, except controls
    named `gate`, `trig` or `trigger` and the pitch controls notes set, `freq`, `note` and
    `midi`. `smooth=False` keeps a control raw, `smooth=True` forces smoothing, a number sets
    this control's own smoothing time in seconds.
    Declaring the same name twice in one DSP function returns the same control when the
    specs agree and raises `ValueError` when they differ.
    """
    name = _check_name(name)
    where = f"krs.control({name!r})"
    v_init = as_number(init, f"{where}: init")
    v_lo = as_number(lo, f"{where}: lo")
    v_hi = as_number(hi, f"{where}: hi")
    v_step = DEFAULT_STEP if step is None else as_number(step, f"{where}: step")
    if not v_lo < v_hi:
        raise ValueError(f"{where}: lo ({v_lo}) must be below hi ({v_hi})")
    if not v_lo <= v_init <= v_hi:
        raise ValueError(f"{where}: init ({v_init}) must be within lo..hi ({v_lo}..{v_hi})")
    if not v_step > 0:
        raise ValueError(f"{where}: step must be positive, got {v_step}")
    time = _smoothing_time(name, smooth, where)
    spec = ControlSpec(name, v_init, v_lo, v_hi, v_step, time > 0)
    if _scopes:
        registry = _scopes[-1]
        known = registry.get(name)
        if known is not None:
            if known.spec != spec or known.smoothing != time:
                raise ValueError(
                    f"{where}: declared twice with different specs: {_describe(known)} "
                    f"and {_describe(Control(spec, time))}"
                )
            return known
        node = Control(spec, time)
        registry[name] = node
        return node
    return Control(spec, time)


def _smoothing_time(name: str, smooth: bool | float | None, where: str) -> float:
    if smooth is None:
        return 0.0 if name in RAW_NAMES else _smoothing
    if isinstance(smooth, bool):
        return _smoothing if smooth else 0.0
    t = as_number(smooth, f"{where}: smooth")
    if not (0.0 <= t <= _MAX_SMOOTHING and math.isfinite(t)):
        raise ValueError(f"{where}: smooth time must be in 0..{_MAX_SMOOTHING} s, got {t}")
    return t


def _describe(node: Control) -> str:
    s = node.spec
    smooth = f"smoothed {node.smoothing:g} s" if node.smoothing > 0 else "raw"
    return f"(init={s.init:g}, lo={s.lo:g}, hi={s.hi:g}, step={s.step:g}, {smooth})"
