"""Shared by the lab integration tests: skip reasons, polling, drivers."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import napalm
import pytest

from lab import Lab

FABRIC = Path(__file__).resolve().parents[3] / "fixtures" / "napalm_linuxfrr" / "lab_fabric"
SWITCHES = ("spine1", "spine2", "leaf1", "leaf2")
SERVERS = ("server1", "server2")
T = TypeVar("T")


def skip_reason() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces)"
    if shutil.which("ip") is None or shutil.which("vtysh") is None:
        return "iproute2 and FRR are needed (apt-get install iproute2 frr frr-pythontools lldpd)"
    if not os.path.isdir("/run/netns") and not os.access("/run", os.W_OK):
        return "`ip netns` is unavailable"
    return None


def eventually(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.5) -> T:
    """Poll ``check`` until it returns a truthy value; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    assert value, f"not true within {timeout}s: {check.__name__}"
    return value


def driver(lab: Lab, node: str) -> Any:
    device = napalm.get_network_driver("linuxfrr")(
        node, "", "", optional_args=lab.napalm_optional_args(node)
    )
    device.open()
    return device


def push(lab: Lab, node: str, text: str | None = None) -> Any:
    device = driver(lab, node)
    source = text if text is not None else (FABRIC / f"{node}.conf").read_text()
    device.load_replace_candidate(config=source)
    device.commit_config()
    return device


def sessions_up(device: Any) -> bool:
    peers = device.get_bgp_neighbors()["global"]["peers"]
    return bool(peers) and all(p["is_up"] for p in peers.values())


def skip_if_lab_unavailable() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    if Lab().status().get("running"):
        pytest.skip("a lab is already running here; stop it with `python -m lab down`")
