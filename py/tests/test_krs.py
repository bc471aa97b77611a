"""Tests of `krs`, the DSP language: tracing, FAUST generation, and the real FAUST compiler.

Every primitive and operator is compiled with the `faust` CLI (inputs/outputs/controls are read
back from its JSON), and a set of reference functions is rendered offline (FAUST C++ output
built with g++) next to hand-written FAUST and compared sample by sample.
"""

from __future__ import annotations

import importlib
import json
import math
import shutil
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

PY = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
FAUST_LIB = "/usr/share/faust"
if str(PY) not in sys.path:
    sys.path.insert(0, str(PY))


def _import_krs() -> types.ModuleType:
    """`kr.krs`; if `kr/__init__.py` cannot import yet (native extension not built), load the
    `kr.krs` subpackage under a bare `kr` package so the pure-Python DSP language is tested."""
    try:
        return importlib.import_module("kr.krs")
    except ImportError:
        for name in [m for m in sys.modules if m == "kr" or m.startswith("kr.")]:
            del sys.modules[name]
        pkg = types.ModuleType("kr")
        pkg.__path__ = [str(PY / "kr")]
        sys.modules["kr"] = pkg
        return importlib.import_module("kr.krs")


krs: Any = _import_krs()
Signal = krs.Signal
oscillators: Any = importlib.import_module("kr.krs.oscillators")

# --- helpers ------------------------------------------------------------------------------


