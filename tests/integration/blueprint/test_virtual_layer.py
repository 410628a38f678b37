"""The virtual layer on lab-evpn: a source's inventory synced into the graph, checked
against intent, and correlated with physical faults.

    spine1 ---------- spine2           web (VLAN 100): rack1, rack2
     |    \\        /    |             db:             rack3
    r1-l1  r2-l1  r3-l1  r3-l2
     |      |       \\  X  /           one hypervisor per server; on each, one VM per
    r1-s1  r2-s1   r3-s1 r3-s2         network bound to its rack, and one VM with no vNIC

The expected VMs of every fault come from the impact oracle (a brute-force path search
over the design's cabling, never the code under test) and the placement below.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import BlueprintDesign, Role
from blueprint_engine.errors import ConflictError, FabricError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.impact import query as impact
from blueprint_engine.virtual import reads, store
from telemetry.virtual_anomalies import check_blueprint
from tests.integration.blueprint.impact_oracle import Oracle
from workers.virtual import virtual_sweep

pytestmark = pytest.mark.integration
SOURCE = "vcenter-a"

NODES = Query(
    "test.virtual.nodes",
    """
    MATCH (n {blueprint: $bp}) WHERE n:Hypervisor OR n:VirtualSwitch OR n:Vm OR n:Vnic
    RETURN n.uid AS uid, n.fp AS fp,
           [(n)-[r]->(m) | type(r) + '>' + coalesce(m.uid, m.name)] AS out
    ORDER BY uid
    """,
)
ANOMALIES = Query(
    "test.virtual.anomalies",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'})
    WHERE a.type IN ['vm_network_missing', 'vm_network_unbound_rack']
    RETURN a.type AS type, a.subject AS subject, a.device AS device, a.summary AS summary,
           [(a)-[:ON]->(n) | n.uid] AS on
    """,
)
VLANS = Query(
    "test.virtual.vlans", "MATCH (v:VirtualNetwork {blueprint: $bp}) RETURN v.vlan AS vlan"
)


@dataclass
class Lab:
    bp: str
    design: BlueprintDesign
    oracle: Oracle
    snapshot: dict[str, Any]
    vms_of: dict[str, set[str]]  # server -> VM ids (<source>/<id>)
    network_of: dict[str, set[str]]  # VM id -> networks


def placement(
    design: BlueprintDesign,
) -> tuple[dict[str, Any], dict[str, set[str]], dict[str, set[str]]]:
    servers = [s for s in design.systems if s.role == Role.SERVER]
    hvs, vms = [], []
    vms_of: dict[str, set[str]] = {}
    network_of: dict[str, set[str]] = {}
    for n, server in enumerate(servers, start=1):
        ifnames = sorted(i.name for i in design.interfaces if i.system == server.id)
        hvs.append({"id": f"hv{n}", "server": server.id, "name": f"esx-{n}",
                    "switches": [{"name": "dvs0", "uplinks": ifnames}]})  # fmt: skip
        plain: dict[str, Any] = {
            "id": f"vm-{n}-plain",
            "hypervisor": f"hv{n}",
            "name": f"plain {n}",
        }
        vms.append(plain)
        vms_of[server.id] = {f"{SOURCE}/{plain['id']}"}
        network_of[f"{SOURCE}/{plain['id']}"] = set()
        for k, vn in enumerate(v for v in design.virtual_networks if server.rack in v.racks):
            vm_id = f"vm-{n}-{vn.id}"
            mac = f"02:00:00:00:{n:02x}:{k:02x}"
            vnic: dict[str, Any] = {"id": "nic0", "mac": mac, "vlan": vn.vlan, "port_group": vn.id,
                    "switch": "dvs0", "ips": [f"10.250.{n}.{k + 10}"]}  # fmt: skip
            vms.append({"id": vm_id, "hypervisor": f"hv{n}", "name": vm_id, "vnics": [vnic]})
            vms_of[server.id].add(f"{SOURCE}/{vm_id}")
            network_of[f"{SOURCE}/{vm_id}"] = {vn.id}
    return {"hypervisors": hvs, "vms": vms}, vms_of, network_of


