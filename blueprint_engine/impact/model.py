"""Impact analysis rules over plain data (pure; the semantics are in ``impact``).

``Neighbourhood`` is the part of a blueprint a failure can reach, as read by one
Cypher statement; ``assess`` applies the rules and returns an ``Impact``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from blueprint_engine.errors import ValidationError

# switches whose deploy mode already takes them out of the traffic path
OUT_OF_SERVICE_MODES = frozenset({"drain", "undeploy"})
ALIASES = {"device": "system", "vn": "virtual_network", "virtualnetwork": "virtual_network"}


class ElementKind(StrEnum):
    TRANSCEIVER = "transceiver"
    INTERFACE = "interface"
    LINK = "link"
    SYSTEM = "system"
    VIRTUAL_NETWORK = "virtual_network"
    PLANE = "plane"  # 5-stage: every superspine of a plane ("plane1")
    POD = "pod"  # 5-stage: every spine and leaf of a pod ("pod1")

    @classmethod
    def parse(cls, text: str) -> ElementKind:
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(ALIASES.get(key, key))
        except ValueError:
            raise ValidationError(
                f"unknown element kind {text!r}",
                allowed=[kind.value for kind in cls] + ["device (= system)"],
            ) from None


class Scenario(StrEnum):
    FAIL = "fail"  # the element breaks (impact)
    DRAIN = "drain"  # what-if: a switch is drained
    UNDEPLOY = "undeploy"  # what-if: a switch's rendered config is removed

    @classmethod
    def parse_what_if(cls, text: str) -> Scenario:
        key = text.strip().lower()
        if key not in (cls.DRAIN, cls.UNDEPLOY):
            raise ValidationError(
                f"unknown what-if mode {text!r}", allowed=[cls.DRAIN.value, cls.UNDEPLOY.value]
            )
        return cls(key)


LINK_EFFECT = {Scenario.FAIL: "down", Scenario.DRAIN: "drained", Scenario.UNDEPLOY: "unconfigured"}
SYSTEM_EFFECT = {Scenario.FAIL: "down", Scenario.DRAIN: "drained", Scenario.UNDEPLOY: "undeployed"}


# --- what one statement reads around the element -------------------------------------


@dataclass(frozen=True)
class LinkNode:
    id: str
    role: str
    a: str  # interface ids
    b: str
    a_system: str
    b_system: str


@dataclass(frozen=True)
class SessionNode:
    id: str
    afi: str
    a: str  # system ids
    b: str
    link: str | None  # underlay link (ipv4 sessions)
    direct_links: tuple[str, ...] = ()  # evpn: the links cabled between its two peers


@dataclass(frozen=True)
class SpineUplink:
    """5-stage: a spine's link to a superspine of its plane."""

    link: str
    superspine: str
    in_service: bool = True


@dataclass(frozen=True)
class Uplink:
    link: str
    spine: str
    spine_in_service: bool = True
    # 5-stage: the spine's links to superspines (empty in a 3-stage: the spine is the top)
    superspines: tuple[SpineUplink, ...] = ()

    @property
    def tiered(self) -> bool:
        return bool(self.superspines)


@dataclass(frozen=True)
class LeafNode:
    id: str
    rack: str | None
    uplinks: tuple[Uplink, ...]
    in_service: bool = True


@dataclass(frozen=True)
class Attachment:
    link: str
    leaf: str


@dataclass(frozen=True)
class ServerNode:
    id: str
    rack: str | None
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True)
class NetworkRef:
    id: str
    vlan: int | None
    vni: int | None


@dataclass(frozen=True)
class Neighbourhood:
    """Everything the rules read. ``links``/``systems`` are what the scenario takes out."""

    blueprint: str
    kind: ElementKind
    id: str
    interfaces: tuple[tuple[str, str], ...] = ()  # (interface, system) of the element itself
    links: tuple[LinkNode, ...] = ()
    systems: tuple[tuple[str, str], ...] = ()  # (id, role)
    sessions: tuple[SessionNode, ...] = ()
    leafs: Mapping[str, LeafNode] = field(default_factory=dict)
    servers: tuple[ServerNode, ...] = ()
    rack_networks: Mapping[str, tuple[NetworkRef, ...]] = field(default_factory=dict)
    network: NetworkRef | None = None  # set when the element is a virtual network
    # the virtual layer: per server, its VMs (id, name, hypervisor, networks)
    server_vms: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)


