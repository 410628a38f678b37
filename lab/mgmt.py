"""The lab's management network: a host bridge, an ``eth0`` per switch, DHCP with a ZTP URL.

Each switch namespace gets a management port ``eth0`` (a veth whose host end is on the
bridge ``fgmgmt``, private /24 ``MGMT_SUBNET``, nothing routed off the machine: the
switches get no default route). ``dnsmasq`` (DHCP only, no DNS) serves the bridge and
hands out an address and the ZTP script URL (option 239, as Cumulus ZTP reads it); each
switch runs ISC ``dhclient`` on ``eth0`` with the lab's client script, which configures
the lease and runs the switch's ZTP agent (``lab/ztp_agent.sh``): download the script,
run it. The API listens on loopback; a relay on the bridge's address (``lab.mgmt_relay``)
forwards the management network's HTTP to it, as a real management network reaches it.

Processes in the root namespace (dnsmasq, the relay) are tracked by their pid files in
``<state>/mgmt``; ``teardown`` stops them and removes the bridge and its veths, even
after a crash (everything in a switch namespace dies with the namespace's processes).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import sys
import time
from pathlib import Path

from lab import shell
from lab.errors import LabCommandError
from lab.topology import Node

MGMT_BRIDGE = "fgmgmt"
MGMT_VETH_PREFIX = "fgm"  # host ends: fgm<n>; the lab's fabric veths are fgv<n>a/b
MGMT_PORT = "eth0"  # a switch's management port (its fabric ports are swp<n>)
MGMT_SUBNET = ipaddress.IPv4Network("10.253.0.0/24")
MGMT_GATEWAY = ipaddress.IPv4Address("10.253.0.1")
DHCP_FIRST, DHCP_LAST = 10, 250
ZTP_OPTION = 239  # Cumulus Linux's ZTP URL option
ZTP_AGENT = Path(__file__).with_name("ztp_agent.sh")
STOP_GRACE_S = 3.0


def mgmt_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "mgmt")


def ztp_url(api_port: int) -> str:
    return f"http://{MGMT_GATEWAY}:{api_port}/api/ztp/script"


def create_bridge(state_dir: str) -> None:
    os.makedirs(mgmt_dir(state_dir), mode=0o755, exist_ok=True)
    shell.run(["ip", "link", "add", MGMT_BRIDGE, "type", "bridge"])
    shell.run(["ip", "addr", "add", f"{MGMT_GATEWAY}/{MGMT_SUBNET.prefixlen}", "dev", MGMT_BRIDGE])
    shell.run(["ip", "link", "set", MGMT_BRIDGE, "up"])
    # dnsmasq's replies leave with their UDP checksum to be filled in by the NIC; across
    # a bridge and veths nothing fills it in and dhclient drops them as bad checksums
    shell.run(["ethtool", "-K", MGMT_BRIDGE, "tx", "off"])


def attach_switch(index: int, node: Node) -> str:
    """A veth from the bridge to ``node``'s namespace, named ``eth0`` there; its host end."""
    host, peer = f"{MGMT_VETH_PREFIX}{index}", f"{MGMT_VETH_PREFIX}{index}n"
    shell.run(["ip", "link", "add", host, "type", "veth", "peer", "name", peer])
    shell.run(["ip", "link", "set", peer, "netns", node.netns])
    shell.run(["ip", "-n", node.netns, "link", "set", peer, "name", MGMT_PORT])
    shell.run(["ip", "link", "set", host, "master", MGMT_BRIDGE, "up"])
    shell.run(["ethtool", "-K", host, "tx", "off"])
    shell.run(["ip", "-n", node.netns, "link", "set", MGMT_PORT, "up"])
    return host


def start_dhcp_server(state_dir: str, api_port: int) -> None:
    """dnsmasq on the bridge only: DHCP (no DNS), the ZTP URL as option 239."""
    base = mgmt_dir(state_dir)
    net = MGMT_SUBNET
    shell.run(
        [
            "dnsmasq",
            "--conf-file=/dev/null",
            "--port=0",  # no DNS
            f"--interface={MGMT_BRIDGE}",
            "--bind-interfaces",
            "--except-interface=lo",
            f"--dhcp-range={net[DHCP_FIRST]},{net[DHCP_LAST]},{net.netmask},1h",
            "--dhcp-authoritative",
            "--dhcp-broadcast",  # replies broadcast: the clients have no address yet
            "--no-ping",  # no 3 s ICMP probe per offer (it serialises the six switches)
            "--dhcp-option=3",  # no router: nothing is routed out of the machine
            "--dhcp-option=6",  # no DNS server
            f"--dhcp-option={ZTP_OPTION},{ztp_url(api_port)}",
            f"--dhcp-leasefile={base}/dnsmasq.leases",
            f"--pid-file={base}/dnsmasq.pid",
            f"--log-facility={base}/dnsmasq.log",
            "--log-dhcp",
            "--user=root",
            "--group=root",
        ]
    )