@pytest.fixture(scope="module")
def lab(blueprints: Blueprints, graph: Graph) -> Iterator[Lab]:
    bp = f"t-virtual-{uuid.uuid4().hex[:8]}"
    blueprints.create(bp, "lab-evpn")
    try:
        design = build_design(blueprints.catalogue, "lab-evpn", bp)
        snapshot, vms_of, network_of = placement(design)
        result = store.sync_snapshot(graph, bp, SOURCE, snapshot)
        assert result.vms == len(snapshot["vms"]) and result.deleted == 0
        yield Lab(bp, design, Oracle(design), snapshot, vms_of, network_of)
    finally:
        blueprints.delete(bp)


def nodes(graph: Graph, bp: str) -> list[dict[str, Any]]:
    return [{**r, "out": sorted(r["out"])} for r in graph.read(NODES, bp=bp)]


def raised(graph: Graph, bp: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["type"], r["subject"]): r for r in graph.read(ANOMALIES, bp=bp)}


# -- the inventory in the graph ---------------------------------------------------------


def test_a_snapshot_lands_with_its_relationships_and_a_resync_changes_nothing(
    graph: Graph, lab: Lab
) -> None:
    before = nodes(graph, lab.bp)
    vnics = sum(len(v.get("vnics", [])) for v in lab.snapshot["vms"])
    assert len(before) == 2 * len(lab.snapshot["hypervisors"]) + len(lab.snapshot["vms"]) + vnics
    again = store.sync_snapshot(graph, lab.bp, SOURCE, lab.snapshot)
    assert (again.created, again.updated, again.deleted, again.relinked) == (0, 0, 0, 0)
    assert nodes(graph, lab.bp) == before
    out = {r["uid"]: r["out"] for r in before}
    for hv in lab.snapshot["hypervisors"]:
        uid = f"{lab.bp}/{SOURCE}/{hv['id']}"
        assert f"RUNS_ON>{lab.bp}/{hv['server']}" in out[uid]
        uplinks = {f"UPLINK>{lab.bp}/{hv['server']}:{i}" for i in hv["switches"][0]["uplinks"]}
        assert uplinks <= set(out[f"{uid}/dvs0"])
    for vm in lab.snapshot["vms"]:
        for nic in vm.get("vnics", []):
            edges = out[f"{lab.bp}/{SOURCE}/{vm['id']}/{nic['id']}"]
            assert f"IN_NETWORK>{lab.bp}/{nic['port_group']}" in edges


def test_vms_are_listed_by_network_hypervisor_and_routing_zone(graph: Graph, lab: Lab) -> None:
    for vn in lab.design.virtual_networks:
        got = {r["id"] for r in reads.list_vms(graph, lab.bp, network=vn.id)}
        assert got == {vm for vm, nets in lab.network_of.items() if vn.id in nets}
        zone = {r["id"] for r in reads.list_vms(graph, lab.bp, routing_zone=vn.routing_zone)}
        assert got <= zone
    for hv in lab.snapshot["hypervisors"]:
        got = {r["id"] for r in reads.list_vms(graph, lab.bp, hypervisor=f"{SOURCE}/{hv['id']}")}
        assert got == lab.vms_of[hv["server"]]
    everything = reads.list_vms(graph, lab.bp, limit=1000)
    assert {r["id"] for r in everything} == set(lab.network_of)
    with pytest.raises(NotFoundError, match=r"no network 'nope'.*allowed: 'db', 'web'"):
        reads.list_vms(graph, lab.bp, network="nope")
    with pytest.raises(ValidationError, match="one filter"):
        reads.list_vms(graph, lab.bp, network="web", hypervisor="x")


