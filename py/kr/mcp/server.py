"""The MCP server: kr's tools and resources on one `MCPServer`, and the `kr-mcp` command."""

from __future__ import annotations

import argparse

from mcp.server.mcpserver import MCPServer

from . import resources, tools_listen, tools_mix, tools_nodes, tools_play, tools_scenes
from .link import Link

INSTRUCTIONS = """\
You are playing kr, a live-coding audio engine: what you change is heard at once.
Call `status` first. Nodes are FAUST programs (`define_node`); a node without inputs makes
sound, a node with inputs is an effect that other nodes `route` into. A cycle is a bar:
`play` a pattern (mini-notation such as "a2 [d3 e3] ~ e2", or pattern IR JSON) on a node to
play notes (it drives the node's `freq` and `gate` controls) or on a control path
("bass/cutoff") to move it. `set_control` sets or fades controls and gains; `describe_node`
shows a node's controls and ranges. Use `listen` to check what you did: it renders the next
seconds offline and reports level, brightness and onset times. `panic` silences everything.
Keep levels sane: master around 0.8, node gains below 1."""


def build_server(link: Link | None = None) -> MCPServer:
    """The server, with every tool and resource bound to `link` (default: the krd at
    $KR_HOST:$KR_PORT, never started by the server)."""
    link = link or Link()
    server = MCPServer("kr", instructions=INSTRUCTIONS)
    for module in (tools_nodes, tools_play, tools_mix, tools_scenes, tools_listen, resources):
        module.register(server, link)
    return server


def main(argv: list[str] | None = None) -> None:
    """`kr-mcp`: serve MCP over stdio."""
    parser = argparse.ArgumentParser(
        prog="kr-mcp",
        description="An MCP server (stdio) that lets an AI assistant play kr: it drives the "
        "krd at --host/--port ($KR_HOST/$KR_PORT, default 127.0.0.1:57140).",
    )
    parser.add_argument("--host", default=None, help="krd's host (default $KR_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="krd's port (default $KR_PORT)")
    parser.add_argument(
        "--start-krd",
        action="store_true",
        help="start krd (needs JACK) when none answers; it stops when kr-mcp exits",
    )
    args = parser.parse_args(argv)
    link = Link(args.host, args.port, start_krd=args.start_krd)
    try:
        build_server(link).run("stdio")
    finally:
        link.close()
