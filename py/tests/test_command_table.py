"""The command table of kr-osc, as Python sees it (`kr._kr.command_table()`): it lists exactly
the requests docs/protocol.md documents, with the same signatures and doc lines; every command
name the `kr` package sends is in it; and the client refuses any other name before sending."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kr import _kr
from kr.client import COMMANDS, Client
from kr.errors import RequestError

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text()
PACKAGE = ROOT / "py" / "kr"
TABLE = _kr.command_table()

# A command name as the first argument of a call that sends one (`request("get", ...)`,
# `self._send("set", ...)`, `bundle([("ping", {})])`, `send_nowait("compile", ...)`), or as a
# `"cmd"` key of a JSON literal.
CALL = re.compile(
    r"\b(?:request|request_reply|bundle|send_nowait|_send|_send_fields|_req)\("
    r"\s*(?:\[\s*\(\s*)?[\"'](\w+)[\"']"
)
JSON_CMD = re.compile(r"[\"']cmd[\"']\s*:\s*[\"'](\w+)[\"']")


def request_sections() -> dict[str, list[str]]:
    """The `### /kr/...` sections under `## Addresses`, in document order: their lines."""
    part = DOC.split("\n## Addresses\n", 1)[1].split("\n## ", 1)[0]
    sections: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in part.splitlines():
        if line.startswith("### "):
            lines = sections.setdefault(line[4:].strip(), [])
        elif lines is not None:
            lines.append(line)
    return sections


def documented_signature(lines: list[str]) -> str:
    """A section's signature: its first line's leading `code`, or "no arguments"."""
    first = next(line for line in lines if line.strip())
    if first.startswith("No arguments."):
        return "no arguments"
    m = re.match(r"`([^`]+)`", first)
    assert m, f"no signature at the start of {first!r}"
    return m.group(1)


def squeeze(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def test_the_table_lists_what_the_docs_list() -> None:
    sections = request_sections()
    documented = [(address, documented_signature(lines)) for address, lines in sections.items()]
    assert [(e["address"], e["signature"]) for e in TABLE] == documented
    for e in TABLE:
        assert e["doc"] in squeeze(sections[e["address"]]), e["address"]


def test_each_signature_is_made_of_its_arguments() -> None:
    for e in TABLE:
        words = [
            f"{a['name']}:{a['kind']}" if a["required"] else f"[{a['name']}:{a['kind']}]"
            for a in e["args"]
        ]
        assert e["signature"] == (" ".join(words) or "no arguments"), e["address"]
        for a in e["args"]:
            assert not a["required"] or a["default"] is None, (e["address"], a)
            assert a["range"] is None or a["kind"] == "f" or a["rule"] == "int", (e["address"], a)


def test_commands_sharing_a_name_are_told_apart_by_a_fixed_field() -> None:
    by_cmd: dict[str, list[dict[str, bool]]] = {}
    for e in TABLE:
        by_cmd.setdefault(e["cmd"], []).append(e["fixed"])
    for cmd, fixed in by_cmd.items():
        if len(fixed) > 1:
            assert all(fixed) and len({tuple(f.items()) for f in fixed}) == len(fixed), cmd
    mute = {e["address"]: e["fixed"] for e in TABLE if e["cmd"] == "mute"}
    assert mute == {"/kr/mute": {"on": True}, "/kr/unmute": {"on": False}}


def commands_used() -> dict[str, set[str]]:
    """Each command name the package's source sends, with the files that send it."""
    used: dict[str, set[str]] = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        text = file.read_text()
        for m in [*CALL.finditer(text), *JSON_CMD.finditer(text)]:
            used.setdefault(m.group(1), set()).add(file.name)
    return used


def test_every_command_the_package_sends_is_in_the_table() -> None:
    used = commands_used()
    # The scan finds the package's calls (guards against a regex that matches nothing).
    assert {"status", "node_new", "compile", "set", "get", "play", "mute", "dump"} <= used.keys()
    unknown = {cmd: files for cmd, files in used.items() if cmd not in COMMANDS}
    assert not unknown, f"not in the command table: {unknown}"
    assert {e["cmd"] for e in TABLE} == COMMANDS


def test_the_client_refuses_an_unknown_command_before_sending() -> None:
    client = Client(port=9)  # nothing is sent: the name is checked first
    try:
        with pytest.raises(RequestError, match=r"unknown command 'node_nwe'.*node_new"):
            client.request("node_nwe", {"name": "a"})
        with pytest.raises(ValueError, match="known commands are: .*scene_recall"):
            client.bundle([("ping", {}), ("nope", {})])
    finally:
        client.close()
