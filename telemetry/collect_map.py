"""NAPALM getter results of one device → ``Observation``s keyed by intent ids. Pure.

The collector (``workers.collect``) opens a device, runs the getters
(``get_facts``, ``get_interfaces``, ``get_lldp_neighbors_detail``,
``get_bgp_neighbors``, ``get_optics``, ``get_route_to`` of the whole RIB and
``get_config``) and hands their results here with the device's intent
(``DeviceIntent``, read from the graph in one query per blueprint). Only intent
nodes are observed: an interface, session or transceiver the device reports
but the blueprint does not hold is not an observation (it would have no
subject); one the blueprint holds but the device does not report is observed
as absent (down, not established, not present).

A device that could not be opened yields one ``device`` observation with
``reachable`` false and nothing else (its other facts are unknown, not healthy).
``get_facts`` failing is the same (its ``show version`` is the device's liveness
probe). Another getter that failed leaves its kind out for that round, except
BGP when the device reports its BGP daemon not running (``get_routing_daemons``,
a getter of the ``linuxfrr`` driver beyond NAPALM's): then every session of the
switch is observed not established (state ``daemon_down``), which is what the
daemon's peers see too. A routing daemon that crashed and that the switch's supervisor
(watchfrr) restarted is told by its start time (``daemons_restarted``): polling may
never see it down, but a start later than its supervisor's is a restart, and it counts
as down (``restarted``) for ``RESTART_HOLD_S`` after it, while its sessions come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.devices.deviation import evaluate
from blueprint_engine.devices.lifecycle import DeviationStatus
from blueprint_engine.devices.records import LastDeploy
from telemetry.model import COUNTER_KEYS, RATE_KEYS, Observation, ObservationKind
from telemetry.overlay_model import EVPN_GETTER, VniIntent, evpn_value

UNREACHABLE = "unreachable"  # key of a getter result for a device that did not open
DAEMONS_GETTER = "get_routing_daemons"
ROUTING_DAEMON = "zebra"  # every switch needs it (the RIB and the kernel routes)
BGP_DAEMON = "bgpd"  # a switch with BGP sessions in intent needs it
SUPERVISOR = "watchfrr"  # FRR's: it restarts a routing daemon that crashed
# a daemon started this long after its supervisor was restarted by it (watchfrr starts
# the daemons within a second or two of its own start, or adopts running ones)
RESTART_MARGIN_S = 5.0
# a restarted daemon counts as down this long after its start: its BGP sessions come
# back meanwhile (seconds with FRR's datacenter timers), so what they show while coming
# back is explained by the restart, never taken for an out-of-band change
RESTART_HOLD_S = 30.0
LAST_DEPLOY_VALUES = frozenset({LastDeploy.SUCCEEDED, LastDeploy.FAILED})


@dataclass(frozen=True)
class InterfaceIntent:
    id: str  # "leaf1:swp1"
    name: str  # "swp1"
    transceiver: str | None = None  # "leaf1:swp1:xcvr"


@dataclass(frozen=True)
class SessionIntent:
    id: str  # BgpSession id
    peer_ip: str  # the address this device peers with (the other end's)
    peer: str  # the other end's system id
    peer_loopback: str | None  # "10.0.0.1/32": the route this device should hold


@dataclass(frozen=True)
class DeviceIntent:
    """What the blueprint says about one switch, and the state of the device assigned
    to it that the collector needs (how it was last seen, its golden config)."""

    blueprint: str
    system: str
    hostname: str
    interfaces: tuple[InterfaceIntent, ...] = ()
    sessions: tuple[SessionIntent, ...] = ()
    serial: str | None = None  # the assigned device, if any
    deploy_mode: str | None = None
    last_deploy: str | None = None  # "succeeded" | "failed" | None
    liveness: str | None = None  # a Liveness value
    golden: str | None = field(default=None, repr=False)  # the golden config text
    golden_at: str | None = None  # when golden was stored (changes with every deploy)
    deviation: str | None = None  # the device's deviation status before this round
    # the VNIs intent gives this leaf (empty without an EVPN overlay): its get_evpn_vnis
    # is read and observed only then (telemetry.overlay_model)
    vnis: tuple[VniIntent, ...] = ()


@dataclass(frozen=True)
class ConfigFacts:
    """The device's golden config (None when unset) and the running config collected."""

    golden: str | None
    running: str
    last_deploy: str | None = None


