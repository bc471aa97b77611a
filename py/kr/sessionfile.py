"""`kr.export(path)`: the session as a plain, readable Python file that rebuilds it;
`kr.load(path)`: run such a file (or any kr script) with `kr` and `krs` in scope.

Everything comes from the engine's state dump. DSP is written as the Python function it was
traced from when this process made the node from a self-contained function (checked: the
function must trace to the very FAUST program the engine runs), else as the FAUST program."""

from __future__ import annotations

import builtins
import datetime
import json
import os
import re
import struct
from pathlib import Path
from typing import Any

from . import krs
from .dspfn import PythonDsp, python_definition
from .namespace import NamespaceSession, scope
from .render import render

_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_PITCH = ("freq", "note", "midi", "gate")


def _f32(x: float) -> str:
    """The shortest decimal that is the same 32-bit float as `x` (the engine's precision)."""
    want = struct.pack("<f", x)
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if struct.pack("<f", float(text)) == want:
            break
    else:
        text = repr(x)
    value = float(text)
    return str(int(value)) if value.is_integer() and abs(value) < 1e9 else text


def _q(text: str) -> str:
    return json.dumps(text)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e9 else repr(float(x))


def _faust_literal(source: str) -> str:
    if '"""' not in source and not source.endswith("\\"):
        return 'r"""' + source + '"""'
    return repr(source)


def _python_def(faust: str, meta: str, used: dict[str, str], kr_scope: Any) -> PythonDsp | None:
    """The Python function `faust` was traced from — kept by the engine in the node's `meta`
    (by whichever client made it), or known to this process — checked: its source alone must
    trace to `faust`. None when there is none."""
    py = PythonDsp.from_meta(meta) if meta else None
    if py is None:
        py = python_definition(faust)
    if py is None or used.get(py.name, faust) != faust or py.name in ("kr", "krs"):
        return None
    ns: dict[str, Any] = {"kr": kr_scope, "krs": krs, "__builtins__": builtins}
    try:
        exec(compile(py.source, f"<kr export: {py.name}>", "exec"), ns)  # noqa: S102
        if krs.faust_source(ns[py.name]) != faust:
            return None
    except Exception:  # noqa: BLE001 - anything wrong: write the FAUST program instead
        return None
    return py


