"""The OSC connection to krd: every request gets an id and waits for its `/kr/done` or
`/kr/fail`. Encoding and validation are the engine's own code (kr-osc, through `kr._kr`).

Requests and their replies go over one TCP connection per Client (OSC 1.0 stream framing: a
32-bit big-endian size, then the packet), made at the first request and made again when krd
has closed it since (it stopped, or restarted): a reply may be of any size (the dump of a
thousand nodes), a request up to krd's packet limit (1 MiB). `status()`, the liveness probe, is
one UDP datagram. When krd's TCP port refuses connections but its UDP port answers (`osc.tcp`
off), requests go as UDP datagrams instead, and a message too large for one is refused.

Every failure is a `KrError`, never a bare `OSError`: `EngineUnavailable` when nothing answers
(or the connection is lost), `EngineTimeout` when krd is connected but does not answer in time,
`RequestError` (or `FaustError`) when it refuses a request, with its reason."""

from __future__ import annotations

import errno
import json
import math
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from . import _kr
from .errors import EngineTimeout, EngineUnavailable, FaustError, KrError, RequestError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 57140

MAX_PACKET = 1 << 20
"""krd refuses a packet larger than this (kr-osc's `Limits::max_packet_bytes`)."""
MAX_DATAGRAM = 65507
"""The largest UDP payload (IPv4): the most a request can be when krd takes UDP only."""
MAX_FRAME = 1 << 30
"""A TCP frame announcing more than this is not krd talking: the stream is broken."""
CONNECT_TIMEOUT = 3.0
NOWAIT_LOCK = 0.05
"""The longest `send_nowait` waits for the connection (another thread's request) or to send."""


@dataclass(frozen=True)
class Reply:
    """A `/kr/done`: the engine's message and the reply's extra arguments."""

    message: str
    extra: list[Any]


def _error(message: str) -> KrError:
    """The exception for a `/kr/fail`: the engine refused the request, saying why."""
    if "FAUST error" in message:
        return FaustError(message)
    return RequestError(message)


# The engine's command table (kr-osc's), read once: the `cmd` tags, and their addresses.
_TABLE = _kr.command_table()
COMMANDS: frozenset[str] = frozenset(spec["cmd"] for spec in _TABLE)


def _check_command(cmd: str) -> None:
    if cmd not in COMMANDS:
        known = ", ".join(sorted(COMMANDS))
        raise RequestError(f"unknown command {cmd!r}; the known commands are: {known}")


