"""Tools: tempo, master, mute and solo, and the panic button."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..errors import KrError
from . import views
from .hints import changes
from .link import Link
from .results import MuteSolo, Panic, Transport
from .tools_nodes import Bars, NodeName

PANIC_FADE_S = 0.2


def register(server: MCPServer, link: Link) -> None:
    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def set_tempo(
        bpm: Annotated[float, Field(description="Beats per minute, 1-1000.")],
        meter: Annotated[
            float | None, Field(description="Beats per cycle (bar), 0.25-64; omitted: unchanged.")
        ] = None,
    ) -> Transport:
        """Set the tempo (and the meter). It takes effect at the end of what is already
        scheduled, keeping the cycle position: nothing jumps."""
        with link.session() as s:
            with s.batch():  # both or neither
                s.tempo = bpm
                if meter is not None:
                    s.meter = meter
            return views.transport(s.dump())

    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def set_master(
        gain: Annotated[float, Field(description="Master gain, 0-4 (0.8 is the default).")],
        bars: Bars = 0.0,
    ) -> Transport:
        """Set the master gain (smoothed), or fade it over `bars` bars."""
        with link.session() as s:
            if bars != 0:  # a negative length is refused by the engine, with its range
                s.fade("master", gain, bars=bars)
            else:
                s.master = gain
            return views.transport(s.dump())

    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def mute(
        name: NodeName,
        on: Annotated[bool, Field(description="True mutes, False unmutes.")] = True,
    ) -> MuteSolo:
        """Mute (or unmute) a node, sends included, or every node of a group (`drums` mutes
        drums/kick and drums/hat). Returns every muted and soloed node."""
        with link.session() as s:
            if on:
                s.mute(name)
            else:
                s.unmute(name)
            return views.mute_solo(s.dump())

    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def solo(
        name: NodeName,
        on: Annotated[bool, Field(description="True solos, False ends the solo.")] = True,
    ) -> MuteSolo:
        """Solo (or unsolo) a node or a group: while anything is soloed, only soloed nodes and
        the effects they feed reach master. Returns every muted and soloed node."""
        with link.session() as s:
            if on:
                s.solo(name)
            else:
                s.unsolo(name)
            return views.mute_solo(s.dump())

    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def panic() -> Panic:
        """Silence now: stop every pattern and fade master to 0 over 0.2 s. The nodes stay;
        `set_master` brings the sound back. Each step is tried even if another fails."""
        errors: list[str] = []
        with link.session() as s:
            state = s.dump()
            before = sorted(str(p["target"]) for p in state["patterns"])
            try:
                s.hush()
            except KrError as e:
                errors.append(f"hush: {e}")
            cycles = min(1024.0, PANIC_FADE_S * float(state["clock"]["cps"]))
            try:
                s.fade("master", 0.0, bars=cycles)
            except KrError as e:
                errors.append(f"master: {e}")
                try:
                    s.master = 0.0
                    errors.pop()
                except KrError as e2:
                    errors.append(f"master: {e2}")
            after = {str(p["target"]) for p in s.dump()["patterns"]}
        if len(errors) == 2:
            raise ToolError("panic failed: " + "; ".join(errors))
        return Panic(
            hushed=[t for t in before if t not in after],
            master_was=float(state["master"]),
            fade_seconds=PANIC_FADE_S,
            errors=errors,
        )