def start_relay(state_dir: str, api_port: int) -> None:
    """The bridge's HTTP port forwards to the API on loopback (same port)."""
    base = mgmt_dir(state_dir)
    argv = [
        sys.executable, "-m", "lab.mgmt_relay", str(MGMT_GATEWAY), str(api_port),
        "127.0.0.1", str(api_port), f"{base}/relay.pid",
    ]  # fmt: skip
    with open(f"{base}/relay.log", "ab") as log:
        shell.detach(argv, log)
    _wait_file(f"{base}/relay.pid", 10.0)


def dhclient_conf() -> str:
    return (
        f"option cumulus-provision-url code {ZTP_OPTION} = text;\n"
        "request subnet-mask, cumulus-provision-url;\n"
        "timeout 30;\nretry 2;\n"
    )


def start_dhcp_client(state_dir: str, node: Node) -> None:
    """The switch's DHCP client on eth0 (its ZTP agent runs from the client's script)."""
    base = os.path.join(state_dir, node.netns, "ztp")
    os.makedirs(base, mode=0o755, exist_ok=True)
    conf = f"{base}/dhclient.conf"
    Path(conf).write_text(dhclient_conf(), encoding="utf-8")
    script = f"{base}/dhclient-script"
    Path(script).write_text(_client_script(state_dir, node), encoding="utf-8")
    os.chmod(script, 0o755)
    argv = [
        "dhclient", "-4", "-nw", "-cf", conf, "-sf", script, "-pf", f"{base}/dhclient.pid",
        "-lf", f"{base}/dhclient.leases", MGMT_PORT,
    ]  # fmt: skip
    shell.in_netns(node.netns, argv)


def _client_script(state_dir: str, node: Node) -> str:
    """dhclient's ``-sf`` script: configure the lease on eth0, then the ZTP agent runs once."""
    root = os.path.join(state_dir, node.netns)
    return (
        "#!/bin/sh\n"
        "# the lab switch's DHCP client script: address on eth0, then zero-touch provisioning\n"
        'case "$reason" in\n'
        "  BOUND|REBOOT|RENEW|REBIND)\n"
        '    [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ] && '
        'ip addr del "$old_ip_address/$old_subnet_mask" dev "$interface" 2>/dev/null\n'
        '    ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"\n'
        '    if [ "$reason" = BOUND ] && [ -n "$new_cumulus_provision_url" ]; then\n'
        f'      FG_SWITCH_ROOT={root} setsid {ZTP_AGENT} "$new_cumulus_provision_url" '
        f">>{root}/ztp/ztp.log 2>&1 </dev/null &\n"
        "    fi ;;\n"
        "  EXPIRE|FAIL|RELEASE|STOP)\n"
        '    [ -n "$old_ip_address" ] && ip addr del "$old_ip_address/$old_subnet_mask" '
        'dev "$interface" 2>/dev/null ;;\n'
        "esac\n"
        "exit 0\n"
    )


def write_identity(state_dir: str, node: Node) -> None:
    """What the switch's ZTP script reads about itself: its serial (the EEPROM's, as
    ``get_facts`` reports it), under the switch's root."""
    root = os.path.join(state_dir, node.netns)
    path = f"{root}/sys/class/dmi/id/product_serial"
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    Path(path).write_text(f"LAB-{node.name}\n", encoding="utf-8")


def leases(state_dir: str) -> dict[str, str]:
    """{hostname or MAC: address} from dnsmasq's lease file."""
    path = f"{mgmt_dir(state_dir)}/dnsmasq.leases"
    found: dict[str, str] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return found
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            found[parts[1] if parts[3] == "*" else parts[3]] = parts[2]
    return found


def teardown(state_dir: str) -> dict[str, list[str]]:
    """Stop dnsmasq and the relay (by pid file), remove the bridge and its veths."""
    stopped = [
        str(pid)
        for name in ("dnsmasq.pid", "relay.pid")
        if (pid := _stop_pidfile(os.path.join(mgmt_dir(state_dir), name))) is not None
    ]
    links = [
        n
        for n in shell.list_links()
        if n == MGMT_BRIDGE or (n.startswith(MGMT_VETH_PREFIX) and n[3:].rstrip("n").isdigit())
    ]
    for name in links:
        shell.run(["ip", "link", "del", name], check=False)
    return {"pids": stopped, "links": links}


def _stop_pidfile(path: str) -> int | None:
    try:
        pid = int(Path(path).read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return None
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    return pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_file(path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise LabCommandError(
                f"{path} did not appear within {timeout:.0f} s",
                allowed="a free management address and port",
            )
        time.sleep(0.05)
