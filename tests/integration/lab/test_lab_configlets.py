"""Configlets on the real lab: attached to every leaf by role, previewed, committed,
pushed by the workers (NAPALM ``linuxfrr``), in the running and golden configs; detached,
gone from the switches; a failing configlet is a build error and changes nothing.

Fabric ``lab``::

        spine1          spine2
       /  |  \\  \\     /  |  \\  \\
    rack1-leaf1  rack2-leaf1  rack3-leaf1  rack3-leaf2   <- the configlet's scope: role leaf

The configlet is an NTP server and a login banner on the NOSes that have them (eos,
nxos, junos: with their negations); on Linux/FRR, whose document carries FRR's own
lines, it is FRR's logging (``log timestamp precision``, ``log facility`` from the
blueprint's property set): what the lab's switches can run and show.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import BuildError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from labharness.rollout import lab_serial
from tests.integration.lab.helpers import deployed_lab, eventually
from workers.device_ops import DeviceOps
from workers.drivers import open_driver

pytestmark = [pytest.mark.lab, pytest.mark.integration]

LEAFS = ("rack1-leaf1", "rack2-leaf1", "rack3-leaf1", "rack3-leaf2")
SPINES = ("spine1", "spine2")
LINES = ("log timestamp precision 3", "log facility local4")
CONFIGLET_NODES = Query(
    "test.lab_configlet_nodes",
    "MATCH (:Blueprint {name: $bp})-[:HAS_CONFIGLET]->(c:Configlet) RETURN c.id AS id",
)
DELETE_ENTRY = Query(
    "test.lab_delete_configlet", "MATCH (n:CatalogueConfiglet {name: $name}) DETACH DELETE n"
)

Fabric = tuple[Blueprints, Any, str]


def ntp_and_banner(name: str, extra: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "generators": {
            "linux_frr": {
                "template": "log timestamp precision 3\nlog facility {{ log_facility }}" + extra,
                "section": "frr",
            },
            "eos": {
                "template": "ntp server {{ ntp_server }}\nbanner login\n{{ banner }}\nEOF",
                "negation": "no ntp server {{ ntp_server }}\nno banner login",
            },
            "nxos": {
                "template": "ntp server {{ ntp_server }} use-vrf management\n"
                "banner motd #{{ banner }}#",
                "negation": "no ntp server {{ ntp_server }} use-vrf management\nno banner motd",
            },
            "junos": {
                "template": "set system ntp server {{ ntp_server }}\n"
                'set system login message "{{ banner }}"',
                "negation": "delete system ntp server {{ ntp_server }}\n"
                "delete system login message",
            },
        },
        "scope": {"roles": ["leaf"]},
    }


@pytest.fixture(scope="module")
def fabric(graph: Graph) -> Iterator[Fabric]:
    with deployed_lab(graph, "t-cfg") as deployed:
        yield deployed


@pytest.fixture(scope="module")
def ops(graph: Graph, settings: Settings) -> DeviceOps:
    return DeviceOps(graph, redis.Redis.from_url(settings.redis_url))


@pytest.fixture
def configlet(fabric: Fabric) -> Iterator[Any]:
    blueprints = fabric[0]
    names: list[str] = []

    def create(extra: str = "") -> str:
        name = f"t-lab-ntp-{uuid.uuid4().hex[:6]}"
        names.append(name)
        blueprints.catalogues.create(
            "configlets", [ntp_and_banner(name, extra)], author="t", via="t"
        )
        return name

    yield create
    for name in names:
        blueprints.graph.write(DELETE_ENTRY, name=name)


def stage_all(blueprints: Blueprints, bp: str, *edits: dict[str, Any]) -> int:
    version = blueprints.staging.version(bp)
    for edit in edits:
        version = blueprints.staging.stage(bp, edit, base_version=version, author="test")
    return version


def running(ops: DeviceOps, system: str) -> str:
    driver: Any = open_driver(ops.devices.get(lab_serial(system)))
    try:
        return str(driver.get_config(retrieve="running")["running"])
    finally:
        driver.close()


def converge(ops: DeviceOps, system: str) -> None:
    """The device's reconcile pushed the new intent (or a beat sweep already had)."""
    result = ops.reconcile(lab_serial(system))
    assert result["status"] in ("succeeded", "none"), result


