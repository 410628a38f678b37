"""The tenant lab's management network, on this machine's side: a TAP device the UML
kernel is attached to (``vec0`` inside it), the SSH keys and the credential set.

    this machine                     UML kernel
    fgumlmgmt0 172.31.251.1/24 ====  vec0 - bridge mgmtbr - eth0 (VRF mgmt) of each switch,
                                           172.31.251.11, .12, ... with an sshd each

Nothing is routed: the TAP's /24 is the only route to it, the guest has no route out of
it. Names and subnet are settings (``FG_TENANT_MGMT_TAP``, ``FG_TENANT_MGMT_NET``). Keys
(the workers' client key, the switches' host key) are generated once under
``$FG_STATE_DIR/tenant-lab`` (mode 0600, never in the graph or a log); the credential set
``tenant-lab`` names the client key by its path. ``teardown`` kills a kernel left running
(its pid file) and deletes the TAP: ``lab down`` / ``make stop`` call it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lab import shell

ROOT = Path(__file__).resolve().parents[2]
TAP = os.environ.get("FG_TENANT_MGMT_TAP", "fgumlmgmt0")
NET = ipaddress.IPv4Network(os.environ.get("FG_TENANT_MGMT_NET", "172.31.251.0/24"))
FIRST_SWITCH_HOST = 11  # switch i (in the topology's order) gets host 11 + i
CREDENTIAL = "tenant-lab"
# the machine-wide record of a kernel serving a management network (one at a time)
RUN_DIR = Path("/var/run/fabricgraph-tenant-lab")
PID_FILE = RUN_DIR / "kernel.pid"


@dataclass(frozen=True)
class MgmtNet:
    tap: str
    host_address: str  # "172.31.251.1/24"
    switch_addresses: dict[str, str]  # switch -> "172.31.251.11/24"
    key_dir: str

    @property
    def client_key(self) -> str:
        return f"{self.key_dir}/id_ed25519"

    @property
    def host_key(self) -> str:
        return f"{self.key_dir}/ssh_host_ed25519_key"

    @property
    def host_public_key(self) -> str:
        """The switches' host key as the workers pin it: ``ssh-ed25519 AAAA...`` (public;
        the agents' ``host_key`` option, so every push and collect verifies it)."""
        words = Path(f"{self.host_key}.pub").read_text().split()
        return f"{words[0]} {words[1]}"

    def guest_job(self) -> dict[str, object]:
        """What the guest needs (no secret: the public key and the host key's path)."""
        return {
            "switch_addresses": self.switch_addresses,
            "host_key": self.host_key,
            "authorized_key": Path(f"{self.client_key}.pub").read_text().strip(),
        }


def state_dir() -> Path:
    return Path(os.environ.get("FG_STATE_DIR", str(ROOT / ".state"))).resolve()


def plan(switches: list[str]) -> MgmtNet:
    hosts = list(NET.hosts())
    if FIRST_SWITCH_HOST + len(switches) > len(hosts):
        raise ValueError(f"{NET} has no room for {len(switches)} switches")
    return MgmtNet(
        tap=TAP,
        host_address=f"{hosts[0]}/{NET.prefixlen}",
        switch_addresses={
            name: f"{hosts[FIRST_SWITCH_HOST - 1 + i]}/{NET.prefixlen}"
            for i, name in enumerate(switches)
        },
        key_dir=str(state_dir() / "tenant-lab"),
    )


def ensure_keys(net: MgmtNet) -> None:
    """The client and host keys (ed25519), generated once; the credential set's file."""
    os.makedirs(net.key_dir, mode=0o700, exist_ok=True)
    for path in (net.client_key, net.host_key):
        if not os.path.exists(path):
            argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fabricgraph-tenant-lab"]
            subprocess.run([*argv, "-f", path], check=True, timeout=30, capture_output=True)
    credentials = Path(os.environ.get("FG_CREDENTIALS_DIR", str(state_dir() / "credentials")))
    credentials.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = credentials / f"{CREDENTIAL}.yaml"
    text = f"username: root\nkey_file: {net.client_key}\n"
    if not target.exists() or target.read_text() != text:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)


def create_tap(net: MgmtNet) -> None:
    if net.tap in shell.list_links():
        raise RuntimeError(f"{net.tap} exists already: another tenant lab, or `make stop`")
    shell.run(["ip", "tuntap", "add", net.tap, "mode", "tap"])
    shell.run(["ip", "addr", "add", net.host_address, "dev", net.tap])
    shell.run(["ip", "link", "set", net.tap, "up"])


def record_kernel(pid: int) -> None:
    RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    PID_FILE.write_text(f"{pid}\n")


def teardown(tap: str = TAP) -> dict[str, list[str]]:
    """Kill the kernel of the pid file (its whole process group) and delete the TAP;
    idempotent, needs nothing but the pid file."""
    killed: list[str] = []
    try:
        pid = int(PID_FILE.read_text().strip())
    except (FileNotFoundError, ValueError):
        pid = 0
    if pid > 0:
        try:
            os.killpg(pid, signal.SIGKILL)
            killed.append(str(pid))
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.1)
    PID_FILE.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # empty once the pid file is gone
        RUN_DIR.rmdir()
    links = [tap] if tap in shell.list_links() else []
    for name in links:
        shell.run(["ip", "link", "del", name], check=False)
    return {"pids": killed, "links": links}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