def test_a_resync_creates_updates_and_deletes_what_the_source_reports(
    graph: Graph, lab: Lab
) -> None:
    changed = copy.deepcopy(lab.snapshot)
    gone = changed["vms"].pop()  # deleted with its vNICs
    changed["vms"][0]["state"] = "stopped"  # updated
    changed["vms"].append({"id": "vm-new", "hypervisor": "hv1"})  # created
    try:
        result = store.sync_snapshot(graph, lab.bp, SOURCE, changed)
        assert (result.created, result.updated) == (1, 1)
        assert result.deleted == 1 + len(gone.get("vnics", []))
        uids = {r["uid"] for r in nodes(graph, lab.bp)}
        assert f"{lab.bp}/{SOURCE}/{gone['id']}" not in uids
        assert f"{lab.bp}/{SOURCE}/vm-new" in uids
    finally:
        store.sync_snapshot(graph, lab.bp, SOURCE, lab.snapshot)


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    *head, last = path.split(".")
    node: Any = out
    for key in head:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return out


BAD: list[tuple[str, Any, type[FabricError], str]] = [
    (
        "vms.1.vnics.0.mac",
        "01:00:5e:00:00:01",
        ValidationError,
        r"vms\[1\]\.vnics\[0\]\.mac.*unicast",
    ),
    ("vms.1.vnics.0.mac", "52:54:00:zz:00:01", ValidationError, "unicast MAC"),
    ("vms.1.vnics.0.vlan", 4095, ValidationError, "1 to 4094"),
    ("vms.1.vnics.0.vlan", 0, ValidationError, "1 to 4094"),
    ("vms.1.vnics.0.vlan", True, ValidationError, "1 to 4094"),
    ("vms.1.vnics.0.ips", ["10.0.0.300"], ValidationError, "IPv4 or IPv6 address"),
    ("vms.1.vnics.0.ips", ["10.0.0.1/24"], ValidationError, "without prefix"),
    ("vms.1.id", "a/b", ValidationError, "no '/'"),
    ("vms.1.id", "x\nMATCH (n) DETACH DELETE n", ValidationError, r"vms\[1\]\.id"),
    ("vms.1.hypervisor", "hv99", ValidationError, "does not report"),
    ("vms.1.vnics.0.switch", "nope", ValidationError, "does not have"),
    ("vms.1.colour", "red", ValidationError, "unknown key"),
    ("vms.3.vnics.0.mac", None, ValidationError, "unicast MAC"),
    ("hypervisors.0.server", "spine1", NotFoundError, "a spine of blueprint"),
    ("hypervisors.0.server", "rack9-server1", NotFoundError, "no system"),
    ("hypervisors.0.switches.0.uplinks", ["swp1"], NotFoundError, "not an interface"),
    ("hypervisors.1.server", "rack1-server1", ConflictError, "one hypervisor per server"),
    ("vms.2.id", "vm-1-plain", ConflictError, "twice"),
]


@pytest.mark.parametrize(("path", "value", "error", "message"), BAD)
def test_bad_input_is_refused_naming_it_and_leaves_the_graph_unchanged(
    graph: Graph, lab: Lab, path: str, value: Any, error: type[FabricError], message: str
) -> None:
    before = nodes(graph, lab.bp)
    with pytest.raises(error, match=message) as caught:
        store.sync_snapshot(graph, lab.bp, SOURCE, _set(lab.snapshot, path, value))
    assert caught.value.allowed
    assert nodes(graph, lab.bp) == before