def faust_json(source: str, path: Path) -> dict[str, Any]:
    """Compile `source` with the real faust CLI; return its JSON description."""
    path.write_text(source)
    proc = subprocess.run(
        ["faust", "-I", FAUST_LIB, "-json", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"faust failed on {path.name}:\n{proc.stderr}\n{source}"
    data: dict[str, Any] = json.loads(Path(str(path) + ".json").read_text())
    return data


def ui_sliders(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """label -> slider description, from FAUST's JSON UI tree."""
    out: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "items" in item:
                walk(item["items"])
            elif item.get("type") == "hslider":
                out[item["label"]] = item

    walk(data["ui"])
    return out


def check_compiles(dsp: Any, path: Path) -> dict[str, Any]:
    data = faust_json(dsp.source, path)
    assert (data["inputs"], data["outputs"]) == (dsp.inputs, dsp.outputs), dsp.source
    sliders = ui_sliders(data)
    assert sorted(sliders) == sorted(c.name for c in dsp.controls), dsp.source
    for c in dsp.controls:
        s = sliders[c.name]
        assert (s["init"], s["min"], s["max"]) == pytest.approx((c.init, c.lo, c.hi))
    return data


# --- one small function per primitive and operator ----------------------------------------


def _ctl(name: str = "x", init: float = 0.5, lo: float = 0.0, hi: float = 1.0) -> Any:
    return krs.control(name, init, lo, hi)


def _osc() -> Any:
    return krs.saw(krs.control("freq", 220.0, 20.0, 2000.0))


def _fb_nested() -> Any:
    outer = krs.feedback(
        lambda p: krs.feedback(lambda q: q * 0.5 + p * 0.25 + krs.sine_osc(3.0)) * 0.5
    )
    return outer


def _fb_stereo(x: Signal) -> Any:
    return krs.feedback(lambda a, b: (x + b * 0.5, krs.delay(a, 0.01) * 0.5))


PRIMITIVES: dict[str, Callable[..., Any]] = {
    "sine_osc": lambda: krs.sine_osc(440.0),
    "saw": _osc,
    "square": lambda: krs.square(_ctl("f", 100.0, 20.0, 500.0)),
    "triangle": lambda: krs.triangle(330.0),
    "pulse": lambda: krs.pulse(110.0, 0.25),
    "pulse_mod": lambda: krs.pulse(110.0, _ctl("width")),
    "phasor": lambda: krs.phasor(2.0),
    "white_noise": lambda: krs.white_noise(),
    "two_noises": lambda: (krs.white_noise(), krs.white_noise()),
    "pink_noise": lambda: krs.pink_noise() + krs.white_noise() * 0.1,
    "lowpass": lambda: krs.lowpass(_osc(), 1000.0),
    "lowpass_mod": lambda: krs.lowpass(_osc(), _ctl("cutoff", 800.0, 50.0, 30000.0), order=4),
    "highpass": lambda: krs.highpass(krs.white_noise(), 8000.0),
    "highpass_mod": lambda: krs.highpass(_osc(), _ctl("cutoff", 800.0, 50.0, 5000.0)),
    "bandpass": lambda: krs.bandpass(krs.white_noise(), 1000.0, 4.0),
    "bandpass_mod": lambda: krs.bandpass(_osc(), _ctl("c", 500.0, 50.0, 5000.0), _ctl("q")),
    "resonant": lambda: krs.resonant(_osc(), _ctl("c", 500.0, 50.0, 5000.0), 8.0),
    "onepole": lambda: krs.onepole(krs.white_noise(), 200.0),
    "onepole_mod": lambda: krs.onepole(krs.white_noise(), _ctl("c", 500.0, 0.0, 5000.0)),
    "dcblock": lambda: krs.dcblock(_osc() + 0.5),
    "smooth": lambda: krs.smooth(krs.square(2.0), 0.01),
    "smooth_mod": lambda: krs.smooth(krs.square(2.0), _ctl("t", 0.01, 0.0, 1.0)),
    "adsr": lambda: krs.adsr(0.01, 0.1, 0.5, 0.2, _ctl("gate", 0.0)) * _osc(),
    "ar": lambda: krs.ar(0.01, 0.2, _ctl("trig", 0.0)) * _osc(),
    "delay": lambda x: krs.delay(x, 0.25),
    "delay_mod": lambda x: krs.delay(x, _ctl("time", 0.1, 0.0, 2.0), max_seconds=2.0),
    "echo": lambda x: krs.echo(x, 0.3, 0.5),
    "echo_mod": lambda x: krs.echo(x, _ctl("time", 0.1), _ctl("fb", 0.3)),
    "reverb": lambda x: krs.reverb(x, 0.7),
    "reverb_mod": lambda x: krs.reverb(x, _ctl("room"), _ctl("damp")),
    "pan": lambda: krs.pan(_osc(), _ctl("pos", 0.0, -1.0, 1.0)),
    "pan_const": lambda x: krs.pan(x, -0.5),
    "feedback": lambda x: krs.feedback(lambda y: x + krs.delay(y, 0.1) * 0.5),
    "feedback_nested": _fb_nested,
    "feedback_stereo": _fb_stereo,
    "clip": lambda: krs.clip(_osc() * 3.0, -0.5, 0.8),
    "tanh": lambda: krs.tanh(_osc() * 4.0),
    "sin": lambda: krs.sin(_osc()),
    "cos": lambda: krs.cos(_osc()),
    "tan": lambda: krs.tan(_osc() * 0.5),
    "exp": lambda: krs.exp(_osc()),
    "log": lambda: krs.log(_osc() + 2.0),
    "sqrt": lambda: krs.sqrt(_osc() + 1.0),
    "pow": lambda: krs.pow(_osc() + 1.0, 1.5),
    "min": lambda: krs.min(_osc(), 0.2),
    "max": lambda: krs.max(0.2, _osc()),
    "floor": lambda: krs.floor(_osc() * 4.0),
    "ceil": lambda: krs.ceil(_osc() * 4.0),
    "abs": lambda: krs.abs(_osc()) + abs(_osc()),
    "midi_to_freq": lambda: krs.sine_osc(krs.midi_to_freq(_ctl("note", 60.0, 0.0, 127.0))),
    "midi_to_freq_const": lambda: krs.sine_osc(krs.midi_to_freq(69)),
    "select": lambda: krs.select(krs.phasor(1.0) < 0.5, _osc(), krs.sine_osc(100.0)),
    "faust_source": lambda: krs.faust("os.osc(440)"),
    "faust_effect": lambda x: krs.faust("fi.lowpass(3, 500)", x),
    "faust_two_inputs": lambda x, y: krs.faust("+", x, y),
    "faust_multi": lambda x: krs.faust("_ <: _, *(0.5)", x, outputs=2),
    "op_add": lambda x: x + 1 + x,
    "op_radd": lambda x: 1.5 + x,
    "op_sub": lambda x: x - 0.5,
    "op_rsub": lambda x: 0.5 - x,
    "op_mul": lambda x: x * 2,
    "op_rmul": lambda x: 2 * x,
    "op_div": lambda x: x / 3.0,
    "op_rdiv": lambda x: 1.0 / (x + 2.0),
    "op_floordiv": lambda x: (x * 10) // 3,
    "op_mod": lambda x: x % 0.25,
    "op_rmod": lambda x: 1.0 % (x + 2.0),
    "op_pow": lambda x: (x + 1) ** 2,
    "op_rpow": lambda x: 2**x,
    "op_neg": lambda x: -x,
    "op_pos": lambda x: +x,
    "op_abs": lambda x: abs(x),
    "op_lt": lambda x: x < 0.1,
    "op_le": lambda x: x <= 0.1,
    "op_gt": lambda x: 0.1 > x,
    "op_ge": lambda x: x >= _ctl(),
    "op_eq": lambda x: krs.eq(x, 0.0),
    "op_ne": lambda x: krs.ne(0.0, x),
    "control_raw": lambda: _osc() * krs.control("amp", 0.5, 0.0, 1.0, smooth=False),
    "control_time": lambda: _osc() * krs.control("amp", 0.5, 0.0, 1.0, 0.01, smooth=0.05),
    "control_unused": lambda: (krs.control("unused", 0.0, -1.0, 1.0), _osc())[1],
    "constant": lambda: 0.25,
    "stereo_effect": lambda left, right: (right * 0.5, left * 0.5),
    "passthrough": lambda x: x,
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every PRIMITIVES function traced and compiled (in parallel): name -> (dsp, json)."""
    tmp = tmp_path_factory.mktemp("prims")

    def one(name: str) -> tuple[Any, Any]:
        dsp = krs.trace(PRIMITIVES[name])
        try:
            return dsp, check_compiles(dsp, tmp / f"{name}.dsp")
        except AssertionError as e:  # reported by the test of that primitive
            return dsp, e

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(PRIMITIVES, pool.map(one, PRIMITIVES), strict=True))


@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_primitive_compiles(name: str, compiled: dict[str, Any]) -> None:
    dsp, result = compiled[name]
    if isinstance(result, AssertionError):
        raise result
    assert dsp.source.startswith('import("stdfaust.lib");\n')
    assert "\nprocess = " in dsp.source and dsp.source.endswith(";\n")


def test_io_counts(compiled: dict[str, Any]) -> None:
    expect = {
        "saw": (0, 1),
        "pan": (0, 2),
        "pan_const": (1, 2),
        "two_noises": (0, 2),
        "feedback_stereo": (1, 2),
        "faust_two_inputs": (2, 1),
        "faust_multi": (1, 2),
        "stereo_effect": (2, 2),
        "constant": (0, 1),
        "passthrough": (1, 1),
    }
    for name, io in expect.items():
        dsp, data = compiled[name]
        assert (dsp.inputs, dsp.outputs) == io, name
        assert (data["inputs"], data["outputs"]) == io, name


def test_unused_control_still_exposed(compiled: dict[str, Any]) -> None:
    dsp, data = compiled["control_unused"]
    assert [c.name for c in dsp.controls] == ["unused", "freq"]
    assert set(ui_sliders(data)) == {"unused", "freq"}


# --- the seed's examples --------------------------------------------------------------------


def acid_bass() -> Signal:
    freq = krs.control("freq", 55.0, 20.0, 800.0)
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    cutoff = krs.control("cutoff", 800.0, 100.0, 4000.0)
    env = krs.adsr(0.005, 0.15, 0.3, 0.08, gate)
    return krs.lowpass(krs.saw(freq), cutoff) * env * 0.55


def reverb(inp: Signal) -> Signal:
    room = krs.control("room", 0.7, 0.0, 1.0)
    return krs.reverb(inp, room) * 0.8


def kick() -> Signal:
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    env = krs.adsr(0.001, 0.25, 0.0, 0.05, gate)
    return krs.sine_osc(55.0 + env * 200.0) * env * 0.9


def hat() -> Signal:
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    env = krs.adsr(0.001, 0.04, 0.0, 0.02, gate)
    return krs.highpass(krs.white_noise(), 8000.0) * env * 0.5


def test_seed_examples(tmp_path: Path) -> None:
    spec = krs.ControlSpec
    expect = {
        acid_bass: (
            0,
            [
                spec("freq", 55.0, 20.0, 800.0, 0.001, False),  # raw: the pitch notes set
                spec("gate", 0.0, 0.0, 1.0, 0.001, False),
                spec("cutoff", 800.0, 100.0, 4000.0, 0.001, True),
            ],
        ),
        reverb: (1, [spec("room", 0.7, 0.0, 1.0, 0.001, True)]),
        kick: (0, [spec("gate", 0.0, 0.0, 1.0, 0.001, False)]),
        hat: (0, [spec("gate", 0.0, 0.0, 1.0, 0.001, False)]),
    }
    for fn, (inputs, controls) in expect.items():
        dsp = krs.trace(fn)
        assert dsp.name == fn.__name__
        assert (dsp.inputs, dsp.outputs) == (inputs, 1)
        assert dsp.controls == controls
        check_compiles(dsp, tmp_path / f"{fn.__name__}.dsp")
        assert krs.faust_source(fn) == dsp.source


def test_acid_bass_source_is_readable() -> None:
    src = krs.faust_source(acid_bass)
    lines = src.splitlines()
    assert lines[0] == 'import("stdfaust.lib");'
    # controls first, each on its own line with its name
    assert lines[2] == 'c_freq = hslider("freq", 55.0, 20.0, 800.0, 0.001);'  # raw: the pitch
    assert lines[3] == 'c_gate = hslider("gate", 0.0, 0.0, 1.0, 0.001);'  # raw: a gate
    assert lines[4].startswith('c_cutoff = (hslider("cutoff"')
    assert "si.smooth(ba.tau2pole(0.005)" in lines[4]
    assert "kr_osc.saw(c_freq)" in src and "fi.lowpass(2, " in src
    assert "en.adsr(0.005, 0.15, 0.3, 0.08, c_gate)" in src
    assert all(len(line) < 120 for line in lines)


# --- offline renders against hand-written FAUST -----------------------------------------------

SMOOTH = "si.smooth(ba.tau2pole(0.005) * (1'))"


def ref_precedence() -> Signal:
    a = krs.saw(220.0)
    b = krs.sine_osc(330.0)
    return b + krs.lowpass(a, 1000)


def ref_cse() -> Signal:
    x = krs.saw(110.0)
    for i in range(6):
        x = x * 0.6 + krs.lowpass(x, 800.0 + 300.0 * i) * 0.4 + krs.tanh(x) * 0.1
    return x * (x < 0.5) + krs.select(x > 0.9, x * x, -x) * 0.5


def ref_pan() -> tuple[Signal, Signal]:
    pos = krs.control("pos", 0.0, -1.0, 1.0)
    return krs.pan(krs.sine_osc(440.0), pos)


def ref_effect(x: Signal) -> Signal:
    body = krs.highpass(krs.resonant(x, 1200.0, 4.0), 100.0)
    return body + krs.delay(x, 0.001) * 0.5 + krs.onepole(x, 300.0) * (x >= 0)


def ref_feedback(x: Signal) -> Signal:
    y = krs.feedback(lambda prev: x + krs.delay(prev, 0.01) * 0.6)
    return y + krs.echo(x, 0.005, 0.5) * 0.5 + krs.bandpass(y, 2000.0, 2.0)


def ref_misc() -> tuple[Signal, Signal]:
    n = krs.clip(krs.tanh(krs.sine_osc(220.0) * 3.0), -0.5, 0.5)
    sq = krs.select(krs.phasor(30.0) < 0.5, 1.0, -1.0) * 0.1
    fm = krs.sine_osc(krs.midi_to_freq(krs.control("note", 60.0, 0.0, 127.0)) + sq * 100.0)
    env = krs.ar(0.002, 0.01, krs.control("trig", 0.0, 0.0, 1.0))
    return n + sq + (krs.square(100.0) % 0.3) ** 2, fm * krs.smooth(krs.triangle(50.0), 0.002) * env


REFERENCES: dict[str, tuple[Callable[..., Any], str, list[str]]] = {
    # name: (krs function, hand-written FAUST, render arguments)
    "precedence": (
        ref_precedence,
        "process = os.osc(330) + (kr_osc.saw(220) : fi.lowpass(2, 1000));",
        [],
    ),
    "acid": (
        acid_bass,
        f"""
        freq = hslider("freq", 55, 20, 800, 0.001);
        gate = hslider("gate", 0, 0, 1, 0.001);
        cutoff = hslider("cutoff", 800, 100, 4000, 0.001) : {SMOOTH};
        fc = max(10, min(cutoff, 0.45 * ma.SR));
        process = (kr_osc.saw(freq) : fi.lowpass(2, fc)) * en.adsr(0.005, 0.15, 0.3, 0.08, gate)
                  * 0.55;
        """,
        ["gate=1@0", "freq=110@0", "cutoff=1500@0", "cutoff=400@900", "gate=0@1500"],
    ),
    "cse": (
        ref_cse,
        """
        f = case { (0) => kr_osc.saw(110);
                   (n) => f(n-1) * 0.6 + (f(n-1) : fi.lowpass(2, 800 + 300 * (n-1))) * 0.4
                          + ma.tanh(f(n-1)) * 0.1; };
        x = f(6);
        process = x * (x < 0.5) + select2(x > 0.9, 0 - x, x * x) * 0.5;
        """,
        [],
    ),
    "pan": (
        ref_pan,
        """
        a = (0.5 + 1) * ma.PI / 4;  // a smoothed control starts at its value: no glide in
        pos = hslider("pos", 0, -1, 1, 0.001);
        process = os.osc(440) <: *(cos(a)), *(sin(a)) : attach(_, pos), _;
        """,
        ["pos=0.5@0"],
    ),
    "effect": (
        ref_effect,
        """
        process = \\(x).((x : fi.svf.lp(1200, 4) : fi.highpass(2, 100))
            + (x : de.fdelay(192000, 0.001 * ma.SR)) * 0.5
            + (x : si.smooth(exp(-2 * ma.PI * 300 / ma.SR))) * (x >= 0));
        """,
        ["impulse"],
    ),
    "feedback": (
        ref_feedback,
        """
        y = + ~ (de.fdelay(192000, 0.01 * ma.SR) * 0.6);
        process = _ <: y, ef.echo(1.0, 0.005, 0.5) * 0.5
                  : \\(a, b).(a + b + (a : fi.svf.bp(2000, 2)) / 2);
        """,
        ["impulse"],
    ),
    "misc": (
        ref_misc,
        """
        note = hslider("note", 60, 0, 127, 0.001);
        sq = ba.if(os.lf_sawpos(30) < 0.5, 1, -1) * 0.1;
        n = max(-0.5, min(0.5, ma.tanh(os.osc(220) * 3)));
        fm = os.osc(440 * pow(2, (note - 69) / 12) + sq * 100);
        env = en.ar(0.002, 0.01, hslider("trig", 0, 0, 1, 0.001));
        process = n + sq + pow(ma.modulo(kr_osc.pulse(100, 0.5), 0.3), 2),
                  fm * (kr_osc.triangle(50) : si.smooth(ba.tau2pole(0.002))) * env;
        """,
        ["note=72@0", "note=48@700", "trig=1@0", "trig=0@300", "trig=1@1200"],
    ),
    "feedback2": (
        _fb_stereo,
        """
        process = \\(x).((\\(a, b).(x + b * 0.5, (a : de.fdelay(192000, 0.01 * ma.SR)) * 0.5))
                           ~ (_, _));
        """,
        ["impulse"],
    ),
}
RENDER_FRAMES = 2000
# krs's band-limited oscillators, which hand-written references call by the same names.
KR_OSC = "\n" + oscillators.LIBRARY_SOURCE + "\n"


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, list[str]], np.ndarray]:
    """One C++ program holding the traced and the hand-written class of every reference."""
    assert shutil.which("g++"), "g++ is needed to render FAUST programs offline"
    tmp = tmp_path_factory.mktemp("render")
    jobs: list[tuple[str, str]] = []
    for name, (fn, ref, _) in REFERENCES.items():
        jobs.append((f"krs_{name}", krs.faust_source(fn)))
        ref_src = 'import("stdfaust.lib");\n' + textwrap.dedent(ref) + KR_OSC
        jobs.append((f"ref_{name}", ref_src))
    # the krach bug, kept to prove the comparison can tell the difference
    bug = "process = (os.osc(330) + kr_osc.saw(220)) : fi.lowpass(2, 1000);"
    jobs.append(("bug_precedence", 'import("stdfaust.lib");\n' + bug + KR_OSC))

    def gen(job: tuple[str, str]) -> str:
        cls, src = job
        dsp = tmp / f"{cls}.dsp"
        dsp.write_text(src)
        proc = subprocess.run(
            ["faust", "-I", FAUST_LIB, "-double", "-cn", cls, str(dsp)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, f"faust failed on {cls}:\n{proc.stderr}\n{src}"
        return proc.stdout

    with ThreadPoolExecutor(max_workers=4) as pool:
        classes = list(pool.map(gen, jobs))
    table = " ".join(f"X({cls})" for cls, _ in jobs)
    (tmp / "krs_classes.h").write_text("\n".join(classes) + f"\n#define KRS_CLASSES {table}\n")
    exe = tmp / "krs_render"
    proc = subprocess.run(
        ["g++", "-O1", "-w", f"-I{tmp}", f"-I{DATA}", str(DATA / "krs_render.cpp"), "-o", str(exe)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]

    def render(cls: str, args: list[str]) -> np.ndarray:
        mode = "impulse" if "impulse" in args else "none"
        events = [a for a in args if a != "impulse"]
        out = subprocess.run(
            [str(exe), cls, str(RENDER_FRAMES), mode, *events],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        return np.loadtxt(out.splitlines(), ndmin=2)

    return render


@pytest.mark.parametrize("name", list(REFERENCES))
def test_renders_like_hand_written_faust(
    name: str, renderer: Callable[[str, list[str]], np.ndarray]
) -> None:
    args = REFERENCES[name][2]
    ours = renderer(f"krs_{name}", args)
    ref = renderer(f"ref_{name}", args)
    assert ours.shape == ref.shape == (RENDER_FRAMES, ours.shape[1])
    assert np.abs(ref).max() > 0.01, "the reference is silent: the comparison would prove nothing"
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_precedence_filters_only_its_argument(
    renderer: Callable[[str, list[str]], np.ndarray],
) -> None:
    src = krs.faust_source(ref_precedence)
    assert "lowpass_3 = (saw_2 : fi.lowpass(2, 1000.0));" in src
    assert "process = (sine_osc_1 + lowpass_3);" in src
    ours = renderer("krs_precedence", [])
    bug = renderer("bug_precedence", [])
    assert np.abs(ours - bug).max() > 0.1  # krach's reading is clearly different


# --- common subexpressions ------------------------------------------------------------------


def deep_chain(depth: int) -> Callable[[], Signal]:
    def deep() -> Signal:
        x = krs.saw(110.0)
        for _ in range(depth):
            x = x * 0.5 + krs.tanh(x) * 0.25  # every level uses the previous one twice
        return x

    return deep


def test_deep_shared_chain_is_linear_and_compiles(tmp_path: Path) -> None:
    dsp = krs.trace(deep_chain(200))
    assert len(dsp.source) < 40_000
    check_compiles(dsp, tmp_path / "deep.dsp")
    big = krs.faust_source(deep_chain(2000))  # no recursion limit, still linear
    assert len(big) < 12 * len(dsp.source)


def test_shared_nodes_are_defined_once() -> None:
    def fn() -> Signal:
        s = krs.saw(110.0) * 0.5
        return krs.lowpass(s, 500.0) + krs.highpass(s, 500.0) + s

    src = krs.faust_source(fn)
    assert src.count("kr_osc.saw(110.0)") == 1
    assert src.count("(saw_1 * 0.5)") == 1  # bound to a name, used three times


def test_structurally_equal_nodes_merge_but_noises_do_not() -> None:
    def fn() -> tuple[Signal, Signal]:
        return krs.saw(110.0) + krs.saw(110.0), krs.white_noise() - krs.white_noise()

    src = krs.faust_source(fn)
    assert src.count("kr_osc.saw(") == 1
    assert "no.noises(2, 0)" in src and "no.noises(2, 1)" in src


# --- determinism ----------------------------------------------------------------------------


def test_source_is_deterministic(tmp_path: Path) -> None:
    fns = [acid_bass, reverb, ref_cse, ref_feedback, ref_misc, _fb_nested, _fb_stereo]
    first = [krs.faust_source(f) for f in fns]
    assert first == [krs.faust_source(f) for f in fns]
    script = tmp_path / "again.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(Path(__file__).parent)!r})
            import test_krs as t
            for f in [t.acid_bass, t.reverb, t.ref_cse, t.ref_feedback, t.ref_misc,
                      t._fb_nested, t._fb_stereo]:
                sys.stdout.write(t.krs.faust_source(f) + "\\0")
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split("\0")[:-1] == first


# --- controls -------------------------------------------------------------------------------


@pytest.fixture
def restore_smoothing() -> Iterator[None]:
    before = krs.get_smoothing()
    yield
    krs.set_smoothing(before)


def test_gate_and_trigger_controls_are_raw() -> None:
    def fn() -> Signal:
        names = ["gate", "trig", "trigger", "cutoff"]
        s = krs.saw(100.0)
        for n in names:
            s = s * krs.control(n, 0.0, 0.0, 1.0)
        return s * krs.control("amp", 0.5, 0.0, 1.0, smooth=False)

    dsp = krs.trace(fn)
    smoothed = {c.name: c.smoothed for c in dsp.controls}
    assert smoothed == {
        "gate": False,
        "trig": False,
        "trigger": False,
        "cutoff": True,
        "amp": False,
    }
    assert 'c_gate = hslider("gate", 0.0, 0.0, 1.0, 0.001);' in dsp.source
    assert 'c_amp = hslider("amp", 0.5, 0.0, 1.0, 0.001);' in dsp.source


def test_smoothing_time_is_configurable(restore_smoothing: None) -> None:
    krs.set_smoothing(0.02)
    assert "ba.tau2pole(0.02)" in krs.faust_source(acid_bass)
    krs.set_smoothing(0)
    dsp = krs.trace(acid_bass)
    assert not any(c.smoothed for c in dsp.controls) and "si.smooth" not in dsp.source
    with pytest.raises(ValueError, match="set_smoothing"):
        krs.set_smoothing(-1)


def test_same_control_twice() -> None:
    def same() -> Signal:
        a = krs.control("cutoff", 800.0, 100.0, 4000.0)
        b = krs.control("cutoff", 800.0, 100.0, 4000.0)
        assert a is b
        return krs.lowpass(krs.saw(100.0), a) + b * 0.0001

    dsp = krs.trace(same)
    assert [c.name for c in dsp.controls] == ["cutoff"]
    assert dsp.source.count('hslider("cutoff"') == 1

    def differ() -> Signal:
        a = krs.control("cutoff", 800.0, 100.0, 4000.0)
        return a + krs.control("cutoff", 900.0, 100.0, 4000.0)

    with pytest.raises(ValueError, match="'cutoff'.*different"):
        krs.trace(differ)


@pytest.mark.parametrize("bad", ["my cutoff", "a/b", "", "freq!", "été", "x-y"])
def test_bad_control_names(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid control name") as info:
        krs.control(bad, 0.0, 0.0, 1.0)
    assert repr(bad) in str(info.value)


MODULE_LEVEL_CUTOFF = krs.control("cutoff", 900.0, 50.0, 5000.0)


def test_control_declared_outside_the_function() -> None:
    def fn() -> Signal:
        return krs.lowpass(krs.saw(100.0), MODULE_LEVEL_CUTOFF)

    dsp = krs.trace(fn)
    assert dsp.controls == [krs.ControlSpec("cutoff", 900.0, 50.0, 5000.0, 0.001, True)]

    def clash() -> Signal:
        return MODULE_LEVEL_CUTOFF + krs.control("cutoff", 1.0, 0.0, 2.0)

    with pytest.raises(krs.DspError, match="'cutoff'"):
        krs.trace(clash)


def test_bad_control_specs() -> None:
    with pytest.raises(TypeError, match="name"):
        krs.control(3, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="lo"):
        krs.control("x", 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="init"):
        krs.control("x", 2.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="step"):
        krs.control("x", 0.0, 0.0, 1.0, step=0)
    with pytest.raises(TypeError, match="init"):
        krs.control("x", "0", 0.0, 1.0)


# --- errors ---------------------------------------------------------------------------------


def test_primitive_argument_errors() -> None:
    s = krs.saw(100.0)
    with pytest.raises(TypeError, match=r"krs\.lowpass\(cutoff\).*str"):
        krs.lowpass(s, "1000")
    with pytest.raises(TypeError, match=r"krs\.saw\(freq\)"):
        krs.saw([440])
    with pytest.raises(TypeError, match="cutoff"):
        krs.lowpass(s)
    with pytest.raises(TypeError, match="adsr"):
        krs.adsr(0.1, 0.1, 0.5, s)
    with pytest.raises(ValueError, match=r"krs\.sine_osc\(freq\).*finite"):
        krs.sine_osc(math.nan)
    with pytest.raises(ValueError, match=r"krs\.lowpass\(order\)"):
        krs.lowpass(s, 1000.0, order=9)
    with pytest.raises(TypeError, match=r"krs\.delay\(max_seconds\)"):
        krs.delay(s, 0.1, max_seconds=s)
    with pytest.raises(ValueError, match=r"krs\.delay\(seconds\)"):
        krs.delay(s, 2.0, max_seconds=1.0)
    with pytest.raises(ValueError, match=r"krs\.echo\(feedback\)"):
        krs.echo(s, 0.1, 1.5)
    with pytest.raises(ValueError, match=r"krs\.bandpass\(q\)"):
        krs.bandpass(s, 100.0, 0.0)
    with pytest.raises(TypeError, match=r"krs\.faust\(code\)"):
        krs.faust(42)
    with pytest.raises(TypeError, match=r"krs\.faust\(input 0\)"):
        krs.faust("_", "x")
    with pytest.raises(TypeError, match=r"operator \+"):
        s + "a"  # noqa: B018
    with pytest.raises(TypeError, match="truth value"):
        bool(s > 0)


def test_effect_parameter_errors() -> None:
    def typed(x: int) -> Signal:
        return krs.saw(100.0)

    def star(*xs: Signal) -> Signal:
        return krs.saw(100.0)

    def kwonly(*, x: Signal) -> Signal:
        return x

    def returns_str() -> Any:
        return "saw"

    def returns_nothing() -> Any:
        return ()

    with pytest.raises(TypeError, match=r"typed: parameter 'x' is annotated int"):
        krs.trace(typed)
    with pytest.raises(TypeError, match=r"star: parameter 'xs'"):
        krs.trace(star)
    with pytest.raises(TypeError, match=r"kwonly: keyword-only parameter 'x'"):
        krs.trace(kwonly)
    with pytest.raises(TypeError, match=r"returns_str: .*str"):
        krs.trace(returns_str)
    with pytest.raises(ValueError, match="returns_nothing"):
        krs.trace(returns_nothing)
    with pytest.raises(TypeError, match="DSP function"):
        krs.trace(42)

    def with_default(x: Signal, gain: float = 0.5) -> Signal:  # settings with defaults are fine
        return x * gain

    assert krs.trace(with_default).inputs == 1


def test_feedback_errors() -> None:
    leaked: list[Signal] = []

    def leak() -> Signal:
        krs.feedback(lambda y: leaked.append(y) or y * 0.5)
        return leaked[0] + 1.0

    with pytest.raises(krs.DspError, match="outside its loop"):
        krs.trace(leak)
    with pytest.raises(ValueError, match="returns 1"):
        krs.feedback(lambda a, b: a)
    with pytest.raises(TypeError, match="function"):
        krs.feedback(3)
    assert issubclass(krs.DspError, Exception)


def test_constants_fold() -> None:
    def fn() -> Signal:
        return krs.saw(100.0 * 2 + krs.midi_to_freq(69) - 440.0) * (1 + 1)

    src = krs.faust_source(fn)
    assert "kr_osc.saw(200.0)" in src and "* 2.0)" in src