# --- the answer ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactedInterface:
    id: str
    system: str
    effect: str


@dataclass(frozen=True)
class ImpactedLink:
    id: str
    role: str
    a: str
    b: str
    effect: str


@dataclass(frozen=True)
class ImpactedSession:
    id: str
    afi: str
    a: str
    b: str
    link: str | None
    effect: str  # down | withdrawn


@dataclass(frozen=True)
class ImpactedSystem:
    id: str
    role: str
    effect: str  # down | drained | undeployed | isolated | fewer_uplinks
    # leafs: working uplinks to in-service spines; 5-stage spines: to superspines
    uplinks_before: int | None = None
    uplinks_after: int | None = None


@dataclass(frozen=True)
class ImpactedServer:
    id: str
    rack: str | None
    leafs_before: tuple[str, ...]  # connected leafs it reaches over working links
    leafs_after: tuple[str, ...]
    spines_before: int = 0  # distinct spines those leafs reach over working uplinks
    spines_after: int = 0
    superspines_before: int = 0  # 5-stage: distinct superspines those spines reach
    superspines_after: int = 0


@dataclass(frozen=True)
class ImpactedNetwork:
    id: str
    vlan: int | None
    vni: int | None
    racks: tuple[str, ...]  # bound racks where something it depends on is lost
    leafs: tuple[str, ...]  # serving leafs it loses
    unavailable_in_racks: tuple[str, ...]  # bound racks left with no serving leaf
    servers_losing_redundancy: tuple[str, ...]
    servers_losing_connectivity: tuple[str, ...]


@dataclass(frozen=True)
class ImpactedVm:
    """A VM whose hypervisor's server loses connectivity or redundancy (a VM follows its
    server: it has no path of its own into the fabric)."""

    id: str  # <source>/<vm id>
    name: str
    hypervisor: str
    server: str
    rack: str | None
    networks: tuple[str, ...]  # virtual networks of its vNICs
    effect: str  # connectivity_lost | redundancy_lost


@dataclass(frozen=True)
class Impact:
    blueprint: str
    kind: ElementKind
    id: str
    scenario: Scenario
    interfaces: tuple[ImpactedInterface, ...]
    links: tuple[ImpactedLink, ...]
    bgp_sessions: tuple[ImpactedSession, ...]
    systems: tuple[ImpactedSystem, ...]
    servers_losing_redundancy: tuple[ImpactedServer, ...]
    servers_losing_connectivity: tuple[ImpactedServer, ...]
    virtual_networks: tuple[ImpactedNetwork, ...]
    # the virtual layer (blueprint_engine.virtual.impact): VMs on the servers above
    vms_losing_connectivity: tuple[ImpactedVm, ...] = ()
    vms_losing_redundancy: tuple[ImpactedVm, ...] = ()


# --- the rules -------------------------------------------------------------------------


