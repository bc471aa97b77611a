"""Resources: the OSC protocol reference and the session as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from .link import Link

_PACKAGE = Path(__file__).resolve().parent.parent  # .../kr


def protocol_candidates() -> list[Path]:
    """Where docs/protocol.md may be: next to the installed package, or in the source
    checkout the package is run from (py/kr -> the repository root)."""
    return [_PACKAGE / "docs" / "protocol.md", _PACKAGE.parent.parent / "docs" / "protocol.md"]


def protocol_text() -> str:
    for path in protocol_candidates():
        if path.is_file():
            return path.read_text(encoding="utf-8")
    tried = ", ".join(str(p) for p in protocol_candidates())
    return (
        "# kr OSC protocol: not found\n\n"
        f"docs/protocol.md is not installed with this copy of kr (looked in: {tried}). "
        "It is in the kr source repository, docs/protocol.md.\n"
    )


def register(server: MCPServer, link: Link) -> None:
    @server.resource(
        "kr://protocol",
        name="protocol",
        description="The kr OSC protocol: every address, argument, range and error.",
        mime_type="text/markdown",
    )
    def protocol() -> str:
        return protocol_text()

    @server.resource(
        "kr://session",
        name="session",
        description="The engine's whole session state (/kr/dump) as JSON: tempo, meter, "
        "master, clock, nodes with sources, controls and ports, routes, patterns (IR), scenes.",
        mime_type="application/json",
    )
    def session() -> str:
        try:
            state = link.dump()
        except ToolError as e:
            raise ResourceError(str(e)) from None
        return json.dumps(state, indent=1, sort_keys=True)
