"""Intent versus observation, as pure functions: facts in, verdicts out.

Expectations are never written per device: they follow from the blueprint's
intent (``telemetry.expectations`` fetches the facts below for the subjects
whose observations changed) and apply only to *deployed* devices (assigned,
deploy mode ``deploy`` or ``drain``):

* every switch: reachable, hostname = its system's hostname, its routing daemons
  running (zebra, and bgpd when it has sessions) and none of them just restarted
  after a crash, running config not deviated from
  golden, last deployment not failed;
* every linked interface of a switch: oper up; LLDP neighbour = the link's other
  end when that end is a switch with a device; its transceiver present with rx
  power in range;
* every BGP session whose two ends are deployed: established at both ends, and
  each end has the other end's loopback route.

A verdict is ``broken`` True (raise), False (clear) or None (unknown: the observer
is unreachable or nothing was observed yet; the anomaly keeps its state). During a
drain, BGP and route anomalies on the drained device and its peers are
``expected``; a deviation accepted by the operator is ``suppressed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from blueprint_engine.devices.lifecycle import DEPLOYED_MODES, DeployMode

# receive power window per transceiver media (dBm); the default for unknown media
RX_RANGE_DBM: dict[str, tuple[float, float]] = {"100GBASE-SR4": (-10.0, 2.4)}
DEFAULT_RX_RANGE_DBM = (-10.0, 2.4)
# an interface up for less than this may not have heard its LLDP neighbour yet
LLDP_GRACE_S = 30.0

Value = Mapping[str, Any]


class AnomalyType(StrEnum):
    CONFIG_DEVIATION = "config_deviation"
    DEPLOYMENT_FAILURE = "deployment_failure"
    CABLING = "cabling"
    INTERFACE_DOWN = "interface_down"
    BGP_SESSION_DOWN = "bgp_session_down"
    ROUTE_MISSING = "route_missing"
    TRANSCEIVER_FAULT = "transceiver_fault"
    HOSTNAME_MISMATCH = "hostname_mismatch"
    DEVICE_UNAVAILABLE = "device_unavailable"
    ROUTING_DAEMON_DOWN = "routing_daemon_down"
    # no worker of the pool the devices are placed on answers (telemetry.pool_down)
    POOL_DOWN = "pool_down"
    # the NOS version the device reported lies outside its device profile's range
    NOS_VERSION_MISMATCH = "nos_version_mismatch"
    # the virtual layer against intent (telemetry.virtual_anomalies)
    VM_NETWORK_MISSING = "vm_network_missing"  # a vNIC's VLAN not carried at its server
    VM_NETWORK_UNBOUND_RACK = "vm_network_unbound_rack"  # a network's VMs in a rack not bound
    VM_UPLINK_MISSING = "vm_uplink_missing"  # a vNIC's virtual switch not on the trunk port
    # the EVPN overlay against intent (telemetry.overlay): a VNI a leaf should serve absent
    # or down on it; a VTEP that should be a remote VTEP of a leaf's VNIs not listed
    VNI_MISSING = "vni_missing"
    REMOTE_VTEP_MISSING = "remote_vtep_missing"
    # a user-defined or predefined probe's anomaly (telemetry.probes): the anomaly node
    # carries the probe's name, its anomaly type and severity
    PROBE = "probe"


# anomalies about one end of a two-ended subject carry the end in their uid
PER_END = frozenset(
    {
        AnomalyType.BGP_SESSION_DOWN,
        AnomalyType.ROUTE_MISSING,
        AnomalyType.VNI_MISSING,  # <network or zone>@<leaf>
        AnomalyType.REMOTE_VTEP_MISSING,  # <remote leaf>@<leaf>
    }
)


def anomaly_uid(bp: str, kind: AnomalyType, subject: str, device: str) -> str:
    suffix = f"@{device}" if kind in PER_END else ""
    return f"{bp}/{kind.value}/{subject}{suffix}"


@dataclass(frozen=True)
class Managed:
    """A switch's lifecycle facts and its own observations (device, config)."""

    system: str
    hostname: str
    mode: str | None = None  # the assigned device's deploy mode; None: no device
    deviation: str | None = None  # none | open | accepted
    device_obs: Value | None = None
    config_obs: Value | None = None
    daemons_obs: Value | None = None
    # the assigned device's NOS version and whether its profile's range allows it
    # (checked when its agent registered it); None: no device or no range known
    os_version: str | None = None
    nos_version_ok: bool | None = None
    nos_version_allowed: str | None = None

    @property
    def deployed(self) -> bool:
        return self.mode in DEPLOYED_MODES

    @property
    def draining(self) -> bool:
        return self.mode == DeployMode.DRAIN

    @property
    def reachable(self) -> bool | None:
        return None if self.device_obs is None else bool(self.device_obs["reachable"])


