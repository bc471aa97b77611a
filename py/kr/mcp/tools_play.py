"""Tools: patterns (play, hush) and routing (route, unroute)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from .._kr import Pattern
from . import views
from .hints import changes
from .link import Link
from .results import Event, Hushed, Playing, Routes
from .tools_nodes import NodeName

MAX_EVENTS = 64

PATTERN_HELP = (
    "Mini-notation (TidalCycles/Strudel): one cycle (a bar) is split evenly between steps: "
    "`a2 d3 ~ e2` (~ is a rest; notes as names like c#4 or MIDI numbers), `[d3 e3]` "
    "subdivides a step, `x*4` repeats, `<a b>` alternates per cycle, `a, b` stacks, `t` is a "
    "hit, `t(3,8)` a Euclidean rhythm. Or the pattern IR: a JSON object "
    '(`{"v":1,"p":{"op":"mini","src":"a2 d3"}}`, or just its `p` node).'
)


def parse(pattern: str | dict[str, Any]) -> str | Pattern:
    """Mini-notation stays a string (the engine stores it as written); an IR object, or a
    string holding one, becomes a Pattern. Errors (with their column or IR path) raise
    ValueError."""
    obj: Any = pattern
    if isinstance(pattern, str):
        text = pattern.strip()
        if not text.startswith("{"):
            Pattern.mini(pattern)  # a syntax error is raised here, with its column
            return pattern
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            Pattern.mini(pattern)  # `{a b, c d e}` is mini-notation (polymeter)
            return pattern
    if not isinstance(obj, dict):
        raise ValueError("a pattern is mini-notation (a string) or pattern IR (a JSON object)")
    if "v" not in obj and "op" in obj:
        obj = {"v": 1, "p": obj}
    return Pattern.from_ir(json.dumps(obj))


def first_cycle(p: str | Pattern) -> list[Event]:
    pat = Pattern.mini(p) if isinstance(p, str) else p
    events: list[Event] = []
    for e in pat.query(0, 1):
        if e.has_onset and e.whole is not None and len(events) < MAX_EVENTS:
            v = e.value
            text = v if isinstance(v, str) else json.dumps(v)
            events.append(Event(cycle=round(float(e.whole[0]), 6), value=text))
    return events


def register(server: MCPServer, link: Link) -> None:
    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def play(
        target: Annotated[
            str,
            Field(
                description="A node (its notes: `freq`/`note` gets the pitch, `gate` rises at "
                "each onset) or a control path (`bass/cutoff`: events set the control)."
            ),
        ],
        pattern: Annotated[str | dict[str, Any], Field(description=PATTERN_HELP)],
        from_zero: Annotated[
            bool,
            Field(
                description="Start the pattern's cycle 0 at the next cycle boundary instead of "
                "keeping it in phase with the global cycle."
            ),
        ] = False,
    ) -> Playing:
        """Play a pattern on a node or a control, replacing what played there (in phase).
        Returns the pattern's events in its first cycle, so you can check what it means."""
        with link.session() as s:
            parsed = parse(pattern)  # inside: its ValueError is the assistant's to read
            s.play(target, parsed, from_zero=from_zero)
            state = s.dump()
        info = next((p for p in views.patterns(state) if p["target"] == target), None)
        return Playing(
            target=target,
            pattern=info["pattern"] if info else str(pattern),  # None: hushed by someone since
            from_zero=info["from_zero"] if info else from_zero,
            first_cycle=first_cycle(parsed),
        )

    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def hush(
        target: Annotated[
            str | None,
            Field(
                description="A node, a control path, or a group (`drums` hushes every pattern "
                "under drums/); omitted: every pattern."
            ),
        ] = None,
    ) -> Hushed:
        """Stop patterns (the nodes stay; a note already sounding finishes its release)."""
        with link.session() as s:
            before = {p["target"] for p in s.dump()["patterns"]}
            s.hush(target)
            after = {p["target"] for p in s.dump()["patterns"]}
        return Hushed(hushed=sorted(before - after), playing=sorted(after))

    @server.tool(annotations=changes(destructive=False, idempotent=True))
    def route(
        source: NodeName,
        target: Annotated[str, Field(description="An effect: a node with audio inputs.")],
        level: Annotated[float, Field(description="Send level, 0-16.")] = 1.0,
    ) -> Routes:
        """A post-fader send from `source` into the effect `target`; routing again changes the
        level. A route that would make a cycle is refused. Returns every route."""
        with link.session() as s:
            s.route(source, target, level)
            return Routes(routes=views.routes(s.dump()))

    @server.tool(annotations=changes(destructive=True, idempotent=True))
    def unroute(source: NodeName, target: NodeName) -> Routes:
        """Remove the send from `source` to `target`. Returns every route left."""
        with link.session() as s:
            s.unroute(source, target)
            return Routes(routes=views.routes(s.dump()))
