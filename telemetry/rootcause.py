"""Root causes: group raised anomalies (symptoms) under one cause each, by topology. Pure.

The rules, in the order they claim symptoms (a symptom belongs to one cause):

1. ``device_offline``: an unreachable switch explains, on its peers, the BGP session
   ends to it, their routes to its loopback, and the LLDP/interface symptoms of
   the links to it; and what it had reported itself while going down (its own
   BGP/route/interface/LLDP anomalies, kept as they were while it is unknown).
2. ``transceiver_fault``: a transceiver absent or receiving out of range explains
   its link going down at both ends, the BGP sessions over that link at both ends
   and the loopback routes those sessions carried.
3. ``server_down``: every leaf-side interface towards one server down (leafs and
   their optics fine): the server itself is down.
4. ``cable_cut``: a link down at every end that is observed (optics fine, no end
   administratively down), with its sessions and routes.
5. ``cabling_mistake``: LLDP neighbours that contradict the intended links; the
   mismatches that point at each other form one mistake (e.g. two swapped
   cables), with the BGP sessions over those links and their routes.
6. ``routing_daemon_down``: a switch reports a routing daemon it needs (bgpd,
   zebra) not running, or crashed and restarted by its supervisor and still coming
   back: it explains the switch's BGP session ends and those of its
   peers, the loopback routes those sessions carried, and the switch's config
   deviation (the running config lacks the daemon's section while it is down).
   Process facts, not config text, decide: a crash is not an out-of-band change.
7. ``deployment_failure`` and 8. ``oob_change``: a failed deployment / a config
   deviation (not accepted) on a switch explains its hostname mismatch,
   administratively-down interfaces (and the far ends) and the BGP sessions and
   routes of that switch that no physical cause explains.

A probe's anomaly (type ``probe``, ``telemetry.probes``) on an end of a link is one more
symptom of whatever claims that link (a cut cable, a transceiver fault, ...).

Expected (drain) and suppressed (accepted) anomalies are not faults: they are
left out. Each cause names the intent nodes at fault, its symptoms, evidence
(observed values) and the servers it impacts (losing redundancy or isolated).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from telemetry.evaluate import AnomalyType as T


class CauseKind(StrEnum):
    TRANSCEIVER_FAULT = "transceiver_fault"
    CABLE_CUT = "cable_cut"
    CABLING_MISTAKE = "cabling_mistake"
    DEVICE_OFFLINE = "device_offline"
    OOB_CHANGE = "oob_change"
    DEPLOYMENT_FAILURE = "deployment_failure"
    SERVER_DOWN = "server_down"
    ROUTING_DAEMON_DOWN = "routing_daemon_down"
    POOL_DOWN = "pool_down"
    VNIC_VLAN_NOT_CARRIED = "vnic_vlan_not_carried"
    VSWITCH_UPLINK_MISSING = "vswitch_uplink_missing"
    # the EVPN overlay's own (telemetry.overlay_causes): VNIs absent or down on a leaf, and
    # a leaf's VTEP its peers do not list (unreachable, or its routes not learnt)
    VNI_MISSING = "vni_missing"
    VTEP_UNREACHABLE = "vtep_unreachable"


# the overlay's causes break no underlay path: no server impact is derived from them
OVERLAY_KINDS = frozenset({CauseKind.VNI_MISSING, CauseKind.VTEP_UNREACHABLE})


@dataclass(frozen=True)
class Symptom:
    """A raised anomaly, as root-cause analysis sees it."""

    uid: str
    type: T
    subject: str
    device: str
    actual: Mapping[str, Any] | None = field(default=None, hash=False)
    expected: bool = False
    suppressed: bool = False


@dataclass(frozen=True)
class End:
    interface: str
    name: str
    system: str
    hostname: str
    role: str
    transceiver: str | None = None
    monitored: bool = False  # a deployed switch reports this end's state


@dataclass(frozen=True)
class LinkTopo:
    id: str
    role: str
    ends: tuple[End, End]


@dataclass(frozen=True)
class SessionTopo:
    id: str
    a: str
    b: str
    link: str | None


@dataclass
class Topology:
    """The part of the blueprint around the symptoms (links, sessions, roles), with
    lookup tables built once (and rebuilt when something is added)."""

    links: dict[str, LinkTopo] = field(default_factory=dict)
    sessions: dict[str, SessionTopo] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    _index: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    def add_link(self, link: LinkTopo) -> None:
        self.links[link.id] = link
        for end in link.ends:
            self.roles[end.system] = end.role
        self._index = None

    def add_session(self, session: SessionTopo) -> None:
        self.sessions[session.id] = session
        self._index = None

    def _lookup(self, table: str) -> dict[str, Any]:
        if self._index is None:
            by_iface: dict[str, LinkTopo] = {}
            by_system: dict[str, list[LinkTopo]] = defaultdict(list)
            for link in sorted(self.links.values(), key=lambda lk: lk.id):
                for end in link.ends:
                    by_iface[end.interface] = link
                for system in sorted({end.system for end in link.ends}):
                    by_system[system].append(link)
            ses_system: dict[str, list[SessionTopo]] = defaultdict(list)
            ses_link: dict[str, list[SessionTopo]] = defaultdict(list)
            for ses in sorted(self.sessions.values(), key=lambda x: x.id):
                for system in sorted({ses.a, ses.b}):
                    ses_system[system].append(ses)
                if ses.link is not None:
                    ses_link[ses.link].append(ses)
            self._index = {
                "iface": by_iface,
                "links": by_system,
                "sessions": ses_system,
                "over": ses_link,
            }
        return self._index[table]

    def link_of(self, interface: str) -> LinkTopo | None:
        found: LinkTopo | None = self._lookup("iface").get(interface)
        return found

    def links_of_system(self, system: str) -> list[LinkTopo]:
        return list(self._lookup("links").get(system, []))

    def sessions_of_system(self, system: str) -> list[SessionTopo]:
        return list(self._lookup("sessions").get(system, []))

    def sessions_over(self, link: str) -> list[SessionTopo]:
        return list(self._lookup("over").get(link, []))


@dataclass(frozen=True)
class Cause:
    kind: CauseKind
    subject: str  # id of the main intent node at fault
    at: tuple[tuple[str, str], ...]  # (label, id) of every intent node at fault
    symptoms: tuple[str, ...]  # anomaly uids
    evidence: Mapping[str, Any] = field(hash=False)
    summary: str

    def uid(self, bp: str) -> str:
        return f"{bp}/{self.kind.value}/{self.subject}"


class _Index:
    """Unclaimed symptoms, looked up by type and subject; claimed ones leave."""

    def __init__(self, symptoms: Iterable[Symptom]) -> None:
        self.by_key: dict[tuple[T, str], list[Symptom]] = defaultdict(list)
        self.by_uid: dict[str, Symptom] = {}
        for s in sorted(symptoms, key=lambda s: s.uid):
            if not (s.expected or s.suppressed):
                self.by_key[(s.type, s.subject)].append(s)
                self.by_uid[s.uid] = s
        self.claimed: set[str] = set()

    def get(self, kind: T, subject: str, device: str | None = None) -> list[Symptom]:
        found = self.by_key.get((kind, subject), [])
        return [s for s in found if s.uid not in self.claimed and device in (None, s.device)]

    def one(self, kind: T, subject: str) -> Symptom | None:
        found = self.get(kind, subject)
        return found[0] if found else None

    def of_type(self, kind: T) -> list[Symptom]:
        return [
            s
            for (k, _), ss in sorted(self.by_key.items())
            if k is kind
            for s in ss
            if s.uid not in self.claimed
        ]

    def of_device(self, device: str) -> list[Symptom]:
        return [s for s in self.by_uid.values() if s.device == device and s.uid not in self.claimed]

    def claim(self, symptoms: Iterable[Symptom]) -> tuple[str, ...]:
        uids = tuple(sorted({s.uid for s in symptoms} - self.claimed))
        self.claimed.update(uids)
        return uids


def _session_symptoms(idx: _Index, sessions: Iterable[SessionTopo]) -> list[Symptom]:
    found: list[Symptom] = []
    for s in sessions:
        found += idx.get(T.BGP_SESSION_DOWN, s.id)
        found += idx.get(T.ROUTE_MISSING, s.b, device=s.a)
        found += idx.get(T.ROUTE_MISSING, s.a, device=s.b)
    return found


def _link_symptoms(idx: _Index, topo: Topology, link: LinkTopo) -> list[Symptom]:
    found: list[Symptom] = []
    for end in link.ends:
        found += idx.get(T.INTERFACE_DOWN, end.interface)
        found += idx.get(T.CABLING, end.interface)
        found += idx.get(T.PROBE, end.interface)  # a probe's anomaly on either end
    return found + _session_symptoms(idx, topo.sessions_over(link.id))


def _actual(symptoms: Iterable[Symptom]) -> dict[str, Any]:
    return {s.uid: s.actual for s in symptoms}


# -- the rules ------------------------------------------------------------------------------


# faults of a switch's own that an outage does not explain
_OWN_FAULTS = frozenset({T.CONFIG_DEVIATION, T.DEPLOYMENT_FAILURE, T.TRANSCEIVER_FAULT})


def _pools_down(idx: _Index, topo: Topology) -> list[Cause]:
    """A worker pool with no worker answering: its devices are neither collected nor
    deployable. No intent node is at fault and the data plane is untouched, so the cause
    names the pool and, in evidence, every device it leaves unserved."""
    causes = []
    for symptom in idx.of_type(T.POOL_DOWN):
        actual = dict(symptom.actual or {})
        devices = list(actual.get("devices") or [])
        uids = idx.claim([symptom])
        causes.append(
            Cause(
                CauseKind.POOL_DOWN,
                symptom.subject,
                (),
                uids,
                {
                    "pool": symptom.subject,
                    "queue": actual.get("queue"),
                    "last_alive_at": actual.get("last_alive_at"),
                    "not_collected": devices,
                    "not_deployable": devices,
                    "systems": list(actual.get("systems") or []),
                },
                f"worker pool {symptom.subject} is down: {len(devices)} device(s) are neither "
                f"collected nor deployable ({', '.join(devices[:10])}"
                f"{', ...' if len(devices) > 10 else ''})",
            )
        )
    return causes


def _device_offline(idx: _Index, topo: Topology) -> list[Cause]:
    causes = []
    for symptom in idx.of_type(T.DEVICE_UNAVAILABLE):
        dev = symptom.subject
        found = [symptom]
        peers = set()
        for s in topo.sessions_of_system(dev):
            peer = s.b if s.a == dev else s.a
            peers.add(peer)
            found += idx.get(T.BGP_SESSION_DOWN, s.id, device=peer)
            found += idx.get(T.ROUTE_MISSING, dev, device=peer)
        for link in topo.links_of_system(dev):
            for end in link.ends:
                if end.system != dev:
                    found += idx.get(T.INTERFACE_DOWN, end.interface)
                    found += idx.get(T.CABLING, end.interface)
        # what it reported while going down stays as it was (unknown now): its own
        # anomalies (a BGP daemon that stopped first, ...) follow from the same fault
        found += [s for s in idx.of_device(dev) if s.type not in _OWN_FAULTS]
        uids = idx.claim(found)
        causes.append(
            Cause(
                CauseKind.DEVICE_OFFLINE,
                dev,
                (("System", dev),),
                uids,
                {"device": dev, "observed": symptom.actual, "peers": sorted(peers)},
                f"{dev} is offline: {len(uids) - 1} symptom(s) on its peers follow from it",
            )
        )
    return causes


def _transceiver_faults(idx: _Index, topo: Topology) -> list[Cause]:
    causes = []
    by_xcvr = {
        e.transceiver: (lk, e) for lk in topo.links.values() for e in lk.ends if e.transceiver
    }
    for symptom in idx.of_type(T.TRANSCEIVER_FAULT):
        if symptom.subject not in by_xcvr:
            continue
        link, end = by_xcvr[symptom.subject]
        found = [symptom, *_link_symptoms(idx, topo, link)]
        uids = idx.claim(found)
        causes.append(
            Cause(
                CauseKind.TRANSCEIVER_FAULT,
                symptom.subject,
                (("Transceiver", symptom.subject), ("Interface", end.interface), ("Link", link.id)),
                uids,
                {
                    "transceiver": symptom.subject,
                    "interface": end.interface,
                    "link": link.id,
                    "optics": symptom.actual,
                    "observed": _actual(found),
                },
                f"transceiver {symptom.subject} failed: link {link.id} down with "
                f"{len(uids) - 1} dependent symptom(s)",
            )
        )
    return causes


def _server_down(idx: _Index, topo: Topology) -> list[Cause]:
    causes = []
    servers = sorted(s for s, role in topo.roles.items() if role == "server")
    for server in servers:
        links = topo.links_of_system(server)
        leaf_ends = [e for lk in links for e in lk.ends if e.system != server]
        downs = [idx.one(T.INTERFACE_DOWN, e.interface) for e in leaf_ends]
        if not leaf_ends or any(d is None for d in downs):
            continue
        found = [d for d in downs if d is not None]
        uids = idx.claim(found)
        causes.append(
            Cause(
                CauseKind.SERVER_DOWN,
                server,
                (("System", server),),
                uids,
                {
                    "server": server,
                    "leaf_interfaces_down": sorted(e.interface for e in leaf_ends),
                    "observed": _actual(found),
                },
                f"server {server} is down: all {len(leaf_ends)} leaf port(s) towards it are down",
            )
        )
    return causes


def _admin_down(symptom: Symptom | None) -> bool:
    return symptom is not None and symptom.actual is not None and not symptom.actual["admin_up"]


def _cable_cuts(idx: _Index, topo: Topology) -> list[Cause]:
    causes = []
    for link in sorted(topo.links.values(), key=lambda lk: lk.id):
        downs = [idx.one(T.INTERFACE_DOWN, e.interface) for e in link.ends]
        observed = [d for d, e in zip(downs, link.ends, strict=True) if e.monitored]
        if not any(downs) or any(d is None for d in observed) or any(map(_admin_down, downs)):
            continue
        found = _link_symptoms(idx, topo, link)
        uids = idx.claim(found)
        causes.append(
            Cause(
                CauseKind.CABLE_CUT,
                link.id,
                (("Link", link.id),),
                uids,
                {
                    "link": link.id,
                    "ends_down": sorted(d.subject for d in downs if d),
                    "optics": "in range at both ends",
                    "observed": _actual(found),
                },
                f"cable {link.id} is cut: down at both ends, {len(uids)} symptom(s)",
            )
        )
    return causes


def _components(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[root(n)].append(n)
    return sorted(sorted(g) for g in groups.values())


def _heard(s: Symptom) -> str:
    actual = s.actual or {}
    return f"{actual.get('neighbor')}:{actual.get('port')}"


def _cabling_mistakes(idx: _Index, topo: Topology) -> list[Cause]:
    seen = {s.subject: s for s in idx.of_type(T.CABLING) if s.actual and s.actual["neighbor"]}
    by_name = {(e.hostname, e.name): e.interface for lk in topo.links.values() for e in lk.ends}
    # an unused port (no link: its id is ``<system>:<port>``) heard by another one: a
    # cable nobody planned between them, one mistake
    hostnames = {e.system: e.hostname for lk in topo.links.values() for e in lk.ends}
    for iface, s in seen.items():
        if topo.link_of(iface) is None and s.device in hostnames:
            name = iface.removeprefix(f"{s.device}:")
            by_name.setdefault((hostnames[s.device], name), iface)
    edges = []
    for iface, s in seen.items():
        assert s.actual is not None
        target = by_name.get((s.actual["neighbor"], s.actual.get("port") or ""))
        if target:
            edges.append((iface, target))
        link = topo.link_of(iface)
        if link:
            edges += [(iface, e.interface) for e in link.ends]
    causes = []
    for comp in _components(sorted(seen), edges):
        links = sorted({lk.id for i in comp if (lk := topo.link_of(i)) is not None})
        found: list[Symptom] = [seen[i] for i in comp]
        for link_id in links:
            found += _session_symptoms(idx, topo.sessions_over(link_id))
        uids = idx.claim(found)
        subject = links[0] if links else comp[0]
        unused = [i for i in comp if topo.link_of(i) is None]
        summary = f"cabling mistake on {len(links)} link(s): LLDP neighbours contradict intent"
        if not links:
            summary = f"a cable nobody planned on unused port(s) {', '.join(unused)}"
        causes.append(
            Cause(
                CauseKind.CABLING_MISTAKE,
                subject,
                tuple(("Link", lk) for lk in links) + tuple(("Interface", i) for i in unused),
                uids,
                {
                    "links": links,
                    "seen": {i: _heard(seen[i]) for i in comp},
                    "intended": {
                        i: e.interface
                        for i in comp
                        if (lk := topo.link_of(i))
                        for e in lk.ends
                        if e.interface != i
                    },
                },
                summary,
            )
        )
    return causes


def _routing_daemons_down(idx: _Index, topo: Topology) -> list[Cause]:
    causes = []
    for symptom in idx.of_type(T.ROUTING_DAEMON_DOWN):
        system = symptom.subject
        sessions = topo.sessions_of_system(system)
        found = [symptom, *_session_symptoms(idx, sessions)]
        found += idx.get(T.CONFIG_DEVIATION, system)
        uids = idx.claim(found)
        actual = symptom.actual or {}
        restarted = actual.get("restarted") if not actual.get("down") else None
        down = actual.get("down") or restarted or "a routing daemon"
        what = "crashed and restarted" if restarted else "not running"
        causes.append(
            Cause(
                CauseKind.ROUTING_DAEMON_DOWN,
                system,
                (("System", system),),
                uids,
                {
                    "device": system,
                    "daemons_down": down,
                    "restarted": bool(restarted),
                    "sessions": sorted(s.id for s in sessions),
                    "observed": _actual(found),
                },
                f"{system}: {down} {what}; {len(uids) - 1} dependent symptom(s)",
            )
        )
    return causes


def _config_effects(idx: _Index, topo: Topology, system: str) -> list[Symptom]:
    """Symptoms a switch's own configuration explains once no physical cause did."""
    found = _session_symptoms(idx, topo.sessions_of_system(system))
    found += idx.get(T.HOSTNAME_MISMATCH, system)
    for link in topo.links_of_system(system):
        mine = [e for e in link.ends if e.system == system]
        if any(_admin_down(idx.one(T.INTERFACE_DOWN, e.interface)) for e in mine):
            found += _link_symptoms(idx, topo, link)
    return found


