"""The device's own event stream: link state changes from the kernel and BGP neighbour
state changes from FRR's log, as typed events.

A Linux/FRR switch reports both without being asked: ``ip -o monitor link`` prints
one line per link notification of the kernel (a port going down, deleted, created,
up again), and bgpd logs ``%ADJCHANGE: neighbor <ip> ... Up|Down`` on every session
change (``bgp log-neighbor-changes``, on by default with ``frr defaults
datacenter``). The driver runs both in one long-lived command on the device and
reads its output (``EventStream``); the parsing here is pure.

A link event carries the port's state as the kernel reports it (carrier, admin
state); a BGP event the session's new state and, when bgpd says so, that it was shut
down by configuration. The stream starts with one line per link as it is now
(``ip -o link show``), so every port's admin state is known before its first change.
What an event does not carry (the routes that follow a session, a port's optic) its
reader reads from the device once the event names it.
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
# the kernel takes a port down just before it deletes it: a port seen going admin down
# waits this long for its deletion before it is told shut
DELETION_HOLD_S = 0.05


class EventKind(StrEnum):
    LINK = "link"  # subject: the interface name
    BGP = "bgp"  # subject: the neighbour's address


@dataclass(frozen=True)
class DeviceEvent:
    kind: EventKind
    subject: str
    up: bool  # link: oper up (admin up and carrier); bgp: established
    # link: admin up (None: not known, a deleted port's line says nothing of it);
    # bgp: False when bgpd says the session was shut down by configuration
    admin_up: bool | None = None
    index: int | None = None  # link: the kernel's ifindex (a re-created port has another)


_LINK = re.compile(
    r"^(?P<deleted>Deleted )?(?P<index>\d+): (?P<name>[^:@\s]+)(?:@\S+)?: <(?P<flags>[^>]*)>"
)
_ADJ = re.compile(
    r"%ADJCHANGE: neighbor (?P<peer>[0-9A-Fa-f:.]+)\S*(?: in vrf \S+)? (?P<st>Up|Down)"
    r"(?P<why>.*)$"
)


def parse_link_line(line: str) -> DeviceEvent | None:
    """One line of ``ip -o monitor link``; None when it is not a link notification."""
    found = _LINK.match(line.strip())
    if found is None:
        return None
    flags = set(found.group("flags").split(","))
    deleted = bool(found.group("deleted"))
    up = not deleted and {"UP", "LOWER_UP"} <= flags and "NO-CARRIER" not in flags
    admin = None if deleted else "UP" in flags
    return DeviceEvent(EventKind.LINK, found.group("name"), up, admin, int(found.group("index")))


def parse_bgp_line(line: str) -> DeviceEvent | None:
    """One line of bgpd's log; None unless it is a neighbour's state change."""
    found = _ADJ.search(line)
    if found is None:
        return None
    shut = "shutdown" in found.group("why").lower()
    return DeviceEvent(EventKind.BGP, found.group("peer"), found.group("st") == "Up", not shut)


def parse_line(line: str) -> DeviceEvent | None:
    return parse_link_line(line) or parse_bgp_line(line)


class Changes:
    """The events that change what was last seen of their subject (the kernel repeats
    a link's state on every flag or address change; only a new state is an event).
    A subject first heard of is a change. At most ``limit`` subjects are remembered:
    past that, the memory starts over (an extra event, never a lost one).

    A link's admin state is the last one the kernel reported for that port: a deleted
    port keeps it, and so does a port re-created under the same name (a new ifindex)
    until it is brought up (a cable re-plugged in the lab re-creates the port down and
    restores its settings; nobody shut it). A re-created port left down is thus told
    admin up until the next full collection reads it."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.seen: dict[tuple[EventKind, str], tuple[bool, bool | None]] = {}
        self.index: dict[str, int] = {}  # each link's last ifindex
        self.fresh: set[str] = set()  # links re-created and not brought up since

    def _resolved(self, e: DeviceEvent) -> DeviceEvent:
        if e.kind is not EventKind.LINK:
            return e
        was = self.seen.get((e.kind, e.subject))
        before = was[1] if was is not None else None
        known = self.index.get(e.subject)
        if e.index is not None and e.index != known:
            self.index[e.subject] = e.index
            if known is not None:  # re-created: its admin state is the old one until up
                self.fresh.add(e.subject)
        if e.admin_up:
            self.fresh.discard(e.subject)
        if e.admin_up is None or (not e.admin_up and e.subject in self.fresh):
            return DeviceEvent(e.kind, e.subject, e.up, before, e.index)
        return e

    def new(self, events: Sequence[DeviceEvent]) -> list[DeviceEvent]:
        out = []
        for raw in events:
            key = (raw.kind, raw.subject)
            if len(self.seen) >= self.limit and key not in self.seen:
                self.seen.clear()
                self.index.clear()
                self.fresh.clear()
            e = self._resolved(raw)
            if self.seen.get(key) == (e.up, e.admin_up):
                continue
            self.seen[key] = (e.up, e.admin_up)
            out.append(e)
        return out


def _deleted(e: DeviceEvent) -> bool:
    return e.kind is EventKind.LINK and e.admin_up is None


def _shut(e: DeviceEvent) -> bool:
    return e.kind is EventKind.LINK and e.admin_up is False


def awaits_deletion(events: Sequence[DeviceEvent]) -> bool:
    """Whether the last line of some port says it went admin down (its deletion may be
    the next line)."""
    last: dict[str, DeviceEvent] = {}
    for e in events:
        if e.kind is EventKind.LINK:
            last[e.subject] = e
    return any(_shut(e) for e in last.values())


def without_deletion_downs(events: Sequence[DeviceEvent]) -> list[DeviceEvent]:
    """``events`` less the admin-down lines the kernel prints for a port it is deleting
    (followed by that port's deletion, same ifindex): nobody shut the port. Pure."""
    out = []
    for n, e in enumerate(events):
        follows = events[n + 1 :]
        if _shut(e) and any(_deleted(d) and d.index == e.index for d in follows):
            continue
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
    """The device command: kernel link notifications (after one line per link as it is
    now) and bgpd's log from now on."""
    script = 'ip -o monitor link & ip -o link show; exec tail -n0 -F "$1" 2>/dev/null'
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
            parsed = self._lines()
            hold = time.monotonic() + DELETION_HOLD_S
            while awaits_deletion(parsed) and self.selector.select(hold - time.monotonic()):
                parsed += self._lines()
                if time.monotonic() >= hold:
                    break
            parsed = without_deletion_downs(parsed)
            events = self.changes.new(parsed[:MAX_EVENTS_PER_READ])
        return events

    def _lines(self) -> list[DeviceEvent]:
        """The events of what can be read now (none when nothing is complete yet)."""
        try:
            chunk = os.read(self.fd, MAX_BUFFER)
        except BlockingIOError:
            return []
        if not chunk:
            raise StreamClosed(f"the event stream ended (exit status {self.proc.poll()})")
        lines, self.buffer = split_lines(self.buffer, chunk)
        return [e for e in (parse_line(line) for line in lines) if e is not None]

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
