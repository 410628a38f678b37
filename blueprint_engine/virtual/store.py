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
from dataclasses import dataclass
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
STORED = Query(
    "virtual.stored",
    """
    MATCH (n:Hypervisor {blueprint: $bp, source: $source}) RETURN 'hypervisor' AS kind,
          n.uid AS uid, n.fp AS fp
    UNION ALL MATCH (n:VirtualSwitch {blueprint: $bp, source: $source})
          RETURN 'switch' AS kind, n.uid AS uid, n.fp AS fp
    UNION ALL MATCH (n:Vm {blueprint: $bp, source: $source}) RETURN 'vm' AS kind,
          n.uid AS uid, n.fp AS fp
    UNION ALL MATCH (n:Vnic {blueprint: $bp, source: $source}) RETURN 'vnic' AS kind,
          n.uid AS uid, n.fp AS fp
    """,
)
CURRENT = Query(
    "virtual.current",
    """
    MATCH (h:Hypervisor {blueprint: $bp, source: $source})
    RETURN 'hypervisor' AS kind, h {.id, .name, .server,
           switches: [(h)-[:HAS_VSWITCH]->(w:VirtualSwitch) | w {.name, .uplinks}]} AS row
    UNION ALL
    MATCH (v:Vm {blueprint: $bp, source: $source})
    RETURN 'vm' AS kind, v {.id, .name, .hypervisor, .state,
           vnics: [(v)-[:HAS_VNIC]->(n:Vnic) | n {.id, .mac, .ips, .vlan, .port_group,
                                                   .switch}]} AS row
    """,
)
_SET = "n.id = r.id, n.blueprint = $bp, n.source = $source, n.fp = r.fp"
UPSERT = {
    "hypervisor": Query(
        "virtual.upsert.hypervisor",
        f"""
        UNWIND $rows AS r
        MATCH (s:System {{uid: $bp + '/' + r.server}})
        MERGE (n:Hypervisor {{uid: r.uid}})
        SET {_SET}, n.name = r.name, n.server = r.server
        WITH n, s
        CALL {{ WITH n, s MATCH (n)-[old:RUNS_ON]->(o) WHERE o <> s DELETE old }}
        MERGE (n)-[:RUNS_ON]->(s)
        """,
    ),
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
    "vm": Query(
        "virtual.upsert.vm",
        f"""
        UNWIND $rows AS r
        MATCH (h:Hypervisor {{uid: $bp + '/' + r.hypervisor}})
        MERGE (n:Vm {{uid: r.uid}})
        SET {_SET}, n.name = r.name, n.hypervisor = r.hypervisor, n.state = r.state
        WITH n, h
        CALL {{ WITH n, h MATCH (n)-[old:HOSTED_ON]->(o) WHERE o <> h DELETE old }}
        MERGE (n)-[:HOSTED_ON]->(h)
        """,
    ),
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
        CALL {{ WITH n MATCH (n)-[old:ATTACHED_TO]->() DELETE old }}
        CALL {{ WITH n, r WITH n, r WHERE r.switch IS NOT NULL
                MATCH (w:VirtualSwitch {{uid: $bp + '/' + r.switch}})
                MERGE (n)-[:ATTACHED_TO]->(w) }}
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
RELINK = Query(
    "virtual.relink",
    """
    MATCH (n:Vnic {blueprint: $bp})
    OPTIONAL MATCH (v:VirtualNetwork {blueprint: $bp, vlan: n.vlan})
    WITH n, v, [(n)-[:IN_NETWORK]->(x:VirtualNetwork) | x] AS linked
    WHERE NOT (v IS NULL AND size(linked) = 0) AND NOT (size(linked) = 1 AND linked[0] = v)
    CALL { WITH n MATCH (n)-[old:IN_NETWORK]->() DELETE old }
    FOREACH (_ IN CASE WHEN v IS NULL THEN [] ELSE [1] END | MERGE (n)-[:IN_NETWORK]->(v))
    RETURN count(*) AS relinked
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
        out[r["kind"]][r["uid"]] = r["fp"]
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
    _refs(graph, tx, bp, inventory)
    wanted = changes.rows(bp, inventory)
    todo = changes.plan(wanted, _stored(graph, tx, bp, inventory.source))
    _write(graph, tx, bp, inventory.source, todo)
    relinked = int(graph.run(tx, RELINK, bp=bp)[0]["relinked"])
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
    )


def sync_snapshot(graph: Graph, bp: str, source: str, body: Mapping[str, Any]) -> SyncResult:
    """Make the graph hold exactly ``body`` for ``source`` (a full re-sync)."""
    inventory = parse_snapshot(source, body)
    return graph.write_tx(lambda tx: _sync(graph, tx, bp, inventory))


def sync_events(graph: Graph, bp: str, source: str, events: object) -> SyncResult:
    """Apply a batch of incremental events to what the graph holds for ``source``."""
    parse_source(source)

    def work(tx: Tx) -> SyncResult:
        current = _current(graph, tx, bp, source)
        return _sync(graph, tx, bp, changes.apply_events(current, events))

    return graph.write_tx(work)


def virtual_blueprints(graph: Graph) -> list[str]:
    """Blueprints with a virtual inventory."""
    return [str(r["bp"]) for r in graph.read(BLUEPRINTS)]


def relink(graph: Graph, bp: str) -> int:
    """Re-link every vNIC of ``bp`` to the virtual network carrying its VLAN now; the
    number of vNICs whose link changed."""
    return int(graph.write(RELINK, bp=bp)[0]["relinked"])


def _current(graph: Graph, tx: Tx, bp: str, source: str) -> Inventory:
    """What the graph holds for ``source`` as an inventory (ids without the prefix)."""
    prefix = f"{source}/"
    hvs, vms = [], []
    for r in graph.run(tx, CURRENT, bp=bp, source=source):
        row = r["row"]
        if r["kind"] == "hypervisor":
            switches = tuple(
                VirtualSwitch(w["name"], tuple(w["uplinks"]))
                for w in sorted(row["switches"], key=lambda w: w["name"])
            )
            hvs.append(
                Hypervisor(row["id"].removeprefix(prefix), row["name"], row["server"], switches)
            )
        else:
            vms.append(_vm(row, prefix))
    return Inventory(source, tuple(hvs), tuple(vms))


def _vm(row: dict[str, Any], prefix: str) -> Vm:
    vm_id = row["id"].removeprefix(prefix)
    hv = row["hypervisor"].removeprefix(prefix)
    vnics = tuple(
        Vnic(
            n["id"].rsplit("/", 1)[1],
            n["mac"],
            tuple(n["ips"] or ()),
            n["vlan"],
            n["port_group"],
            None if n["switch"] is None else n["switch"].rsplit("/", 1)[1],
        )
        for n in sorted(row["vnics"], key=lambda n: n["id"])
    )
    return Vm(vm_id, row["name"], hv, VmState(row["state"]), vnics)
