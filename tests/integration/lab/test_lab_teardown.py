"""Teardown leaves nothing behind, even after the lab's own record is lost."""

from __future__ import annotations

import os

import pytest

from lab import daemons, shell
from tests.integration.lab.helpers import exclusive_lab

pytestmark = pytest.mark.lab

TWO_SWITCHES = {
    "name": "tiny",
    "nodes": [
        {"name": "s1", "kind": "switch", "ports": ["swp1", "swp2"]},
        {"name": "l1", "kind": "switch", "ports": ["swp1"]},
    ],
    "links": [{"a": "s1:swp1", "b": "l1:swp1"}],
}


def our_namespaces() -> list[str]:
    return [ns for ns in shell.list_netns() if ns.startswith("fg-")]


def test_teardown_after_a_crash_leaves_no_namespace_veth_or_process() -> None:
    with exclusive_lab() as lab:
        try:
            state = lab.up(TWO_SWITCHES)
            pids = [pid for ns in state.namespaces for pid in shell.netns_pids(ns)]
            assert len(pids) >= 2 * 5
            os.unlink(os.path.join(lab.state_dir, "lab.json"))
        finally:
            removed = lab.down()
    assert set(removed["namespaces"]) >= {"fg-s1", "fg-l1"}
    assert our_namespaces() == []
    assert not [name for name in shell.list_links() if name.startswith("fgv")]
    assert not [pid for pid in pids if daemons.is_running(pid)]
    assert lab.down()["namespaces"] == []