def test_a_duplicate_mac_an_unknown_blueprint_and_bounds_are_refused(
    graph: Graph, lab: Lab
) -> None:
    before = nodes(graph, lab.bp)
    macs = [n["mac"] for v in lab.snapshot["vms"] for n in v.get("vnics", [])]
    dup = _set(lab.snapshot, "vms.3.vnics.0.mac", macs[0])
    with pytest.raises(ConflictError, match="each MAC on one vNIC"):
        store.sync_snapshot(graph, lab.bp, SOURCE, dup)
    with pytest.raises(NotFoundError, match="no blueprint named"):
        store.sync_snapshot(graph, "no-such-bp", SOURCE, lab.snapshot)
    nics = [{"id": f"n{i}", "mac": f"02:00:00:00:01:{i:02x}"} for i in range(17)]
    many = _set(lab.snapshot, "vms.1.vnics", nics)
    with pytest.raises(ValidationError, match="at most 16"):
        store.sync_snapshot(graph, lab.bp, SOURCE, many)
    with pytest.raises(ValidationError, match="source"):
        store.sync_snapshot(graph, lab.bp, "Bad Source!", lab.snapshot)
    assert nodes(graph, lab.bp) == before


def test_events_create_move_and_delete_and_a_busy_hypervisor_is_not_deleted(
    graph: Graph, lab: Lab
) -> None:
    try:
        vm = {"id": "vm-ev", "hypervisor": "hv1",
              "vnics": [{"id": "nic0", "mac": "02:aa:00:00:00:01", "vlan": 100}]}  # fmt: skip
        made = store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_upsert", "vm": vm}])
        assert made.created == 2
        moved = store.sync_events(
            graph, lab.bp, SOURCE, [{"op": "vm_upsert", "vm": {**vm, "hypervisor": "hv2"}}]
        )
        assert (moved.created, moved.updated) == (0, 1)
        got = reads.list_vms(graph, lab.bp, hypervisor=f"{SOURCE}/hv2")
        assert f"{SOURCE}/vm-ev" in {r["id"] for r in got}
        before = nodes(graph, lab.bp)
        with pytest.raises(ValidationError, match="still hosts"):
            store.sync_events(graph, lab.bp, SOURCE, [{"op": "hypervisor_delete", "id": "hv2"}])
        with pytest.raises(NotFoundError, match="no vm 'nope'"):
            store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_delete", "id": "nope"}])
        with pytest.raises(ValidationError, match="op"):
            store.sync_events(graph, lab.bp, SOURCE, [{"op": "explode"}])
        assert nodes(graph, lab.bp) == before
        gone = store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_delete", "id": "vm-ev"}])
        assert gone.deleted == 2
    finally:
        store.sync_snapshot(graph, lab.bp, SOURCE, lab.snapshot)


# -- cross-layer anomalies --------------------------------------------------------------


def test_a_vnic_on_a_vlan_the_fabric_does_not_carry_raises_vm_network_missing_until_fixed(
    graph: Graph, lab: Lab
) -> None:
    assert check_blueprint(graph, None, lab.bp).open == 0
    assert raised(graph, lab.bp) == {}
    carried = {vn.vlan for vn in lab.design.virtual_networks}
    vlan = next(v for v in range(150, 4095) if v not in carried)
    vm = next(v for v in lab.snapshot["vms"] if v.get("vnics"))
    nic = vm["vnics"][0]
    wrong = {**vm, "vnics": [{**nic, "vlan": vlan}]}
    try:
        store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_upsert", "vm": wrong}])
        result = check_blueprint(graph, None, lab.bp)
        vnic = f"{SOURCE}/{vm['id']}/{nic['id']}"
        assert result.raised == [f"{lab.bp}/vm_network_missing/{vnic}"]
        [row] = raised(graph, lab.bp).values()
        server = next(
            h["server"] for h in lab.snapshot["hypervisors"] if h["id"] == vm["hypervisor"]
        )
        assert (row["type"], row["subject"], row["device"]) == ("vm_network_missing", vnic, server)
        assert f"no virtual network has VLAN {vlan}" in row["summary"]
        assert set(row["on"]) == {f"{lab.bp}/{vnic}", f"{lab.bp}/{server}"}
    finally:
        store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_upsert", "vm": vm}])
    fixed = check_blueprint(graph, None, lab.bp)
    assert fixed.cleared == [f"{lab.bp}/vm_network_missing/{vnic}"] and fixed.open == 0
    assert raised(graph, lab.bp) == {}


