"""Interface counters: the driver's reading of the kernel's stats, the collector's
mapping, and rates per second from consecutive samples (resets counted from zero)."""

from __future__ import annotations

import json
from typing import Any

from napalm_linuxfrr.getters import interfaces_counters
from simulator.model import counters_at
from telemetry.collect_map import DeviceIntent, InterfaceIntent, SessionIntent, observations
from telemetry.counters import Sent, increase, next_value, rates
from telemetry.digest import Held, fingerprint
from telemetry.model import (
    COUNTER_KEYS,
    RATE_KEYS,
    Observation,
    ObservationKind,
    canonical_json,
    check,
)

# the shape of `ip -s -j link show` (iproute2 6.1, Debian 12) for a veth
IP_STATS = [
    {
        "ifindex": 2,
        "ifname": "swp1",
        "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        "mtu": 9000,
        "link_index": 2,
        "stats64": {
            "rx": {
                "bytes": 5000,
                "packets": 40,
                "errors": 1,
                "dropped": 3,
                "over_errors": 0,
                "multicast": 4,
            },
            "tx": {
                "bytes": 7000,
                "packets": 50,
                "errors": 0,
                "dropped": 2,
                "carrier_errors": 0,
                "collisions": 0,
            },
        },
    },
    {"ifindex": 3, "ifname": "swp2", "flags": ["BROADCAST"], "mtu": 1500},
]


def _value(**raw: Any) -> dict[str, Any]:
    keys = ("rx_octets", "tx_octets", "rx_errors", "tx_errors", "rx_discards", "tx_discards")
    value: dict[str, Any] = {k: raw.get(k, 0) for k in keys}
    value["sampled_at"] = raw.get("sampled_at", 0.0)
    value["oper_up"] = raw.get("oper_up", True)
    value.update({key: None for key in RATE_KEYS})
    return value


def test_the_driver_reads_the_kernels_counters_and_marks_what_it_does_not_keep() -> None:
    found = interfaces_counters(json.dumps(IP_STATS))
    assert list(found) == ["swp1"]  # an interface without stats is left out
    swp1 = found["swp1"]
    assert (swp1["rx_octets"], swp1["tx_octets"]) == (5000, 7000)
    assert (swp1["rx_errors"], swp1["tx_errors"]) == (1, 0)
    assert (swp1["rx_discards"], swp1["tx_discards"]) == (3, 2)
    assert swp1["rx_unicast_packets"] == 36  # received less multicast
    assert swp1["tx_unicast_packets"] == 50
    assert swp1["rx_broadcast_packets"] == -1


def test_the_collector_maps_the_intended_interfaces_counters_with_rates_left_open() -> None:
    intent = DeviceIntent(
        "bp", "leaf1", "leaf1", interfaces=(InterfaceIntent("leaf1:swp1", "swp1"),)
    )
    getters = {
        "errors": {},
        "get_facts": {"hostname": "leaf1"},
        "get_interfaces_counters": interfaces_counters(json.dumps(IP_STATS)),
    }
    found = [o for o in observations(intent, getters, 12.5) if o.kind is ObservationKind.COUNTERS]
    assert len(found) == 1
    obs = check(found[0])
    assert obs.subject == "leaf1:swp1"
    assert obs.value["rx_errors"] == 1 and obs.value["sampled_at"] == 12.5
    assert obs.value["rx_bps"] is None and obs.value["errors_ps"] is None


def test_rates_per_second_come_from_the_previous_sample() -> None:
    before = _value(rx_octets=1000, tx_octets=0, rx_errors=2, rx_discards=0, sampled_at=10.0)
    now = _value(rx_octets=3000, tx_octets=500, rx_errors=6, rx_discards=10, sampled_at=12.0)
    out = rates(before, now)
    assert out["rx_bps"] == 8000.0  # 2000 octets in 2 s
    assert out["tx_bps"] == 2000.0
    assert out["errors_ps"] == 2.0
    assert out["discards_ps"] == 5.0
    assert out["errors_discards_ps"] == 7.0
    check_value_shape(out)


def test_a_counter_that_fell_was_reset_and_counts_from_zero() -> None:
    assert increase(1000, 200) == 200
    assert increase(200, 1000) == 800
    assert increase(None, 5) is None
    before = _value(rx_octets=10_000, sampled_at=0.0)
    after = _value(rx_octets=400, sampled_at=4.0)
    assert rates(before, after)["rx_bps"] == 800.0


def test_the_first_sample_or_samples_out_of_order_have_no_rates() -> None:
    now = _value(rx_octets=5, sampled_at=5.0)
    assert rates(None, now)["rx_bps"] is None
    later = _value(rx_octets=1, sampled_at=9.0)
    assert rates(later, now)["rx_bps"] is None
    unknown = {**_value(sampled_at=1.0), "rx_octets": None}
    assert rates(unknown, now)["rx_bps"] is None
    assert rates(unknown, now)["tx_bps"] == 0.0


