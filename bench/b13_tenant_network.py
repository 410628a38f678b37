"""B13: a new virtual network on a running EVPN fabric -> first packet across racks
(target <= 10 s), in the tenant lab (one User-Mode Linux kernel, lab/README.md).

Measured at the driver: the leafs' documents with the new network (rendered by the
linux_frr renderer) pushed by the ``linuxfrr`` driver, one leaf after the other, then
pings between the two racks' servers in the new network until one answers. The engine's
commit and the workers' dispatch are not in it yet (the workers do not deploy into the
tenant lab); the phases are reported separately.
"""

from __future__ import annotations

from bench.common import write_result
from lab.lock import lab_lock
from lab.uml.tenants import run_tenant_lab
from labharness.tenant_fabric import job

STEP = "add app"
PING = "app across racks (new L2 VNI)"


def run() -> None:
    with lab_lock():
        result = run_tenant_lab(job())
    if "error" in result:
        raise RuntimeError(f"the tenant lab failed: {result['error']}")
    step = result["steps"][STEP]
    first = step["pings"][PING]["answered_after_s"]
    if first is None:
        raise RuntimeError(f"no packet crossed the racks in the new network: {step['pings']}")
    pushes = {node: push["push_s"] for node, push in step["pushes"].items()}
    write_result(
        "B13",
        sum(pushes.values()) + first,
        "s",
        "<= 10 s",
        "tenant lab (UML): spine1, leaf1, leaf2, server1, server2",
        scope="driver pushes + first packet (no engine commit, no worker dispatch)",
        pushes_s=pushes,
        first_packet_after_pushes_s=first,
        leafs_pushed=step["pushed"],
        lab_up_s=result["phases_s"]["lab_up"],
        kernel_run_s=result["kernel_s"],
    )
