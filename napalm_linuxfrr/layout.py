"""Where a Linux/FRR device keeps its files, sockets and the driver's own records.

Two layouts exist: a real switch (``host_layout``: the paths of the configuration
document itself) and a switch of the virtual lab (``lab_layout``: the same files
under the lab's per-namespace state directory, because the namespaces share one
filesystem).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LAB_STATE_DIR = "/var/run/fabricgraph-lab"


@dataclass(frozen=True)
class DeviceLayout:
    """Paths on the device; ``None`` sockets mean "the daemon's default"."""

    hostname_file: str
    interfaces_file: str
    lldpd_conf_file: str
    frr_conf_dir: str
    frr_run_dir: str | None
    lldpd_socket: str | None
    transceivers_file: str
    driver_dir: str
    # bgpd's log, which the event stream follows (its neighbour state changes)
    bgp_log_file: str = "/var/log/frr/bgpd.log"

    @property
    def frr_conf_file(self) -> str:
        return f"{self.frr_conf_dir}/frr.conf"

    @property
    def record_file(self) -> str:
        """What the last commit recorded (mentioned ports, speeds, LLDP on/off)."""
        return f"{self.driver_dir}/record.json"

    @property
    def startup_file(self) -> str:
        """The last committed document (``get_config()["startup"]``)."""
        return f"{self.driver_dir}/startup.conf"

    @property
    def rollback_file(self) -> str:
        """The running document captured just before the last commit."""
        return f"{self.driver_dir}/rollback.conf"

    @property
    def tmp_dir(self) -> str:
        return f"{self.driver_dir}/tmp"


def host_layout() -> DeviceLayout:
    """A real Linux/FRR switch: the paths named by the configuration document."""
    return DeviceLayout(
        hostname_file="/etc/hostname",
        interfaces_file="/etc/network/interfaces",
        lldpd_conf_file="/etc/lldpd.d/fabricgraph.conf",
        frr_conf_dir="/etc/frr",
        frr_run_dir=None,
        lldpd_socket=None,
        transceivers_file="/etc/fabricgraph/transceivers.json",
        driver_dir="/var/lib/fabricgraph",
    )


def lab_node_dir(state_dir: str, netns: str) -> str:
    return f"{state_dir}/{netns}"


def lab_layout(state_dir: str, netns: str) -> DeviceLayout:
    """A lab switch: every device path lives under ``<state_dir>/<netns>/``."""
    base = lab_node_dir(state_dir, netns)
    return DeviceLayout(
        hostname_file=f"{base}/etc/hostname",
        interfaces_file=f"{base}/etc/network/interfaces",
        lldpd_conf_file=f"{base}/etc/lldpd.d/fabricgraph.conf",
        frr_conf_dir=f"{base}/etc/frr",
        frr_run_dir=f"{base}/run/frr",
        lldpd_socket=f"{base}/run/lldpd.socket",
        transceivers_file=f"{base}/transceivers.json",
        driver_dir=f"{base}/var/lib/fabricgraph",
        bgp_log_file=f"{base}/run/frr/bgpd.log",
    )
