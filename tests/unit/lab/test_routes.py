"""``get_route_to`` entries from recorded ``show ip route ... json`` outputs."""

from __future__ import annotations

import json

import pytest

from napalm_linuxfrr.routes import age_seconds, parse_route_to
from tests.unit.lab.replay import FIXTURES, follows_model

RECORDED = FIXTURES / "frr"


def test_an_ecmp_bgp_route_gives_one_entry_per_next_hop() -> None:
    text = (RECORDED / "leaf1_show_ip_route_10.3.0.2.json").read_text()
    raw = json.loads(text)["10.3.0.2/32"][0]
    routes = parse_route_to(text)["10.3.0.2/32"]
    assert [r["next_hop"] for r in routes] == [h["ip"] for h in raw["nexthops"]]
    assert {r["protocol"] for r in routes} == {"bgp"}
    assert all(r["current_active"] and r["selected_next_hop"] for r in routes)
    assert {r["preference"] for r in routes} == {raw["distance"]}


def test_a_protocol_filter_drops_other_protocols() -> None:
    text = (RECORDED / "leaf1_show_ip_route_10.3.0.1.json").read_text()
    assert parse_route_to(text, protocol="bgp") == {}
    assert [r["protocol"] for r in parse_route_to(text, "static")["10.3.0.1/32"]] == ["static"]


def test_route_entries_follow_the_napalm_model() -> None:
    from napalm.base import models

    text = (RECORDED / "leaf1_show_ip_route_10.3.0.2.json").read_text()
    for entries in parse_route_to(text).values():
        for entry in entries:
            assert follows_model(models.RouteDict, entry)


@pytest.mark.parametrize(
    ("uptime", "seconds"),
    [
        ("00:01:02", 62),
        ("1d02h03m", 86400 + 2 * 3600 + 180),
        ("2w3d04h", 2 * 604800 + 3 * 86400 + 4 * 3600),
    ],
)
def test_frr_uptimes_become_seconds(uptime: str, seconds: int) -> None:
    assert age_seconds(uptime) == seconds
