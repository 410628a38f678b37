"""B15: 20,000 VMs on `large`: a full re-sync <= 10 s; the VM part of impact p95 <= 25 ms.

`large` has 2048 dual-homed servers in 256 racks and the virtual networks web and app
(every rack) and storage (racks 1-8). One source reports a hypervisor per server (one
virtual switch on eth0/eth1) and 20,000 VMs spread round-robin, one vNIC each in web,
app or (racks 1-8) storage, and every 500th VM on storage outside racks 1-8 (so the
checks raise a few anomalies). Timed, each through the push API's entry point (sync,
then the cross-layer checks):

- the first sync (everything created);
- a full re-sync that changes nothing (the periodic level-triggered one);
- a full re-sync where 1% changed (100 VMs gone, 100 new, 200 moved or re-tagged);
- an incremental batch of 10 events.

The value is the slowest full re-sync. Then impact with VMs, in-process, on random
leafs, leaf transceivers and servers: the whole call (its one statement reads the VMs of
the neighbourhood's servers too) and the VM part measured on its own (the VMs of the
affected servers read by a statement of their own, as root causes do, plus the pure
rows: an upper bound of what the VMs add); and over GraphQL/HTTP when the API is up
(`make api`), with the VM fields in the selection.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import httpx

from api.virtual_sync import sync_inventory
from bench.b4_impact import figures
from bench.common import engine, ensure_blueprint, write_result
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.impact import query as impact
from blueprint_engine.virtual import impact as virtual_impact
from blueprint_engine.virtual.reads import vms_on_servers
from blueprint_engine.virtual.store import sync_events

VMS = 20_000
SOURCE = "bench-vcenter"
SAMPLES = 300
SERVERS = Query(
    "bench.b15.servers",
    """
    MATCH (s:System {blueprint: $bp, role: 'server'})-[:IN_RACK]->(k:Rack)
    RETURN s.id AS id, k.id AS rack ORDER BY id
    """,
)
NETWORKS = Query(
    "bench.b15.networks",
    "MATCH (v:VirtualNetwork {blueprint: $bp}) RETURN v.id AS id, v.vlan AS vlan",
)
ELEMENTS = Query(
    "bench.b15.elements",
    """
    MATCH (s:System {blueprint: $bp}) WHERE s.role IN ['leaf', 'server']
    RETURN s.id AS id, s.role AS role,
           [(s)-[:HAS_INTERFACE]->(:Interface)-[:HAS_TRANSCEIVER]->(x:Transceiver) | x.id][0..4]
             AS xcvrs
    """,
)
QUERY = """
query($bp: String!, $kind: ImpactKind!, $id: String!) {
  impact(blueprint: $bp, kind: $kind, id: $id) {
    links { id effect } systems { id effect }
    serversLosingRedundancy { id } serversLosingConnectivity { id }
    vmsLosingConnectivity { id name server networks effect }
    vmsLosingRedundancy { id name server networks effect } } }
