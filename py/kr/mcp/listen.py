"""`listen`: the live session, rendered offline by `krd render` for the next few seconds, and
measured.

The score is built from the engine's state dump: tempo, meter, master, every node with its DSP,
voices, gain, control values, mutes and solos, the routes, and the patterns, shifted so the
render's cycle 0 is one whole cycle before the excerpt (that cycle is a pre-roll, so notes and
effect tails already sounding are heard, and is cut off). What a dump does not hold is not
rendered: a fade in progress sounds at its stored value, a `from_zero` pattern in phase with the
global cycle, audio arriving on JACK input ports not at all."""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from ..engine import find_krd
from ..errors import EngineUnavailable
from . import analysis
from .results import Listening

RENDER_TIMEOUT_S = 120.0
TAIL_S = 0.1  # rendered after the excerpt, so its end is not mistaken for an attack
NOTE_CONTROLS = ("gate", "freq", "note", "midi")  # what a note pattern drives


def cycle_now(state: dict[str, Any]) -> float:
    """The engine's cycle position when the dump was taken."""
    clock = state["clock"]
    num, den = clock["origin_cycle"]
    elapsed = (float(clock["frame"]) - float(clock["origin_frame"])) / float(clock["sample_rate"])
    return float(Fraction(int(num), int(den))) + elapsed * float(clock["cps"])


def score(state: dict[str, Any], base: int, seconds: float, only: str | None) -> dict[str, Any]:
    """A `krd render` score (JSON is YAML) that rebuilds `state` with the render's cycle 0 at
    the live cycle `base`, lasting `seconds`; with `only`, that node (or group) soloed."""
    commands: list[dict[str, Any]] = [
        {"cmd": "tempo", "bpm": state["tempo"]},
        {"cmd": "meter", "beats": state["meter"]},
        {"cmd": "master", "gain": state["master"]},
    ]
    noted = {p["target"] for p in state["patterns"]}
    for node in state["nodes"]:
        name = node["name"]
        commands.append(
            {
                "cmd": "node_new",
                "name": name,
                "source": node["source"],
                "count": node["count"],
                "gain": node["gain"],
            }
        )
        for c in node["controls"]:
            if name in noted and c["name"] in NOTE_CONTROLS:
                continue  # the pattern plays these; a held gate would sound as a stuck note
            commands.append({"cmd": "set", "path": f"{name}/{c['name']}", "value": c["value"]})
        if node["muted"]:
            commands.append({"cmd": "mute", "name": name, "on": True})
        if node["soloed"] and only is None:
            commands.append({"cmd": "solo", "name": name, "on": True})
    if only is not None:
        commands.append({"cmd": "solo", "name": only, "on": True})
    for r in state["routes"]:
        commands.append({"cmd": "route", "from": r["from"], "to": r["to"], "level": r["level"]})
    timed: list[dict[str, Any]] = [{"at": 0, **c} for c in commands]
    for p in state["patterns"]:
        ir = p["pattern"]["p"]
        shifted = {"op": "early", "by": {"op": "pure", "value": float(base)}, "pat": ir}
        timed.append(
            {
                "at": {"cycle": 0},
                "cmd": "play",
                "target": p["target"],
                "pattern": shifted if base else ir,
                "from_zero": False,
            }
        )
    return {"duration": seconds, "commands": timed}


def render(score_doc: dict[str, Any], sample_rate: int) -> tuple[int, analysis.Audio]:
    """Run `krd render` on a score; the WAV's rate and samples. krd's own error on failure."""
    try:
        krd = find_krd()
    except EngineUnavailable as e:
        raise ToolError(str(e)) from None
    with tempfile.TemporaryDirectory(prefix="kr-listen-") as tmp:
        path = Path(tmp) / "score.yaml"
        path.write_text(json.dumps(score_doc))
        out = Path(tmp) / "listen.wav"
        args = [krd, "render", str(path), "-o", str(out), "--sample-rate", str(sample_rate)]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ToolError(f"krd render took longer than {RENDER_TIMEOUT_S:.0f} s") from None
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.startswith("krd: ")]
            reason = lines[-1][len("krd: ") :] if lines else done.stderr.strip()[-2000:]
            raise ToolError(f"krd render failed: {reason}")
        return analysis.read_wav(out)


def listen(
    state: dict[str, Any], seconds: float, only: str | None, from_next_cycle: bool
) -> Listening:
    """Render the next `seconds` of the session in `state` (from now, or from the next cycle
    boundary) and measure it."""
    names = [str(n["name"]) for n in state["nodes"]]
    if only is not None and not any(n == only or n.startswith(only + "/") for n in names):
        raise ToolError(f"no node or group named {only!r}; the nodes are: {', '.join(names)}")
    cps = float(state["clock"]["cps"])
    now = cycle_now(state)
    start = float(math.ceil(now)) if from_next_cycle else now
    base = math.floor(start) - 1
    preroll = (start - base) / cps
    rate = int(state["clock"]["sample_rate"])
    got_rate, x = render(score(state, base, preroll + seconds + TAIL_S, only), rate)
    skip = int(round(preroll * got_rate))
    end = skip + int(round(seconds * got_rate))
    a = analysis.analyse(x, got_rate, skip, end)
    onsets = [round(t, 4) for t in a.onsets_s]
    return Listening(
        seconds=round((min(end, len(x)) - skip) / got_rate, 4),
        start_cycle=round(start, 4),
        cycles_per_second=cps,
        peak=a.peak,
        peak_db=round(analysis.db(a.peak), 2),
        rms=a.rms,
        rms_db=round(analysis.db(a.rms), 2),
        centroid_hz=round(a.centroid_hz, 1),
        onsets_s=onsets,
        onset_cycles=[round(start + t * cps, 4) for t in onsets],
        silent=analysis.db(a.peak) < -80.0,
        nodes=sorted(n for n in names if only is None or n == only or n.startswith(only + "/")),
    )
