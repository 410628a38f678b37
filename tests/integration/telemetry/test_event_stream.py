"""The linuxfrr event stream against a real kernel and a real log file: in a network
namespace of the test's own (not the lab's), a veth pair brought up, one end taken
down and the pair deleted are link events in that order, a bgpd-style neighbour
change appended to the followed log is a BGP event, a repeated state is none, and
closing the stream ends every process of it. Every event is waited for, bounded::

    private netns: va <-veth-> vb       ip -o monitor link  -> link va/vb up|down
    <tmp>/bgpd.log  (appended)          tail -F             -> bgp 10.1.0.0 down
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from napalm_linuxfrr.events import DeviceEvent, EventKind, EventStream, stream_command

pytestmark = [pytest.mark.integration]

WAIT_S = 20.0
ADJ_DOWN = "2026/12/02 06:20:01 BGP: %ADJCHANGE: neighbor 10.1.0.0(spine1) in vrf default Down\n"


@pytest.fixture
def netns() -> Iterator[str]:
    """A private network namespace (held by a sleeping process): its pid."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("nsenter"):
        pytest.skip("needs root, unshare and nsenter")
    holder = subprocess.Popen(["unshare", "-n", "sleep", "300"])
    try:
        deadline = time.monotonic() + 10.0
        own = os.readlink("/proc/self/ns/net")
        while os.readlink(f"/proc/{holder.pid}/ns/net") == own:
            assert time.monotonic() < deadline, "the namespace was not created"
            time.sleep(0.05)
        yield str(holder.pid)
    finally:
        holder.kill()
        holder.wait(timeout=10)


def _in(pid: str, *argv: str) -> None:
    subprocess.run(["nsenter", "-t", pid, "-n", *argv], check=True, timeout=10)


Said = tuple[EventKind, str, bool, bool | None]  # kind, subject, up, admin up


def _said(events: list[DeviceEvent]) -> list[Said]:
    return [(e.kind, e.subject, e.up, e.admin_up) for e in events]


def _until(stream: EventStream, wanted: list[Said]) -> list[Said]:
    """Events read until every one of ``wanted`` was seen (bounded)."""
    seen: list[Said] = []
    deadline = time.monotonic() + WAIT_S
    while not all(w in seen for w in wanted):
        assert time.monotonic() < deadline, f"not seen in {WAIT_S} s: {wanted} (got {seen})"
        seen += _said(stream.read(0.5))
    return seen


def test_kernel_link_changes_and_bgpd_log_lines_are_the_devices_events(
    netns: str, tmp_path: Path
) -> None:
    log = tmp_path / "bgpd.log"
    log.write_text("2026/12/02 06:00:00 BGP: an old line, before the stream\n")
    stream = EventStream(["nsenter", "-t", netns, "-n", *stream_command(str(log))])
    try:
        time.sleep(0.5)  # the monitor subscribes to the kernel's notifications
        _in(netns, "ip", "link", "add", "va", "type", "veth", "peer", "name", "vb")
        _in(netns, "ip", "link", "set", "va", "up")
        _in(netns, "ip", "link", "set", "vb", "up")
        up: list[Said] = [(EventKind.LINK, n, True, True) for n in ("va", "vb")]
        seen = _until(stream, up)
        assert all(e[0] is EventKind.LINK for e in seen)

        _in(netns, "ip", "link", "set", "vb", "down")
        # vb shut (admin down), va without carrier (admin still up)
        down: list[Said] = [
            (EventKind.LINK, "va", False, True),
            (EventKind.LINK, "vb", False, False),
        ]
        seen = _until(stream, down)
        assert (EventKind.LINK, "va", True, True) not in seen  # no repeats

        with log.open("a") as fh:
            fh.write(ADJ_DOWN)
        assert _until(stream, [(EventKind.BGP, "10.1.0.0", False, True)])

        _in(netns, "ip", "link", "del", "va")  # the pair is gone: down already, no event
        left = stream.read(1.0)
        assert left == [], left
    finally:
        stream.close()
    assert stream.proc.poll() is not None
    deadline = time.monotonic() + WAIT_S  # nothing of the stream's process group is left
    while _group_alive(stream.proc.pid):
        assert time.monotonic() < deadline, "processes of the closed stream are still running"
        time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process of process group ``pgid`` exists."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(") ", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if stat[0] != "Z" and int(stat[2]) == pgid:
            return True
    return False
