"""Inside the tenant lab's UML kernel: the management network and an sshd per switch.

The kernel's ``vec0`` (the machine's TAP, ``lab.uml.mgmt_net``) is a port of the bridge
``mgmtbr``; each switch namespace gets a veth ``eth0`` on it, enslaved to the VRF ``mgmt``
(as Cumulus Linux and SONiC keep their management port), with its management address.
Each switch runs an sshd in its namespace; it listens in the default VRF and, with
``net.ipv4.tcp_l3mdev_accept=1``, accepts connections arriving in ``mgmt``, whose replies
leave through ``mgmt`` again. Root logs in with the workers' key only. Every process lives
in a switch namespace, so the lab's own ``down`` stops them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from lab import Lab, shell

UPLINK = "vec0"
BRIDGE = "mgmtbr"
PORT, VRF, VRF_TABLE = "eth0", "mgmt", "1001"  # Cumulus' management VRF takes 1001 too
MANAGEMENT_OPTION = f"{PORT},{VRF}"  # the linuxfrr driver's ``management`` option
SSHD_WAIT_S = 60.0


def build(lab: Lab, addresses: Mapping[str, str]) -> None:
    """The bridge on ``vec0`` and each switch's ``eth0`` in VRF ``mgmt``."""
    root = [
        f"link add {BRIDGE} type bridge",
        f"link set {UPLINK} master {BRIDGE}",
        f"link set {UPLINK} up",
        f"link set {BRIDGE} up",
    ]
    inside: dict[str, list[str]] = {}
    for index, switch in enumerate(sorted(addresses)):
        netns = lab.netns(switch)
        root += [
            f"link add mg{index} type veth peer name {PORT} netns {netns}",
            f"link set mg{index} master {BRIDGE} up",
        ]
        inside[netns] = [
            f"link add {VRF} type vrf table {VRF_TABLE}",
            f"link set {VRF} up",
            f"link set {PORT} master {VRF}",
            f"addr add {addresses[switch]} dev {PORT}",
            f"link set {PORT} up",
        ]
    _batch([], root)
    for netns, lines in inside.items():
        _batch(["-n", netns], lines)


def _batch(where: list[str], lines: list[str]) -> None:
    shell.run(["ip", *where, "-batch", "-"], stdin="".join(f"{line}\n" for line in lines))


def start_sshd(lab: Lab, switch: str, host_key: str, authorized_key: str) -> str:
    """An sshd in ``switch``'s namespace (root by key only); its pid file."""
    netns = lab.netns(switch)
    base = os.path.join(lab.state_dir, netns)
    keys, pid_file = os.path.join(base, "authorized_keys"), os.path.join(base, "run", "sshd.pid")
    with open(keys, "w", encoding="utf-8") as fh:
        fh.write(authorized_key.strip() + "\n")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    options = {
        "HostKey": host_key,
        "PidFile": pid_file,
        "AuthorizedKeysFile": keys,
        "PermitRootLogin": "prohibit-password",
        "PasswordAuthentication": "no",
        "KbdInteractiveAuthentication": "no",
        "StrictModes": "no",
        "UsePAM": "no",
        "UseDNS": "no",
        "PrintMotd": "no",
        "PrintLastLog": "no",
        "LogLevel": "ERROR",
    }
    argv = ["sysctl", "-q", "-w", "net.ipv4.tcp_l3mdev_accept=1"]
    shell.run(["ip", "netns", "exec", netns, *argv])
    words = [w for key, value in options.items() for w in ("-o", f"{key}={value}")]
    shell.run(["ip", "netns", "exec", netns, "/usr/sbin/sshd", *words])
    return pid_file


def wait_for(paths: list[str], timeout: float = SSHD_WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not all(os.path.exists(p) for p in paths):
        if time.monotonic() > deadline:
            missing = [p for p in paths if not os.path.exists(p)]
            raise RuntimeError(f"sshd did not start within {timeout:.0f} s: {missing}")
        time.sleep(0.2)


def serve(lab: Lab, mgmt: Mapping[str, object]) -> None:
    addresses = dict(mgmt["switch_addresses"])  # type: ignore[call-overload]
    build(lab, addresses)
    pid_files = [
        start_sshd(lab, switch, str(mgmt["host_key"]), str(mgmt["authorized_key"]))
        for switch in sorted(addresses)
    ]
    wait_for(pid_files)
