"""Tool: listen to the session — rendered offline, measured, never played."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from .hints import READ_ONLY
from .link import Link
from .listen import listen as render_and_measure
from .results import Listening

MAX_SECONDS = 30.0


def register(server: MCPServer, link: Link) -> None:
    @server.tool(annotations=READ_ONLY)
    def listen(
        seconds: Annotated[
            float, Field(gt=0, le=MAX_SECONDS, description="How long to listen, up to 30 s.")
        ] = 4.0,
        only: Annotated[
            str | None,
            Field(description="Listen to this node or group alone (soloed in the rendering)."),
        ] = None,
        from_next_cycle: Annotated[
            bool,
            Field(description="Start at the next cycle (bar) boundary instead of now."),
        ] = False,
    ) -> Listening:
        """Hear what the session will sound like over the next `seconds`, as numbers: the
        engine renders the current session offline (`krd render`; live sound is untouched)
        and returns peak and RMS (linear and dBFS), spectral centroid (brightness) and the
        onset (attack) times, in seconds from the start and as cycle positions, so you can
        check that notes land where the pattern puts them. Not rendered: fades in progress
        (heard at their stored value) and audio from JACK inputs."""
        state = link.dump()  # the only moment the engine is asked: rendering needs no lock
        return render_and_measure(state, seconds, only, from_next_cycle)
