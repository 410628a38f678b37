"""Anomalies of the virtual layer against intent, raised when an inventory is synced.

- ``vm_network_missing``: one per tagged vNIC whose VLAN no virtual network bound to
  the racks of its server's leafs carries; ``uid = <bp>/vm_network_missing/<vnic id>``,
  ``subject`` the vNIC id, ``device`` the hypervisor's server, ``ON`` the vNIC and the
  server.
- ``vm_network_unbound_rack``: one per (virtual network, rack) with VMs of the network
  in a rack it is not bound to; ``uid = <bp>/vm_network_unbound_rack/<network>@<rack>``,
  ``subject`` the network, ``device`` ``rack:<rack>``, ``ON`` the network and the rack.
- ``vm_uplink_missing``: one per tagged vNIC whose network is carried at its server but
  whose virtual switch has no uplink on a server port that trunks it;
  ``uid = <bp>/vm_uplink_missing/<vnic id>``, ``subject`` the vNIC id, ``device`` the
  server, ``ON`` the vNIC, the server and the network.

Level-triggered: every check recomputes both kinds for the whole blueprint from the
graph (``blueprint_engine.virtual.checks``, pure), raises what is broken and clears
every anomaly of these kinds not broken any more (a VM deleted, its vNIC moved back to
a carried VLAN, the network bound to the rack). Run after each sync and by the
telemetry sweep, so an intent change (a network bound or removed) is seen too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from blueprint_engine.events import Publisher
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.virtual import checks, reads
from blueprint_engine.virtual.checks import Findings
from blueprint_engine.virtual.inventory import Inventory
from telemetry import anomalies, causes
from telemetry.evaluate import AnomalyType

TYPES = (
    AnomalyType.VM_NETWORK_MISSING.value,
    AnomalyType.VM_NETWORK_UNBOUND_RACK.value,
    AnomalyType.VM_UPLINK_MISSING.value,
)
RAISED = Query(
    "telemetry.virtual.raised",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'}) WHERE a.type IN $types
    RETURN a.uid AS uid, a.type AS type, a.subject AS subject, a.device AS device,
           a.actual_value AS actual_value, a.summary AS summary
    """,
)
UPSERT = Query(
    "telemetry.virtual.raise",
    """
    UNWIND $rows AS r
    MERGE (a:Anomaly {uid: r.uid})
    ON CREATE SET a.blueprint = $bp, a.type = r.type, a.subject = r.subject,
                  a.first_seen = $now
    SET a.first_seen = CASE WHEN a.state = 'raised' THEN a.first_seen ELSE $now END,
        a.state = 'raised', a.cleared_at = null, a.last_seen = $now, a.device = r.device,
        a.expected = false, a.suppressed = false, a.expected_value = r.expected_value,
        a.actual_value = r.actual_value, a.summary = r.summary
    WITH a, r
    CALL { WITH a MATCH (a)-[old:ON]->() DELETE old }
    CALL { WITH a, r MATCH (x:Vnic {uid: $bp + '/' + r.vnic}) MERGE (a)-[:ON]->(x) }
    CALL { WITH a, r MATCH (x:System {uid: $bp + '/' + r.server}) MERGE (a)-[:ON]->(x) }
    CALL { WITH a, r MATCH (x:VirtualNetwork {uid: $bp + '/' + r.network})
           MERGE (a)-[:ON]->(x) }
    CALL { WITH a, r MATCH (x:Rack {uid: $bp + '/' + r.rack}) MERGE (a)-[:ON]->(x) }
    RETURN count(*) AS written
    """,
)


@dataclass(frozen=True)
class CheckResult:
    blueprint: str
    vnics_checked: int
    raised: list[str]
    cleared: list[str]
    open: int  # anomalies of these kinds raised after the check


def _row(
    bp: str,
    kind: AnomalyType,
    key: str,
    on: Mapping[str, str | None],
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    summary: str,
) -> dict[str, Any]:
    """One anomaly row: ``on`` names its subject and device and the nodes it is ON
    (``vnic``, ``server``, ``network``, ``rack``: ids or None)."""
    return {
        "uid": f"{bp}/{kind.value}/{key}",
        "type": kind.value,
        "subject": on["subject"],
        "device": on["device"],
        **{k: on.get(k) for k in ("vnic", "server", "network", "rack")},
        "expected_value": json.dumps(expected),
        "actual_value": json.dumps(actual, sort_keys=True),
        "summary": summary,
        "expected": False,
        "suppressed": False,
    }


