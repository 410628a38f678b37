"""What the collector needs from the blueprint, in one query per blueprint.

For every switch of a blueprint (or the ones named): its interfaces with their
transceivers, its BGP sessions with the address it peers with and the peer's
loopback, and the managed device assigned to it (serial, deploy mode, last
deploy result, liveness, golden config). Servers are not collected from: they have no agent.
On an EVPN blueprint, each leaf's VNIs (``telemetry.overlay_intent``, one more query; none
on any other blueprint).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from blueprint_engine.design.model import Overlay
from blueprint_engine.errors import NotFoundError
from blueprint_engine.graph.db import Graph, Query
from telemetry import overlay_intent
from telemetry.collect_map import DeviceIntent, InterfaceIntent, SessionIntent

INTENTS = Query(
    "collect.intents",
    """
    MATCH (b:Blueprint {name: $bp})
    OPTIONAL MATCH (b)-[:HAS_SYSTEM]->(s:System)
    WHERE s.role <> 'server' AND ($systems IS NULL OR s.id IN $systems)
      AND ($queue IS NULL OR EXISTS {
            (:WorkerPool {queue: $queue})<-[:PLACED_ON]-(:Device)-[:ASSIGNED_TO]->(s) })
    CALL (s) {
      OPTIONAL MATCH (s)-[:HAS_INTERFACE]->(i:Interface)
      OPTIONAL MATCH (i)-[:HAS_TRANSCEIVER]->(x:Transceiver)
      RETURN collect(CASE WHEN i IS NULL THEN null
                     ELSE {id: i.id, name: i.name, transceiver: x.id} END) AS interfaces
    }
    CALL (s) {
      OPTIONAL MATCH (bs:BgpSession)-[me:PEER]->(s)
      OPTIONAL MATCH (bs)-[:PEER]->(p:System) WHERE p <> s
      RETURN collect(CASE WHEN bs IS NULL THEN null
                     ELSE {id: bs.id, peer: p.id, peer_loopback: p.loopback,
                           peer_ip: CASE me.side WHEN 'a' THEN bs.b_ip ELSE bs.a_ip END}
                     END) AS sessions
    }
    OPTIONAL MATCH (d:Device)-[:ASSIGNED_TO]->(s)
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: 'golden'})
    RETURN s.id AS system, s.hostname AS hostname, interfaces, sessions,
           d.serial AS serial, d.deploy_mode AS deploy_mode, d.last_deploy AS last_deploy,
           d.liveness AS liveness, CASE WHEN $golden THEN g.text END AS golden,
           toString(g.updated_at) AS golden_at, d.deviation AS deviation,
           b.overlay AS overlay
    ORDER BY system
    """,
)


def _intent(bp: str, row: dict[str, Any]) -> DeviceIntent:
    interfaces = tuple(
        InterfaceIntent(i["id"], i["name"], i.get("transceiver"))
        for i in sorted(row["interfaces"], key=lambda i: str(i["id"]))
    )
    sessions = tuple(
        SessionIntent(x["id"], x["peer_ip"], x["peer"], x.get("peer_loopback"))
        for x in sorted(row["sessions"], key=lambda x: str(x["id"]))
    )
    return DeviceIntent(
        bp,
        row["system"],
        row["hostname"],
        interfaces,
        sessions,
        row.get("serial"),
        row.get("deploy_mode"),
        row.get("last_deploy"),
        row.get("liveness"),
        row.get("golden"),
        row.get("golden_at"),
        row.get("deviation"),
    )


def read_intents(
    graph: Graph,
    bp: str,
    systems: list[str] | None = None,
    *,
    golden: bool = True,
    queue: str | None = None,
) -> list[DeviceIntent]:
    """The collector's view of every switch of ``bp`` (or of ``systems``; with ``queue``,
    of those whose device is placed on that queue's pool), by system id; with
    ``golden`` the assigned devices' golden config texts too. A pool reads only its own
    share: a round never fetches the golden configs of another pool's devices."""
    rows = graph.read(INTENTS, bp=bp, systems=systems, golden=golden, queue=queue)
    if not rows:
        raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint name")
    intents = [_intent(bp, row) for row in rows if row["system"] is not None]
    if rows[0].get("overlay") != str(Overlay.EVPN):
        return intents  # no overlay: no more to read
    overlay = overlay_intent.leafs(graph, bp)
    if not overlay:
        return intents
    return [replace(i, vnis=overlay[i.system].vnis) if i.system in overlay else i for i in intents]