def _config_causes(idx: _Index, topo: Topology) -> list[Cause]:
    causes = []
    for kind, trigger in (
        (CauseKind.DEPLOYMENT_FAILURE, T.DEPLOYMENT_FAILURE),
        (CauseKind.OOB_CHANGE, T.CONFIG_DEVIATION),
    ):
        for symptom in idx.of_type(trigger):
            system = symptom.subject
            found = [symptom, *idx.get(T.CONFIG_DEVIATION, system)]
            found += _config_effects(idx, topo, system)
            uids = idx.claim(found)
            what = (
                "deployment failed"
                if kind is CauseKind.DEPLOYMENT_FAILURE
                else ("configuration changed out of band")
            )
            causes.append(
                Cause(
                    kind,
                    system,
                    (("System", system),),
                    uids,
                    {"device": system, "observed": _actual(found)},
                    f"{system}: {what}; {len(uids)} symptom(s)",
                )
            )
    return causes


def _vnic_vlans_not_carried(idx: _Index, topo: Topology) -> list[Cause]:
    """The virtual layer's own cause: a vNIC tagged with a VLAN that the fabric does not
    carry at its server (wrong VLAN on the vNIC, or its network not bound to the rack)."""
    causes = []
    for symptom in idx.of_type(T.VM_NETWORK_MISSING):
        seen = dict(symptom.actual or {})
        vnic, vlan, network = symptom.subject, seen.get("vlan"), seen.get("network")
        where = f"VLAN {vlan} of vNIC {vnic} (VM {seen.get('vm')} on {symptom.device})"
        racks = ", ".join(seen.get("server_racks") or ()) or "none"
        summary = (
            f"{where}: its network {network} is not bound to the server's rack(s) {racks}"
            if network
            else f"{where}: no virtual network carries it (wrong VLAN on the vNIC?)"
        )
        causes.append(
            Cause(
                CauseKind.VNIC_VLAN_NOT_CARRIED,
                vnic,
                (("Vnic", vnic),),
                idx.claim([symptom]),
                {"server": symptom.device, **seen},
                summary,
            )
        )
    return causes


