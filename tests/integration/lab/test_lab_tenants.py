"""Tenant networks on a real EVPN fabric, inside one User-Mode Linux kernel.

    spine1                 AS 65000, EVPN next hop unchanged
     |     \\
    leaf1   leaf2          rack1 AS 65101 (VTEP 10.0.0.11), rack2 AS 65102 (VTEP 10.0.0.12)
     |swp3    |swp3        802.1Q trunks
    server1  server2       web (VLAN 100, VNI 10100) stretched: 10.100.0.11 / .12, gw .1
                           db (VLAN 200, VNI 10200) on rack2 only: server2 10.200.2.12
    zone blue = VRF blue, L3 VNI 10001 (symmetric IRB between web and db)

Each switch's document is rendered from its device context by ``renderers`` and pushed by
the ``linuxfrr`` driver; traffic is real ICMP between the servers' namespaces. The whole
run happens once (``lab.uml.tenants.run_tenant_lab`` on ``labharness.tenant_fabric.job``);
each test checks one part of it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.uml import tenants
from labharness import tenant_fabric
from linuxfrr_document import parse_document
from napalm_linuxfrr.candidate import canonical_interfaces
from tests.integration.lab.helpers import exclusive_lab

pytestmark = pytest.mark.lab

WEB, DB, APP = "web across racks (L2 VNI)", "web to db across racks (L3 VNI)", "app"


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
def run() -> Iterator[dict[str, Any]]:
    reason = uml_skip_reason()
    if reason:
        pytest.skip(reason)
    with exclusive_lab():
        result = tenants.run_tenant_lab(tenant_fabric.job())
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
    run: dict[str, Any],
) -> None:
    assert answered(run["pings"], WEB)
    assert run["vxlan"]["ping_ok"]
    delta = run["vxlan"]["delta"]
    # 10 echo requests leave leaf1 through VNI 10100 and arrive at leaf2 through it
    assert delta["leaf1:vni10100"]["tx"] >= 10 and delta["leaf2:vni10100"]["rx"] >= 10
    assert delta["leaf2:vni10100"]["tx"] >= 10 and delta["leaf1:vni10100"]["rx"] >= 10


def test_each_leaf_has_the_other_as_remote_vtep_of_the_stretched_network(
    run: dict[str, Any],
) -> None:
    assert vni(run, "leaf1", 10100)["numRemoteVteps"] == ["10.0.0.12"]
    assert vni(run, "leaf2", 10100)["numRemoteVteps"] == ["10.0.0.11"]
    # the same, through the driver's getter (what telemetry will read)
    observed = run["evpn"]["leaf1"]["get_evpn_vnis"]
    assert observed["10100"]["remote_vteps"] == ["10.0.0.12"]
    assert (observed["10001"]["type"], observed["10001"]["state"]) == ("l3", "up")
    routes = run["evpn"]["leaf1"]["route_keys"]
    assert any(k.endswith("[3]:[0]:[32]:[10.0.0.12]") for k in routes)
    # server2's MAC, advertised by leaf2 (MAC+IP routes depend on who ARPed whom: not asserted)
    assert any(k.startswith("10.0.0.12:") and "[2]:[0]:[48]:" in k for k in routes)


def test_the_routing_zone_routes_between_its_networks_over_the_l3_vni(run: dict[str, Any]) -> None:
    assert answered(run["pings"], DB)
    l3 = vni(run, "leaf1", 10001)
    assert (l3["type"], l3["vrf"], l3["state"]) == ("L3", "blue", "Up")
    routes = run["evpn"]["leaf1"]["route_keys"]
    assert any(
        k.startswith("10.0.0.12:") and k.endswith("[5]:[0]:[24]:[10.200.2.0]") for k in routes
    )
    # db lives in rack2 only: leaf1 has no L2 VNI for it
    assert 10200 not in [v["vni"] for v in run["evpn"]["leaf1"]["vnis"]]


def test_the_anycast_gateway_answers_on_the_servers_own_leaf(run: dict[str, Any]) -> None:
    assert answered(run["pings"], "anycast gateway of web on leaf1")
    assert vni(run, "leaf1", 10100)["sviInterface"] == "vlan100"


def test_running_interfaces_equal_the_pushed_documents_and_a_repush_changes_nothing(
    run: dict[str, Any],
) -> None:
    for node, document in tenant_fabric.documents().items():
        push = run["pushes"][node]
        running = parse_document(push["running"]).interfaces
        assert canonical_interfaces(running) == canonical_interfaces(
            parse_document(document).interfaces
        ), node
        assert "/etc/network/interfaces" not in push["repush_diff"], node
    for leaf in ("leaf1", "leaf2"):
        assert "frr lines" not in run["pushes"][leaf]["repush_diff"], leaf


def test_committing_a_new_network_pushes_only_its_leafs_and_disturbs_nothing_else(
    run: dict[str, Any],
) -> None:
    step = run["steps"]["add app"]
    assert step["pushed"] == ["leaf1", "leaf2"]  # the spine's document did not change
    assert answered(step["pings"], "app across racks (new L2 VNI)")
    for leaf in ("leaf1", "leaf2"):
        before, after = step["before"][leaf], step["after"][leaf]
        assert before["bgp_connections"] and all(
            None not in counts for counts in before["bgp_connections"].values()
        ), before
        assert after == before, leaf  # sessions, web's and the zone's devices, remote MACs
        assert "vni10300" in step["devices_after"][leaf]


def test_removing_the_network_clears_every_trace_and_disturbs_nothing_else(
    run: dict[str, Any],
) -> None:
    step = run["steps"]["remove app"]
    assert step["pushed"] == ["leaf1", "leaf2"]
    for leaf in ("leaf1", "leaf2"):
        assert step["after"][leaf] == step["before"][leaf], leaf
        assert not {"vni10300", "vlan300"} & set(step["devices_after"][leaf])
        assert '"vlan":300' not in step["vlans_after"][leaf].replace(" ", "")
