"""The tenant lab deployed by a Celery worker over SSH through its management network.

The UML kernel is attached to a TAP device on this machine (``lab.uml.mgmt_net``); inside
it each switch's ``eth0`` sits in VRF ``mgmt`` on the management bridge with an sshd. A
committed ``lab-tenants`` blueprint is deployed as real gear would be: every switch an
off-box ``linuxfrr`` agent (transport ssh, credential set ``tenant-lab``: a key file on
the workers), registered, acknowledged, assigned and deployed by the worker's tasks. The
guest then attaches the servers and pings across racks in ``web``. Teardown leaves no TAP,
no kernel and no namespace.
"""

from __future__ import annotations

import ipaddress
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph
from lab import shell
from lab.uml import mgmt_net, tenant_mgmt, tenants
from labharness import rollout, tenant_fabric, tenant_network, tenant_ssh
from labharness.tenant_fabric import ADDED, DB, GATEWAY, WEB, Fabric
from napalm_linuxfrr.host_keys import PublicKey
from napalm_linuxfrr.transport import SshSettings, SshTransport, TransportError
from tests.integration.lab.helpers import exclusive_lab, pinned_ssh_client
from tests.integration.lab.test_lab_tenants import uml_skip_reason

pytestmark = [pytest.mark.lab, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def deployed(graph: Graph) -> Iterator[dict[str, Any]]:
    reason = uml_skip_reason()
    if reason:
        pytest.skip(reason)
    blueprints = Blueprints(graph)
    bp = f"t-tenants-ssh-{uuid.uuid4().hex[:8]}"
    try:
        base, job = tenant_ssh.job(blueprints, bp)
        switches = sorted(s for s, _ in rollout.switches(blueprints, bp))
        steps: dict[str, Any] = {}
        with exclusive_lab():
            rollout.forget_lab_devices(graph)
            with tenants.served_tenant_lab({**job, "requests": True}, switches) as served:
                ssh = ssh_check(served)
                host_keys = host_key_check(served, switches[0])
                result = tenant_ssh.deploy(blueprints, served, bp, keep=True)
                devices = {s: Devices(graph).get(rollout.lab_serial(s)) for s in switches}
                if "error" not in result:  # a new network through the engine and workers
                    steps["add"] = tenant_network.add(blueprints, served, bp, base)
                    steps["remove"] = tenant_network.remove(blueprints, served, bp, base)
            after = leftovers(served.net.tap)
        if "error" in result:
            pytest.fail(
                f"--- console\n{result.get('console_tail')}\n--- guest log\n"
                f"{result.get('guest_log_tail')}\n--- phases {result.get('phases_s')}\n"
                f"--- the guest failed\n{result['error']}",
                pytrace=False,
            )
        # the phases, for the README's figures (pytest -s shows them)
        shown = ("machine_phases_s", "phases_s", "kernel_s", "mgmt_after")
        phases = {k: result.get(k) for k in shown}
        print(f"\ntenant lab over SSH: {json.dumps(phases)}")
        print(f"new network through the workers: {json.dumps(steps['add']['phases_s'])}")
        yield {
            "steps": steps,
            "base": base,
            "result": result,
            "ssh": ssh,
            "host_keys": host_keys,
            "devices": devices,
            "leftovers": after,
            "net": served.net,
        }
    finally:
        rollout.forget_lab_devices(graph)
        blueprints.delete(bp)


def host_key_check(served: tenants.ServedLab, switch: str) -> dict[str, str | None]:
    """The driver's SSH transport to ``switch`` pinned to another key (its refusal) and
    with nothing pinned (the key it trusts on first use)."""
    host = str(ipaddress.ip_interface(served.net.switch_addresses[switch]).ip)
    impostor = PublicKey("ssh-ed25519", b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32))

    def settings(pin: str | None) -> SshSettings:
        return SshSettings(
            host, "root", "", key_filename=served.net.client_key, timeout=60.0, host_key=pin
        )

    refused: str | None = None
    try:
        SshTransport(settings(impostor.openssh)).close()
    except TransportError as exc:
        refused = str(exc)
    first = SshTransport(settings(None))
    try:
        return {
            "refused": refused,
            "first_use": first.host_key_seen,
            "impostor": impostor.fingerprint,
        }
    finally:
        first.close()


def ssh_check(served: tenants.ServedLab) -> dict[str, str]:
    """Each switch's VRF of its SSH session's socket, over the management network."""
    seen: dict[str, str] = {}
    for switch, address in served.net.switch_addresses.items():
        host = str(ipaddress.ip_interface(address).ip)
        client = pinned_ssh_client(served.net, host)
        client.connect(
            host, username="root", key_filename=served.net.client_key, timeout=60,
            banner_timeout=60, auth_timeout=60, look_for_keys=False, allow_agent=False,
        )  # fmt: skip
        try:
            _, out, _ = client.exec_command("cat /etc/hostname; ip -o link show eth0", timeout=60)
            seen[switch] = out.read().decode()
        finally:
            client.close()
    return seen


def leftovers(tap: str) -> dict[str, Any]:
    return {
        "tap": tap in shell.list_links(),
        "namespaces": [n for n in shell.list_netns() if n.startswith("fg-")],
        "pid_file": mgmt_net.PID_FILE.exists(),
        "kernels": [p for p in os.listdir("/proc") if p.isdigit() and _is_tenant_kernel(p)],
    }


