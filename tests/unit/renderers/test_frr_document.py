"""How a Linux/FRR document is split into files and merged with the pristine one."""

from __future__ import annotations

import pytest

from linuxfrr_document import from_lines
from renderers import RenderError
from renderers.frr_document import (
    FRR,
    HOSTNAME,
    INTERFACES,
    LLDPD,
    SECTIONS,
    join_document,
    merge_documents,
    parse_document,
)


def test_join_writes_every_file_in_the_fixed_order() -> None:
    text = join_document(from_lines({FRR: ["hostname a"], HOSTNAME: ["a"]}))
    headers = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert headers == list(SECTIONS)


def test_parse_then_join_round_trips() -> None:
    files = {HOSTNAME: ["a"], INTERFACES: ["auto swp1", "iface swp1"], FRR: ["!"]}
    text = join_document(from_lines(files))
    assert join_document(parse_document(text)) == text


@pytest.mark.parametrize(
    "bad", ["### /etc/shadow\nx\n", "### /etc/hostname\na\n### /etc/hostname\nb\n", "loose\n"]
)
def test_unknown_repeated_or_headerless_sections_are_refused(bad: str) -> None:
    with pytest.raises(RenderError, match="allowed"):
        parse_document(bad)


def test_rendered_hostname_replaces_the_pristine_one() -> None:
    merged = merge_documents(from_lines({HOSTNAME: ["sw-1"]}), from_lines({HOSTNAME: ["leaf1"]}))
    assert merged[HOSTNAME] == ["leaf1"]


def test_interfaces_merge_by_stanza_with_pristine_stanzas_first() -> None:
    pristine = from_lines({INTERFACES: ["auto eth0", "iface eth0", "    address 192.0.2.2/24"]})
    rendered = from_lines(
        {INTERFACES: ["auto swp1", "iface swp1", "", "auto eth0", "iface eth0", "    mtu 1500"]}
    )
    lines = [line for line in merge_documents(pristine, rendered)[INTERFACES] if line]
    assert lines == [
        "auto eth0",
        "iface eth0",
        "    address 192.0.2.2/24",
        "    mtu 1500",
        "auto swp1",
        "iface swp1",
    ]


def test_frr_defaults_and_hostname_lead_and_pristine_duplicates_are_not_repeated() -> None:
    pristine = from_lines({FRR: ["log syslog informational", "hostname sw-1"]})
    rendered = from_lines(
        {FRR: ["frr defaults datacenter", "hostname leaf1", "log syslog informational", "!"]}
    )
    merged = merge_documents(pristine, rendered)[FRR]
    assert merged == ["frr defaults datacenter", "hostname leaf1", "log syslog informational", "!"]


def test_lldpd_hostname_is_replaced_other_pristine_lines_kept() -> None:
    pristine = from_lines(
        {LLDPD: ["configure system hostname sw-1", "configure lldp portidsubtype ifname"]}
    )
    rendered = from_lines({LLDPD: ["configure system hostname leaf1"]})
    assert merge_documents(pristine, rendered)[LLDPD] == [
        "configure system hostname leaf1",
        "configure lldp portidsubtype ifname",
    ]


def test_sections_out_of_order_are_refused_as_the_driver_refuses_them() -> None:
    with pytest.raises(RenderError, match="out of order"):
        parse_document("### /etc/frr/frr.conf\n!\n### /etc/hostname\nleaf1\n")
