"""The linuxfrr driver's event stream: kernel link notifications and bgpd's neighbour
state changes as typed events, repeats dropped, output split into bounded lines."""

from __future__ import annotations

from napalm_linuxfrr.events import (
    MAX_BUFFER,
    MAX_LINE,
    Changes,
    DeviceEvent,
    EventKind,
    parse_line,
    split_lines,
    stream_command,
)

# lines as `ip -o monitor link` prints them (a veth cut, re-created, brought up)
DELETED = (
    "Deleted 3: swp1@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group"
    " default \\    link/ether ea:e7:35:9f:b6:ac brd ff:ff:ff:ff:ff:ff"
)
NO_CARRIER = (
    "3: swp1@if12: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue"
    " state LOWERLAYERDOWN group default \\    link/ether ea:e7:35:9f:b6:ac"
)
UP = (
    "3: swp1@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP"
    " group default \\    link/ether ea:e7:35:9f:b6:ac brd ff:ff:ff:ff:ff:ff"
)
ADMIN_DOWN = "7: swp2: <BROADCAST,MULTICAST> mtu 9216 qdisc noop state DOWN mode DEFAULT"
BGP_DOWN = (
    "2026/12/02 06:20:01 BGP: [M59KS-A3ZXZ] %ADJCHANGE: neighbor 10.1.0.0(spine1)"
    " in vrf default Down Interface down"
)
BGP_UP = "2026/12/02 06:20:09 BGP: %ADJCHANGE: neighbor fd00::1 in vrf default Up"


def link(name: str, up: bool) -> DeviceEvent:
    return DeviceEvent(EventKind.LINK, name, up)


def test_a_port_is_up_only_with_admin_up_and_carrier() -> None:
    assert parse_line(UP) == link("swp1", True)
    assert parse_line(NO_CARRIER) == link("swp1", False)
    assert parse_line(ADMIN_DOWN) == link("swp2", False)


def test_a_deleted_port_is_down() -> None:
    assert parse_line(DELETED) == link("swp1", False)


def test_bgpd_neighbour_changes_name_the_neighbour_address() -> None:
    assert parse_line(BGP_DOWN) == DeviceEvent(EventKind.BGP, "10.1.0.0", False)
    assert parse_line(BGP_UP) == DeviceEvent(EventKind.BGP, "fd00::1", True)


def test_other_lines_are_no_events() -> None:
    for line in ("", "link/ether 00:11", "BGP: bgp_update_receive: rcvd End-of-RIB", "x" * 9000):
        assert parse_line(line) is None


def test_only_a_new_state_of_a_subject_is_an_event() -> None:
    changes = Changes()
    first = changes.new([link("swp1", False), link("swp1", False), link("swp2", True)])
    assert first == [link("swp1", False), link("swp2", True)]
    assert changes.new([link("swp1", False)]) == []
    assert changes.new([link("swp1", True)]) == [link("swp1", True)]
    # a link and a session may share a subject name without hiding each other
    assert changes.new([DeviceEvent(EventKind.BGP, "swp1", True)]) != []


def test_remembered_subjects_are_bounded_and_forgetting_only_adds_events() -> None:
    changes = Changes(limit=2)
    changes.new([link("a", True), link("b", True)])
    assert changes.new([link("c", True)]) == [link("c", True)]
    assert len(changes.seen) <= 2
    assert changes.new([link("a", True)]) == [link("a", True)]  # forgotten: told again


def test_output_is_split_into_complete_lines_and_a_bounded_rest() -> None:
    lines, rest = split_lines(b"one\ntw", b"o\nthr")
    assert (lines, rest) == (["one", "two"], b"thr")
    lines, rest = split_lines(b"", b"y" * (MAX_LINE + 10) + b"\n")
    assert lines == ["y" * MAX_LINE]
    lines, rest = split_lines(b"", b"z" * (MAX_BUFFER + 1))
    assert (lines, rest) == ([], b"")  # a line that never ends is dropped


def test_the_stream_command_follows_the_kernel_and_bgpds_log() -> None:
    argv = stream_command("/run/frr/bgpd.log")
    assert argv[:2] == ["sh", "-c"] and argv[-1] == "/run/frr/bgpd.log"
    assert "ip -o monitor link" in argv[2] and "tail -n0 -F" in argv[2]
