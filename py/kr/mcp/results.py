"""What the tools return: typed dicts, published to the client as output schemas."""

from __future__ import annotations

from typing_extensions import TypedDict


class Status(TypedDict):
    engine: str
    """host:port of the krd."""
    ok: bool
    sample_rate: float
    tempo: float
    meter: float
    """Beats per cycle; a cycle is a bar."""
    master: float
    cycle: float
    """The engine's position in cycles, now."""
    nodes: list[str]
    playing: list[str]
    """The targets (nodes or control paths) with a pattern."""
    routes: list[str]
    """`from -> to (level)`."""
    scenes: list[str]
    load_mean: float
    load_peak: float
    xruns: int
    uptime_s: float


class NodeSummary(TypedDict):
    name: str
    kind: str
    """"source" (no inputs) or "effect"."""
    voices: int
    gain: float
    muted: bool
    soloed: bool
    controls: list[str]
    playing: bool
    """Whether a pattern plays the node's notes."""


class NodeList(TypedDict):
    nodes: list[NodeSummary]


class Control(TypedDict):
    name: str
    value: float
    min: float
    max: float
    init: float
    step: float
    kind: str


class PatternInfo(TypedDict):
    target: str
    pattern: str
    """Mini-notation as given, else the pattern IR as JSON."""
    from_zero: bool


class Route(TypedDict):
    source: str
    target: str
    level: float


class NodeDetail(TypedDict):
    name: str
    kind: str
    voices: int
    gain: float
    muted: bool
    soloed: bool
    inputs: int
    outputs: int
    controls: list[Control]
    ports: list[str]
    patterns: list[PatternInfo]
    """Patterns on the node's notes and on its controls."""
    sends: list[Route]
    receives: list[Route]
    source: str
    """The FAUST program, or `faust:<type>`."""


class Removed(TypedDict):
    removed: str
    nodes: list[str]
    """The nodes left."""


class ControlValue(TypedDict):
    path: str
    value: float
    """The value as it sounds right after the call (clamped to the control's range)."""
    target: float
    bars: float
    """0: set at once; else the fade's length in bars (cycles)."""


class Event(TypedDict):
    cycle: float
    """Onset within the first cycle, 0 <= cycle < 1."""
    value: str


class Playing(TypedDict):
    target: str
    pattern: str
    from_zero: bool
    first_cycle: list[Event]
    """The events of cycle 0 with an onset: what the pattern means (at most 64)."""


class Hushed(TypedDict):
    hushed: list[str]
    playing: list[str]
    """The targets still playing."""


class Routes(TypedDict):
    routes: list[Route]


class Transport(TypedDict):
    tempo: float
    meter: float
    master: float


class MuteSolo(TypedDict):
    muted: list[str]
    soloed: list[str]


class Scenes(TypedDict):
    scenes: list[str]


class Recording(TypedDict):
    file: str
    target: str
    """"master" or a node."""


class RecordedFile(TypedDict):
    path: str
    frames: int
    seconds: float


class Recorded(TypedDict):
    files: list[RecordedFile]
    message: str
    """The engine's own report (it mentions dropped samples, if any)."""


class Panic(TypedDict):
    hushed: list[str]
    master_was: float
    fade_seconds: float
    errors: list[str]
    """Anything that could not be done (empty when all went well)."""


class Listening(TypedDict):
    seconds: float
    start_cycle: float
    """The live cycle position the excerpt starts at."""
    cycles_per_second: float
    peak: float
    peak_db: float
    rms: float
    rms_db: float
    centroid_hz: float
    """Spectral centroid: brightness (a sub bass ~100 Hz, a bright lead ~2000 Hz)."""
    onsets_s: list[float]
    """Attack times from the excerpt's start, in seconds (about 5 ms accurate)."""
    onset_cycles: list[float]
    """The same attacks as live cycle positions (start_cycle + onsets_s * cycles_per_second)."""
    silent: bool
    """Peak below -80 dBFS."""
    nodes: list[str]
    """The nodes rendered."""
