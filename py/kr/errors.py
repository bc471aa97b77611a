"""Exceptions raised by kr. Every one carries the engine's own explanation."""


class KrError(Exception):
    """A request that the engine refused, or an engine that cannot be reached."""


class FaustError(KrError):
    """FAUST rejected a program; the message is libfaust's own text."""


class RequestError(KrError, ValueError):
    """A request that fails the wire format's validation (the engine's own checks, run before
    sending): a value out of range, a malformed name. Also a ValueError."""


class EngineUnavailable(KrError):
    """No krd answers, and none could be started."""