class FabricState:
    """Which links and switches carry traffic, and what that means for leafs and servers."""

    def __init__(
        self, hood: Neighbourhood, down_links: Iterable[str], out_systems: Iterable[str]
    ) -> None:
        self.hood = hood
        self.down_links = frozenset(down_links)
        self.out = frozenset(out_systems) | {
            leaf.id for leaf in hood.leafs.values() if not leaf.in_service
        }
        self._spines: dict[str, frozenset[str]] = {}
        self._server_leafs: dict[str, tuple[str, ...]] = {}

    def spine_uplinks(self, uplink: Uplink) -> tuple[SpineUplink, ...]:
        """5-stage: the spine's working links to in-service superspines."""
        return tuple(
            s
            for s in uplink.superspines
            if s.link not in self.down_links and s.in_service and s.superspine not in self.out
        )

    def uplinks(self, leaf_id: str) -> tuple[Uplink, ...]:
        """Working uplinks to in-service spines that (5-stage) still reach a superspine."""
        leaf = self.hood.leafs.get(leaf_id)
        if leaf is None or leaf_id in self.out:
            return ()
        return tuple(
            u
            for u in leaf.uplinks
            if u.link not in self.down_links
            and u.spine_in_service
            and u.spine not in self.out
            and (not u.tiered or self.spine_uplinks(u))
        )

    def superspines(self, leaf_id: str) -> frozenset[str]:
        """5-stage: superspines the leaf reaches through its working uplinks."""
        return frozenset(s.superspine for u in self.uplinks(leaf_id) for s in self.spine_uplinks(u))

    def spines(self, leaf_id: str) -> frozenset[str]:
        """Spines the leaf reaches over working uplinks (empty: down or isolated)."""
        if leaf_id not in self._spines:
            self._spines[leaf_id] = frozenset(u.spine for u in self.uplinks(leaf_id))
        return self._spines[leaf_id]

    def server_leafs(self, server: ServerNode) -> tuple[str, ...]:
        """Connected leafs the server reaches over its working links."""
        if server.id not in self._server_leafs:
            leafs = {
                a.leaf
                for a in server.attachments
                if a.link not in self.down_links and self.spines(a.leaf)
            }
            self._server_leafs[server.id] = () if server.id in self.out else tuple(sorted(leafs))
        return self._server_leafs[server.id]

    def server_spines(self, server: ServerNode) -> frozenset[str]:
        return frozenset().union(*(self.spines(leaf) for leaf in self.server_leafs(server)))

    def server_superspines(self, server: ServerNode) -> frozenset[str]:
        return frozenset().union(*(self.superspines(leaf) for leaf in self.server_leafs(server)))

    def tiered(self, server: ServerNode) -> bool:
        """Whether the server's leafs sit in a pod of a 5-stage fabric."""
        return any(
            u.tiered
            for a in server.attachments
            if (leaf := self.hood.leafs.get(a.leaf)) is not None
            for u in leaf.uplinks
        )

    def redundant(self, server: ServerNode) -> bool:
        """No single link, leaf or spine failure would disconnect it (5-stage: nor a
        superspine's, from the other pods)."""
        redundant = len(self.server_leafs(server)) >= 2 and len(self.server_spines(server)) >= 2
        if redundant and self.tiered(server):
            return len(self.server_superspines(server)) >= 2
        return redundant


def _states(hood: Neighbourhood) -> tuple[FabricState, FabricState]:
    before = FabricState(hood, (), ())
    after = FabricState(hood, (link.id for link in hood.links), (s for s, _ in hood.systems))
    return before, after


def unlisted_servers_keep_their_state(hood: Neighbourhood) -> bool:
    """5-stage: whether the servers of ``hood``'s leafs can be left out of it (below a
    superspine, read without their servers) with the same answer.

    A server changes only through its leafs. When every leaf of ``hood`` whose spines or
    superspines change stays as connected as it was, its servers keep their connected
    leafs (and the spines those reach): none loses connectivity. When, besides, each of
    those leafs still reaches two spines and two superspines, so does each of its
    servers, and a server that was redundant still is. Leafs not in ``hood`` are not
    below anything that fails. Otherwise (a spine left without superspines, a leaf left
    with one path up) the servers must be read and assessed one by one.
    """
    before, after = _states(hood)
    for leaf in hood.leafs:
        spines, superspines = after.spines(leaf), after.superspines(leaf)
        if spines == before.spines(leaf) and superspines == before.superspines(leaf):
            continue  # nothing its servers reach through it changes
        if bool(spines) != bool(before.spines(leaf)):
            return False
        tiered = any(u.tiered for u in hood.leafs[leaf].uplinks)
        if spines and (len(spines) < 2 or (tiered and len(superspines) < 2)):
            return False
    return True