def _vswitch_uplinks_missing(idx: _Index, topo: Topology) -> list[Cause]:
    """The virtual layer's own cause: a virtual switch bridged to server ports that do
    not trunk its VMs' networks; one per switch, explaining each of its vNICs'
    ``vm_uplink_missing``."""
    by_switch: dict[str, list[Symptom]] = {}
    for symptom in idx.of_type(T.VM_UPLINK_MISSING):
        switch = str((symptom.actual or {}).get("switch", ""))
        by_switch.setdefault(switch, []).append(symptom)
    causes = []
    for switch, symptoms in sorted(by_switch.items()):
        seen = dict(symptoms[0].actual or {})
        vlans = sorted({int(s.actual["vlan"]) for s in symptoms if s.actual})
        carrying = ", ".join(seen.get("carrying") or ()) or "no port"
        reach = "; ".join(seen.get("reach") or ()) or "no uplink"
        summary = (
            f"virtual switch {switch} on {symptoms[0].device} ({reach}) "
            f"does not reach the trunk port of VLAN(s) {', '.join(map(str, vlans))} "
            f"({carrying}); {len(symptoms)} vNIC(s)"
        )
        evidence = {
            "server": symptoms[0].device,
            "switch": switch,
            "vlans": vlans,
            "uplinks": seen.get("uplinks"),
            "carrying": seen.get("carrying"),
        }
        causes.append(
            Cause(
                CauseKind.VSWITCH_UPLINK_MISSING,
                switch,
                (("VirtualSwitch", switch),),
                idx.claim(symptoms),
                evidence,
                summary,
            )
        )
    return causes


