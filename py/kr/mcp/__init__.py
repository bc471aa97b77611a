"""kr's MCP server: lets an AI assistant play kr through typed tools, safely.

`kr-mcp` (or `python -m kr.mcp`) serves the Model Context Protocol over stdio, built on the
`mcp` package (2.x, `pip install 'kr[mcp]'`). It drives the krd at $KR_HOST:$KR_PORT
(127.0.0.1:57140) through a `kr.Session`.

It does not start krd by default: the engine is the user's (their JACK server, their
speakers), and one that a tool server started would stop when the assistant disconnects.
With no krd answering, every tool says so and how to start one. `kr-mcp --start-krd` opts in
to starting one the way `kr.Session` does (it stops when kr-mcp exits).

The tools mirror the OSC protocol (nodes from FAUST source, controls, patterns, routes,
tempo, master, mute/solo, scenes, recording), plus `panic` and `listen` (an offline rendering of
the session, measured). No tool runs Python: DSP is FAUST text, patterns are mini-notation or
pattern IR. Every refusal comes back as a tool error with the engine's own reason (libfaust's
text for FAUST errors).

`build_server(link)` makes the server for in-process use (tests: `mcp.Client(server)`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """The `kr-mcp` command."""
    try:
        from .server import main as serve
    except ModuleNotFoundError as e:
        if e.name is None or e.name.split(".")[0] not in ("mcp", "mcp_types"):
            raise
        sys.exit("kr-mcp needs the mcp package (2.x): pip install 'kr[mcp]' or 'mcp>=2.3,<3'")
    serve(argv)
