"""Tracing: run a Python DSP function on symbolic signals and emit its FAUST program."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from dataclasses import dataclass

from kr.krs.controls import trace_scope
from kr.krs.emit import emit
from kr.krs.signal import ControlSpec, Input, Signal, as_signal

__all__ = ["DspDef", "DspFunction", "faust_source", "trace"]

DspFunction = Callable[..., object]
"""A source (no parameters) or an effect (one `krs.Signal` parameter per input)."""


@dataclass(frozen=True)
class DspDef:
    """A traced DSP: its complete FAUST program and what the engine needs to know about it."""

    name: str
    source: str
    inputs: int
    outputs: int
    controls: list[ControlSpec]


def _fn_name(fn: object) -> str:
    return str(getattr(fn, "__name__", type(fn).__name__))


def _is_signal_annotation(ann: object) -> bool:
    if ann is inspect.Parameter.empty or ann is Signal:
        return True
    return isinstance(ann, str) and ann.replace(" ", "").split(".")[-1] == "Signal"


def input_count(fn: DspFunction) -> int:
    """How many inputs `fn` takes: its positional parameters without defaults.

    Raises TypeError for parameters that cannot be signal inputs.
    """
    name = _fn_name(fn)
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}: cannot read the parameters of this DSP function ({e})") from e
    count = 0
    for p in params:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise TypeError(
                f"{name}: parameter {p.name!r} is *args/**kwargs; an effect names each input "
                "as one krs.Signal parameter"
            )
        if p.default is not inspect.Parameter.empty:
            continue  # a setting with a default, not an input
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{name}: keyword-only parameter {p.name!r} needs a default value")
        if not _is_signal_annotation(p.annotation):
            shown = getattr(p.annotation, "__name__", p.annotation)
            raise TypeError(
                f"{name}: parameter {p.name!r} is annotated {shown!s}, but the inputs of an "
                "effect are krs.Signal"
            )
        count += 1
    return count


def trace(fn: DspFunction | DspDef) -> DspDef:
    """Trace `fn` into a FAUST program. Deterministic: the same function gives the same source."""
    if isinstance(fn, DspDef):
        return fn
    if not callable(fn):
        raise TypeError(f"krs.trace: expected a DSP function, got {type(fn).__name__}")
    name = _fn_name(fn)
    n = input_count(fn)
    with trace_scope() as registry:
        result = fn(*(Input(i) for i in range(n)))
        declared = list(registry.values())
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if not items:
        raise ValueError(f"{name}: a DSP function must return at least one signal")
    outs: list[Signal] = []
    for i, item in enumerate(items):
        if not isinstance(item, (Signal, numbers.Real)) or isinstance(item, bool):
            what = "a" if len(items) == 1 else f"output {i} of the"
            raise TypeError(
                f"{name}: {what} result must be a krs.Signal or a number (a tuple of them for "
                f"several outputs), got {type(item).__name__}"
            )
        outs.append(as_signal(item, f"{name}: output {i}"))
    source, controls = emit(outs, n, declared)
    return DspDef(name, source, n, len(outs), [c.spec for c in controls])


def faust_source(fn: DspFunction | DspDef) -> str:
    """The FAUST program `fn` traces to."""
    return trace(fn).source
