"""Exceptions raised by kr. Every one carries the engine's own explanation."""


class KrError(Exception):
    """A request that the engine refused, or an engine that cannot be reached."""


class FaustError(KrError):
    """FAUST rejected a program; the message is libfaust's own text."""


class EngineUnavailable(KrError):
    """No krd answers, and none could be started."""