def render_session(state: dict[str, Any], kr_scope: Any, origin: str) -> str:
    """The Python source of an exported session, from a state dump."""
    lines: list[str] = []
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    lines += [
        f'"""A kr session, exported {stamp} from {origin}.',
        "",
        "Rebuild it with kr.load(path): the file runs with `kr` and `krs` in scope.",
        '"""',
        "",
        f"kr.tempo = {_num(state['tempo'])}",
        f"kr.meter = {_num(state['meter'])}",
        f"kr.master = {_f32(state['master'])}",
    ]
    if state.get("link") is not None:
        # A krd built without Link refuses to join: the file says so and loads the rest.
        lines += [
            "# This session followed Ableton Link.",
            "try:",
            f"    kr.link(True, quantum={_num(state['link'])})",
            "except kr.RequestError as e:",
            '    print(f"kr: not following Link: {e}")',
        ]
    nodes = sorted(state["nodes"], key=lambda n: (n["inputs"] > 0, n["name"]))
    patterns = sorted(state["patterns"], key=lambda p: p["target"])
    targets = {p["target"] for p in patterns}

    # DSP: one definition per distinct program.
    dsp_ref: dict[str, str] = {}
    used: dict[str, str] = {}
    defs: list[str] = []
    for n in nodes:
        source = n["source"]
        if source in dsp_ref:
            continue
        py = _python_def(source, n.get("meta", ""), used, kr_scope)
        if py is not None:
            name = py.name
            defs += ["", "", py.source.rstrip()]
        else:
            base = re.sub(r"\W", "_", n["name"]).upper()
            name = f"{base}_FAUST"
            while name in used:
                name += "_"
            defs += ["", f"{name} = {_faust_literal(source)}"]
        used[name] = source
        dsp_ref[source] = name
    if defs:
        lines += ["", "", "# ---- DSP " + "-" * 86, *defs]

    lines += ["", "", "# ---- nodes " + "-" * 84, ""]
    after: list[str] = []
    for n in nodes:
        args = [_q(n["name"]), dsp_ref[n["source"]], f"gain={_f32(n['gain'])}"]
        if n["count"] != 1:
            args.append(f"count={n['count']}")
        played = n["name"] in targets
        for c in n["controls"]:
            path = f"{n['name']}/{c['name']}"
            if path in targets or (played and c["name"] in _PITCH) or c["name"] == "gate":
                continue
            if struct.pack("<f", c["value"]) == struct.pack("<f", c["init"]):
                continue
            if _IDENT.match(c["name"]) and c["name"] not in ("name", "dsp", "gain", "count"):
                args.append(f"{c['name']}={_f32(c['value'])}")
            else:
                after.append(f"kr.set({_q(path)}, {_f32(c['value'])})")
        lines.append(f"kr.node({', '.join(args)})")
        if n.get("muted"):
            after.append(f"kr.mute({_q(n['name'])})")
        if n.get("soloed"):
            after.append(f"kr.solo({_q(n['name'])})")
    lines += after

    if state["routes"]:
        lines += ["", "", "# ---- routes " + "-" * 83, ""]
        for r in sorted(state["routes"], key=lambda r: (r["from"], r["to"])):
            lines.append(f"kr.route({_q(r['from'])}, {_q(r['to'])}, {_f32(r['level'])})")

    midi = state.get("midi", {})
    if midi:
        lines += ["", "", "# ---- MIDI " + "-" * 85, ""]
        for o in midi.get("outs", []):
            port = "" if o["port"] == "midi_out" else f", port={_q(o['port'])}"
            lines.append(f"kr.midi_out({_q(o['name'])}, channel={o['channel']}{port})")
            if o.get("muted"):
                lines.append(f"kr.mute({_q(o['name'])})")
        for c in midi.get("controls", []):
            lo, hi, ch = _f32(c["lo"]), _f32(c["hi"]), c["channel"]
            channel = f", channel={ch}" if ch else ""
            lines.append(f"kr.midi_map({c['cc']}, {_q(c['path'])}, {lo}, {hi}{channel})")
        for n in midi.get("notes", []):
            channel = f", channel={n['channel']}" if n["channel"] else ""
            lines.append(f"kr.midi_notes({_q(n['node'])}{channel})")
        if midi.get("follow_clock"):
            lines.append("kr.midi_follow()")

    if patterns:
        lines += ["", "", "# ---- patterns " + "-" * 81, ""]
        ns = {"kr": kr_scope}
        for p in patterns:
            expr = render(p["pattern"]["p"], ns)
            zero = ", from_zero=True" if p.get("from_zero") else ""
            lines.append(f"kr.play({_q(p['target'])}, {expr}{zero})")
    return "\n".join(lines) + "\n"


def export(session: NamespaceSession, path: str | os.PathLike[str]) -> Path:
    """Write `session` as a Python file; returns its path."""
    target = Path(path)
    text = render_session(session.dump(), scope(session), f"krd {session.host}:{session.port}")
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(target)
    return target


def load(session: NamespaceSession, path: str | os.PathLike[str]) -> None:
    """Run the Python file at `path` with `kr` (bound to `session`) and `krs` in scope."""
    file = Path(path)
    code = compile(file.read_text(), str(file), "exec")
    ns: dict[str, Any] = {
        "kr": scope(session),
        "krs": krs,
        "__name__": "__kr_load__",
        "__file__": str(file),
        "__builtins__": builtins,
    }
    exec(code, ns)  # noqa: S102 - running the user's session file is the point
