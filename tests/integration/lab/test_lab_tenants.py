"""Tenant networks on a real EVPN fabric, inside one User-Mode Linux kernel, as a
committed blueprint says they are.

Blueprint ``lab-tenants`` (built in the graph; see ``labharness.tenant_fabric``)::

    spine1                      EVPN next hop unchanged
     |      \\
    rack1-leaf1  rack2-leaf1    one VTEP each (their loopbacks)
     |             |            802.1Q trunks (rack type lab-l2-leaf, attachment trunk)
    rack1-server1  rack2-server1
                                web stretched over both racks (one subnet, one anycast
                                gateway), db in rack2 only; zone blue = VRF blue with its
                                L3 VNI (symmetric IRB between web and db)

Each switch's document is the engine's rendering of the committed blueprint, pushed by the
``linuxfrr`` driver; ``app`` is staged and committed on the blueprint (then removed) and
only the documents that changed are pushed. Every VNI, VLAN, subnet and VTEP checked here
is read from the blueprint. Traffic is real ICMP between the servers' namespaces. The whole
run happens once; each test checks one part of it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from lab.uml import tenants
from labharness import tenant_fabric
from labharness.tenant_fabric import ADDED, ADDED_PING, DB, GATEWAY, WEB, TenantLab
from linuxfrr_document import parse_document
from napalm_linuxfrr.candidate import canonical_interfaces
from tests.integration.lab.helpers import exclusive_lab

# the whole run (one kernel, minutes) is in the first test's set-up: above the kernel's own
# bound (lab.uml.tenants.BOOT_TIMEOUT_S), so a hung guest is reported with its console
pytestmark = [pytest.mark.lab, pytest.mark.timeout(1500)]


def uml_skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "the tenant lab needs root"
    missing = [tool for tool in (tenants.KERNEL, "gcc", "modprobe") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)}: apt-get install user-mode-linux gcc libc6-dev kmod"
    shipped = sorted(Path("/usr/lib/uml/modules").glob("*"))
    if not shipped or not all(Path("/lib/modules", d.name).is_dir() for d in shipped):
        return "UML's modules are not under /lib/modules (deploy/install-debian.sh links them)"
    return None


@pytest.fixture(scope="module")
def tenant_lab(graph: Graph) -> Iterator[TenantLab]:
    reason = uml_skip_reason()
    if reason:
        pytest.skip(reason)
    blueprints = Blueprints(graph)
    bp = f"t-tenants-{uuid.uuid4().hex[:8]}"
    try:
        yield tenant_fabric.build(blueprints, bp)
    finally:
        blueprints.delete(bp)


@pytest.fixture(scope="module")
def run(tenant_lab: TenantLab) -> Iterator[dict[str, Any]]:
    with exclusive_lab():
        result = tenants.run_tenant_lab(tenant_lab.job)
    if "error" in result:  # the guest's traceback last: it is what a log's tail shows
        pytest.fail(
            f"--- console\n{result.get('console_tail')}\n--- guest log\n"
            f"{result.get('guest_log_tail')}\n--- phases {result.get('phases_s')}\n"
            f"--- the guest failed\n{result['error']}",
            pytrace=False,
        )
    yield result


def answered(pings: dict[str, Any], name: str) -> bool:
    return pings[name]["answered_after_s"] is not None


def vni(result: dict[str, Any], leaf: str, number: int) -> dict[str, Any]:
    found = [v for v in result["evpn"][leaf]["vnis"] if v["vni"] == number]
    assert found, f"{leaf} has no VNI {number}: {result['evpn'][leaf]['vnis']}"
    return dict(found[0])


def test_servers_in_different_racks_talk_over_the_stretched_networks_vxlan(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    web = tenant_lab.base.networks[tenant_fabric.STRETCHED]
    assert len(web.leafs) == 2  # the blueprint stretches web over both racks
    assert answered(run["pings"], WEB)
    assert run["vxlan"]["ping_ok"]
    delta = run["vxlan"]["delta"]
    first, other = (f"{leaf}:vni{web.vni}" for leaf in web.leafs)
    # 10 echo requests leave the first leaf through web's VNI and arrive at the other's
    assert delta[first]["tx"] >= 10 and delta[other]["rx"] >= 10
    assert delta[other]["tx"] >= 10 and delta[first]["rx"] >= 10


def test_each_leaf_has_the_other_as_remote_vtep_of_the_stretched_network(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    fabric = tenant_lab.base
    web = fabric.networks[tenant_fabric.STRETCHED]
    first, other = web.leafs
    assert vni(run, first, web.vni)["numRemoteVteps"] == [fabric.vteps[other]]
    assert vni(run, other, web.vni)["numRemoteVteps"] == [fabric.vteps[first]]
    # the same, through the driver's getter (what telemetry will read)
    observed = run["evpn"][first]["get_evpn_vnis"]
    assert observed[str(web.vni)]["remote_vteps"] == [fabric.vteps[other]]
    assert (observed[str(fabric.l3vni)]["type"], observed[str(fabric.l3vni)]["state"]) == (
        "l3",
        "up",
    )
    routes = run["evpn"][first]["route_keys"]
    assert any(k.endswith(f"[3]:[0]:[32]:[{fabric.vteps[other]}]") for k in routes)
    # the far server's MAC, advertised by its leaf (MAC+IP routes depend on who ARPed whom)
    assert any(k.startswith(f"{fabric.vteps[other]}:") and "[2]:[0]:[48]:" in k for k in routes)


def test_the_routing_zone_routes_between_its_networks_over_the_l3_vni(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    fabric = tenant_lab.base
    web, db = fabric.networks[tenant_fabric.STRETCHED], fabric.networks[tenant_fabric.LOCAL]
    assert answered(run["pings"], DB)
    (home,) = db.leafs  # db lives in one rack
    (away,) = set(web.leafs) - {home}
    l3 = vni(run, away, fabric.l3vni)
    assert (l3["type"], l3["vrf"], l3["state"]) == ("L3", tenant_fabric.ZONE, "Up")
    routes = run["evpn"][away]["route_keys"]
    network, length = db.subnet.split("/")
    assert any(
        k.startswith(f"{fabric.vteps[home]}:") and k.endswith(f"[5]:[0]:[{length}]:[{network}]")
        for k in routes
    )
    # the other leaf has no L2 VNI for it
    assert db.vni not in [v["vni"] for v in run["evpn"][away]["vnis"]]


def test_the_anycast_gateway_answers_on_the_servers_own_leaf(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    web = tenant_lab.base.networks[tenant_fabric.STRETCHED]
    assert answered(run["pings"], GATEWAY)
    assert vni(run, web.leafs[0], web.vni)["sviInterface"] == f"vlan{web.vlan}"


def test_running_interfaces_equal_the_pushed_documents_and_a_repush_changes_nothing(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    for node, document in tenant_lab.base.documents.items():
        push = run["pushes"][node]
        running = parse_document(push["running"]).interfaces
        assert canonical_interfaces(running) == canonical_interfaces(
            parse_document(document).interfaces
        ), node
        assert "/etc/network/interfaces" not in push["repush_diff"], node
    for leaf in tenant_lab.base.leafs:
        assert "frr lines" not in run["pushes"][leaf]["repush_diff"], leaf


def test_committing_a_new_network_pushes_only_its_leafs_and_disturbs_nothing_else(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    added = tenant_lab.with_added.networks[str(ADDED["name"])]
    step = run["steps"]["add app"]
    assert step["pushed"] == list(added.leafs)  # the spine's document did not change
    assert answered(step["pings"], ADDED_PING)
    for leaf in added.leafs:
        before, after = step["before"][leaf], step["after"][leaf]
        assert before["bgp_connections"] and all(
            None not in counts for counts in before["bgp_connections"].values()
        ), before
        assert after == before, leaf  # sessions, web's and the zone's devices, remote MACs
        assert f"vni{added.vni}" in step["devices_after"][leaf]


def test_removing_the_network_clears_every_trace_and_disturbs_nothing_else(
    run: dict[str, Any], tenant_lab: TenantLab
) -> None:
    added = tenant_lab.with_added.networks[str(ADDED["name"])]
    assert str(ADDED["name"]) not in tenant_lab.after_removal.networks
    step = run["steps"]["remove app"]
    assert step["pushed"] == list(added.leafs)
    for leaf in added.leafs:
        assert step["after"][leaf] == step["before"][leaf], leaf
        assert not {f"vni{added.vni}", f"vlan{added.vlan}"} & set(step["devices_after"][leaf])
        assert f'"vlan":{added.vlan}' not in step["vlans_after"][leaf].replace(" ", "")