@dataclass(frozen=True)
class Verdict:
    type: AnomalyType
    subject: str  # the intent node's id
    on_label: str  # its label (where the anomaly's ON edge points)
    device: str  # the system the anomaly belongs to
    broken: bool | None
    expected_value: Mapping[str, Any] = field(default_factory=dict, hash=False)
    actual_value: Mapping[str, Any] | None = field(default=None, hash=False)
    summary: str = ""
    expected: bool = False
    suppressed: bool = False
    probe: str | None = None  # the probe raising it (type PROBE), with its anomaly type
    probe_type: str | None = None
    severity: str | None = None

    def uid(self, bp: str) -> str:
        if self.probe is not None:
            return probe_anomaly_uid(bp, self.probe, self.subject, self.device)
        return anomaly_uid(bp, self.type, self.subject, self.device)


def probe_anomaly_uid(bp: str, probe: str, subject: str, device: str) -> str:
    """One anomaly per probe, subject and observing switch."""
    return f"{bp}/{AnomalyType.PROBE.value}/{probe}/{subject}@{device}"


def _unknown_unless(owner: Managed) -> bool:
    """True when the owner's own observations cannot be trusted right now."""
    return owner.reachable is not True


# -- switches -------------------------------------------------------------------------------


def evaluate_system(m: Managed) -> list[Verdict]:
    """Reachable, hostname, config deviation, last deployment; the NOS version whatever
    the deploy mode (an assigned device outside its profile's range)."""
    if not m.deployed:
        return [
            *(Verdict(t, m.system, "System", m.system, False) for t in _SYSTEM_TYPES),
            _nos_version(m),
        ]
    dev, cfg = m.device_obs, m.config_obs
    reach = None if dev is None else not dev["reachable"]
    verdicts = [
        Verdict(
            AnomalyType.DEVICE_UNAVAILABLE,
            m.system,
            "System",
            m.system,
            reach,
            {"reachable": True},
            dev,
            f"{m.system} does not answer its collector",
        ),
    ]
    name_broken = None if _unknown_unless(m) or dev is None else dev["hostname"] != m.hostname
    verdicts.append(
        Verdict(
            AnomalyType.HOSTNAME_MISMATCH,
            m.system,
            "System",
            m.system,
            name_broken,
            {"hostname": m.hostname},
            dev,
            f"{m.system} calls itself {dev['hostname'] if dev else None!r}, intent {m.hostname!r}",
        )
    )
    verdicts.append(_daemons(m))
    verdicts.append(_nos_version(m))
    deviated = None if cfg is None else bool(cfg["deviated"])
    verdicts.append(
        Verdict(
            AnomalyType.CONFIG_DEVIATION,
            m.system,
            "System",
            m.system,
            deviated,
            {"deviated": False},
            cfg,
            f"running config of {m.system} differs from its golden config",
            suppressed=m.deviation == "accepted",
        )
    )
    failed = None if cfg is None else cfg["last_deploy"] == "failed"
    verdicts.append(
        Verdict(
            AnomalyType.DEPLOYMENT_FAILURE,
            m.system,
            "System",
            m.system,
            failed,
            {"last_deploy": "succeeded"},
            cfg,
            f"the last deployment to {m.system} failed",
        )
    )
    return verdicts


