"""The libvirt source against a real libvirt daemon (the project's private one, LXC
driver): a host's domains land in the graph as VMs of the hypervisor on their blueprint
server, with their vNICs on its bridge; a domain stopped, undefined or defined shows at
the next sync; a daemon that does not answer is reported and leaves the graph as it was;
stopping the daemon leaves no process or veth behind."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.errors import ServiceUnavailableError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.virtual import libvirt
from workers import libvirt_source

pytestmark = [pytest.mark.integration, pytest.mark.lab, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "libvirt.sh"
SERVER = "rack1-server1"
VMS = Query(
    "test.libvirt.vms",
    """
    MATCH (v:Vm {blueprint: $bp, source: $source})-[:HOSTED_ON]->(h:Hypervisor)
          -[:RUNS_ON]->(s:System)
    RETURN v.id AS id, v.name AS name, v.state AS state, s.id AS server,
           [(v)-[:HAS_VNIC]->(n:Vnic) | [n.mac, [(n)-[:ATTACHED_TO]->(w) | w.name][0]]]
             AS vnics
    ORDER BY name
    """,
)


def script(*args: str) -> str:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def domain_xml(name: str, ident: str, bridge: str, mac: str) -> str:
    return f"""<domain type='lxc'>
  <name>{name}</name><uuid>{ident}</uuid><memory unit='MiB'>64</memory>
  <os><type>exe</type><init>/bin/sleep</init><initarg>600</initarg></os>
  <devices><console type='pty'/>
    <interface type='bridge'><source bridge='{bridge}'/><mac address='{mac}'/></interface>
  </devices>
</domain>"""


@dataclass
class Host:
    config: libvirt.LibvirtHost
    bridge: str
    tag: str

    def virsh(self, *args: str) -> str:
        return libvirt_source.virsh(self.config.uri, *args)

    def define(self, n: int, start: bool) -> str:
        ident = str(uuid.UUID(int=uuid.uuid4().int))
        path = Path(f"/tmp/fg-libvirt-{self.tag}-{n}.xml")
        mac = f"52:54:00:{int(self.tag[:2], 16):02x}:00:{n:02x}"
        path.write_text(domain_xml(f"fg-{self.tag}-vm{n}", ident, self.bridge, mac))
        try:
            self.virsh("define", str(path))
        finally:
            path.unlink()
        if start:
            self.virsh("start", ident)
        return ident


@pytest.fixture
def host(blueprints: Blueprints) -> Iterator[Host]:
    if os.geteuid() != 0:
        pytest.skip("libvirt's LXC driver needs root")
    tag = uuid.uuid4().hex[:6]
    bp, bridge = f"t-libvirt-{tag}", f"fglv{tag}"
    blueprints.create(bp, "lab-evpn")
    ifnames = sorted(
        i.name
        for i in build_design(blueprints.catalogue, "lab-evpn", bp).interfaces
        if i.system == SERVER
    )
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True, timeout=10)
    subprocess.run(["ip", "link", "set", bridge, "up"], check=True, timeout=10)
    script("start")
    config = libvirt.parse_host(
        "test",
        {"blueprint": bp, "source": f"libvirt-{tag}", "uri": script("uri"),
         "hypervisor": f"kvm-{tag}", "server": SERVER, "bridges": {bridge: ifnames}},
    )  # fmt: skip
    h = Host(config, bridge, tag)
    try:
        yield h
    finally:
        for ident in h.virsh("list", "--all", "--uuid").split():
            name = h.virsh("domname", ident).strip()
            if name.startswith(f"fg-{tag}-"):
                subprocess.run(["virsh", "-q", "-c", config.uri, "destroy", ident],
                               capture_output=True, timeout=20)  # fmt: skip
                h.virsh("undefine", ident)
        script("stop")
        subprocess.run(["ip", "link", "del", bridge], check=True, timeout=10)
        blueprints.delete(bp)


def vms(graph: Graph, host: Host) -> list[dict[str, object]]:
    return graph.read(VMS, bp=host.config.blueprint, source=host.config.source)


def test_domains_are_synced_as_vms_and_follow_the_host(graph: Graph, host: Host) -> None:
    running, defined = host.define(1, start=True), host.define(2, start=False)
    synced, checked = libvirt_source.sync_host(graph, None, host.config)
    assert (synced.hypervisors, synced.vms, synced.vnics, synced.created > 0) == (1, 2, 2, True)
    assert checked.open == 0  # untagged vNICs ride the server's own link: nothing to check
    tag, src = int(host.tag[:2], 16), host.config.source
    assert vms(graph, host) == [
        {"id": f"{src}/{ident}", "name": f"fg-{host.tag}-vm{n}", "state": state,
         "server": SERVER, "vnics": [[f"52:54:00:{tag:02x}:00:0{n}", host.bridge]]}
        for n, ident, state in ((1, running, "running"), (2, defined, "stopped"))
    ]  # fmt: skip
    again, _ = libvirt_source.sync_host(graph, None, host.config)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)  # level-triggered

    host.virsh("destroy", running)
    host.virsh("undefine", defined)
    third = host.define(3, start=True)
    changed, _ = libvirt_source.sync_host(graph, None, host.config)
    assert changed.deleted >= 2 and changed.created >= 2  # vm2 and its vNIC out, vm3 in
    assert {r["id"]: r["state"] for r in vms(graph, host)} == {
        f"{src}/{running}": "stopped",
        f"{src}/{third}": "running",
    }


def test_a_daemon_that_does_not_answer_leaves_the_graph_as_it_was(
    graph: Graph, host: Host, tmp_path: Path
) -> None:
    host.define(1, start=True)
    libvirt_source.sync_host(graph, None, host.config)
    before = vms(graph, host)
    gone = libvirt.parse_host(
        "test",
        {"blueprint": host.config.blueprint, "source": host.config.source,
         "uri": "lxc:///system?socket=" + str(tmp_path / "nothing-listens"),
         "hypervisor": host.config.hypervisor, "server": SERVER},
    )  # fmt: skip
    with pytest.raises(ServiceUnavailableError, match=r"virsh list failed.*deploy/libvirt.sh"):
        libvirt_source.sync_host(graph, None, gone)
    assert vms(graph, host) == before
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps([{"blueprint": host.config.blueprint, "source": "x",
                                    "uri": host.config.uri, "hypervisor": "h",
                                    "server": SERVER}]))  # fmt: skip
    assert [h.uri for h in libvirt_source.load_hosts(str(sources))] == [host.config.uri]


def test_stopping_the_daemon_leaves_no_process_or_veth(host: Host) -> None:
    host.define(1, start=True)
    state = Path(os.environ.get("FG_STATE_DIR") or ROOT / ".state")
    pid = int((state / "libvirt" / "run" / "libvirtd.pid").read_text())
    veths = [n for n in os.listdir("/sys/class/net") if n.startswith("vnet")]
    assert veths  # the running domain's host end
    script("stop")
    assert (
        not Path(f"/proc/{pid}/status").exists()
        or "zombie" in Path(f"/proc/{pid}/status").read_text()
    )
    assert [n for n in os.listdir("/sys/class/net") if n in veths] == []
    script("start")  # for the fixture's own teardown