"""


def snapshot(servers: list[dict[str, Any]], vlans: dict[str, int], count: int) -> dict[str, Any]:
    racks_1_8 = {f"rack{i}" for i in range(1, 9)}
    hvs = [
        {"id": f"host-{s['id']}", "server": s["id"],
         "switches": [{"name": "dvs0", "uplinks": ["eth0", "eth1"]}]}
        for s in servers
    ]  # fmt: skip
    vms = []
    for n in range(count):
        s = servers[n % len(servers)]
        if (s["rack"] in racks_1_8 and n % 3 == 0) or n % 500 == 499:
            net = "storage"
        else:
            net = ("web", "app")[n % 2]
        mac = (
            f"02:{(n >> 24) & 255:02x}:{(n >> 16) & 255:02x}:{(n >> 8) & 255:02x}:{n & 255:02x}:01"
        )
        ip = f"10.{128 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"
        vms.append(
            {"id": f"vm-{n}", "name": f"vm {n}", "hypervisor": f"host-{s['id']}",
             "vnics": [{"id": "nic0", "mac": mac, "vlan": vlans[net], "port_group": net,
                        "switch": "dvs0", "ips": [ip]}]}
        )  # fmt: skip
    return {"hypervisors": hvs, "vms": vms}


def changed(body: dict[str, Any], vlans: dict[str, int], rng: random.Random) -> dict[str, Any]:
    vms = list(body["vms"])
    rng.shuffle(vms)
    kept, gone = vms[100:], vms[:100]
    hosts = [h["id"] for h in body["hypervisors"]]
    for i in range(200):  # moved to another host, or re-tagged into another network
        vm = dict(kept[i])
        if i % 2:
            vm["hypervisor"] = rng.choice(hosts)
        else:
            nic = dict(vm["vnics"][0])
            nic["vlan"] = vlans["app"] if nic["vlan"] == vlans["web"] else vlans["web"]
            vm["vnics"] = [nic]
        kept[i] = vm
    new = [
        {"id": f"vm-new-{i}-{rng.randrange(10**9)}", "hypervisor": rng.choice(hosts),
         "vnics": [{**g["vnics"][0], "id": "nic0"}]}
        for i, g in enumerate(gone)
    ]  # fmt: skip
    return {"hypervisors": body["hypervisors"], "vms": kept + new}


def _sync(graph: Graph, settings: Any, bp: str, body: dict[str, Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    row = sync_inventory(graph, settings, bp, SOURCE, snapshot=body)
    return time.perf_counter() - started, row


def _impact_samples(graph: Graph, bp: str, rng: random.Random) -> list[tuple[str, str]]:
    rows = graph.read(ELEMENTS, bp=bp)
    leafs = [r for r in rows if r["role"] == "leaf"]
    servers = [r for r in rows if r["role"] == "server"]
    out = [("system", r["id"]) for r in rng.sample(leafs, SAMPLES // 3)]
    out += [("system", r["id"]) for r in rng.sample(servers, SAMPLES // 3)]
    out += [("transceiver", rng.choice(r["xcvrs"])) for r in rng.sample(leafs, SAMPLES // 3)]
    return out


def _impact_figures(graph: Graph, bp: str, samples: list[tuple[str, str]]) -> dict[str, Any]:
    vm_part, whole, vms_seen = [], [], 0
    for kind, element in samples:
        started = time.perf_counter()
        result = impact.impact(graph, bp, kind, element)
        whole.append(time.perf_counter() - started)
        started = time.perf_counter()
        servers = virtual_impact.affected_servers(result)
        again = virtual_impact.with_vms(result, vms_on_servers(graph, bp, servers))
        vm_part.append(time.perf_counter() - started)
        vms_seen += len(again.vms_losing_connectivity) + len(again.vms_losing_redundancy)
    return {"vm_part": figures(vm_part), "whole_engine": figures(whole), "vms_listed": vms_seen}


def _over_http(bp: str, samples: list[tuple[str, str]]) -> dict[str, Any] | None:
    url = f"http://127.0.0.1:{os.environ.get('FG_API_PORT', '8000')}/graphql"
    times = []
    try:
        with httpx.Client(timeout=10.0) as client:
            for kind, element in samples:
                variables = {"bp": bp, "kind": kind.upper(), "id": element}
                started = time.perf_counter()
                response = client.post(url, json={"query": QUERY, "variables": variables})
                times.append(time.perf_counter() - started)
                response.raise_for_status()
                if "errors" in response.json():
                    raise RuntimeError(response.json()["errors"])
    except httpx.HTTPError as exc:
        print(f"API not reachable ({exc}): start it with `make api` for the HTTP figures")
        return None
    return figures(times)


def run() -> None:
    bps = engine()
    graph, settings = bps.graph, bps.graph.settings
    bp = ensure_blueprint(bps, "large")
    rng = random.Random(15)
    servers = graph.read(SERVERS, bp=bp)
    vlans = {r["id"]: int(r["vlan"]) for r in graph.read(NETWORKS, bp=bp)}
    body = snapshot(servers, vlans, VMS)
    sync_inventory(graph, settings, bp, SOURCE, snapshot={"hypervisors": [], "vms": []})
    first_s, first = _sync(graph, settings, bp, body)
    same_s, same = _sync(graph, settings, bp, body)
    one_pct = changed(body, vlans, rng)
    changed_s, delta = _sync(graph, settings, bp, one_pct)
    events = [{"op": "vm_upsert", "vm": vm} for vm in rng.sample(one_pct["vms"], 10)]
    started = time.perf_counter()
    sync_events(graph, bp, SOURCE, events)
    events_s = time.perf_counter() - started
    samples = _impact_samples(graph, bp, rng)
    _impact_figures(graph, bp, samples[:30])  # warm-up
    figs = _impact_figures(graph, bp, samples)
    http = _over_http(bp, samples)
    write_result(
        "B15",
        max(same_s, changed_s),
        "s",
        "full re-sync <= 10 s; VM part of impact p95 <= 25 ms",
        "large",
        vms=VMS,
        hypervisors=len(servers),
        first_sync_s=round(first_s, 3),
        first_sync={k: first[k] for k in ("created", "updated", "deleted", "anomalies_open")},
        resync_unchanged_s=round(same_s, 3),
        resync_unchanged={k: same[k] for k in ("created", "updated", "deleted")},
        resync_1pct_changed_s=round(changed_s, 3),
        resync_1pct_changed={k: delta[k] for k in ("created", "updated", "deleted", "relinked")},
        events_10_s=round(events_s, 3),
        impact_vm_part=figs["vm_part"],
        impact_whole_engine=figs["whole_engine"],
        impact_vms_listed=figs["vms_listed"],
        impact_over_http_with_vms=http,
        impact_samples={"leaf": SAMPLES // 3, "server": SAMPLES // 3, "transceiver": SAMPLES // 3},
    )