@dataclass
class _Builder:
    intent: DeviceIntent
    at: float
    out: list[Observation] = field(default_factory=list)

    def add(self, kind: ObservationKind, subject: str, value: dict[str, Any]) -> None:
        self.out.append(
            Observation(self.intent.blueprint, kind, self.intent.system, subject, value, self.at)
        )


def config_deviated(golden: str | None, running: str, last_deploy: str | None) -> bool:
    """Running differs from golden (``blueprint_engine.devices.deviation``). Without golden, only a
    failed deploy is a deviation; an accepted deviation is still one here (the engine marks
    its anomaly suppressed from the device's deviation status)."""
    verdict = evaluate(golden, running, None, deploy_failed=last_deploy == LastDeploy.FAILED)
    return verdict.status is not DeviationStatus.NONE


def _device(b: _Builder, facts: Mapping[str, Any]) -> None:
    hostname = facts.get("hostname")
    b.add(
        ObservationKind.DEVICE,
        b.intent.system,
        {"reachable": True, "hostname": str(hostname) if hostname else None},
    )


def _interfaces(b: _Builder, interfaces: Mapping[str, Any]) -> None:
    for intent in b.intent.interfaces:
        seen = interfaces.get(intent.name) or {}
        b.add(
            ObservationKind.INTERFACE,
            intent.id,
            {
                "oper_up": bool(seen.get("is_up", False)),
                "admin_up": bool(seen.get("is_enabled", False)),
            },
        )