def test_a_network_vm_in_a_rack_it_is_not_bound_to_raises_both_kinds_until_moved_back(
    graph: Graph, lab: Lab
) -> None:
    web = next(vn for vn in lab.design.virtual_networks if vn.id == "web")
    racks = {str(s.rack) for s in lab.design.systems if s.role == Role.SERVER}
    outside = sorted(racks - set(web.racks))
    rack = str(outside[0])
    host = next(h for h in lab.snapshot["hypervisors"] if h["server"].startswith(f"{rack}-"))
    vm = next(v for v in lab.snapshot["vms"] if lab.network_of[f"{SOURCE}/{v['id']}"] == {"web"})
    try:
        moved = {**vm, "hypervisor": host["id"], "vnics": [{**vm["vnics"][0], "switch": "dvs0"}]}
        store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_upsert", "vm": moved}])
        check_blueprint(graph, None, lab.bp)
        found = raised(graph, lab.bp)
        vnic = f"{SOURCE}/{vm['id']}/nic0"
        assert set(found) == {("vm_network_missing", vnic), ("vm_network_unbound_rack", "web")}
        unbound = found[("vm_network_unbound_rack", "web")]
        assert unbound["device"] == f"rack:{rack}"
        assert set(unbound["on"]) == {f"{lab.bp}/web", f"{lab.bp}/{rack}"}
        assert (
            f"bound to {', '.join(web.racks)} only"
            in found[("vm_network_missing", vnic)]["summary"]
        )
    finally:
        store.sync_events(graph, lab.bp, SOURCE, [{"op": "vm_upsert", "vm": vm}])
    assert len(check_blueprint(graph, None, lab.bp).cleared) == 2
    assert raised(graph, lab.bp) == {}


# -- impact: the VMs of the servers a fault reaches -------------------------------------


def _expected_vms(lab: Lab, servers: set[str], network: str | None = None) -> set[str]:
    return {
        vm
        for s in servers
        for vm in lab.vms_of.get(s, set())
        if network is None or network in lab.network_of[vm]
    }


def _elements(lab: Lab) -> list[tuple[str, str]]:
    d = lab.design
    switches = [s.id for s in d.systems if s.role != Role.SERVER]
    servers = [s.id for s in d.systems if s.role == Role.SERVER]
    return (
        [("system", s) for s in switches + servers]
        + [("link", link.id) for link in d.links]
        + [("transceiver", t.id) for t in d.transceivers]
    )


def test_every_fault_lists_exactly_the_vms_of_the_servers_it_costs(graph: Graph, lab: Lab) -> None:
    checked = 0
    for kind, element in _elements(lab):
        want = lab.oracle.expect(kind, element)
        got = impact.impact(graph, lab.bp, kind, element)
        lost = {v.id for v in got.vms_losing_connectivity}
        degraded = {v.id for v in got.vms_losing_redundancy}
        assert lost == _expected_vms(lab, want.connectivity), (kind, element)
        assert degraded == _expected_vms(lab, want.redundancy), (kind, element)
        for v in (*got.vms_losing_connectivity, *got.vms_losing_redundancy):
            assert v.id in lab.vms_of[v.server] and set(v.networks) == lab.network_of[v.id]
        checked += bool(lost or degraded)
    assert checked >= 6  # leafs, server links and transceivers do cost VMs


def test_a_virtual_network_fault_lists_only_its_vms(graph: Graph, lab: Lab) -> None:
    for vn in lab.design.virtual_networks:
        want = lab.oracle.expect("virtual_network", vn.id)
        got = impact.impact(graph, lab.bp, "virtual_network", vn.id)
        assert {v.id for v in got.vms_losing_connectivity} == _expected_vms(
            lab, want.connectivity, vn.id
        )
        assert got.vms_losing_connectivity