Index = _Index  # what a rule reads and claims symptoms through
Rule = Callable[[Index, Topology], list[Cause]]
RULES: tuple[Rule, ...] = (
    _pools_down,
    _device_offline,
    _transceiver_faults,
    _server_down,
    _cable_cuts,
    _cabling_mistakes,
    _routing_daemons_down,
    _config_causes,
    _vnic_vlans_not_carried,
    _vswitch_uplinks_missing,
)


def group(
    symptoms: Iterable[Symptom], topo: Topology, rules: Sequence[Rule] = RULES
) -> list[Cause]:
    """Every root cause the raised symptoms imply, with impacted servers in evidence
    (``rules`` in the order they claim symptoms; ``telemetry.overlay_causes.RULES`` adds
    the overlay's)."""
    idx = _Index(symptoms)
    causes = [cause for rule in rules for cause in rule(idx, topo)]
    broken = [_broken_by(c, topo, idx) for c in causes]
    servers = {s: _paths(topo, s) for s, role in sorted(topo.roles.items()) if role == "server"}
    return [_with_impact(c, b, broken, servers, topo) for c, b in zip(causes, broken, strict=True)]


# -- impact on servers ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Broken:
    links: frozenset[str]
    sessions: frozenset[str]
    systems: frozenset[str]