def test_an_idle_interface_keeps_its_value_and_costs_no_write() -> None:
    first = _value(rx_octets=100, sampled_at=0.0)
    second = rates(first, _value(rx_octets=100, sampled_at=2.0))  # rates known: zero
    assert second["rx_bps"] == 0.0
    third = next_value(second, _value(rx_octets=100, sampled_at=4.0))
    assert third == second  # same value, same time: nothing to write
    moving = next_value(second, _value(rx_octets=600, sampled_at=12.0))
    assert moving["rx_bps"] == 400.0  # averaged over the idle time since 2.0
    # the first sample has no rate yet: the next one computes it even when idle
    assert next_value(first, _value(rx_octets=100, sampled_at=2.0))["rx_bps"] == 0.0


def test_simulated_counters_grow_with_time() -> None:
    early, late = counters_at({"swp1": 1000}, 2.0), counters_at({"swp1": 1000}, 5.0)
    assert late["swp1"]["rx_octets"] - early["swp1"]["rx_octets"] == 3000
    assert late["swp1"]["rx_errors"] == 0


def check_value_shape(value: dict[str, Any]) -> None:
    from telemetry.model import check_value

    check_value(ObservationKind.COUNTERS, value)


def test_a_port_that_is_down_has_no_rates_and_its_next_rate_covers_only_the_time_up() -> None:
    up = rates(None, _value(rx_discards=0, sampled_at=0.0))
    down = rates(up, _value(rx_discards=500, sampled_at=10.0, oper_up=False))
    assert all(down[key] is None for key in RATE_KEYS)  # drops of a port without carrier
    back = rates(down, _value(rx_discards=502, sampled_at=12.0))
    assert back["discards_ps"] == 1.0


def test_a_port_reported_down_is_sampled_as_down() -> None:
    intent = DeviceIntent(
        "bp", "leaf1", "leaf1", interfaces=(InterfaceIntent("leaf1:swp1", "swp1"),)
    )
    getters = {
        "errors": {},
        "get_facts": {"hostname": "leaf1"},
        "get_interfaces": {"swp1": {"is_up": False, "is_enabled": True}},
        "get_interfaces_counters": interfaces_counters(json.dumps(IP_STATS)),
    }
    found = [o for o in observations(intent, getters, 3.0) if o.kind is ObservationKind.COUNTERS]
    assert check(found[0]).value["oper_up"] is False


def _peer(up: bool, accepted: int) -> dict[str, Any]:
    family = {"received_prefixes": accepted, "accepted_prefixes": accepted, "sent_prefixes": 1}
    return {"is_up": up, "address_family": {"ipv4": family}}


def test_prefix_counts_are_known_only_on_an_established_session() -> None:
    sessions = (
        SessionIntent("s-up", "10.0.0.1", "spine1", None),
        SessionIntent("s-down", "10.0.0.2", "spine2", None),
    )
    intent = DeviceIntent("bp", "leaf1", "leaf1", sessions=sessions)
    peers = {"10.0.0.1": _peer(True, 5), "10.0.0.2": _peer(False, 0)}
    getters = {
        "errors": {},
        "get_facts": {"hostname": "leaf1"},
        "get_bgp_neighbors": {"global": {"peers": peers}},
    }
    found = {
        o.subject: o.value
        for o in observations(intent, getters, 1.0)
        if o.kind is ObservationKind.BGP_PREFIXES
    }
    assert found["s-up"] == {"received": 5, "accepted": 5}
    # a session that is down is its own anomaly: no prefix count to judge
    assert found["s-down"] == {"received": None, "accepted": None}


def _sample(observer: str, subject: str, rx: int) -> Observation:
    value = {
        **{key: 0 for key in COUNTER_KEYS},
        "rx_octets": rx,
        "sampled_at": 100.0,
        "oper_up": True,
        **{key: None for key in RATE_KEYS},
    }
    return Observation("bp", ObservationKind.COUNTERS, observer, subject, value, 100.0)


def test_counters_a_process_sent_are_trusted_only_where_the_graphs_digest_holds_them() -> None:
    sent = Sent()
    leaf1 = [_sample("leaf1", "leaf1:swp1", 10), _sample("leaf1", "leaf1:swp2", 20)]
    leaf2 = [_sample("leaf2", "leaf2:swp1", 30)]
    sent.remember("bp", leaf1 + leaf2)
    # the digest ingest writes for what was sent: the same fingerprint
    rows = [{"uid": o.uid, "value": canonical_json(o.value)} for o in leaf1]
    in_graph = {
        "leaf1": {"counters": Held(fingerprint(rows), 100_000)},
        "leaf2": {"counters": Held("0" * 32, 100_000)},  # another writer's values
    }
    trusted = sent.trusted("bp", in_graph)
    assert trusted == {o.uid: dict(o.value) for o in leaf1}  # leaf2 is read from the graph
    assert sent.trusted("other-bp", in_graph) == {}


def test_a_process_remembers_a_bounded_number_of_observers() -> None:
    sent = Sent(limit=2)
    for n in range(3):
        sent.remember("bp", [_sample(f"leaf{n}", f"leaf{n}:swp1", n)])
    assert list(sent.held) == ["bp/leaf1", "bp/leaf2"]
