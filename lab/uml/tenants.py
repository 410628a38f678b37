"""The tenant lab: a fabric inside one User-Mode Linux kernel (this machine's kernel has
no VRF, VLAN-aware bridge or 802.1Q; see lab/README.md, "The tenant lab").

``run_tenant_lab(job)`` boots the kernel with ``tenant_init.sh`` as PID 1, whose guest
(``lab.uml.tenant_guest``) builds the namespace lab inside it, pushes each switch's
document through the ``linuxfrr`` driver and runs the job's checks; the kernel powers
off at the end and the guest's ``result.json`` is returned, with the kernel's run time.
The job (topology, documents, pings, steps) is ``labharness.tenant_fabric.build(...).job``,
built from a committed blueprint.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.uml import mgmt_net
from lab.uml.mgmt_net import MgmtNet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KERNEL = "linux.uml"
MEM = os.environ.get("FG_TENANT_LAB_MEM", "768M")
# a whole run takes 90-230 s on a quiet 2-core machine (more when loaded); the lab test's
# own timeout is above this one, so a hung guest is killed here and its console reported
BOOT_TIMEOUT_S = float(os.environ.get("FG_TENANT_LAB_TIMEOUT_S", "1200"))
# every guest system call is a round trip between host processes: on a loaded machine the
# kernel's share of the CPU is what sets the lab's speed (lab/README.md)
NICE = os.environ.get("FG_TENANT_LAB_NICE", "-10")


def _kernel_argv(folder: Path, tap: str | None = None) -> list[str]:
    network = [f"vec0:transport=tap,ifname={tap}"] if tap else []
    return [
        "nice",
        "-n",
        NICE,
        KERNEL,
        f"mem={MEM}",
        f"umid=fg-tenants-{os.getpid()}",
        f"uml_dir={folder}",
        "root=/dev/root",
        "rootfstype=hostfs",
        "rootflags=/",
        "rw",
        f"init={HERE / 'tenant_init.sh'}",
        f"fg_job={folder}",
        f"fg_root={ROOT}",
        *network,
        "con=null",
        "con0=null,fd:1",
    ]


def run_tenant_lab(payload: dict[str, Any]) -> dict[str, Any]:
    """Boot the kernel on the job, wait for it to power off (bounded), return the result.

    The job folder is under /var/tmp (the guest mounts its own /tmp); it is removed
    afterwards. On timeout the kernel's whole process group is killed.
    """
    folder = Path(tempfile.mkdtemp(prefix="fg-uml-tenants-", dir="/var/tmp"))
    try:
        (folder / "job.json").write_text(json.dumps(payload))
        shim = _shim(folder)
        started = time.monotonic()
        console = _boot(folder, shim)
        return _result(folder, console, time.monotonic() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _shim(folder: Path) -> Path:
    shim = folder / "shim.so"
    source = str(HERE / "xstate_shim.c")
    gcc = ["gcc", "-O2", "-shared", "-fPIC", "-o", str(shim), source, "-ldl"]
    subprocess.run(gcc, check=True, timeout=120)
    return shim


def _result(folder: Path, console: str, elapsed: float) -> dict[str, Any]:
    result_file = folder / "result.json"
    result: dict[str, Any] = (
        json.loads(result_file.read_text()) if result_file.exists() else {"error": "no result"}
    )
    result["kernel_s"] = round(elapsed, 2)
    log = folder / "guest.log"
    result["guest_log_tail"] = log.read_text()[-3000:] if log.exists() else ""
    result["console_tail"] = console[-2000:]
    return result


@dataclass
class ServedLab:
    """A running tenant lab whose switches the machine reaches over SSH."""

    folder: Path
    net: MgmtNet
    ready: dict[str, Any]
    kernel: subprocess.Popen[str]
    result: dict[str, Any] | None = None
    requests: int = 0  # requests made to the guest so far

    def deployed(self, wait_s: float = BOOT_TIMEOUT_S) -> dict[str, Any]:
        """Tell the guest the switches are deployed; its checks' result once it is off."""
        (self.folder / "deployed").write_text("")
        self.result = self._finish(wait_s)
        return self.result

    def checked(self, wait_s: float = BOOT_TIMEOUT_S) -> dict[str, Any]:
        """For a job with ``requests``: tell the guest the switches are deployed and wait
        for its checks (``checked.json``); the guest then answers ``request`` until the
        lab is left. A guest that powers off instead is reported with its logs."""
        (self.folder / "deployed").write_text("")
        return self._wait_file("checked.json", wait_s, "its checks")

    def request(
        self, action: str, params: dict[str, Any] | None = None, wait_s: float = 120.0
    ) -> dict[str, Any]:
        """Ask the guest one thing (``lab.uml.tenant_guest.ACTIONS``) and wait for the
        answer (bounded, polled every 20 ms), stamped with this machine's ``asked_at`` and
        ``answered_at``; a request the guest failed raises with its traceback."""
        self.requests += 1
        name = f"request-{self.requests}.json"
        (self.folder / f"{name}.part").write_text(json.dumps({"action": action, **(params or {})}))
        (self.folder / f"{name}.part").rename(self.folder / name)
        asked_at = time.time()
        answer = self._wait_file(f"response-{self.requests}.json", wait_s, f"request {action}")
        # this machine's clock (the guest's runs slow): when it was asked and answered
        answer.update(asked_at=asked_at, answered_at=time.time())
        if not answer.get("ok"):
            raise RuntimeError(f"the guest failed request {action}: {answer.get('error')}")
        return answer

    def _wait_file(self, name: str, wait_s: float, what: str) -> dict[str, Any]:
        path, deadline = self.folder / name, time.monotonic() + wait_s
        while not path.exists():
            if self.kernel.poll() is not None or time.monotonic() > deadline:
                self.result = self._finish(30)
                raise RuntimeError(
                    f"the tenant lab gave no answer to {what}: {self.result.get('error')}"
                    f"\n--- guest log\n{self.result['guest_log_tail']}"
                    f"\n--- console\n{self.result['console_tail']}"
                )
            time.sleep(0.02)
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _finish(self, wait_s: float) -> dict[str, Any]:
        started = time.monotonic()
        try:
            out, _ = self.kernel.communicate(timeout=wait_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.kernel.pid, signal.SIGKILL)
            out, _ = self.kernel.communicate(timeout=30)
            out += f"\n(killed after {wait_s:.0f} s)"
        return _result(self.folder, out or "", time.monotonic() - started)


