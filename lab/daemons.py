"""Start and stop the per-namespace daemons: FRR (zebra, bgpd, staticd), lldpd, sshd."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

from lab import shell
from lab.errors import LabCommandError
from napalm_linuxfrr.layout import DeviceLayout

FRR_DAEMONS = ("zebra", "bgpd", "staticd")
FRR_BIN = "/usr/lib/frr"
SSHD_PORT = 22


def factory_frr_conf(hostname: str) -> str:
    return (
        "frr defaults datacenter\n"
        f"hostname {hostname}\n"
        "log syslog informational\n"
        "service integrated-vtysh-config\n"
        "!\n"
    )


def factory_lldpd_conf(hostname: str) -> str:
    return (
        f"configure system hostname {hostname}\n"
        "configure lldp tx-interval 5\n"
        "configure lldp portidsubtype ifname\n"
    )


def start_frr(netns: str, layout: DeviceLayout) -> None:
    """zebra first (it owns the zserv socket), then bgpd and staticd."""
    run_dir = layout.frr_run_dir or "/var/run/frr"
    for daemon in FRR_DAEMONS:
        argv = [
            f"{FRR_BIN}/{daemon}",
            "-d",
            "-N",
            netns,
            "-z",
            f"{run_dir}/zserv.api",
            "-i",
            f"{run_dir}/{daemon}.pid",
            "--vty_socket",
            run_dir,
            "-P",
            "0",
            "-f",
            layout.frr_conf_file,
        ]
        shell.in_netns(netns, argv)
        if daemon == "zebra":
            _wait_for(f"{run_dir}/zserv.api")


def _wait_for(path: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def start_lldpd(netns: str, layout: DeviceLayout, ports: Sequence[str], factory_conf: str) -> None:
    """lldpd on the switch's ports only, configured from the pushed file if there is one."""
    conf = layout.lldpd_conf_file if os.path.exists(layout.lldpd_conf_file) else factory_conf
    sock = layout.lldpd_socket or "/var/run/lldpd.socket"
    stop_named(netns, "lldpd")
    for stale in (sock, f"{sock}.lock"):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = ["lldpd", "-d", "-u", sock, "-I", ",".join(ports), "-O", conf]
    shell.spawn(netns, argv, os.path.join(os.path.dirname(sock), "lldpd.log"))
    probe = ["ip", "netns", "exec", netns, "lldpcli", "-u", sock, "show", "configuration"]
    deadline = time.monotonic() + 10.0
    while not shell.succeeds(probe):
        if time.monotonic() > deadline:
            raise LabCommandError(
                f"lldpd in {netns} did not answer on {sock}",
                allowed="see the lldpd.log beside the socket",
            )
        time.sleep(0.1)


def start_sshd(netns: str, run_dir: str, authorized_keys: str) -> None:
    """An sshd listening on every address of ``netns`` (root login with a key only)."""
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    argv = [
        "/usr/sbin/sshd",
        "-p",
        str(SSHD_PORT),
        "-o",
        f"PidFile={run_dir}/sshd.pid",
        "-o",
        f"AuthorizedKeysFile={authorized_keys}",
        "-o",
        "PermitRootLogin=prohibit-password",
        "-o",
        "PasswordAuthentication=no",
        "-o",
        "StrictModes=no",
        "-o",
        "UsePAM=no",
    ]
    shell.in_netns(netns, argv)
    _wait_for(f"{run_dir}/sshd.pid")


def stop_netns_processes(netns: str, grace: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process living in ``netns``; returns their pids."""
    pids = shell.netns_pids(netns)
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_running(p) for p in pids):
        time.sleep(0.05)
    _signal_all([p for p in pids if is_running(p)], signal.SIGKILL)
    return pids


def stop_named(netns: str, comm: str, grace: float = 3.0) -> list[int]:
    """Stop the processes of ``netns`` whose command name is ``comm``; returns their pids."""
    pids = [p for p in shell.netns_pids(netns) if _comm(p) == comm]
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_running(p) for p in pids):
        time.sleep(0.05)
    _signal_all([p for p in pids if is_running(p)], signal.SIGKILL)
    return pids


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return ""


def _signal_all(pids: Sequence[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            continue


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False
