"""The virtual inventory in the graph: one transaction per sync, named Cypher.

A sync of one source (a full snapshot, or a batch of events applied to what the
graph holds for the source) runs in ONE write transaction: check the references
to the blueprint (its servers and their interfaces, no server already hosting a
hypervisor of another source), read the fingerprints of the source's nodes, write
only what differs (create, update, delete what the source no longer reports), and
re-link every vNIC of the blueprint to the virtual network carrying its VLAN. Any
refusal raises before the commit, so the graph is unchanged on error.

    (:Hypervisor)-[:RUNS_ON]->(:System {role: 'server'})
    (:Hypervisor)-[:HAS_VSWITCH]->(:VirtualSwitch)-[:UPLINK]->(:Interface)
    (:Vm)-[:HOSTED_ON]->(:Hypervisor)
    (:Vm)-[:HAS_VNIC]->(:Vnic)-[:ATTACHED_TO]->(:VirtualSwitch)
    (:Vnic)-[:IN_NETWORK]->(:VirtualNetwork)        (vNIC VLAN = network VLAN)

Every node carries ``uid`` = ``<bp>/<id>``, ``id`` = ``<source>/<source id>[/...]``,
``blueprint``, ``source`` and ``fp`` (the fingerprint of its properties).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Tx
from blueprint_engine.virtual import changes
from blueprint_engine.virtual.inventory import (
    Hypervisor,
    Inventory,
    VirtualSwitch,
    Vm,
    VmState,
    Vnic,
    _some,
    parse_snapshot,
    parse_source,
)

LABELS = {"hypervisor": "Hypervisor", "switch": "VirtualSwitch", "vm": "Vm", "vnic": "Vnic"}
BATCH = 10_000

REFS = Query(
    "virtual.refs",
    """
    OPTIONAL MATCH (b:Blueprint {name: $bp})
    WITH b
    UNWIND (CASE WHEN b IS NULL THEN [] ELSE $servers END) AS sid
    OPTIONAL MATCH (s:System {uid: $bp + '/' + sid})
    RETURN b IS NOT NULL AS blueprint, sid, s.role AS role,
           [(s)-[:HAS_INTERFACE]->(i:Interface) | i.name] AS ifnames,
           [(s)<-[:RUNS_ON]-(h:Hypervisor) WHERE h.source <> $source | h.id] AS others
    """,
)
BLUEPRINT = Query(
    "virtual.blueprint",
    """
    OPTIONAL MATCH (b:Blueprint {name: $bp})
    RETURN b IS NOT NULL AS found,
           COLLECT { MATCH (x:System {blueprint: $bp, role: 'server'})
                     RETURN x.id ORDER BY x.id LIMIT 3 } AS servers,
           COLLECT { MATCH (k:Blueprint) RETURN k.name ORDER BY k.name LIMIT 10 } AS known
    """,
)
# per label one row of two parallel lists (far cheaper to ship than a row per node)
STORED = Query(
    "virtual.stored",
    "\nUNION ALL ".join(
        f"MATCH (n:{label} {{blueprint: $bp, source: $source}}) "
        f"RETURN '{kind}' AS kind, collect(n.uid) AS uids, collect(n.fp) AS fps"
        for kind, label in LABELS.items()
    ),
)
# the properties a source reports, per label (what ``_current`` turns back into an inventory)
FIELDS = {
    "hypervisor": ("id", "name", "server"),
    "switch": ("id", "name", "hypervisor", "uplinks"),
    "vm": ("id", "name", "hypervisor", "state"),
    "vnic": ("id", "vm", "mac", "ips", "vlan", "port_group", "switch"),
}
CURRENT = Query(
    "virtual.current",
    "\nUNION ALL ".join(
        f"MATCH (n:{LABELS[kind]} {{blueprint: $bp, source: $source}}) "
        f"RETURN '{kind}' AS kind, n {{{', '.join('.' + f for f in fields)}}} AS row"
        for kind, fields in FIELDS.items()
    ),
)
_SET = "n.id = r.id, n.blueprint = $bp, n.source = $source, n.fp = r.fp"


def _owned(kind: str, parent: str, key: str, rel: str, props: tuple[str, ...]) -> Query:
    """The upsert of a node that points at its one parent (``r.<key>``) by ``rel``: a
    move to another parent drops the old edge."""
    sets = ", ".join(f"n.{p} = r.{p}" for p in props)
    return Query(
        f"virtual.upsert.{kind}",
        f"""
        UNWIND $rows AS r
        MATCH (p:{parent} {{uid: $bp + '/' + r.{key}}})
        MERGE (n:{LABELS[kind]} {{uid: r.uid}})
        SET {_SET}, {sets}
        WITH n, p
        CALL {{ WITH n, p MATCH (n)-[old:{rel}]->(o) WHERE o <> p DELETE old }}
        MERGE (n)-[:{rel}]->(p)
        """,
    )


UPSERT = {
    "hypervisor": _owned("hypervisor", "System", "server", "RUNS_ON", ("name", "server")),
    "switch": Query(
        "virtual.upsert.switch",
        f"""
        UNWIND $rows AS r
        MATCH (h:Hypervisor {{uid: $bp + '/' + r.hypervisor}})
        MERGE (n:VirtualSwitch {{uid: r.uid}})
        SET {_SET}, n.name = r.name, n.hypervisor = r.hypervisor, n.uplinks = r.uplinks
        MERGE (h)-[:HAS_VSWITCH]->(n)
        WITH n, r
        CALL {{ WITH n MATCH (n)-[old:UPLINK]->() DELETE old }}
        CALL {{ WITH n, r UNWIND r.uplinks AS ifname
                MATCH (i:Interface {{uid: $bp + '/' + r.server + ':' + ifname}})
                MERGE (n)-[:UPLINK]->(i) }}
        """,
    ),
    "vm": _owned("vm", "Hypervisor", "hypervisor", "HOSTED_ON", ("name", "hypervisor", "state")),
    "vnic": Query(
        "virtual.upsert.vnic",
        f"""
        UNWIND $rows AS r
        MATCH (v:Vm {{uid: $bp + '/' + r.vm}})
        MERGE (n:Vnic {{uid: r.uid}})
        SET {_SET}, n.vm = r.vm, n.mac = r.mac, n.ips = r.ips, n.vlan = r.vlan,
            n.port_group = r.port_group, n.switch = r.switch
        MERGE (v)-[:HAS_VNIC]->(n)
        WITH n, r
        CALL {{ WITH n MATCH (n)-[old:ATTACHED_TO|IN_NETWORK]->() DELETE old }}
        CALL {{ WITH n, r WITH n, r WHERE r.switch IS NOT NULL
                MATCH (w:VirtualSwitch {{uid: $bp + '/' + r.switch}})
                MERGE (n)-[:ATTACHED_TO]->(w) }}
        WITH n
        OPTIONAL MATCH (net:VirtualNetwork {{blueprint: $bp, vlan: n.vlan}})
        SET n.network = net.id
        FOREACH (_ IN CASE WHEN net IS NULL THEN [] ELSE [1] END |
                 MERGE (n)-[:IN_NETWORK]->(net))
        """,
    ),
}
DELETE = {
    kind: Query(
        f"virtual.delete.{kind}",
        f"UNWIND $uids AS uid MATCH (n:{label} {{uid: uid}}) DETACH DELETE n",
    )
    for kind, label in LABELS.items()
}
NETWORK_VLANS = Query(
    "virtual.network_vlans",
    "MATCH (v:VirtualNetwork {blueprint: $bp}) WHERE v.vlan IS NOT NULL "
    "RETURN toString(v.vlan) AS vlan, v.id AS id",
)
# vNICs whose network (by VLAN, ``$networks``: {vlan text: network id}) is not the one
# they are linked to: their IN_NETWORK edge and ``network`` are set again
RELINK = Query(
    "virtual.relink",
    """
    MATCH (n:Vnic {blueprint: $bp})
    WITH n, $networks[toString(n.vlan)] AS want
    WHERE coalesce(n.network, '') <> coalesce(want, '')
    CALL { WITH n MATCH (n)-[old:IN_NETWORK]->() DELETE old }
    SET n.network = want
    WITH n, want
    OPTIONAL MATCH (net:VirtualNetwork {uid: $bp + '/' + want})
    FOREACH (_ IN CASE WHEN net IS NULL THEN [] ELSE [1] END | MERGE (n)-[:IN_NETWORK]->(net))
    RETURN count(*) AS relinked
    """,
)
# the first write of every sync: two syncs of one source take turns here (Neo4j's own
# lock on the node, held to the commit), so each reads what the one before it wrote
TURN = Query(
    "virtual.turn",
    """
    MERGE (s:VirtualSource {uid: $bp + '/' + $source})
    ON CREATE SET s.blueprint = $bp, s.source = $source, s.syncs = 0
    SET s.syncs = s.syncs + 1, s.synced_at = datetime()
    """,
)
BLUEPRINTS = Query(
    "virtual.blueprints",
    "MATCH (h:Hypervisor) RETURN DISTINCT h.blueprint AS bp ORDER BY bp",
)


@dataclass(frozen=True)
class SyncResult:
    blueprint: str
    source: str
    hypervisors: int
    vms: int
    vnics: int
    created: int
    updated: int
    deleted: int
    relinked: int
    # what the source holds now (for the checks that follow, not to be serialised)
    inventory: Inventory | None = field(default=None, repr=False, compare=False)

    def counts(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "inventory"}


def _refs(graph: Graph, tx: Tx, bp: str, inventory: Inventory) -> None:
    """Every hypervisor on a server of ``bp``, uplinks on its interfaces, no server
    taken by another source."""
    servers = sorted({h.server for h in inventory.hypervisors})
    rows = graph.run(tx, REFS, bp=bp, source=inventory.source, servers=servers)
    if not rows:  # no server named (an empty snapshot), or no such blueprint
        row = graph.run(tx, BLUEPRINT, bp=bp)[0]
        if row["found"]:
            return
        raise NotFoundError(f"no blueprint named {bp!r}", allowed=row["known"] or "none exist yet")
    by_id = {r["sid"]: r for r in rows}
    for h in inventory.hypervisors:
        row = by_id[h.server]
        if row["role"] != "server":
            what = "no system" if row["role"] is None else f"a {row['role']}"
            raise NotFoundError(
                f"hypervisor {h.id} runs on {h.server!r}, {what} of blueprint {bp!r}",
                allowed=f"the System id of a server of {bp!r}",
            )
        if row["others"]:
            raise ValidationError(
                f"server {h.server} already runs hypervisor {row['others'][0]} of another source",
                allowed="one hypervisor per server across sources",
            )
        for s in h.switches:
            for ifname in s.uplinks:
                if ifname not in row["ifnames"]:
                    raise NotFoundError(
                        f"virtual switch {h.id}/{s.name} uplink {ifname!r} is not an "
                        f"interface of server {h.server}",
                        allowed=_some(sorted(row["ifnames"])),
                    )


def _stored(graph: Graph, tx: Tx, bp: str, source: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {kind: {} for kind in changes.KINDS}
    for r in graph.run(tx, STORED, bp=bp, source=source):
        out[r["kind"]].update(zip(r["uids"], r["fps"], strict=True))
    return out


def _write(graph: Graph, tx: Tx, bp: str, source: str, todo: changes.Plan) -> None:
    for kind in reversed(changes.KINDS):  # children first
        uids = todo.delete.get(kind, [])
        for i in range(0, len(uids), BATCH):
            graph.run(tx, DELETE[kind], uids=uids[i : i + BATCH])
    for kind in changes.KINDS:  # parents first
        rows = todo.upsert.get(kind, [])
        for i in range(0, len(rows), BATCH):
            graph.run(tx, UPSERT[kind], bp=bp, source=source, rows=rows[i : i + BATCH])


def _sync(graph: Graph, tx: Tx, bp: str, inventory: Inventory) -> SyncResult:
    graph.run(tx, TURN, bp=bp, source=inventory.source)
    _refs(graph, tx, bp, inventory)
    wanted = changes.rows(bp, inventory)
    todo = changes.plan(wanted, _stored(graph, tx, bp, inventory.source))
    _write(graph, tx, bp, inventory.source, todo)
    relinked = _relink(graph, tx, bp)
    return SyncResult(
        bp,
        inventory.source,
        len(inventory.hypervisors),
        len(inventory.vms),
        len(wanted["vnic"]),
        todo.created,
        todo.updated,
        todo.deleted,
        relinked,
        inventory,
    )


def sync_snapshot(graph: Graph, bp: str, source: str, body: Mapping[str, Any]) -> SyncResult:
    """Make the graph hold exactly ``body`` for ``source`` (a full re-sync)."""
    inventory = parse_snapshot(source, body)
    return graph.write_tx(lambda tx: _sync(graph, tx, bp, inventory))


def sync_events(graph: Graph, bp: str, source: str, events: object) -> SyncResult:
    """Apply a batch of incremental events to what the graph holds for ``source``."""
    parse_source(source)

    def work(tx: Tx) -> SyncResult:
        graph.run(tx, TURN, bp=bp, source=source)  # before reading what the source holds
        current = _current(graph, tx, bp, source)
        return _sync(graph, tx, bp, changes.apply_events(current, events))

    return graph.write_tx(work)


def virtual_blueprints(graph: Graph) -> list[str]:
    """Blueprints with a virtual inventory."""
    return [str(r["bp"]) for r in graph.read(BLUEPRINTS)]


def relink(graph: Graph, bp: str) -> int:
    """Re-link every vNIC of ``bp`` to the virtual network carrying its VLAN now; the
    number of vNICs whose link changed."""
    return graph.write_tx(lambda tx: _relink(graph, tx, bp))


def _relink(graph: Graph, tx: Tx, bp: str) -> int:
    networks = {r["vlan"]: r["id"] for r in graph.run(tx, NETWORK_VLANS, bp=bp)}
    return int(graph.run(tx, RELINK, bp=bp, networks=networks)[0]["relinked"])


def _current(graph: Graph, tx: Tx, bp: str, source: str) -> Inventory:
    """What the graph holds for ``source`` as an inventory (ids without the prefix)."""
    prefix = f"{source}/"
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in changes.KINDS}
    for r in graph.run(tx, CURRENT, bp=bp, source=source):
        rows[r["kind"]].append(r["row"])
    switches: dict[str, list[VirtualSwitch]] = {}
    for w in sorted(rows["switch"], key=lambda w: w["id"]):
        switches.setdefault(w["hypervisor"], []).append(
            VirtualSwitch(w["name"], tuple(w["uplinks"] or ()))
        )
    vnics: dict[str, list[Vnic]] = {}
    for n in sorted(rows["vnic"], key=lambda n: n["id"]):
        switch = None if n["switch"] is None else n["switch"].rsplit("/", 1)[1]
        nic = Vnic(n["id"].rsplit("/", 1)[1], n["mac"], tuple(n["ips"] or ()), n["vlan"],
                   n["port_group"], switch)  # fmt: skip
        vnics.setdefault(n["vm"], []).append(nic)
    hvs = tuple(
        Hypervisor(h["id"].removeprefix(prefix), h["name"], h["server"],
                   tuple(switches.get(h["id"], ())))
        for h in rows["hypervisor"]
    )  # fmt: skip
    vms = tuple(
        Vm(v["id"].removeprefix(prefix), v["name"], v["hypervisor"].removeprefix(prefix),
           VmState(v["state"]), tuple(vnics.get(v["id"], ())))
        for v in rows["vm"]
    )  # fmt: skip
    return Inventory(source, hvs, vms)
