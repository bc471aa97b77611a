"""The OSC connection to krd: every request gets an id and waits for its `/kr/done` or
`/kr/fail`. Encoding and validation are the engine's own code (kr-osc, through `kr._kr`)."""

from __future__ import annotations

import json
import math
import socket
import time
from dataclasses import dataclass
from typing import Any

from . import _kr
from .errors import FaustError, KrError, RequestError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 57140


@dataclass(frozen=True)
class Reply:
    """A `/kr/done`: the engine's message and the reply's extra arguments."""

    message: str
    extra: list[Any]


def _error(message: str) -> KrError:
    if "FAUST error" in message:
        return FaustError(message)
    return KrError(message)


# The engine's command names (the `cmd` tags of kr-osc's command table), read once.
COMMANDS: frozenset[str] = frozenset(spec["cmd"] for spec in _kr.command_table())


def _check_command(cmd: str) -> None:
    if cmd not in COMMANDS:
        known = ", ".join(sorted(COMMANDS))
        raise RequestError(f"unknown command {cmd!r}; the known commands are: {known}")


def _check_finite(cmd: str, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise RequestError(f"{cmd}: {key} = {value} is not a finite number")


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

    def _recv(self, deadline: float) -> list[tuple[str, list[Any]]] | None:
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
            try:
                return [(str(a), list(args)) for a, args in _kr.decode_packet(data)]
            except ValueError:
                continue  # not OSC: not from krd

    def status(self, timeout: float = 1.0) -> dict[str, Any] | None:
        """`/kr/status.reply` as a dict, or None when nothing answers within `timeout`."""
        try:
            self._sock.send(_kr.encode_request_json('{"cmd": "status"}'))
        except ConnectionRefusedError:
            return None
        deadline = time.monotonic() + timeout
        while (messages := self._recv(deadline)) is not None:
            for address, args in messages:
                if address == "/kr/status.reply" and args:
                    result: dict[str, Any] = json.loads(str(args[0]))
                    return result
        return None

    def _take_id(self) -> int:
        rid = self._next_id
        self._next_id += 1
        return rid

    def _send(self, data: bytes) -> None:
        try:
            self._sock.send(data)
        except ConnectionRefusedError:
            self._sock.send(data)  # an ICMP error left over from an earlier send

    def request_reply(self, cmd: str, fields: dict[str, Any], timeout: float = 5.0) -> Reply:
        """Send one command and return its `/kr/done`.

        Raises FaustError or KrError with the engine's message on `/kr/fail`, RequestError (a
        ValueError) for an unknown `cmd` or a request that fails validation before it is sent,
        KrError when nothing answers."""
        return self.bundle([(cmd, fields)], timeout, single=True)[0]

    def request(self, cmd: str, fields: dict[str, Any], timeout: float = 5.0) -> list[Any]:
        """Send one command and return the extra arguments of its `/kr/done`."""
        return self.request_reply(cmd, fields, timeout).extra

    def bundle(
        self, requests: list[tuple[str, dict[str, Any]]], timeout: float = 5.0, single: bool = False
    ) -> list[Reply]:
        """Send commands as one OSC bundle (the engine applies it atomically: all or nothing)
        and wait for every reply. The first `/kr/fail` raises with the engine's message."""
        if not requests:
            return []
        for cmd, fields in requests:
            _check_command(cmd)
            _check_finite(cmd, fields)
        ids = [self._take_id() for _ in requests]
        objs = [
            {"cmd": cmd, "id": rid, **fields}
            for rid, (cmd, fields) in zip(ids, requests, strict=True)
        ]
        try:
            if single:
                data = _kr.encode_request_json(json.dumps(objs[0]))
            else:
                data = _kr.encode_bundle_json(json.dumps(objs))
        except ValueError as e:
            raise RequestError(str(e)) from None
        self._send(data)
        replies: dict[int, Reply] = {}
        deadline = time.monotonic() + timeout
        while len(replies) < len(ids) and (messages := self._recv(deadline)) is not None:
            for address, args in messages:
                if address not in ("/kr/done", "/kr/fail") or len(args) < 3 or args[1] not in ids:
                    continue  # a late reply to an earlier request, or a notification
                if address == "/kr/fail":
                    raise _error(str(args[2]))
                replies[int(args[1])] = Reply(str(args[2]), list(args[3:]))
        if len(replies) < len(ids):
            what = requests[0][0] if single else f"a bundle of {len(requests)} commands"
            raise KrError(
                f"krd at {self.host}:{self.port} did not answer {what} within {timeout:.0f} s "
                "(is it running? kr.status() checks)"
            )
        return [replies[rid] for rid in ids]