READY_WAIT_S = float(os.environ.get("FG_TENANT_LAB_READY_S", "600"))


@contextmanager
def served_tenant_lab(payload: dict[str, Any], switches: list[str]) -> Iterator[ServedLab]:
    """Boot the kernel with the management network; yield once every switch's sshd
    listens (bounded). On exit the guest is told to stop, the kernel is waited for (then
    killed) and the TAP deleted: nothing is left (``mgmt_net.teardown``)."""
    net = mgmt_net.plan(switches)
    mgmt_net.ensure_keys(net)
    folder = Path(tempfile.mkdtemp(prefix="fg-uml-tenants-", dir="/var/tmp"))
    served: ServedLab | None = None
    tap_created = False
    try:
        job = {**payload, "mgmt": net.guest_job(), "serve_timeout_s": BOOT_TIMEOUT_S}
        (folder / "job.json").write_text(json.dumps(job))
        shim = _shim(folder)
        mgmt_net.create_tap(net)  # refuses a TAP of that name that exists already
        tap_created = True
        kernel = subprocess.Popen(
            _kernel_argv(folder, net.tap),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LD_PRELOAD": str(shim)},
            start_new_session=True,
            text=True,
        )
        mgmt_net.record_kernel(kernel.pid)
        served = ServedLab(folder, net, {}, kernel)
        served.ready = _wait_ready(served)
        yield served
    finally:
        if served is not None and served.result is None:
            (folder / "stop").write_text("")
            served.result = served._finish(120)
        if tap_created:  # never another run's kernel or TAP
            mgmt_net.teardown(net.tap)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(served: ServedLab) -> dict[str, Any]:
    ready = served.folder / "ready.json"
    deadline = time.monotonic() + READY_WAIT_S
    while not ready.exists():
        if served.kernel.poll() is not None or time.monotonic() > deadline:
            served.result = served._finish(30)
            raise RuntimeError(
                "the tenant lab did not come up: "
                f"{served.result.get('error')}\n--- guest log\n{served.result['guest_log_tail']}"
                f"\n--- console\n{served.result['console_tail']}"
            )
        time.sleep(0.5)
    data: dict[str, Any] = json.loads(ready.read_text())
    return data


def _boot(folder: Path, shim: Path) -> str:
    env = {**os.environ, "LD_PRELOAD": str(shim)}
    with subprocess.Popen(
        _kernel_argv(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        text=True,
    ) as kernel:
        try:
            out, _ = kernel.communicate(timeout=BOOT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(kernel.pid, signal.SIGKILL)
            out, _ = kernel.communicate(timeout=30)
            out += f"\n(killed after {BOOT_TIMEOUT_S:.0f} s)"
        return out or ""