def session_effect(
    session: SessionNode, scenario: Scenario, taken: frozenset[str], down: frozenset[str]
) -> str | None:
    """What happens to a session when ``taken`` systems and ``down`` links are out."""
    peer_taken = session.a in taken or session.b in taken
    if scenario == Scenario.DRAIN:
        # deny route-maps: underlay sessions stay up and advertise nothing; the peers'
        # loopbacks disappear from each other's RIB, so loopback (evpn) sessions drop
        return None if not peer_taken else ("down" if session.afi == "evpn" else "withdrawn")
    if scenario == Scenario.UNDEPLOY:
        return "down" if peer_taken else None
    if peer_taken or (session.link is not None and session.link in down):
        return "down"
    if session.afi == "evpn" and session.direct_links and set(session.direct_links) <= down:
        return "down"  # the spines share one ASN: no path to the peer's loopback but direct
    return None


def _servers(
    hood: Neighbourhood, before: FabricState, after: FabricState
) -> tuple[list[ImpactedServer], list[ImpactedServer]]:
    redundancy, connectivity = [], []
    for server in sorted(hood.servers, key=lambda s: _natural(s.id)):
        leafs_before, leafs_after = before.server_leafs(server), after.server_leafs(server)
        row = ImpactedServer(
            server.id,
            server.rack,
            leafs_before,
            leafs_after,
            len(before.server_spines(server)),
            len(after.server_spines(server)),
            len(before.server_superspines(server)),
            len(after.server_superspines(server)),
        )
        if leafs_before and not leafs_after:
            connectivity.append(row)
        elif before.redundant(server) and not after.redundant(server):
            redundancy.append(row)
    return redundancy, connectivity


def _systems(
    hood: Neighbourhood, scenario: Scenario, before: FabricState, after: FabricState
) -> list[ImpactedSystem]:
    rows = []
    taken = {system for system, _ in hood.systems}
    for system, role in hood.systems:
        count = len(before.uplinks(system)) if role == "leaf" else None
        rows.append(
            ImpactedSystem(
                system, role, SYSTEM_EFFECT[scenario], count, 0 if role == "leaf" else None
            )
        )
    for leaf in sorted(hood.leafs, key=_natural):
        if leaf in taken:
            continue
        was, now = len(before.uplinks(leaf)), len(after.uplinks(leaf))
        if now < was:
            rows.append(
                ImpactedSystem(leaf, "leaf", "isolated" if now == 0 else "fewer_uplinks", was, now)
            )
    return rows + _spine_rows(hood, taken, before, after)


def _spine_rows(
    hood: Neighbourhood, taken: set[str], before: FabricState, after: FabricState
) -> list[ImpactedSystem]:
    """5-stage: pod spines left with fewer (or no) working links to superspines."""
    spines = {u.spine: u for leaf in hood.leafs.values() for u in leaf.uplinks if u.tiered}
    rows = []
    for spine in sorted(set(spines) - taken, key=_natural):
        was = len(before.spine_uplinks(spines[spine]))
        now = len(after.spine_uplinks(spines[spine]))
        if now < was:
            effect = "isolated" if now == 0 else "fewer_uplinks"
            rows.append(ImpactedSystem(spine, "spine", effect, was, now))
    return rows


def _networks(
    hood: Neighbourhood,
    lost_leafs: set[str],
    redundancy: list[ImpactedServer],
    connectivity: list[ImpactedServer],
    serving_after: set[str],
) -> list[ImpactedNetwork]:
    leafs_by_rack: dict[str | None, list[str]] = defaultdict(list)
    for leaf in hood.leafs.values():
        leafs_by_rack[leaf.rack].append(leaf.id)
    rows: dict[str, dict[str, set[str]]] = {}
    refs: dict[str, NetworkRef] = {}
    for rack, networks in hood.rack_networks.items():
        lost = {leaf for leaf in leafs_by_rack[rack] if leaf in lost_leafs}
        red = {s.id for s in redundancy if s.rack == rack}
        conn = {s.id for s in connectivity if s.rack == rack}
        if not (lost or red or conn):
            continue
        gone = bool(lost) and not any(leaf in serving_after for leaf in leafs_by_rack[rack])
        for network in networks:
            refs[network.id] = network
            row = rows.setdefault(network.id, defaultdict(set))
            row["racks"].add(rack)
            row["leafs"] |= lost
            row["redundancy"] |= red
            row["connectivity"] |= conn
            if gone:
                row["gone"].add(rack)
    return [
        _network_row(
            refs[name],
            row["racks"],
            row["leafs"],
            row["gone"],
            row["redundancy"],
            row["connectivity"],
        )
        for name, row in sorted(rows.items())
    ]