def frr_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def lines_on(ops: DeviceOps, system: str, present: bool) -> Callable[[], bool]:
    """A check: the switch's running config holds every configlet line (or none)."""

    def configlet_lines_on_the_switch() -> bool:
        found = set(LINES) & set(frr_lines(running(ops, system)))
        return found == set(LINES) if present else not found

    return configlet_lines_on_the_switch


def test_a_configlet_attached_to_every_leaf_reaches_the_switches_and_detached_leaves_them(
    fabric: Fabric, ops: DeviceOps, configlet: Any
) -> None:
    blueprints, _, bp = fabric
    name = configlet()
    version = stage_all(
        blueprints,
        bp,
        {
            "kind": "set_property_set",
            "params": {"values": {"log_facility": "local4", "ntp_server": "192.0.2.123"}},
        },
        {"kind": "attach_configlet", "params": {"configlet": name}},
    )
    assert blueprints.staging.build_errors(bp) == []
    preview = blueprints.incremental_preview(bp)
    for leaf in LEAFS:
        added = [line for line in preview[leaf].splitlines() if line.startswith("+")]
        assert {f"+{line}" for line in LINES} <= set(added), preview[leaf]
    assert not any(preview.get(spine) for spine in SPINES)

    revision = blueprints.commit(bp, base_version=version, author="test", message="ntp")
    assert sorted(revision.devices) == sorted(LEAFS)
    for leaf in LEAFS:
        converge(ops, leaf)
        eventually(lines_on(ops, leaf, present=True), 60)
        golden = ops.devices.configs(lab_serial(leaf))["golden"]
        assert set(LINES) <= set(frr_lines(golden))
    for spine in SPINES:
        assert not set(LINES) & set(frr_lines(running(ops, spine)))

    version = stage_all(blueprints, bp, {"kind": "detach_configlet", "params": {"configlet": name}})
    preview = blueprints.incremental_preview(bp)
    assert all(f"-{LINES[0]}" in preview[leaf].splitlines() for leaf in LEAFS)
    blueprints.commit(bp, base_version=version, author="test", message="no ntp")
    for leaf in LEAFS:
        converge(ops, leaf)
        eventually(lines_on(ops, leaf, present=False), 60)
        golden = ops.devices.configs(lab_serial(leaf))["golden"]
        assert not set(LINES) & set(frr_lines(golden))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("\n{{ ''.__class__.__mro__[1].__subclasses__() }}", "line 3: tried to leave the sandbox"),
        ("\n{{ no_such_property }}", "line 3: cannot be rendered"),
    ],
)
def test_a_failing_configlet_is_a_build_error_and_nothing_changes(
    fabric: Fabric, ops: DeviceOps, configlet: Any, extra: str, expected: str
) -> None:
    blueprints, _, bp = fabric
    name = configlet(extra)
    before = {leaf: running(ops, leaf) for leaf in LEAFS}
    head = blueprints.summary(bp)["active_revision"]
    version = stage_all(blueprints, bp, {"kind": "attach_configlet", "params": {"configlet": name}})
    errors = blueprints.staging.build_errors(bp)
    assert sorted(e.split(",")[0] for e in errors) == [
        f"configlet {name!r} on {leaf}" for leaf in LEAFS
    ]
    assert all(expected in e for e in errors), errors
    with pytest.raises(BuildError):
        blueprints.commit(bp, base_version=version, author="test", message="bad")
    blueprints.staging.discard(bp, base_version=version)
    assert blueprints.summary(bp)["active_revision"] == head
    assert blueprints.graph.read(CONFIGLET_NODES, bp=bp) == []
    for leaf in LEAFS:
        converge(ops, leaf)
        assert running(ops, leaf) == before[leaf]