def _broken_by(cause: Cause, topo: Topology, idx: _Index) -> _Broken:
    links, sessions, systems = set(), set(), set()
    for label, ident in cause.at:
        if label == "Link":
            links.add(ident)
        if label == "System" and cause.kind not in OVERLAY_KINDS:
            systems.add(ident)
    if cause.kind is CauseKind.SERVER_DOWN:
        links.update(lk.id for lk in topo.links_of_system(cause.subject))
    for uid in cause.symptoms:
        symptom = idx.by_uid.get(uid)
        if symptom is not None and symptom.type is T.BGP_SESSION_DOWN:
            sessions.add(symptom.subject)
    return _Broken(frozenset(links), frozenset(sessions), frozenset(systems))


# (server link, leaf, leaf uplink session, 5-stage: that spine's superspine session)
Path = tuple[str, str, str, str | None]


def _superspine_sessions(topo: Topology, spine: str) -> list[str]:
    """5-stage: a pod spine's underlay sessions to superspines (empty on a 3-stage)."""
    return sorted(
        s.id
        for s in topo.sessions_of_system(spine)
        if s.link is not None and topo.roles.get(s.b if s.a == spine else s.a) == "superspine"
    )


def _paths(topo: Topology, server: str) -> list[Path]:
    """The server's ways into the fabric (5-stage: and out of its pod)."""
    paths: list[Path] = []
    for link in topo.links_of_system(server):
        for leaf in {e.system for e in link.ends if e.system != server}:
            for s in topo.sessions_of_system(leaf):
                if s.link is None:
                    continue
                spine = s.b if s.a == leaf else s.a
                ups: list[str | None] = [*_superspine_sessions(topo, spine)] or [None]
                paths += [(link.id, leaf, s.id, up) for up in ups]
    return sorted(paths, key=lambda p: (p[0], p[1], p[2], p[3] or ""))