def _nos_version(m: Managed) -> Verdict:
    # no device, or a profile without a range: nothing to mismatch
    return Verdict(
        AnomalyType.NOS_VERSION_MISMATCH,
        m.system,
        "System",
        m.system,
        m.mode is not None and m.nos_version_ok is False,
        {"os_version": m.nos_version_allowed},
        {"os_version": m.os_version},
        f"{m.system} runs NOS {m.os_version}, its device profile allows {m.nos_version_allowed}",
    )


def _daemons(m: Managed) -> Verdict:
    """Down: a needed routing daemon not running, or one that crashed and was restarted
    and is still coming back (``restarted``: polling may never see it stopped); an
    observation stored before ``restarted`` existed has none."""
    obs = m.daemons_obs
    restarted = obs.get("restarted") if obs else None
    broken = None if _unknown_unless(m) or obs is None else not obs["running"] or bool(restarted)
    down = obs["down"] if obs else None
    summary = f"routing daemon(s) {down} of {m.system} not running"
    if obs and not down and restarted:
        summary = f"routing daemon(s) {restarted} of {m.system} crashed and restarted"
    return Verdict(
        AnomalyType.ROUTING_DAEMON_DOWN,
        m.system,
        "System",
        m.system,
        broken,
        {"running": True, "down": None, "restarted": None},
        obs,
        summary,
    )


_SYSTEM_TYPES = (
    AnomalyType.DEVICE_UNAVAILABLE,
    AnomalyType.HOSTNAME_MISMATCH,
    AnomalyType.ROUTING_DAEMON_DOWN,
    AnomalyType.CONFIG_DEVIATION,
    AnomalyType.DEPLOYMENT_FAILURE,
)


# -- interfaces -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerEnd:
    """The other end of a link: an interface of a switch (with or without device) or server."""

    interface: str
    name: str
    system: str
    hostname: str
    role: str
    has_device: bool


@dataclass(frozen=True)
class InterfaceFacts:
    interface: str
    name: str
    owner: Managed
    link: str
    peer: PeerEnd
    iface_obs: Value | None = None
    iface_changed_at: float | None = None  # when its oper state last changed (epoch s)
    lldp_obs: Value | None = None
    transceiver: str | None = None
    media: str | None = None
    optics_obs: Value | None = None


@dataclass(frozen=True)
class UnusedPortFacts:
    """A switch port intent says is unused (no link): it should hear nobody."""

    interface: str
    name: str
    owner: Managed
    iface_obs: Value | None = None
    lldp_obs: Value | None = None


def evaluate_unused_port(f: UnusedPortFacts) -> list[Verdict]:
    """Carrier or an LLDP neighbour on an unused port: something is plugged in that
    intent does not know (a cabling anomaly on the port)."""
    iface, lldp = f.iface_obs, f.lldp_obs
    carrier = bool(iface and iface.get("oper_up"))
    neighbor = lldp.get("neighbor") if lldp else None
    port = lldp.get("port") if lldp and neighbor else None
    broken: bool | None
    if not f.owner.deployed:
        broken = False
    elif _unknown_unless(f.owner) or (iface is None and lldp is None):
        broken = None
    else:
        broken = carrier or neighbor is not None
    seen = f"{neighbor}:{port or ''}" if neighbor else "nobody"
    return [
        Verdict(
            AnomalyType.CABLING,
            f.interface,
            "Interface",
            f.owner.system,
            broken,
            {"neighbor": None, "port": None, "oper_up": False},
            {"neighbor": neighbor, "port": port, "oper_up": carrier},
            f"{f.interface} is unused in intent but has "
            + (f"an LLDP neighbour {seen}" if neighbor else "carrier" if carrier else "nothing"),
        )
    ]


def evaluate_interface(f: InterfaceFacts, now: float) -> list[Verdict]:
    """Oper up, LLDP neighbour = the link's other end, transceiver healthy."""
    owner = f.owner.system
    verdicts = [_interface_up(f), _lldp(f, now)]
    if f.transceiver is not None:
        verdicts.append(_optics(f))
    if not f.owner.deployed:
        return [Verdict(v.type, v.subject, v.on_label, owner, False) for v in verdicts]
    return verdicts


