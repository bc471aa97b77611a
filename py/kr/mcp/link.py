"""The MCP server's one connection to krd: a `kr.Session`, used by one tool call at a time, with
every refusal turned into a `ToolError` that carries the engine's own reason."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from ..client import DEFAULT_HOST, DEFAULT_PORT, Client
from ..errors import KrError
from ..session import Session


class Link:
    """Where krd is, and the session that talks to it.

    Sync tools run on worker threads, and a `kr.Client` matches replies to its own requests on
    one socket, so calls are serialized by `lock`. With `start_krd` False (the default) the
    server never starts an engine: a tool call with no krd answering fails and says how to start
    one. With it True, the first call starts krd the way `kr.Session` does (and the server's exit
    stops it)."""

    def __init__(
        self, host: str | None = None, port: int | None = None, start_krd: bool = False
    ) -> None:
        self.host: str = host or os.environ.get("KR_HOST", DEFAULT_HOST)
        self.port: int = port or int(os.environ.get("KR_PORT", DEFAULT_PORT))
        self.start_krd = start_krd
        self.lock = threading.RLock()
        self._session: Session | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _open(self) -> Session:
        if self._session is None:
            if not self.start_krd:
                probe = Client(self.host, self.port)
                try:
                    answered = probe.status(1.0) is not None
                finally:
                    probe.close()
                if not answered:
                    raise ToolError(
                        f"no krd answers at {self.address}: start it (`krd`, or "
                        "`systemctl --user start krd`), or run `kr-mcp --start-krd`"
                    )
            session = Session(self.host, self.port)
            try:
                session.status()  # connects; starts krd only when start_krd let it get here
            except KrError as e:
                session.close()
                raise ToolError(str(e)) from None
            self._session = session
        return self._session

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The session, for one tool call; the engine's refusals become ToolErrors."""
        with self.lock:
            session = self._open()
            try:
                yield session
            except ToolError:
                raise
            except (KrError, ValueError) as e:
                # KrError: the engine's /kr/fail text (FaustError: libfaust's). ValueError: kr's
                # own checks before sending (RequestError, mini-notation and pattern IR errors).
                # Anything else is a bug: the SDK logs it and tells the client only its name.
                raise ToolError(str(e)) from None
            except OSError as e:
                raise ToolError(f"cannot talk to krd at {self.address}: {e}") from None

    def dump(self) -> dict[str, Any]:
        """The engine's session state."""
        with self.session() as s:
            return s.dump()

    def close(self) -> None:
        """Disconnect; stop the krd this server started, if any."""
        with self.lock:
            if self._session is not None:
                self._session.close()
                self._session = None