def _rows(bp: str, found: Findings) -> list[dict[str, Any]]:
    out = []
    for m in found.missing:
        actual = {
            "vm": m.vm,
            "vlan": m.vlan,
            "server_racks": list(m.server_racks),
            "network": m.network,
            "network_racks": list(m.network_racks),
        }
        on = {"subject": m.vnic, "device": m.server, "vnic": m.vnic, "server": m.server}
        expected = {"vlan_carried_at_server": True}
        out.append(
            _row(bp, AnomalyType.VM_NETWORK_MISSING, m.vnic, on, expected, actual, m.summary)
        )
    for u in found.unbound:
        actual = {"vlan": u.vlan, "rack": u.rack, "bound": list(u.bound), "vms": list(u.vms)}
        on = {
            "subject": u.network,
            "device": f"rack:{u.rack}",
            "network": u.network,
            "rack": u.rack,
        }
        key = f"{u.network}@{u.rack}"
        expected = {"bound_to_rack": True}
        out.append(
            _row(bp, AnomalyType.VM_NETWORK_UNBOUND_RACK, key, on, expected, actual, u.summary)
        )
    for lack in found.uplinks:
        actual = {
            "vm": lack.vm,
            "vlan": lack.vlan,
            "network": lack.network,
            "switch": lack.switch,
            "uplinks": list(lack.uplinks),
            "reach": list(lack.reach),
            "carrying": list(lack.carrying),
        }
        on = {"subject": lack.vnic, "device": lack.server, "vnic": lack.vnic,
              "server": lack.server, "network": lack.network}  # fmt: skip
        expected = {"uplink_trunks_the_network": True}
        kind = AnomalyType.VM_UPLINK_MISSING
        out.append(_row(bp, kind, lack.vnic, on, expected, actual, lack.summary))
    return out


def plan(bp: str, found: Findings, raised: Sequence[Mapping[str, Any]]) -> anomalies.Plan:
    """Pure: raise/refresh what is broken now, clear the held ones that are not."""
    todo = anomalies.Plan()
    held = {r["uid"]: r for r in raised}
    now_broken = {r["uid"]: r for r in _rows(bp, found)}
    for uid, row in sorted(now_broken.items()):
        before = held.get(uid)
        if before is None or before["actual_value"] != row["actual_value"]:
            todo.upsert.append(row)
            todo.raised.append(row)
    for uid, before in sorted(held.items()):
        if uid not in now_broken:
            todo.clear.append({**before, "expected": False, "suppressed": False})
    return todo


def check_blueprint(
    graph: Graph,
    redis: Publisher | None,
    bp: str,
    now: float | None = None,
    known: Inventory | None = None,
) -> CheckResult:
    """Recompute the virtual layer's anomalies of ``bp``; regroup root causes on change.
    ``known``: a source's inventory just synced (its facts are not read back)."""
    now = time.time() if now is None else now
    facts = reads.check_facts(graph, bp, known)
    found = checks.check(facts.vnics, facts.server_racks, facts.networks, facts.server_ports)
    raised = graph.read(RAISED, bp=bp, types=list(TYPES))
    todo = plan(bp, found, raised)
    if todo:

        def work(tx: Any) -> None:
            if todo.upsert:
                graph.run(tx, UPSERT, bp=bp, rows=todo.upsert, now=now)
            if todo.clear:
                graph.run(tx, anomalies.CLEAR, uids=[r["uid"] for r in todo.clear], now=now)

        graph.write_tx(work)
        if redis is not None:
            anomalies.publish_events(redis, bp, todo)
            causes.regroup(graph, redis, bp, now)
    return CheckResult(
        bp,
        len(found.checked),
        sorted(r["uid"] for r in todo.raised),
        sorted(r["uid"] for r in todo.clear),
        len(found.missing) + len(found.unbound) + len(found.uplinks),
    )
