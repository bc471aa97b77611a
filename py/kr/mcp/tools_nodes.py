"""Tools: the engine's status, nodes (list, describe, define, remove) and their controls."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from . import views
from .hints import READ_ONLY, changes
from .link import Link
from .listen import cycle_now
from .results import ControlValue, NodeDetail, NodeList, Removed, Status

NodeName = Annotated[
    str,
    Field(
        description="A node name: segments of letters, digits, _ - . joined by / "
        "(`bass`, `drums/kick`); a group is a name's leading segments (`drums`)."
    ),
]
ControlPath = Annotated[
    str,
    Field(
        description="A node name, `/`, and a control label (`bass/cutoff`); `<node>/gain` is "
        "the node's fader; `master` is the master gain."
    ),
]
Bars = Annotated[
    float,
    Field(description="0: at once; else a linear fade over this many bars (cycles), 0-1024."),
]


def register(server: MCPServer, link: Link) -> None:
    @server.tool(annotations=READ_ONLY)
    def status() -> Status:
        """The engine at a glance: health and load, tempo, meter (beats per cycle; a cycle is a
        bar), master, the cycle position now, nodes, what plays, routes, scenes. Call it first."""
        with link.session() as s:
            health = s.status()
            state = s.dump()
        return views.status(link.address, health, state, cycle_now(state))

    @server.tool(annotations=READ_ONLY)
    def list_nodes() -> NodeList:
        """Every node: source (makes sound) or effect (has inputs), voices, gain, mute and solo,
        control names, and whether a pattern plays its notes."""
        state = link.dump()
        return NodeList(nodes=[views.summary(state, n) for n in state["nodes"]])

    @server.tool(annotations=READ_ONLY)
    def describe_node(name: NodeName) -> NodeDetail:
        """One node in full: its controls with values and ranges, JACK ports, the patterns on
        it and on its controls, its sends and receives, and its FAUST source."""
        return views.detail(link.dump(), name)

    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def define_node(
        name: NodeName,
        source: Annotated[
            str,
            Field(
                description='A FAUST program (`import("stdfaust.lib"); process = ...;`) or '
                "`faust:<type>` for <type>.dsp in the engine's dsp directory. hslider/button "
                "labels become controls; a note pattern drives `freq` (or `note`/`midi`) and "
                "`gate`. A program with inputs is an effect."
            ),
        ],
        gain: Annotated[float, Field(description="The node's fader, 0-16.")] = 1.0,
        voices: Annotated[int, Field(description="Polyphony, 1-64.")] = 1,
    ) -> NodeDetail:
        """Create a node, or redefine an existing one (the old and new DSP crossfade; controls
        both have keep their values). A FAUST compile error comes back verbatim and leaves the
        session unchanged. Returns the node with its controls and their ranges."""
        with link.session() as s:
            s.node(name, source, gain=gain, count=voices)
            return views.detail(s.dump(), name)

    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def remove_node(name: NodeName) -> Removed:
        """Remove a node with its routes and patterns."""
        with link.session() as s:
            s.remove(name)
            return Removed(removed=name, nodes=views.node_names(s.dump()))

    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def set_control(
        path: ControlPath,
        value: Annotated[float, Field(description="The value; clamped to the control's range.")],
        bars: Bars = 0.0,
    ) -> ControlValue:
        """Set a control, a node's gain or master, at once or as a fade over `bars` bars. A
        later set or fade of the same path replaces a running fade. Returns the value as it
        sounds right after the call (clamped; the start of a fade)."""
        with link.session() as s:
            if bars != 0:  # a negative length is refused by the engine, with its range
                s.fade(path, value, bars=bars)
            else:
                s.set(path, value)
            now = s.get(path)
        return ControlValue(path=path, value=now, target=value, bars=bars)
