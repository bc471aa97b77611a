"""The engine's state dump seen as the tools' results."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from ..handle import control_names
from .results import (
    Control,
    MuteSolo,
    NodeDetail,
    NodeSummary,
    PatternInfo,
    Route,
    Status,
    Transport,
)


def pattern_text(ir: dict[str, Any]) -> str:
    """Mini-notation as it was given, else the IR node as compact JSON."""
    if ir.get("op") == "mini" and isinstance(ir.get("src"), str):
        return str(ir["src"])
    return json.dumps(ir, separators=(",", ":"))


def patterns(state: dict[str, Any]) -> list[PatternInfo]:
    return [
        PatternInfo(
            target=str(p["target"]),
            pattern=pattern_text(p["pattern"]["p"]),
            from_zero=bool(p["from_zero"]),
        )
        for p in state["patterns"]
    ]


def routes(state: dict[str, Any]) -> list[Route]:
    return [
        Route(source=str(r["from"]), target=str(r["to"]), level=float(r["level"]))
        for r in state["routes"]
    ]


def node_names(state: dict[str, Any]) -> list[str]:
    return sorted(str(n["name"]) for n in state["nodes"])


def find_node(state: dict[str, Any], name: str) -> dict[str, Any]:
    for n in state["nodes"]:
        if n["name"] == name:
            node: dict[str, Any] = n
            return node
    names = ", ".join(node_names(state)) or "none"
    raise ToolError(f"no node named {name!r}; the nodes are: {names}")


def _kind(node: dict[str, Any]) -> str:
    return "effect" if int(node["inputs"]) > 0 else "source"


def summary(state: dict[str, Any], node: dict[str, Any]) -> NodeSummary:
    targets = {p["target"] for p in state["patterns"]}
    return NodeSummary(
        name=str(node["name"]),
        kind=_kind(node),
        voices=int(node["count"]),
        gain=float(node["gain"]),
        muted=bool(node["muted"]),
        soloed=bool(node["soloed"]),
        controls=control_names(node),
        playing=node["name"] in targets,
    )


def detail(state: dict[str, Any], name: str) -> NodeDetail:
    node = find_node(state, name)
    controls = [
        Control(
            name=str(c["name"]),
            value=float(c["value"]),
            min=float(c["min"]),
            max=float(c["max"]),
            init=float(c["init"]),
            step=float(c["step"]),
            kind=str(c["kind"]),
        )
        for c in node["controls"]
    ]
    all_routes = routes(state)
    return NodeDetail(
        name=name,
        kind=_kind(node),
        voices=int(node["count"]),
        gain=float(node["gain"]),
        muted=bool(node["muted"]),
        soloed=bool(node["soloed"]),
        inputs=int(node["inputs"]),
        outputs=int(node["outputs"]),
        controls=controls,
        ports=[str(p) for p in node["ports"]],
        patterns=[
            p for p in patterns(state) if p["target"] == name or p["target"].startswith(name + "/")
        ],
        sends=[r for r in all_routes if r["source"] == name],
        receives=[r for r in all_routes if r["target"] == name],
        source=str(node["source"]),
    )


def status(engine: str, health: dict[str, Any], state: dict[str, Any], cycle: float) -> Status:
    return Status(
        engine=engine,
        ok=bool(health.get("ok", False)),
        sample_rate=float(health.get("sample_rate", 0.0)),
        tempo=float(state["tempo"]),
        meter=float(state["meter"]),
        master=float(state["master"]),
        cycle=round(cycle, 4),
        nodes=node_names(state),
        playing=sorted(str(p["target"]) for p in state["patterns"]),
        routes=[f"{r['source']} -> {r['target']} ({r['level']:.3g})" for r in routes(state)],
        scenes=sorted(str(s) for s in state.get("scenes", [])),
        load_mean=float(health.get("load_mean", 0.0)),
        load_peak=float(health.get("load_peak", 0.0)),
        xruns=int(health.get("xruns", 0)),
        uptime_s=float(health.get("uptime_s", 0.0)),
    )


def transport(state: dict[str, Any]) -> Transport:
    return Transport(
        tempo=float(state["tempo"]), meter=float(state["meter"]), master=float(state["master"])
    )


def mute_solo(state: dict[str, Any]) -> MuteSolo:
    return MuteSolo(
        muted=sorted(str(n["name"]) for n in state["nodes"] if n["muted"]),
        soloed=sorted(str(n["name"]) for n in state["nodes"] if n["soloed"]),
    )