def test_what_if_a_leaf_is_drained_lists_its_vms(graph: Graph, lab: Lab) -> None:
    for leaf in (s.id for s in lab.design.systems if s.role == Role.LEAF):
        oracle = Oracle(lab.design, out_of_service=[leaf])
        got = impact.what_if(graph, lab.bp, leaf, "drain")
        lost = {s for s in oracle.servers if lab.oracle.before(s)[0] and not oracle.before(s)[0]}
        degraded = {
            s
            for s in oracle.servers
            if lab.oracle.before(s)[1] and oracle.before(s)[0] and not oracle.before(s)[1]
        }
        assert {v.id for v in got.vms_losing_connectivity} == _expected_vms(lab, lost)
        assert {v.id for v in got.vms_losing_redundancy} == _expected_vms(lab, degraded)


def test_an_intent_fix_clears_vm_network_missing_on_the_next_sweep(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    """No new push: a committed network carrying the VM's VLAN on its rack is picked up
    by the periodic sweep (re-link, re-check)."""
    bp = make_blueprint("lab-evpn")
    taken = {r["vlan"] for r in graph.read(VLANS, bp=bp)}
    vlan = next(v for v in range(100, 200) if v not in taken)
    body = {
        "hypervisors": [{"id": "h1", "server": "rack1-server1"}],
        "vms": [{"id": "v1", "hypervisor": "h1",
                 "vnics": [{"id": "n0", "mac": "02:0f:00:00:00:01", "vlan": vlan}]}],
    }  # fmt: skip
    store.sync_snapshot(graph, bp, SOURCE, body)
    uid = f"{bp}/vm_network_missing/{SOURCE}/v1/n0"
    assert check_blueprint(graph, None, bp).raised == [uid]
    edit = {"name": "fixed", "routing_zone": "blue", "vlan": vlan, "racks": ["rack1"]}
    version = blueprints.staging.stage(
        bp, {"kind": "add_virtual_network", "params": edit}, base_version=0, author="alice"
    )
    blueprints.commit(bp, base_version=version, author="alice", message="carry the VM's VLAN")
    # the beat's own sweep may get there first (it sweeps every blueprint): sweep until
    # the VM is in the network and nothing is raised (bounded)
    deadline = time.monotonic() + SWEEP_WAIT_S
    swept = virtual_sweep()
    while _not_fixed(graph, bp) and time.monotonic() < deadline:
        time.sleep(0.5)
        swept = virtual_sweep()
    assert swept[bp]["raised"] == 0
    assert [r["id"] for r in reads.list_vms(graph, bp, network="fixed")] == [f"{SOURCE}/v1"]
    assert raised(graph, bp) == {}


SWEEP_WAIT_S = 30.0


def _not_fixed(graph: Graph, bp: str) -> bool:
    in_network = [r["id"] for r in reads.list_vms(graph, bp, network="fixed")]
    return in_network != [f"{SOURCE}/v1"] or bool(raised(graph, bp))


def test_an_empty_snapshot_deletes_the_sources_inventory_and_nothing_else(
    make_blueprint: Any, graph: Graph
) -> None:
    bp = make_blueprint("lab-evpn")
    body = {"hypervisors": [{"id": "h1", "server": "rack1-server1"}],
            "vms": [{"id": "v1", "hypervisor": "h1"}]}  # fmt: skip
    store.sync_snapshot(graph, bp, SOURCE, body)
    store.sync_snapshot(
        graph, bp, "other", {**body, "hypervisors": [{"id": "h1", "server": "rack2-server1"}]}
    )
    gone = store.sync_snapshot(graph, bp, SOURCE, {})
    assert (gone.created, gone.deleted) == (0, 2)
    assert {r["uid"] for r in nodes(graph, bp)} == {f"{bp}/other/h1", f"{bp}/other/v1"}
    with pytest.raises(ValidationError, match="another source"):
        store.sync_snapshot(
            graph,
            bp,
            SOURCE,
            {**body, "hypervisors": [{"id": "h9", "server": "rack2-server1"}], "vms": []},
        )
