"""Exceptions raised by kr. Every one says what happened, with the engine's own explanation when
it has one; nothing that goes wrong talking to the engine surfaces as a bare `OSError`."""


class KrError(Exception):
    """Anything the engine refused or kr could not do: the base of kr's exceptions."""


class FaustError(KrError):
    """FAUST rejected a program; the message is libfaust's own text."""


class RequestError(KrError, ValueError):
    """A request refused: by the wire format's validation, run before sending (a value out of
    range, a malformed name), or by the engine, with its reason (`/kr/fail`: no node of that
    name, a control it lacks, a route that would make a cycle). Also a ValueError."""


class EngineUnavailable(KrError):
    """No krd answers at the address (and none could be started), or the connection to it
    was lost."""


class EngineTimeout(KrError):
    """krd is there but did not answer a request in time: busy (a long compile) or stuck."""
