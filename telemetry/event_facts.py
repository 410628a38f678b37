"""The facts a device event names, as observations: the event-driven entry to the same
ingest, evaluation and root causes as a collection round. Pure.

A device reports a change on its own (``napalm_linuxfrr.events``: the kernel's link
notifications, bgpd's neighbour changes; gNMI ON_CHANGE on other NOSes). The listener
(``workers.listener``) turns each event into the observations it implies, with the
same subjects and value shapes as ``telemetry.collect_map`` gives a full round, and
hands them to ``telemetry.ingest.ingest``:

==========================  ===============================================================
event                       observations
==========================  ===============================================================
link ``swp1`` up/down       ``interface`` of that port (oper state, admin state as the
                            kernel last reported it); ``optics`` of its transceiver from a
                            read of the device's optics right after the event
bgp ``<peer ip>`` up/down   ``bgp`` of the session with that peer (``admin_down`` when
                            bgpd says it was shut down), ``bgp_prefixes`` unknown while it
                            is down; ``route`` to the peer's loopback from a read of the
                            RIB for that one prefix
==========================  ===============================================================

An event about something the blueprint does not hold (a port without intent, a
neighbour that is no session of the switch) is no observation. What an event does not
say stays as the last round left it; the listener's follow-up round collects the
switch whole shortly after, so a fact the event path got wrong lives at most that long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from telemetry.collect_map import DeviceIntent, SessionIntent, route_present, weakest_rx_dbm
from telemetry.model import Observation, ObservationKind


def _obs(intent: DeviceIntent, kind: ObservationKind, subject: str, value: dict[str, Any],
         at: float) -> Observation:  # fmt: skip
    return Observation(intent.blueprint, kind, intent.system, subject, value, at)


def link_facts(
    intent: DeviceIntent, port: str, oper_up: bool, admin_up: bool | None, at: float
) -> list[Observation]:
    """A port's new state; none when the port has no intent or its admin state is not
    known (the follow-up round reads it)."""
    if admin_up is None:
        return []
    return [
        _obs(
            intent, ObservationKind.INTERFACE, i.id, {"oper_up": oper_up, "admin_up": admin_up}, at
        )
        for i in intent.interfaces
        if i.name == port
    ]


def optics_facts(
    intent: DeviceIntent, ports: Sequence[str], optics: Mapping[str, Any], at: float
) -> list[Observation]:
    """The transceivers of ``ports`` as the device's ``get_optics`` shows them now."""
    out = []
    for i in intent.interfaces:
        if i.name not in ports or i.transceiver is None:
            continue
        seen = optics.get(i.name)
        value = (
            {"present": True, "rx_power_dbm": weakest_rx_dbm(seen)}
            if isinstance(seen, Mapping)
            else {"present": False, "rx_power_dbm": None}
        )
        out.append(_obs(intent, ObservationKind.OPTICS, i.transceiver, value, at))
    return out


def sessions_of(intent: DeviceIntent, peer_ip: str) -> list[SessionIntent]:
    """The switch's sessions with ``peer_ip`` (an event's neighbour address)."""
    return [s for s in intent.sessions if s.peer_ip == peer_ip]


def bgp_facts(
    intent: DeviceIntent, peer_ip: str, established: bool, enabled: bool, at: float
) -> list[Observation]:
    """The session with ``peer_ip`` established or not (``admin_down`` when shut down
    by configuration, as a round tells it); its prefix counts unknown while down."""
    state = "established" if established else ("not_established" if enabled else "admin_down")
    out = []
    for s in sessions_of(intent, peer_ip):
        out.append(
            _obs(
                intent, ObservationKind.BGP, s.id, {"established": established, "state": state}, at
            )
        )
        if not established:
            empty = {"received": None, "accepted": None}
            out.append(_obs(intent, ObservationKind.BGP_PREFIXES, s.id, empty, at))
    return out


def route_facts(
    intent: DeviceIntent, session: SessionIntent, rib: Mapping[str, Sequence[Mapping[str, Any]]],
    at: float,
) -> list[Observation]:  # fmt: skip
    """The route to ``session``'s peer loopback as ``get_route_to(<loopback>)`` shows it."""
    if not session.peer_loopback:
        return []
    present = route_present(rib.get(session.peer_loopback))
    value = {"present": present, "prefix": session.peer_loopback}
    return [_obs(intent, ObservationKind.ROUTE, session.peer, value, at)]