def _interface_up(f: InterfaceFacts) -> Verdict:
    obs = f.iface_obs
    broken = None if _unknown_unless(f.owner) or obs is None else not obs["oper_up"]
    return Verdict(
        AnomalyType.INTERFACE_DOWN,
        f.interface,
        "Interface",
        f.owner.system,
        broken,
        {"oper_up": True},
        obs,
        f"{f.interface} is down (link {f.link} intended up)",
    )


def _lldp(f: InterfaceFacts, now: float) -> Verdict:
    peer = f.peer
    wanted = {"neighbor": peer.hostname, "port": peer.name}
    obs, iface = f.lldp_obs, f.iface_obs
    broken: bool | None
    if peer.role == "server" or not peer.has_device:
        broken = False  # servers and switches without a device send no LLDP
    elif _unknown_unless(f.owner) or obs is None or iface is None:
        broken = None
    elif not iface["oper_up"]:
        broken = False  # a down interface hears nobody; interface_down says so
    elif obs["neighbor"] is None:
        up_for = now - (f.iface_changed_at if f.iface_changed_at is not None else now)
        broken = True if up_for >= LLDP_GRACE_S else None
    else:
        broken = (obs["neighbor"], obs["port"]) != (peer.hostname, peer.name)
    seen = f"{obs['neighbor']}:{obs['port']}" if obs and obs["neighbor"] else "nobody"
    return Verdict(
        AnomalyType.CABLING,
        f.interface,
        "Interface",
        f.owner.system,
        broken,
        wanted,
        obs,
        f"{f.interface} sees {seen} over LLDP, intent {peer.hostname}:{peer.name}",
    )


def rx_range(media: str | None) -> tuple[float, float]:
    return RX_RANGE_DBM.get(media or "", DEFAULT_RX_RANGE_DBM)


def _optics(f: InterfaceFacts) -> Verdict:
    obs = f.optics_obs
    low, high = rx_range(f.media)
    broken: bool | None
    if _unknown_unless(f.owner) or obs is None:
        broken = None
    elif not obs["present"]:
        broken = True
    elif obs["rx_power_dbm"] is None:
        broken = None
    else:
        broken = not low <= float(obs["rx_power_dbm"]) <= high
    assert f.transceiver is not None
    return Verdict(
        AnomalyType.TRANSCEIVER_FAULT,
        f.transceiver,
        "Transceiver",
        f.owner.system,
        broken,
        {"present": True, "rx_power_dbm": [low, high]},
        obs,
        f"transceiver {f.transceiver} absent or receiving out of [{low}, {high}] dBm",
    )


# -- BGP sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionEnd:
    managed: Managed
    bgp_obs: Value | None = None
    route_obs: Value | None = None  # this end's route to the other end's loopback
    peer_loopback: str | None = None


@dataclass(frozen=True)
class SessionFacts:
    session: str
    link: str | None
    a: SessionEnd
    b: SessionEnd


def evaluate_session(f: SessionFacts) -> list[Verdict]:
    """Established at both ends; each end routes to the other's loopback."""
    verdicts: list[Verdict] = []
    both = f.a.managed.deployed and f.b.managed.deployed
    draining = f.a.managed.draining or f.b.managed.draining
    for end, other in ((f.a, f.b), (f.b, f.a)):
        me, peer = end.managed.system, other.managed.system
        unknown = _unknown_unless(end.managed)
        bgp = end.bgp_obs
        up_broken = None if unknown or bgp is None else not bgp["established"]
        route = end.route_obs
        route_broken = None if unknown or route is None else not route["present"]
        if not both:
            up_broken = route_broken = False
        verdicts.append(
            Verdict(
                AnomalyType.BGP_SESSION_DOWN,
                f.session,
                "BgpSession",
                me,
                up_broken,
                {"established": True},
                bgp,
                f"BGP session {f.session} not established at {me}",
                expected=draining,
            )
        )
        verdicts.append(
            Verdict(
                AnomalyType.ROUTE_MISSING,
                peer,
                "System",
                me,
                route_broken,
                {"present": True, "prefix": end.peer_loopback},
                route,
                f"{me} has no route to {peer}'s loopback {end.peer_loopback}",
                expected=draining,
            )
        )
    return verdicts
