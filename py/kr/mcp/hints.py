"""Tool annotations: what a client may assume about a tool before calling it.

Destructive means the call may remove or replace something built up (a node, its DSP, a
pattern, a route, a scene, a file); setting a value that the same tool can set back (a
control, a gain, tempo, master, a mute or solo) is not. Idempotent means a second identical
call changes nothing more. No tool reaches beyond the local krd (open_world_hint False)."""

from __future__ import annotations

from mcp_types import ToolAnnotations

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def changes(*, destructive: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )
