"""Independent expectations for the impact tests, by brute force over the design.

Nothing here calls the code under test. The design comes from the pure builder (the
template the blueprint was built from); connectivity is a search for a path from the
server to any spine (servers do not forward); redundancy is tested by failing every
element the server's search touches, one at a time, and searching again. Only the
vocabulary (effect names) is shared with the engine: it is the API's contract.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.design.model import BlueprintDesign

FAIL_LINK = {"fail": "down", "drain": "drained", "undeploy": "unconfigured"}
FAIL_SYSTEM = {"fail": "down", "drain": "drained", "undeploy": "undeployed"}


@dataclass(frozen=True)
class Failure:
    links: frozenset[str] = frozenset()
    nodes: frozenset[str] = frozenset()

    def plus(self, element: str, is_link: bool) -> Failure:
        if is_link:
            return Failure(self.links | {element}, self.nodes)
        return Failure(self.links, self.nodes | {element})

    def elements(self) -> frozenset[str]:
        return self.links | self.nodes


@dataclass
class Expected:
    interfaces: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    systems: dict[str, tuple[str, int | None, int | None]] = field(default_factory=dict)
    redundancy: set[str] = field(default_factory=set)
    connectivity: set[str] = field(default_factory=set)
    networks: dict[str, dict[str, set[str]]] = field(default_factory=dict)


class Oracle:
    def __init__(self, design: BlueprintDesign, out_of_service: Iterable[str] = ()) -> None:
        self.design = design
        self.role = {s.id: str(s.role) for s in design.systems}
        self.rack = {s.id: s.rack for s in design.systems}
        self.owner = {i.id: i.system for i in design.interfaces}
        self.ends = {link.id: (self.owner[link.a], self.owner[link.b]) for link in design.links}
        self.link_of = {end: link.id for link in design.links for end in (link.a, link.b)}
        self.link_by_id = {link.id: link for link in design.links}
        self.between: dict[frozenset[str], set[str]] = defaultdict(set)
        for link_id, ends in self.ends.items():
            self.between[frozenset(ends)].add(link_id)
        self.neighbours: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for link_id, (a, b) in self.ends.items():
            self.neighbours[a].append((link_id, b))
            self.neighbours[b].append((link_id, a))
        self.base = Failure(nodes=frozenset(out_of_service))
        self.servers = sorted(s for s, role in self.role.items() if role == "server")
        self._before: dict[str, tuple[bool, bool, frozenset[str]]] = {}

    # --- paths --------------------------------------------------------------------

    def search(self, server: str, failure: Failure) -> tuple[bool, set[str]]:
        """Does the server reach a spine; and every element the search looked at."""
        touched = {server}
        if server in failure.nodes:
            return False, touched
        reached, seen, stack = False, {server}, [server]
        while stack:
            node = stack.pop()
            for link, other in self.neighbours[node]:
                touched |= {link, other}
                if link in failure.links or other in failure.nodes:
                    continue
                if self.role[other] == "spine":
                    reached = True
                elif self.role[other] != "server" and other not in seen:
                    seen.add(other)
                    stack.append(other)
        return reached, touched

    def state(self, server: str, failure: Failure) -> tuple[bool, bool, frozenset[str]]:
        """(connected, redundant, the elements its paths depend on)."""
        connected, touched = self.search(server, failure)
        redundant = connected and all(
            self.search(server, failure.plus(e, e in self.ends))[0] for e in touched if e != server
        )
        return connected, redundant, frozenset(touched)

    def before(self, server: str) -> tuple[bool, bool, frozenset[str]]:
        if server not in self._before:
            self._before[server] = self.state(server, self.base)
        return self._before[server]

    def uplinks(self, leaf: str, failure: Failure) -> int:
        if leaf in failure.nodes:
            return 0
        return sum(
            1
            for link, other in self.neighbours[leaf]
            if self.role[other] == "spine"
            and link not in failure.links
            and other not in failure.nodes
        )

    # --- elements -> what they take out --------------------------------------------

    def failure_of(self, kind: str, element: str) -> tuple[Failure, list[str]]:
        """The failure an element causes, and the element's own interfaces."""
        if kind == "transceiver":
            interface = next(t.interface for t in self.design.transceivers if t.id == element)
            return Failure(links=frozenset({self.link_of[interface]})), [interface]
        if kind == "interface":  # an unused port (no link) takes nothing with it
            link = self.link_of.get(element)
            return Failure(links=frozenset({link} if link else set())), [element]
        if kind == "link":
            return Failure(links=frozenset({element})), []
        incident = {link for link, ends in self.ends.items() if element in ends}
        return Failure(frozenset(incident), frozenset({element})), []

    # --- the expectation -----------------------------------------------------------

    def expect(self, kind: str, element: str, scenario: str = "fail") -> Expected:
        if kind == "virtual_network":
            return self._expect_network(element)
        failure, own = self.failure_of(kind, element)
        after = Failure(self.base.links | failure.links, self.base.nodes | failure.nodes)
        out = Expected()
        out.links = {link: FAIL_LINK[scenario] for link in failure.links}
        for link in failure.links:
            for end in (self._interface(link, 0), self._interface(link, 1)):
                out.interfaces[end] = FAIL_LINK[scenario]
        out.interfaces.update({i: "down" for i in own})
        out.sessions = self._sessions(failure, scenario)
        self._systems(out, failure, after, scenario)
        for server in self.servers:
            was_connected, was_redundant, region = self.before(server)
            if not region & failure.elements():
                continue  # nothing it depends on changed
            connected, redundant, _ = self.state(server, after)
            if was_connected and not connected:
                out.connectivity.add(server)
            elif was_redundant and not redundant:
                out.redundancy.add(server)
        self._networks(out, after)
        return out

    def _interface(self, link_id: str, side: int) -> str:
        link = self.link_by_id[link_id]
        return link.a if side == 0 else link.b

    def _sessions(self, failure: Failure, scenario: str) -> dict[str, str]:
        found = {}
        for s in self.design.sessions:
            peer = s.a in failure.nodes or s.b in failure.nodes
            if scenario == "drain":
                effect = ("down" if s.afi == "evpn" else "withdrawn") if peer else None
            elif scenario == "undeploy":
                effect = "down" if peer else None
            else:
                direct = self.between[frozenset({s.a, s.b})]
                cut = s.afi == "evpn" and bool(direct) and direct <= failure.links
                effect = "down" if peer or s.link in failure.links or cut else None
            if effect:
                found[s.id] = effect
        return found

    def _systems(self, out: Expected, failure: Failure, after: Failure, scenario: str) -> None:
        for node in failure.nodes:
            is_leaf = self.role[node] == "leaf"
            was = self.uplinks(node, self.base) if is_leaf else None
            out.systems[node] = (FAIL_SYSTEM[scenario], was, 0 if is_leaf else None)
        for leaf, role in self.role.items():
            if role != "leaf" or leaf in failure.nodes:
                continue
            was, now = self.uplinks(leaf, self.base), self.uplinks(leaf, after)
            if now < was:
                out.systems[leaf] = ("isolated" if now == 0 else "fewer_uplinks", was, now)

    def _networks(self, out: Expected, after: Failure) -> None:
        racks = {r.id: r for r in self.design.racks}
        for vn in self.design.virtual_networks:
            row: dict[str, set[str]] = defaultdict(set)
            for rack_id in vn.racks:
                rack = racks[rack_id]
                served_before = {x for x in rack.leafs if self.uplinks(x, self.base)}
                served_after = {x for x in rack.leafs if self.uplinks(x, after)}
                lost = served_before - served_after
                red = out.redundancy & set(rack.servers)
                conn = out.connectivity & set(rack.servers)
                if lost or red or conn:
                    row["racks"].add(rack_id)
                    row["leafs"] |= lost
                    row["redundancy"] |= red
                    row["connectivity"] |= conn
                    if served_before and not served_after:
                        row["unavailable"].add(rack_id)
            if row:
                out.networks[vn.id] = row

    def _expect_network(self, name: str) -> Expected:
        vn = next(v for v in self.design.virtual_networks if v.id == name)
        racks = {r.id: r for r in self.design.racks}
        out = Expected()
        servers = {s for r in vn.racks for s in racks[r].servers if self.before(s)[0]}
        out.connectivity = servers
        out.networks[name] = {
            "racks": set(vn.racks),
            "leafs": {x for r in vn.racks for x in racks[r].leafs if self.uplinks(x, self.base)},
            "unavailable": set(vn.racks),
            "redundancy": set(),
            "connectivity": servers,
        }
        return out


def observed(result: Any) -> Expected:
    """The engine's answer (a dataclass or a GraphQL JSON object) in the oracle's shape."""

    def get(obj: Any, name: str) -> Any:
        if isinstance(obj, dict):
            camel = "".join(w if i == 0 else w.title() for i, w in enumerate(name.split("_")))
            return obj[camel]
        return getattr(obj, name)

    out = Expected()
    out.interfaces = {get(i, "id"): get(i, "effect") for i in get(result, "interfaces")}
    out.links = {get(x, "id"): get(x, "effect") for x in get(result, "links")}
    out.sessions = {get(s, "id"): get(s, "effect") for s in get(result, "bgp_sessions")}
    out.systems = {
        get(s, "id"): (get(s, "effect"), get(s, "uplinks_before"), get(s, "uplinks_after"))
        for s in get(result, "systems")
    }
    out.redundancy = {get(s, "id") for s in get(result, "servers_losing_redundancy")}
    out.connectivity = {get(s, "id") for s in get(result, "servers_losing_connectivity")}
    for vn in get(result, "virtual_networks"):
        out.networks[get(vn, "id")] = {
            "racks": set(get(vn, "racks")),
            "leafs": set(get(vn, "leafs")),
            "unavailable": set(get(vn, "unavailable_in_racks")),
            "redundancy": set(get(vn, "servers_losing_redundancy")),
            "connectivity": set(get(vn, "servers_losing_connectivity")),
        }
    return out


def dropped_empty(networks: dict[str, dict[str, set[str]]]) -> dict[str, dict[str, set[str]]]:
    return {name: {k: v for k, v in row.items() if v} for name, row in networks.items()}