def _network_row(
    ref: NetworkRef,
    racks: Iterable[str],
    leafs: Iterable[str],
    gone: Iterable[str],
    redundancy: Iterable[str],
    connectivity: Iterable[str],
) -> ImpactedNetwork:
    return ImpactedNetwork(
        ref.id,
        ref.vlan,
        ref.vni,
        _by_name(racks),
        _by_name(leafs),
        _by_name(gone),
        _by_name(redundancy),
        _by_name(connectivity),
    )


def _by_name(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(items), key=_natural))


def _natural(text: str) -> tuple[str | int, ...]:
    """rack2 before rack10 (digits at odd positions of the split, text at even ones)."""
    return tuple(int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", text)))


def assess(hood: Neighbourhood, scenario: Scenario = Scenario.FAIL) -> Impact:
    """Apply the dependency rules to what the statement read."""
    if hood.network is not None:
        return _assess_network(hood, hood.network)
    before, after = _states(hood)
    link_effect = LINK_EFFECT[scenario]
    interfaces = {(i, s): "down" for i, s in hood.interfaces}
    for link in hood.links:
        for end in ((link.a, link.a_system), (link.b, link.b_system)):
            interfaces.setdefault(end, link_effect)
    taken = frozenset(system for system, _ in hood.systems)
    down = frozenset(link.id for link in hood.links)
    sessions = [
        ImpactedSession(s.id, s.afi, s.a, s.b, s.link, effect)
        for s in sorted(hood.sessions, key=lambda s: _natural(s.id))
        if (effect := session_effect(s, scenario, taken, down)) is not None
    ]
    redundancy, connectivity = _servers(hood, before, after)
    serving_before = {leaf for leaf in hood.leafs if before.spines(leaf)}
    serving_after = {leaf for leaf in hood.leafs if after.spines(leaf)}
    networks = _networks(
        hood, serving_before - serving_after, redundancy, connectivity, serving_after
    )
    return Impact(
        blueprint=hood.blueprint,
        kind=hood.kind,
        id=hood.id,
        scenario=scenario,
        interfaces=tuple(
            ImpactedInterface(i, s, effect)
            for (i, s), effect in sorted(interfaces.items(), key=lambda item: _natural(item[0][0]))
        ),
        links=tuple(
            ImpactedLink(link.id, link.role, link.a, link.b, link_effect)
            for link in sorted(hood.links, key=lambda link: _natural(link.id))
        ),
        bgp_sessions=tuple(sessions),
        systems=tuple(_systems(hood, scenario, before, after)),
        servers_losing_redundancy=tuple(redundancy),
        servers_losing_connectivity=tuple(connectivity),
        virtual_networks=tuple(networks),
    )


def _assess_network(hood: Neighbourhood, network: NetworkRef) -> Impact:
    """The network itself fails: every server it reached in its racks loses it."""
    before = FabricState(hood, (), ())
    lost = [
        ImpactedServer(server.id, server.rack, leafs, (), len(before.server_spines(server)), 0)
        for server in sorted(hood.servers, key=lambda s: _natural(s.id))
        if (leafs := before.server_leafs(server))
    ]
    racks = list(hood.rack_networks)
    serving = [
        leaf.id
        for leaf in hood.leafs.values()
        if leaf.rack in hood.rack_networks and before.spines(leaf.id)
    ]
    row = _network_row(network, racks, serving, racks, (), (s.id for s in lost))
    return Impact(
        blueprint=hood.blueprint,
        kind=hood.kind,
        id=hood.id,
        scenario=Scenario.FAIL,
        interfaces=(),
        links=(),
        bgp_sessions=(),
        systems=(),
        servers_losing_redundancy=(),
        servers_losing_connectivity=tuple(lost),
        virtual_networks=(row,),
    )
