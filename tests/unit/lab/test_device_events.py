"""The linuxfrr driver's event stream: kernel link notifications and bgpd's neighbour
state changes as typed events, repeats dropped, output split into bounded lines."""

from __future__ import annotations

from napalm_linuxfrr.events import (
    MAX_BUFFER,
    MAX_LINE,
    Changes,
    DeviceEvent,
    EventKind,
    awaits_deletion,
    parse_line,
    split_lines,
    stream_command,
    without_deletion_downs,
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


BGP_SHUT = (
    "2026/12/02 06:21:00 BGP: [M59KS-A3ZXZ] %ADJCHANGE: neighbor 10.1.0.0(spine1)"
    " in vrf default Down Admin. shutdown"
)
# a port re-created under its name (a re-plugged lab cable): down, then its settings back
RECREATED = "9: swp1@if14: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN"
RECREATED_MTU = "9: swp1@if14: <BROADCAST,MULTICAST,M-DOWN> mtu 9216 qdisc noop state DOWN"
RECREATED_UP = "9: swp1@if14: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9216 qdisc noqueue state UP"
RECREATED_SHUT = "9: swp1@if14: <BROADCAST,MULTICAST> mtu 9216 qdisc noop state DOWN"


def link(name: str, up: bool, admin: bool | None = None, index: int | None = None) -> DeviceEvent:
    return DeviceEvent(EventKind.LINK, name, up, admin, index)


def test_a_port_is_up_only_with_admin_up_and_carrier() -> None:
    assert parse_line(UP) == link("swp1", True, True, 3)
    assert parse_line(NO_CARRIER) == link("swp1", False, True, 3)
    assert parse_line(ADMIN_DOWN) == link("swp2", False, False, 7)


def test_a_deleted_port_is_down_and_says_nothing_of_its_admin_state() -> None:
    assert parse_line(DELETED) == link("swp1", False, None, 3)


def test_bgpd_neighbour_changes_name_the_neighbour_address() -> None:
    assert parse_line(BGP_DOWN) == DeviceEvent(EventKind.BGP, "10.1.0.0", False, True)
    assert parse_line(BGP_UP) == DeviceEvent(EventKind.BGP, "fd00::1", True, True)


def test_a_session_shut_down_by_configuration_says_so() -> None:
    assert parse_line(BGP_SHUT) == DeviceEvent(EventKind.BGP, "10.1.0.0", False, False)


def test_a_cut_and_replugged_port_keeps_its_admin_state_until_brought_up() -> None:
    changes = Changes()
    lines = [UP, DELETED, RECREATED, RECREATED_MTU]
    told = changes.new([e for e in map(parse_line, lines) if e is not None])
    # up, then down at the cut (admin still up: nobody shut it); the re-created port's
    # lines while its settings come back are no new state
    assert [(e.up, e.admin_up) for e in told] == [(True, True), (False, True)]
    assert changes.new([e for e in map(parse_line, [RECREATED_UP]) if e is not None]) == [
        link("swp1", True, True, 9)
    ]
    # once brought up, the same port shut down is admin down
    assert changes.new([e for e in map(parse_line, [RECREATED_SHUT]) if e is not None]) == [
        link("swp1", False, False, 9)
    ]


def test_other_lines_are_no_events() -> None:
    for line in ("", "link/ether 00:11", "BGP: bgp_update_receive: rcvd End-of-RIB", "x" * 9000):
        assert parse_line(line) is None


def test_only_a_new_state_of_a_subject_is_an_event() -> None:
    changes = Changes()
    down, up = link("swp1", False, True, 3), link("swp1", True, True, 3)
    first = changes.new([down, down, link("swp2", True, True, 4)])
    assert first == [down, link("swp2", True, True, 4)]
    assert changes.new([down]) == []
    assert changes.new([up]) == [up]
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
    assert "ip -o link show" in argv[2]  # every link as it is now, first


BEFORE_DELETE = "3: swp1@if12: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default"


def test_the_down_line_the_kernel_prints_before_deleting_a_port_is_no_shutdown() -> None:
    parsed = [e for e in map(parse_line, [UP, BEFORE_DELETE, DELETED]) if e is not None]
    assert awaits_deletion(parsed[:2]) and not awaits_deletion(parsed)
    kept = without_deletion_downs(parsed)
    assert kept == [parsed[0], parsed[2]]
    told = Changes().new(kept)
    assert [(e.up, e.admin_up) for e in told] == [(True, True), (False, True)]
    # a port shut and not deleted stays shut
    shut = [e for e in map(parse_line, [UP, BEFORE_DELETE]) if e is not None]
    assert without_deletion_downs(shut) == shut
