"""The device's own event stream: link state changes from the kernel and BGP neighbour
state changes from FRR's log, as typed events.

A Linux/FRR switch reports both without being asked: ``ip -o monitor link`` prints
one line per link notification of the kernel (a port going down, deleted, created,
up again), and bgpd logs ``%ADJCHANGE: neighbor <ip> ... Up|Down`` on every session
change (``bgp log-neighbor-changes``, on by default with ``frr defaults
datacenter``). The driver runs both in one long-lived command on the device and
reads its output (``EventStream``); the parsing here is pure.

The events are edges, not the state: whoever reads them collects the device to
learn what it is now (the event says only *that* something changed and where).
Devices of other NOSes give the same events from a gNMI ON_CHANGE subscription to
``/interfaces/interface/state/oper-status`` and the BGP neighbour
``session-state``, or from their syslog link/BGP messages; only this stream exists
in this driver.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

MAX_LINE = 4096  # a longer line is cut (the fields we read are at its start)
MAX_BUFFER = 64 * 1024  # unread output kept at most; older bytes are dropped
MAX_EVENTS_PER_READ = 1000


class EventKind(StrEnum):
    LINK = "link"  # subject: the interface name
    BGP = "bgp"  # subject: the neighbour's address


@dataclass(frozen=True)
class DeviceEvent:
    kind: EventKind
    subject: str
    up: bool  # link: oper up (admin up and carrier); bgp: established


_LINK = re.compile(r"^(?P<deleted>Deleted )?\d+: (?P<name>[^:@\s]+)(?:@\S+)?: <(?P<flags>[^>]*)>")
_ADJ = re.compile(
    r"%ADJCHANGE: neighbor (?P<peer>[0-9A-Fa-f:.]+)\S*(?: in vrf \S+)? (?P<st>Up|Down)"
)


def parse_link_line(line: str) -> DeviceEvent | None:
    """One line of ``ip -o monitor link``; None when it is not a link notification."""
    found = _LINK.match(line.strip())
    if found is None:
        return None
    flags = set(found.group("flags").split(","))
    up = not found.group("deleted") and {"UP", "LOWER_UP"} <= flags and "NO-CARRIER" not in flags
    return DeviceEvent(EventKind.LINK, found.group("name"), up)


def parse_bgp_line(line: str) -> DeviceEvent | None:
    """One line of bgpd's log; None unless it is a neighbour's state change."""
    found = _ADJ.search(line)
    if found is None:
        return None
    return DeviceEvent(EventKind.BGP, found.group("peer"), found.group("st") == "Up")


def parse_line(line: str) -> DeviceEvent | None:
    return parse_link_line(line) or parse_bgp_line(line)


class Changes:
    """The events that change what was last seen of their subject (the kernel repeats
    a link's state on every flag or address change; only a new state is an event).
    A subject first heard of is a change. At most ``limit`` subjects are remembered:
    past that, the memory starts over (an extra event, never a lost one)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.seen: dict[tuple[EventKind, str], bool] = {}

    def new(self, events: Sequence[DeviceEvent]) -> list[DeviceEvent]:
        out = []
        for e in events:
            key = (e.kind, e.subject)
            if self.seen.get(key) is e.up:
                continue
            if len(self.seen) >= self.limit and key not in self.seen:
                self.seen.clear()
            self.seen[key] = e.up
            out.append(e)
        return out


def split_lines(buffer: bytes, chunk: bytes) -> tuple[list[str], bytes]:
    """Complete lines of ``buffer + chunk`` (each cut at MAX_LINE) and the rest; the rest
    is bounded by MAX_BUFFER (a line that never ends is dropped, not kept growing)."""
    data = buffer + chunk
    *complete, rest = data.split(b"\n")
    if len(rest) > MAX_BUFFER:
        rest = b""
    return [c[:MAX_LINE].decode("utf-8", "replace") for c in complete], rest


def stream_command(log_file: str) -> list[str]:
    """The device command: kernel link notifications and bgpd's log from now on."""
    script = 'ip -o monitor link & exec tail -n0 -F "$1" 2>/dev/null'
    return ["sh", "-c", script, "sh", log_file]


class StreamClosed(Exception):
    """The device's event stream ended (the device went away or killed it)."""


class EventStream:
    """One device's events, read from a long-lived process (its own process group, so
    closing it ends every process of the command). ``read`` waits at most
    ``timeout_s`` and returns the events that changed something."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)
        self.buffer = b""
        self.changes = Changes()

    def read(self, timeout_s: float) -> list[DeviceEvent]:
        deadline = time.monotonic() + timeout_s
        events: list[DeviceEvent] = []
        while not events:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                return events
            try:
                chunk = os.read(self.fd, MAX_BUFFER)
            except BlockingIOError:
                continue
            if not chunk:
                raise StreamClosed(f"the event stream ended (exit status {self.proc.poll()})")
            lines, self.buffer = split_lines(self.buffer, chunk)
            parsed = [e for e in (parse_line(line) for line in lines) if e is not None]
            events = self.changes.new(parsed[:MAX_EVENTS_PER_READ])
        return events

    def close(self) -> None:
        self.selector.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=2.0)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