def _session_broken(session: str, broken: _Broken, topo: Topology) -> bool:
    s = topo.sessions[session]
    return (
        session in broken.sessions
        or (s.link is not None and s.link in broken.links)
        or bool({s.a, s.b} & broken.systems)
    )


def _path_broken(path: Path, broken: _Broken, topo: Topology) -> bool:
    link, leaf, session, up = path
    return (
        link in broken.links
        or leaf in broken.systems
        or _session_broken(session, broken, topo)
        or (up is not None and _session_broken(up, broken, topo))
    )


def _with_impact(
    cause: Cause,
    mine: _Broken,
    every: Sequence[_Broken],
    servers: Mapping[str, list[Path]],
    topo: Topology,
) -> Cause:
    impacted = []
    for server, paths in servers.items():
        lost = [p for p in paths if _path_broken(p, mine, topo)]
        if not lost:
            continue
        left = [p for p in paths if not any(_path_broken(p, b, topo) for b in every)]
        impacted.append(
            {
                "server": server,
                "paths": len(paths),
                "lost": len(lost),
                "left": len(left),
                "status": "isolated" if not left else "redundancy_lost",
            }
        )
    evidence = {**cause.evidence, "impacted_servers": impacted}
    return Cause(cause.kind, cause.subject, cause.at, cause.symptoms, evidence, cause.summary)