def _check_finite(cmd: str, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise RequestError(f"{cmd}: {key} = {value} is not a finite number")


def address_of(cmd: str, fields: dict[str, Any]) -> str:
    """The OSC address a request goes to (`/kr/unmute` for `mute` with `on` false)."""
    for spec in _TABLE:
        if spec["cmd"] == cmd and all(fields.get(k) == v for k, v in spec["fixed"].items()):
            return spec["address"]
    return cmd


def _reason(e: OSError) -> str:
    return e.strerror or str(e) or type(e).__name__


def decode(packet: bytes) -> list[tuple[str, list[Any]]]:
    """An OSC packet from krd as (address, args) pairs, bundles flattened (kr-osc's decoder,
    which takes replies of any size). ValueError if it is not OSC."""
    return [(str(a), list(args)) for a, args in _kr.decode_packet(packet)]


class _Lost(Exception):
    """The TCP connection closed or failed under a request."""


class Client:
    """A connection to one krd: TCP for requests and replies, UDP for `status()`."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.host = host
        self.port = port
        self._next_id = 1
        # One request at a time: replies are matched by id on one connection. The UDP socket
        # has a lock of its own, so that `status()` never waits for a request (a compile).
        self._lock = threading.RLock()
        self._udp_lock = threading.RLock()
        self._tcp: socket.socket | None = None
        self._inbox = bytearray()  # TCP bytes received and not yet taken as frames
        self._udp_only = False
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._udp.bind(("127.0.0.1" if host.startswith("127.") else "0.0.0.0", 0))
            self._udp.connect((host, port))
        except OSError as e:
            self._udp.close()
            raise EngineUnavailable(f"cannot reach krd at {host}:{port}: {_reason(e)}") from None

    def __repr__(self) -> str:
        return f"<kr.Client {self.address} over {self.transport}>"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def transport(self) -> str:
        """`"tcp"`, or `"udp"` once krd's TCP port refused a connection while its UDP port
        answered."""
        return "udp" if self._udp_only else "tcp"

    def close(self) -> None:
        with self._lock, self._udp_lock:
            self._drop_tcp()
            self._udp.close()

    # ---- status (UDP) -----------------------------------------------------------------------

    def _recv_udp(self, deadline: float) -> list[tuple[str, list[Any]]] | None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._udp.settimeout(left)
            try:
                data = self._udp.recv(1 << 20)
            except OSError:  # a timeout, or an ICMP "port unreachable" from an earlier send
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.01)
                continue
            try:
                return decode(data)
            except ValueError:
                continue  # not OSC: not from krd

    def status(self, timeout: float = 1.0) -> dict[str, Any] | None:
        """`/kr/status.reply` as a dict, or None when nothing answers within `timeout`."""
        with self._udp_lock:
            try:
                self._udp.send(_kr.encode_request_json('{"cmd": "status"}'))
            except OSError:
                return None
            deadline = time.monotonic() + timeout
            while (messages := self._recv_udp(deadline)) is not None:
                for address, args in messages:
                    if address == "/kr/status.reply" and args:
                        result: dict[str, Any] = json.loads(str(args[0]))
                        return result
            return None

    # ---- requests ---------------------------------------------------------------------------

    def request_reply(self, cmd: str, fields: dict[str, Any], timeout: float = 5.0) -> Reply:
        """Send one command and return its `/kr/done`.

        Raises RequestError (or FaustError) with the engine's message on `/kr/fail`, and
        RequestError for an unknown `cmd` or a request that fails validation before it is
        sent; EngineUnavailable when nothing answers, EngineTimeout when krd is connected but
        does not answer within `timeout` seconds."""
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
        if single:
            what = address_of(*requests[0])
        else:
            what = f"a bundle of {len(requests)} messages"
        with self._lock:
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
                hint = ""
                if not single and "limit" in str(e):  # too many messages, or too many bytes
                    hint = f" ({what}: send it in parts, smaller kr.batch() blocks)"
                raise RequestError(f"{e}{hint}") from None
            replies = self._exchange(data, set(ids), what, timeout)
        return [replies[rid] for rid in ids]

    def send_nowait(self, cmd: str, fields: dict[str, Any]) -> bool:
        """Send one command without waiting for its reply (later requests skip it). Never
        raises, and never waits long: False when it was not sent (krd gone, another thread busy
        with a request, or a message the engine would refuse)."""
        if not self._lock.acquire(timeout=NOWAIT_LOCK):
            return False
        try:
            try:
                _check_command(cmd)
                _check_finite(cmd, fields)
                data = _kr.encode_request_json(
                    json.dumps({"cmd": cmd, "id": self._take_id(), **fields})
                )
            except (KrError, ValueError):
                return False
            if self._udp_only:
                return len(data) <= MAX_DATAGRAM and self._send_udp_nowait(data)
            if self._tcp is not None and not self._pump(self._tcp):
                self._drop_tcp()  # krd closed it: it stopped or restarted
            if self._tcp is None:
                try:
                    self._tcp = socket.create_connection((self.host, self.port), NOWAIT_LOCK)
                    self._tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    self._drop_tcp()
                    return False
            self._tcp.settimeout(NOWAIT_LOCK)
            try:
                self._tcp.sendall(len(data).to_bytes(4, "big") + data)
            except OSError:
                self._drop_tcp()  # part of a frame may be sent: the stream cannot be used
                return False
            return True
        finally:
            self._lock.release()

    def _send_udp_nowait(self, data: bytes) -> bool:
        try:
            self._udp.send(data)
        except OSError:
            return False
        return True

    def _take_id(self) -> int:
        rid = self._next_id
        self._next_id += 1
        return rid

    def _exchange(self, data: bytes, ids: set[int], what: str, timeout: float) -> dict[int, Reply]:
        deadline = time.monotonic() + timeout
        if self._udp_only:
            return self._exchange_udp(data, ids, what, deadline, timeout)
        return self._exchange_tcp(data, ids, what, deadline, timeout)

    @staticmethod
    def _match(address: str, args: list[Any], ids: set[int], replies: dict[int, Reply]) -> None:
        """Take a message that answers one of `ids`; raise for a `/kr/fail`. Anything else (a
        late reply to an earlier request, a notification) is skipped."""
        if address not in ("/kr/done", "/kr/fail") or len(args) < 3:
            return
        rid = args[1]
        if rid in ids:
            if address == "/kr/fail":
                raise _error(str(args[2]))
            replies[int(rid)] = Reply(str(args[2]), list(args[3:]))
        elif address == "/kr/fail" and rid == -1 and args[0] == "":
            raise RequestError(f"krd refused the packet: {args[2]}")  # not decodable as OSC

    def _unavailable(self, why: str = "") -> EngineUnavailable:
        return EngineUnavailable(
            f"no krd answers at {self.address}{f' ({why})' if why else ''}: is it running? "
            "(start it with `krd`, or `systemctl --user start krd`; kr.status() checks)"
        )

    # ---- TCP --------------------------------------------------------------------------------

    def _drop_tcp(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
            self._tcp = None
        self._inbox.clear()

    def _tcp_socket(self, deadline: float) -> socket.socket | None:
        """The connection, made when there is none or krd closed it since the last request;
        None when krd's TCP port refuses while its UDP port answers (from then on, UDP)."""
        if self._tcp is not None and not self._pump(self._tcp):
            self._drop_tcp()  # krd closed it: it stopped or restarted since the last request
        if self._tcp is None:
            self._tcp = self._connect_tcp(deadline)
        return self._tcp

    def _connect_tcp(self, deadline: float) -> socket.socket | None:
        wait = max(0.05, min(CONNECT_TIMEOUT, deadline - time.monotonic()))
        try:
            sock = socket.create_connection((self.host, self.port), timeout=wait)
        except ConnectionRefusedError:
            if self.status(0.5) is not None:
                self._udp_only = True  # a krd without TCP (osc.tcp off)
                return None
            raise self._unavailable() from None
        except OSError as e:  # no answer in time, an unreachable network, an unknown host
            raise self._unavailable(_reason(e)) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        return sock

    def _pump(self, sock: socket.socket) -> bool:
        """Read what has arrived since the last request (late replies, notifications: all
        skipped, as no request is waiting) without blocking. False if krd closed the
        connection."""
        sock.setblocking(False)
        try:
            while True:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    return False
                self._inbox += chunk
                self._frames()  # bounded memory even when notifications pile up
        except BlockingIOError:
            return True
        except (OSError, KrError):
            return False

    def _frames(self) -> list[bytes]:
        """The complete frames received, taken out of the inbox."""
        out: list[bytes] = []
        buf = self._inbox
        at = 0
        while len(buf) - at >= 4:
            size = int.from_bytes(buf[at : at + 4], "big")
            if size > MAX_FRAME:
                self._drop_tcp()
                raise KrError(
                    f"krd at {self.address} sent a frame of {size} bytes: the stream is broken "
                    "(the connection is closed; the next request makes a new one)"
                )
            if len(buf) - at - 4 < size:
                break
            out.append(bytes(buf[at + 4 : at + 4 + size]))
            at += 4 + size
        del buf[:at]
        return out

    def _exchange_tcp(
        self, data: bytes, ids: set[int], what: str, deadline: float, timeout: float
    ) -> dict[int, Reply]:
        frame = len(data).to_bytes(4, "big") + data
        for attempt in range(2):
            sock = self._tcp_socket(deadline)
            if sock is None:  # TCP refused, UDP answers
                return self._exchange_udp(data, ids, what, deadline, timeout)
            replies: dict[int, Reply] = {}
            try:
                self._send_tcp(sock, frame, deadline)
                answered = self._read_tcp(sock, ids, replies, deadline)
            except _Lost as e:
                self._drop_tcp()
                if attempt == 0 and not replies:
                    # krd closed the connection before answering: it stopped (or restarted)
                    # just now. Once more on a new connection, to the restarted krd if there is
                    # one (otherwise nothing answers, and that is the error).
                    continue
                partly = f" ({len(replies)} of {len(ids)} answered)" if replies else ""
                raise EngineUnavailable(
                    f"krd at {self.address} closed the connection before answering {what}"
                    f"{partly} ({e}): it stopped or restarted, or it does not accept this client "
                    "(see osc.allow in its configuration)"
                ) from None
            if not answered:
                raise EngineTimeout(
                    f"krd at {self.address} is connected but did not answer {what} within "
                    f"{timeout:g} s: it is busy or stuck (kr.status() shows its load)"
                )
            return replies
        raise AssertionError("unreachable")

    def _send_tcp(self, sock: socket.socket, frame: bytes, deadline: float) -> None:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            sock.sendall(frame)
        except TimeoutError:
            # Part of the frame may be sent: the stream cannot be used after it.
            self._drop_tcp()
            raise EngineTimeout(
                f"krd at {self.address} is connected but did not take a {len(frame)}-byte "
                "message in time: it is busy or stuck"
            ) from None
        except OSError as e:
            raise _Lost(_reason(e)) from None

    def _read_tcp(
        self, sock: socket.socket, ids: set[int], replies: dict[int, Reply], deadline: float
    ) -> bool:
        """Read frames until every id is answered (True) or the deadline passes (False)."""
        while True:
            for packet in self._frames():
                try:
                    messages = decode(packet)
                except ValueError:
                    continue  # not OSC: skipped, the framing still holds
                for address, args in messages:
                    self._match(address, args, ids, replies)
            if len(replies) == len(ids):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            sock.settimeout(left)
            try:
                chunk = sock.recv(1 << 20)
            except TimeoutError:
                return False
            except OSError as e:
                raise _Lost(_reason(e)) from None
            if not chunk:
                raise _Lost("closed")
            self._inbox += chunk

    # ---- UDP (when krd takes no TCP) --------------------------------------------------------

    def _exchange_udp(
        self, data: bytes, ids: set[int], what: str, deadline: float, timeout: float
    ) -> dict[int, Reply]:
        too_big = KrError(
            f"{what} is {len(data)} bytes, too large for a UDP datagram (at most "
            f"{MAX_DATAGRAM}), and krd at {self.address} refuses TCP connections (osc.tcp is "
            "off?), which carry larger messages: send less at once (smaller kr.batch() blocks)"
        )
        if len(data) > MAX_DATAGRAM:
            raise too_big
        with self._udp_lock:
            return self._exchange_udp_locked(data, ids, what, deadline, timeout, too_big)

    def _exchange_udp_locked(
        self,
        data: bytes,
        ids: set[int],
        what: str,
        deadline: float,
        timeout: float,
        too_big: KrError,
    ) -> dict[int, Reply]:
        for attempt in range(2):
            try:
                self._udp.send(data)
                break
            except ConnectionRefusedError:
                if attempt:  # not an ICMP error left over from an earlier send: none listens
                    raise self._unavailable() from None
            except OSError as e:
                if e.errno == errno.EMSGSIZE:
                    raise too_big from None
                raise self._unavailable(_reason(e)) from None
        replies: dict[int, Reply] = {}
        while len(replies) < len(ids) and (messages := self._recv_udp(deadline)) is not None:
            for address, args in messages:
                self._match(address, args, ids, replies)
        if len(replies) < len(ids):
            if self.status(0.5) is None:
                raise self._unavailable()
            raise EngineTimeout(
                f"krd at {self.address} did not answer {what} within {timeout:g} s over UDP: "
                "it is busy, or its reply was larger than a datagram and was lost (its TCP port "
                "refuses connections; osc.tcp is off?)"
            )
        return replies
