"""Pure shaping of the scrape's rows into Prometheus samples (no I/O)."""

from __future__ import annotations

import json

from api import fabric_metrics as fm

ANOMALY_TYPES = fm.ANOMALY_TYPES


def _value(samples: list[fm.Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_every_anomaly_type_and_state_has_a_series_even_without_anomalies() -> None:
    samples = fm.zero_filled(
        [], ["dc1", "dc2"], ("type", "state"), (ANOMALY_TYPES, fm.ANOMALY_STATES), "anomalies"
    )
    assert len(samples) == 2 * len(ANOMALY_TYPES) * 2
    assert {s.value for s in samples} == {0.0}


def test_counts_land_on_their_series_and_unknown_values_are_kept() -> None:
    rows = [
        {"blueprint": "dc1", "type": "interface_down", "state": "raised", "n": 3},
        {"blueprint": "dc1", "type": "brand_new", "state": "raised", "n": 1},
    ]
    samples = fm.zero_filled(
        rows, ["dc1"], ("type", "state"), (ANOMALY_TYPES, fm.ANOMALY_STATES), "anomalies"
    )
    assert _value(samples, "anomalies", type="interface_down", state="raised") == 3
    assert _value(samples, "anomalies", type="interface_down", state="cleared") == 0
    assert _value(samples, "anomalies", type="brand_new", state="raised") == 1


def test_histogram_buckets_are_cumulative_and_end_with_inf() -> None:
    h = fm.histogram({"stage": "service"}, [0.2, 0.7, 3.0, None, 500.0])
    buckets = dict(h.buckets)
    assert buckets["0.25"] == 1 and buckets["1.0"] == 2 and buckets["5.0"] == 3
    assert buckets["120.0"] == 3 and buckets["+Inf"] == 4
    assert h.count == 4 and h.sum == 0.2 + 0.7 + 3.0 + 500.0


def test_link_states_split_down_observed_and_unobserved() -> None:
    totals = [{"blueprint": "dc1", "role": "spine_leaf", "n": 8}]
    down = [{"blueprint": "dc1", "role": "spine_leaf", "ids": ["l1"]}]
    seen = [{"blueprint": "dc1", "role": "spine_leaf", "ids": ["l1", "l2", "l3"]}]
    samples = fm.link_states(totals, down, seen)
    assert _value(samples, "links", state="down") == 1
    assert _value(samples, "links", state="up") == 2  # l2, l3 seen and not down
    assert _value(samples, "links", state="unknown") == 5


def test_link_states_of_a_large_blueprint_count_the_seen_links_named_only_when_down() -> None:
    """Without per-link series the observed links are a count; the ids name the down ones."""
    totals = [{"blueprint": "dc1", "role": "spine_leaf", "n": 8}]
    down = [{"blueprint": "dc1", "role": "spine_leaf", "ids": ["l1", "l7"]}]
    seen = [{"blueprint": "dc1", "role": "spine_leaf", "n": 6, "ids": ["l1"]}]
    samples = fm.link_states(totals, down, seen)
    assert _value(samples, "links", state="down") == 2
    assert _value(samples, "links", state="up") == 5  # 6 seen, one of them (l1) down
    assert _value(samples, "links", state="unknown") == 1  # l7 down but not seen: 8 - 2 - 5


def test_element_samples_read_the_observation_values() -> None:
    rows = [
        {
            "blueprint": "dc1",
            "kind": "interface",
            "observer": "leaf1",
            "subject": "leaf1:swp1",
            "value": '{"oper_up": false, "admin_up": true}',
        },
        {
            "blueprint": "dc1",
            "kind": "bgp",
            "observer": "leaf1",
            "subject": "spine1--leaf1",
            "value": '{"established": true}',
        },
        {
            "blueprint": "dc1",
            "kind": "optics",
            "observer": "leaf1",
            "subject": "leaf1:swp1:xcvr",
            "value": '{"present": true, "rx_power_dbm": -2.5}',
        },
        {
            "blueprint": "dc1",
            "kind": "device",
            "observer": "leaf1",
            "subject": "leaf1",
            "value": "not json",
        },
    ]
    samples = fm.element_samples(rows)
    assert _value(samples, "interface_up", interface="leaf1:swp1") == 0.0
    assert _value(samples, "bgp_session_up", session="spine1--leaf1") == 1.0
    assert _value(samples, "optics_rx_power_dbm", transceiver="leaf1:swp1:xcvr") == -2.5
    assert not [s for s in samples if s.name == "device_reachable"]


def test_shape_counts_active_anomalies_and_observation_age() -> None:
    rows: dict[str, list[dict[str, object]]] = {
        "blueprints": [{"blueprint": "dc1"}],
        "systems": [{"blueprint": "dc1", "role": "leaf", "deploy_mode": "deploy", "n": 4}],
        "devices": [],
        "anomalies": [
            {
                "blueprint": "dc1",
                "type": "bgp_session_down",
                "state": "raised",
                "n": 4,
                "active": 1,
            },
            {
                "blueprint": "dc1",
                "type": "bgp_session_down",
                "state": "cleared",
                "n": 2,
                "active": 0,
            },
        ],
        "root_causes": [{"blueprint": "dc1", "kind": "cable_cut", "state": "open", "n": 1}],
        "bgp": [{"blueprint": "dc1", "state": "down", "n": 2}],
        "links": [],
        "links_down": [],
        "links_seen": [],
        "deployments": [],
        "observations": [{"blueprint": "dc1", "kind": "bgp", "n": 16, "newest": 95.0}],
        "elements": [],
        "element_anomalies": [],
    }
    vocabulary = fm.Vocabulary(ANOMALY_TYPES, ("cable_cut",))
    facts = fm.shape(rows, 100.0, vocabulary)
    s = facts.samples
    assert _value(s, "anomalies", type="bgp_session_down", state="raised") == 4
    assert _value(s, "anomalies_active", type="bgp_session_down") == 1
    assert _value(s, "anomalies_active", type="cabling") == 0
    assert _value(s, "root_causes", kind="cable_cut", state="open") == 1
    assert _value(s, "bgp_sessions", state="down") == 2
    assert _value(s, "bgp_sessions", state="up") == 0
    assert _value(s, "observation_age_seconds", kind="bgp") == 5.0


def test_observed_links_get_a_series_each_down_ones_zero() -> None:
    totals = [{"blueprint": "dc1", "role": "spine_leaf", "n": 8}]
    down = [{"blueprint": "dc1", "role": "spine_leaf", "ids": ["l1"]}]
    seen = [{"blueprint": "dc1", "role": "spine_leaf", "ids": ["l1", "l2"]}]
    samples = fm.link_states(totals, down, seen)
    assert _value(samples, "link_up", link="l1") == 0.0
    assert _value(samples, "link_up", link="l2") == 1.0
    assert not [s for s in samples if s.name == "link_up" and s.labels["link"] == "l3"]


def test_per_element_series_only_for_blueprints_up_to_the_switch_limit() -> None:
    systems = [
        {"blueprint": "lab", "role": "spine", "n": 2},
        {"blueprint": "lab", "role": "leaf", "n": 4},
        {"blueprint": "lab", "role": "server", "n": 400},
        {"blueprint": "big", "role": "spine", "n": 8},
        {"blueprint": "big", "role": "leaf", "n": 512},
    ]
    assert fm.detailed_blueprints(systems) == ["lab"]


def test_observation_times_are_read_as_epoch_floats_or_datetimes() -> None:
    import datetime as dt

    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert fm.epoch(12.5) == 12.5
    assert fm.epoch(moment) == moment.timestamp()
    assert fm.epoch(None) is None


def test_link_throughput_comes_from_each_ends_counter_rates() -> None:
    rows = [
        {
            "blueprint": "bp",
            "observer": "leaf1",
            "subject": "leaf1:swp1",
            "link": "l1",
            "value": json.dumps({"rx_bps": 8000.0, "tx_bps": 1600.0}),
        },
        {  # the first sample of an interface has no rates yet
            "blueprint": "bp",
            "observer": "spine1",
            "subject": "spine1:swp1",
            "link": "l1",
            "value": json.dumps({"rx_bps": None, "tx_bps": None}),
        },
    ]
    samples = fm.link_throughput(rows)
    assert {(s.labels["interface"], s.labels["direction"], s.value) for s in samples} == {
        ("leaf1:swp1", "rx", 8000.0),
        ("leaf1:swp1", "tx", 1600.0),
    }
    assert all(s.name == "link_throughput_bps" and s.labels["link"] == "l1" for s in samples)
