"""The OSC connection to krd: every request gets an id and waits for its `/kr/done` or
`/kr/fail`. Encoding and validation are the engine's own code (kr-osc, through `kr._kr`)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from . import _kr
from .errors import FaustError, KrError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 57140


class Client:
    """A UDP connection to one krd."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.host = host
        self.port = port
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1" if host.startswith("127.") else "0.0.0.0", 0))
        self._sock.connect((host, port))
        self._next_id = 1

    def close(self) -> None:
        self._sock.close()

    def _recv(self, deadline: float) -> tuple[str, list[Any]] | None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._sock.settimeout(left)
            try:
                data = self._sock.recv(1 << 20)
            except (TimeoutError, ConnectionRefusedError):
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.01)
                continue
            for address, args in _kr.decode_packet(data):
                return str(address), list(args)

    def status(self, timeout: float = 1.0) -> dict[str, Any] | None:
        """`/kr/status.reply` as a dict, or None when nothing answers within `timeout`."""
        try:
            self._sock.send(_kr.encode_request_json('{"cmd": "status"}'))
        except ConnectionRefusedError:
            return None
        deadline = time.monotonic() + timeout
        while (reply := self._recv(deadline)) is not None:
            address, args = reply
            if address == "/kr/status.reply" and args:
                result: dict[str, Any] = json.loads(str(args[0]))
                return result
        return None

    def request(self, cmd: str, fields: dict[str, Any], timeout: float = 5.0) -> list[Any]:
        """Send one command and return the extra arguments of its `/kr/done`.

        Raises FaustError or KrError with the engine's message on `/kr/fail`, ValueError for a
        request that fails validation before it is sent, KrError when nothing answers."""
        rid = self._next_id
        self._next_id += 1
        data = _kr.encode_request_json(json.dumps({"cmd": cmd, "id": rid, **fields}))
        self._sock.send(data)
        deadline = time.monotonic() + timeout
        while (reply := self._recv(deadline)) is not None:
            address, args = reply
            if address not in ("/kr/done", "/kr/fail") or len(args) < 3 or args[1] != rid:
                continue  # a late reply to an earlier request, or a notification
            if address == "/kr/done":
                return args[3:]
            message = str(args[2])
            if message.startswith("FAUST error"):
                raise FaustError(message)
            raise KrError(message)
        raise KrError(
            f"krd at {self.host}:{self.port} did not answer {cmd} within {timeout:.0f} s "
            "(is it running? kr.status() checks)"
        )
