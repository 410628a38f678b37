"""A device event's facts as observations: the same subjects and value shapes as a
collection round's (``telemetry.collect_map``), nothing for what intent does not hold."""

from __future__ import annotations

from telemetry.collect_map import DeviceIntent, InterfaceIntent, SessionIntent, observations
from telemetry.event_facts import bgp_facts, link_facts, optics_facts, route_facts, sessions_of
from telemetry.model import ObservationKind as K
from workers.listener import latest_facts

SESSION = SessionIntent("spine1--leaf1", "10.1.0.0", "spine1", "10.0.0.1/32")
LEAF = DeviceIntent(
    "bp",
    "leaf1",
    "leaf1",
    (
        InterfaceIntent("leaf1:swp1", "swp1", "leaf1:swp1:xcvr"),
        InterfaceIntent("leaf1:swp9", "swp9"),
    ),
    (SESSION,),
)
AT = 1_700_000_000.0


def _round(getters: dict[str, object]) -> dict[tuple[K, str], object]:
    """What a round maps the same getter results to, by (kind, subject)."""
    out = observations(LEAF, {"get_facts": {"hostname": "leaf1"}, **getters}, AT)
    return {(o.kind, o.subject): o.value for o in out}


def test_a_port_event_is_the_rounds_interface_fact() -> None:
    (fact,) = link_facts(LEAF, "swp1", False, True, AT)
    seen = _round({"get_interfaces": {"swp1": {"is_up": False, "is_enabled": True}}})
    assert (fact.kind, fact.subject, fact.observer) == (K.INTERFACE, "leaf1:swp1", "leaf1")
    assert fact.value == seen[(K.INTERFACE, "leaf1:swp1")] and fact.observed_at == AT


def test_a_port_without_intent_or_without_a_known_admin_state_is_no_fact() -> None:
    assert link_facts(LEAF, "swp7", False, True, AT) == []
    assert link_facts(LEAF, "swp1", False, None, AT) == []


def test_the_optic_read_after_a_port_event_is_the_rounds_optics_fact() -> None:
    optics = {"swp1": {"physical_channels": {"channel": [
        {"state": {"input_power": {"instant": -40.0}}}]}}}  # fmt: skip
    (fact,) = optics_facts(LEAF, ["swp1", "swp9"], optics, AT)  # swp9 has no transceiver
    assert fact.value == _round({"get_optics": optics})[(K.OPTICS, "leaf1:swp1:xcvr")]
    (gone,) = optics_facts(LEAF, ["swp1"], {}, AT)
    assert gone.value == {"present": False, "rx_power_dbm": None}


def test_a_session_event_names_its_session_by_the_neighbour_address() -> None:
    assert sessions_of(LEAF, "10.1.0.0") == [SESSION] and sessions_of(LEAF, "10.9.9.9") == []
    down = {(o.kind, o.subject): o.value for o in bgp_facts(LEAF, "10.1.0.0", False, True, AT)}
    neighbors = {"global": {"peers": {"10.1.0.0": {"is_up": False, "is_enabled": True}}}}
    seen = _round({"get_bgp_neighbors": neighbors})
    assert down == {key: seen[key] for key in down}
    assert set(down) == {(K.BGP, SESSION.id), (K.BGP_PREFIXES, SESSION.id)}
    (shut,) = [o for o in bgp_facts(LEAF, "10.1.0.0", False, False, AT) if o.kind is K.BGP]
    assert shut.value == {"established": False, "state": "admin_down"}
    up = bgp_facts(LEAF, "10.1.0.0", True, True, AT)  # prefix counts: the follow-up's
    assert [(o.kind, o.value) for o in up] == [
        (K.BGP, {"established": True, "state": "established"})
    ]


def test_the_route_read_after_a_session_event_is_the_rounds_route_fact() -> None:
    rib = {"10.0.0.1/32": [{"current_active": True}]}
    (fact,) = route_facts(LEAF, SESSION, rib, AT)
    assert fact.value == _round({"get_route_to": rib})[(K.ROUTE, "spine1")]
    (gone,) = route_facts(LEAF, SESSION, {}, AT)
    assert gone.value == {"present": False, "prefix": "10.0.0.1/32"}


def test_queued_facts_keep_the_latest_reading_of_each() -> None:
    first = link_facts(LEAF, "swp1", False, True, AT)
    later = link_facts(LEAF, "swp1", True, True, AT + 1)
    other = bgp_facts(LEAF, "10.1.0.0", True, True, AT)
    assert latest_facts([first + other, later]) == other + later
    assert latest_facts([later, first]) == later  # an older reading does not replace it