def _lldp(b: _Builder, neighbors: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    for intent in b.intent.interfaces:
        heard = list(neighbors.get(intent.name) or [])
        first = heard[0] if heard else {}
        name = first.get("remote_system_name") or None
        port = first.get("remote_port") or None
        b.add(
            ObservationKind.LLDP,
            intent.id,
            {"neighbor": str(name) if name else None, "port": str(port) if port else None},
        )


def _bgp_state(peer: Mapping[str, Any] | None) -> str:
    if peer is None:
        return "not_configured"
    if peer.get("is_up"):
        return "established"
    return "not_established" if peer.get("is_enabled", True) else "admin_down"


def _bgp(b: _Builder, neighbors: Mapping[str, Any]) -> None:
    peers: dict[str, Any] = {}
    for vrf in neighbors.values():  # "global" and any VRF: sessions are keyed by address
        peers.update(vrf.get("peers") or {})
    for session in b.intent.sessions:
        peer = peers.get(session.peer_ip)
        b.add(
            ObservationKind.BGP,
            session.id,
            {"established": bool(peer and peer.get("is_up")), "state": _bgp_state(peer)},
        )


def _known(value: Any) -> int | None:
    """A counter the device reports (NAPALM's -1 and anything not an int: unknown)."""
    return value if type(value) is int and value >= 0 else None


def _counters(b: _Builder, counters: Mapping[str, Any], interfaces: Mapping[str, Any]) -> None:
    """The raw counters of each intended interface, with its oper state as
    ``get_interfaces`` reported it (a port that is down has no rates); the rates are
    filled in from the previous sample (``telemetry.counters.with_rates``)."""
    for intent in b.intent.interfaces:
        seen = counters.get(intent.name)
        if not isinstance(seen, Mapping):
            continue  # not reported: no counters this round (an absent port is down)
        value: dict[str, Any] = {key: _known(seen.get(key)) for key in COUNTER_KEYS}
        state = interfaces.get(intent.name)
        up = state.get("is_up") if isinstance(state, Mapping) else None
        value["oper_up"] = up if isinstance(up, bool) else None
        value["sampled_at"] = float(b.at)
        value.update({key: None for key in RATE_KEYS})
        b.add(ObservationKind.COUNTERS, intent.id, value)


def _prefixes(peer: Mapping[str, Any] | None, key: str) -> int | None:
    families = (peer or {}).get("address_family") or {}
    counts = [_known(f.get(key)) for f in families.values() if isinstance(f, Mapping)]
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def _bgp_prefixes(b: _Builder, neighbors: Mapping[str, Any]) -> None:
    """Prefixes received and accepted on each session end; unknown (None) while the
    session is not established: a session that is down is its own anomaly, and has no
    prefix count to judge."""
    peers: dict[str, Any] = {}
    for vrf in neighbors.values():
        peers.update(vrf.get("peers") or {})
    for session in b.intent.sessions:
        peer = peers.get(session.peer_ip)
        if not isinstance(peer, Mapping) or peer.get("is_up") is not True:
            peer = None
        b.add(
            ObservationKind.BGP_PREFIXES,
            session.id,
            {
                "received": _prefixes(peer, "received_prefixes"),
                "accepted": _prefixes(peer, "accepted_prefixes"),
            },
        )


def weakest_rx_dbm(port: Mapping[str, Any]) -> float | None:
    """The lowest receive power over the module's lanes (dBm), None without lanes."""
    channels = (port.get("physical_channels") or {}).get("channel") or []
    powers = [
        float(ch["state"]["input_power"]["instant"])
        for ch in channels
        if ch.get("state", {}).get("input_power", {}).get("instant") is not None
    ]
    return min(powers) if powers else None


def _optics(b: _Builder, optics: Mapping[str, Any]) -> None:
    for intent in b.intent.interfaces:
        if intent.transceiver is None:
            continue
        port = optics.get(intent.name)
        value = (
            {"present": True, "rx_power_dbm": weakest_rx_dbm(port)}
            if port is not None
            else {"present": False, "rx_power_dbm": None}
        )
        b.add(ObservationKind.OPTICS, intent.transceiver, value)


def route_present(entries: Sequence[Mapping[str, Any]] | None) -> bool:
    """A prefix is in the RIB when one of its entries is active."""
    return any(bool(e.get("current_active")) for e in entries or ())


def _routes(b: _Builder, rib: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    done: set[str] = set()
    for session in b.intent.sessions:
        if session.peer in done or not session.peer_loopback:
            continue  # one route per peer (an underlay and an overlay session share it)
        done.add(session.peer)
        b.add(
            ObservationKind.ROUTE,
            session.peer,
            {
                "present": route_present(rib.get(session.peer_loopback)),
                "prefix": session.peer_loopback,
            },
        )


def _config(b: _Builder, config: ConfigFacts) -> None:
    last = config.last_deploy if config.last_deploy in LAST_DEPLOY_VALUES else None
    b.add(
        ObservationKind.CONFIG,
        b.intent.system,
        {
            "deviated": config_deviated(config.golden, config.running, config.last_deploy),
            "last_deploy": last,
        },
    )


def _needed(intent: DeviceIntent, daemons: Mapping[str, Mapping[str, Any]]) -> set[str]:
    needed = {ROUTING_DAEMON} | ({BGP_DAEMON} if intent.sessions else set())
    return needed | {name for name, d in daemons.items() if d.get("enabled")}


def daemons_down(intent: DeviceIntent, daemons: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The routing daemons the switch needs (enabled on it, zebra, and bgpd when intent
    gives it sessions) that are not running."""
    return sorted(n for n in _needed(intent, daemons) if not (daemons.get(n) or {}).get("running"))


def _started_at(daemon: Mapping[str, Any] | None) -> float | None:
    at = (daemon or {}).get("started_at")
    return float(at) if isinstance(at, int | float) and not isinstance(at, bool) else None


def daemons_restarted(
    intent: DeviceIntent, daemons: Mapping[str, Mapping[str, Any]], at: float
) -> list[str]:
    """The needed routing daemons that run again after a crash and are still coming
    back: started more than ``RESTART_MARGIN_S`` after the switch's supervisor
    (``watchfrr``, which starts or adopts the daemons when FRR starts and restarts
    the one that crashes; our deployments reload the config and never restart a
    daemon), and less than ``RESTART_HOLD_S`` before ``at`` (long enough for its
    sessions to come back; the start time is a fact of the process, so every round
    within that window says the same). Without a supervisor's start time (no
    watchfrr, or a driver that does not report start times): none."""
    supervisor = _started_at(daemons.get(SUPERVISOR))
    if supervisor is None:
        return []
    restarted = []
    for name in _needed(intent, daemons):
        daemon = daemons.get(name) or {}
        started = _started_at(daemon)
        if not daemon.get("running") or started is None:
            continue
        if started > supervisor + RESTART_MARGIN_S and at - started < RESTART_HOLD_S:
            restarted.append(name)
    return sorted(restarted)


def _daemons(b: _Builder, down: Sequence[str], restarted: Sequence[str]) -> None:
    b.add(
        ObservationKind.DAEMONS,
        b.intent.system,
        {
            "running": not down,
            "down": ",".join(down) or None,
            "restarted": ",".join(restarted) or None,
        },
    )


def _bgp_daemon_down(b: _Builder) -> None:
    for session in b.intent.sessions:
        b.add(ObservationKind.BGP, session.id, {"established": False, "state": "daemon_down"})


def observations(
    intent: DeviceIntent,
    getters: Mapping[str, Any],
    at: float,
    config: ConfigFacts | None = None,
) -> list[Observation]:
    """The observations of one collection round of one device.

    ``getters`` maps getter names to results (``workers.collect.run_getters``), with
    ``errors`` naming getters that failed; ``{"unreachable": reason}`` when the
    device did not open. ``config`` is None when the running config was not
    compared this round (not collected, or a deployment holds the device).
    """
    b = _Builder(intent, at)
    failed = set(getters.get("errors") or {})
    ok = {name: result for name, result in getters.items() if name not in failed}
    if UNREACHABLE in getters or "get_facts" not in ok:
        b.add(ObservationKind.DEVICE, intent.system, {"reachable": False, "hostname": None})
        return b.out
    _device(b, ok["get_facts"])
    if "get_interfaces" in ok:
        _interfaces(b, ok["get_interfaces"])
    if "get_lldp_neighbors_detail" in ok:
        _lldp(b, ok["get_lldp_neighbors_detail"])
    down = daemons_down(intent, ok[DAEMONS_GETTER]) if DAEMONS_GETTER in ok else []
    if DAEMONS_GETTER in ok:
        _daemons(b, down, daemons_restarted(intent, ok[DAEMONS_GETTER], at))
    if "get_bgp_neighbors" in ok:
        _bgp(b, ok["get_bgp_neighbors"])
        _bgp_prefixes(b, ok["get_bgp_neighbors"])
    elif BGP_DAEMON in down:
        _bgp_daemon_down(b)
    if "get_optics" in ok:
        _optics(b, ok["get_optics"])
    if "get_route_to" in ok:
        _routes(b, ok["get_route_to"])
    if "get_interfaces_counters" in ok:
        _counters(b, ok["get_interfaces_counters"], ok.get("get_interfaces") or {})
    if intent.vnis and EVPN_GETTER in ok:
        rib = ok.get("get_route_to")
        value = evpn_value(intent.vnis, ok[EVPN_GETTER], rib if isinstance(rib, Mapping) else None)
        b.add(ObservationKind.EVPN, intent.system, value)
    if config is not None:
        _config(b, config)
    return b.out