def _is_tenant_kernel(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            words = fh.read().split(b"\0")
    except OSError:
        return False
    return any(w.startswith(b"umid=fg-tenants-") for w in words) and any(
        w.startswith(b"vec0:") for w in words
    )


def test_every_switch_answers_ssh_on_its_management_port_in_vrf_mgmt(
    deployed: dict[str, Any],
) -> None:
    assert sorted(deployed["ssh"]) == sorted(deployed["devices"])
    for switch, shown in deployed["ssh"].items():
        assert f"master {tenant_mgmt.VRF}" in shown, (switch, shown)


def test_a_switch_offering_another_host_key_than_the_pinned_one_is_refused(
    deployed: dict[str, Any],
) -> None:
    net, seen = deployed["net"], deployed["host_keys"]
    lab_key = PublicKey.parse(net.host_public_key)
    assert seen["refused"] is not None
    assert f"expected ssh-ed25519 {seen['impostor']}" in seen["refused"]
    assert f"offered ssh-ed25519 {lab_key.fingerprint}" in seen["refused"]
    assert seen["first_use"] == net.host_public_key  # nothing pinned: the lab's own key


def test_a_worker_registered_and_deployed_every_switch_over_ssh(
    deployed: dict[str, Any],
) -> None:
    net = deployed["net"]
    for switch, device in deployed["devices"].items():
        assert device.driver_args["transport"] == "ssh"
        assert device.driver_args["host_key"] == net.host_public_key  # every push verified it
        assert device.driver_args["hostname"] == str(
            ipaddress.ip_interface(net.switch_addresses[switch]).ip
        )
        assert device.credential == mgmt_net.CREDENTIAL
        assert device.record.state.value.startswith("IS"), (switch, device.record.state)


def test_servers_in_different_racks_talk_in_web_after_the_ssh_deploy(
    deployed: dict[str, Any],
) -> None:
    result, base = deployed["result"], deployed["base"]
    assert isinstance(base, Fabric)
    pings = result["pings"]
    assert pings[WEB]["answered_after_s"] is not None, pings
    assert pings[GATEWAY]["answered_after_s"] is not None, pings
    assert pings[DB]["answered_after_s"] is not None, pings
    web = base.networks[tenant_fabric.STRETCHED]
    delta = result["vxlan"]["delta"]
    first, other = (f"{leaf}:vni{web.vni}" for leaf in web.leafs)
    assert delta[first]["tx"] >= 10 and delta[other]["rx"] >= 10


def test_the_deploys_left_the_management_port_and_vrf_alone(deployed: dict[str, Any]) -> None:
    net = deployed["net"]
    zone = tenant_fabric.ZONE
    for switch, state in deployed["result"]["mgmt_after"].items():
        tables = state["vrf_tables"]
        if switch in deployed["base"].leafs:  # the zone's VRF: another table than mgmt's
            assert zone in tables and tables[zone] != tables[tenant_mgmt.VRF], tables
        assert state["eth0"]["up"] and state["eth0"]["master"] == tenant_mgmt.VRF, state
        assert state["eth0"]["addresses"] == [str(ipaddress.ip_interface(
            net.switch_addresses[switch]).ip)]  # fmt: skip
        assert state[tenant_mgmt.VRF]["table"] == int(tenant_mgmt.VRF_TABLE), state


def test_a_network_committed_through_the_engine_is_deployed_by_the_workers_to_its_leafs_only(
    deployed: dict[str, Any],
) -> None:
    step, base = deployed["steps"]["add"], deployed["base"]
    network = step["network"]
    assert network["name"] == ADDED["name"] and network["leafs"] == base.leafs
    for switch, rows in step["deployments"].items():
        if switch in network["leafs"]:  # one incremental service push each, by a worker
            assert [(d["stage"], d["push"], d["status"]) for d in rows] == [
                ("service", "incremental", "succeeded")
            ], (switch, rows)
            assert f"vni{network['vni']}" in step["links_after"][switch]
            assert f"vlan{network['vlan']}" in step["links_after"][switch]
        else:  # the spine's intent did not change: no deployment at all
            assert rows == [], (switch, rows)


def test_servers_in_different_racks_talk_in_the_new_network(deployed: dict[str, Any]) -> None:
    ping = deployed["steps"]["add"]["ping"]
    assert ping["answered"] and ping["answered_at"] >= ping["asked_at"], ping


def test_the_new_network_and_its_removal_disturb_no_session_or_existing_device(
    deployed: dict[str, Any],
) -> None:
    for name in ("add", "remove"):
        step = deployed["steps"][name]
        before, after = step["untouched_before"], step["untouched_after"]
        assert sorted(before) == sorted([*deployed["base"].leafs, *deployed["base"].spines])
        for switch, state in before.items():
            sessions = state["bgp_connections"]  # [established, dropped] per peer
            assert sessions and all(None not in counts for counts in sessions.values()), state
            assert after[switch]["bgp_connections"] == sessions, (name, switch)
            assert after[switch]["ifindex"] == state["ifindex"], (name, switch)


def test_removing_the_network_through_the_engine_clears_it_from_the_switches(
    deployed: dict[str, Any],
) -> None:
    network = deployed["steps"]["add"]["network"]
    step = deployed["steps"]["remove"]
    for switch, rows in step["deployments"].items():
        pushed = [(d["push"], d["status"]) for d in rows]
        assert pushed == ([("incremental", "succeeded")] if switch in network["leafs"] else [])
        gone = {f"vni{network['vni']}", f"vlan{network['vlan']}"}
        assert not gone & set(step["links_after"][switch]), (switch, step["links_after"])


def test_teardown_leaves_no_tap_kernel_or_namespace(deployed: dict[str, Any]) -> None:
    assert deployed["leftovers"] == {
        "tap": False, "namespaces": [], "pid_file": False, "kernels": [],
    }  # fmt: skip
