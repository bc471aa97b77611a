"""Tools: scenes (save, recall, list) and recording to WAV files."""

from __future__ import annotations

import re
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from . import views
from .hints import READ_ONLY, changes
from .link import Link
from .listen import cycle_now
from .results import Recorded, RecordedFile, Recording, Scenes, Status
from .tools_nodes import Bars

SceneName = Annotated[str, Field(description="A scene name (`verse`, `drop`).")]
_RECORDED = re.compile(r"recorded (\d+) frames to (.+?\.wav)(?=;|$)")


def recorded_files(message: str, sample_rate: float) -> list[RecordedFile]:
    """The files named in `/kr/record/stop`'s reply, with their lengths."""
    return [
        RecordedFile(
            path=m.group(2),
            frames=int(m.group(1)),
            seconds=round(int(m.group(1)) / sample_rate, 4) if sample_rate else 0.0,
        )
        for m in _RECORDED.finditer(message)
    ]


def register(server: MCPServer, link: Link) -> None:
    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def save_scene(name: SceneName) -> Scenes:
        """Store the whole session (nodes with DSP, controls, gains, mutes, solos, routes,
        patterns, tempo, meter, master) in the engine as a scene; an existing scene of that
        name is replaced. Returns every scene."""
        with link.session() as s:
            s.save(name)
            return Scenes(scenes=s.scenes())

    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def recall_scene(name: SceneName, bars: Bars = 0.0) -> Status:
        """Make the session equal a scene: nodes it lacks are removed, its nodes, routes and
        patterns restored (patterns keep their phase); controls, gains and master fade over
        `bars` bars. Returns the status after the recall."""
        with link.session() as s:
            s.recall(name, bars)
            health = s.status()
            state = s.dump()
        return views.status(link.address, health, state, cycle_now(state))

    @server.tool(annotations=READ_ONLY)
    def list_scenes() -> Scenes:
        """The scenes stored in the engine, sorted."""
        with link.session() as s:
            return Scenes(scenes=s.scenes())

    @server.tool(annotations=changes(destructive=True, idempotent=False))
    def record(
        file: Annotated[
            str,
            Field(
                description="A .wav path relative to krd's recording directory (segments of "
                "letters, digits, _ - . joined by /); an existing file is overwritten."
            ),
        ],
        node: Annotated[
            str | None, Field(description="Record this node's output; omitted: master.")
        ] = None,
    ) -> Recording:
        """Start recording master (or one node) to a 32-bit float WAV file, from the next
        audio block, until `stop_recording`."""
        with link.session() as s:
            s.record(file, node)
        return Recording(file=file, target=node or "master")

    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def stop_recording(
        file: Annotated[
            str | None, Field(description="The file given to `record`; omitted: every one.")
        ] = None,
    ) -> Recorded:
        """Stop recording; the files are complete when this returns. Returns their full
        paths and lengths."""
        with link.session() as s:
            message = s.stop_record(file)
            rate = float(s.status().get("sample_rate", 0.0))
        return Recorded(files=recorded_files(message, rate), message=message)
