"""Configlets, property sets and tags as staged intent, on the real graph.

Fabric ``lab`` (linux_frr everywhere)::

    spine1   spine2
      |  \\  /  |
    rack1-leaf1  rack2-leaf1  rack3-leaf1 rack3-leaf2
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import BuildError, ConflictError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Query

LEAFS = ["rack1-leaf1", "rack2-leaf1", "rack3-leaf1", "rack3-leaf2"]
CONFIGLET_NODES = Query(
    "test.configlet_nodes",
    "MATCH (:Blueprint {name: $bp})-[:HAS_CONFIGLET]->(c:Configlet) RETURN c.id AS id",
)


def logging_configlet(name: str, template: str, **scope: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "generators": {
            "linux_frr": {"template": template, "section": "frr"},
            "eos": {
                "template": "ntp server {{ ntp_server }}",
                "negation": "no ntp server {{ ntp_server }}",
            },
        },
        "scope": scope,
    }


@pytest.fixture
def configlet(blueprints: Blueprints, entry_names: list[str]) -> Callable[..., str]:
    def create(template: str = "log timestamp precision 3", **scope: list[str]) -> str:
        name = f"cfg-{uuid.uuid4().hex[:8]}"
        entry_names.append(name)
        blueprints.catalogues.create(
            "configlets", [logging_configlet(name, template, **scope)], author="t", via="test"
        )
        return name

    return create


def stage(blueprints: Blueprints, bp: str, edit: str, /, **params: Any) -> int:
    version = blueprints.staging.version(bp)
    return blueprints.staging.stage(
        bp, {"kind": edit, "params": params}, base_version=version, author="alice"
    )


def commit(blueprints: Blueprints, bp: str) -> int:
    version = blueprints.staging.version(bp)
    return blueprints.commit(bp, base_version=version, author="alice", message="m").number


def rendered(blueprints: Blueprints, bp: str, system: str) -> str:
    return blueprints.configs.render(bp, [system])[system]


def test_a_configlet_attached_by_role_is_previewed_committed_and_detached(
    make_blueprint: Callable[[str], str], blueprints: Blueprints, configlet: Callable[..., str]
) -> None:
    bp = make_blueprint("lab")
    name = configlet(roles=["leaf"])
    stage(blueprints, bp, "attach_configlet", configlet=name)
    assert {"change": "added", "kind": "Configlet", "id": name} in blueprints.staging.diff(bp)
    assert blueprints.staging.build_errors(bp) == []
    preview = blueprints.incremental_preview(bp)
    assert sorted(preview) == LEAFS  # the spines are out of scope
    for leaf in LEAFS:
        assert "+log timestamp precision 3" in preview[leaf].splitlines()
    revision = commit(blueprints, bp)
    for leaf in LEAFS:
        assert "log timestamp precision 3" in (blueprints.config(bp, leaf, "rendered") or "")
    assert "log timestamp precision 3" not in rendered(blueprints, bp, "spine1")
    assert [r["id"] for r in blueprints.graph.read(CONFIGLET_NODES, bp=bp)] == [name]

    stage(blueprints, bp, "detach_configlet", configlet=name)
    preview = blueprints.incremental_preview(bp)
    assert sorted(preview) == LEAFS
    assert "-log timestamp precision 3" in preview["rack1-leaf1"].splitlines()
    assert commit(blueprints, bp) == revision + 1
    assert "log timestamp precision 3" not in rendered(blueprints, bp, "rack1-leaf1")
    assert blueprints.graph.read(CONFIGLET_NODES, bp=bp) == []

    # the detach has its exact inverse: rolling back brings the configlet and its lines back
    version = blueprints.staging.version(bp)
    blueprints.staging.rollback(bp, revision, base_version=version, author="alice")
    assert {"change": "added", "kind": "Configlet", "id": name} in blueprints.staging.diff(bp)
    commit(blueprints, bp)
    assert [r["id"] for r in blueprints.graph.read(CONFIGLET_NODES, bp=bp)] == [name]
    assert "log timestamp precision 3" in rendered(blueprints, bp, "rack1-leaf1")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("log timestamp precision 3\n{{ no_such_property }}", "line 2: cannot be rendered"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "tried to leave the sandbox"),
        ("{{ 'x' * 10**8 }}", "over its limits"),
    ],
)
def test_a_configlet_that_fails_is_a_build_error_and_the_graph_is_unchanged(
    make_blueprint: Callable[[str], str],
    blueprints: Blueprints,
    configlet: Callable[..., str],
    template: str,
    expected: str,
) -> None:
    bp = make_blueprint("lab")
    name = configlet(template, systems=["rack2-leaf1"])
    stage(blueprints, bp, "attach_configlet", configlet=name)
    errors = blueprints.staging.build_errors(bp)
    assert len(errors) == 1
    assert errors[0].startswith(f"configlet {name!r} on rack2-leaf1")
    assert expected in errors[0]
    with pytest.raises(BuildError) as raised:
        commit(blueprints, bp)
    assert errors[0] in str(raised.value)
    assert blueprints.summary(bp)["active_revision"] == 0
    assert blueprints.graph.read(CONFIGLET_NODES, bp=bp) == []
    assert blueprints.config(bp, "rack2-leaf1", "rendered") is None


def test_property_sets_feed_configlets_the_system_overriding_the_blueprint(
    make_blueprint: Callable[[str], str], blueprints: Blueprints, configlet: Callable[..., str]
) -> None:
    bp = make_blueprint("lab")
    name = configlet("log facility {{ facility }}", roles=["leaf"])
    stage(blueprints, bp, "set_property_set", values={"facility": "local4"})
    stage(blueprints, bp, "set_property_set", system="rack3-leaf2", values={"facility": "local6"})
    stage(blueprints, bp, "attach_configlet", configlet=name)
    diff = blueprints.staging.diff(bp)
    assert {
        "change": "modified",
        "kind": "System",
        "id": "rack3-leaf2",
        "field": "property_set.facility",
        "before": None,
        "after": "local6",
    } in diff
    first = commit(blueprints, bp)
    assert "log facility local4" in rendered(blueprints, bp, "rack1-leaf1")
    assert "log facility local6" in rendered(blueprints, bp, "rack3-leaf2")

    stage(blueprints, bp, "set_property_set", values={"facility": "local5"})
    preview = blueprints.incremental_preview(bp)
    assert preview["rack3-leaf2"] == ""  # its own value still wins
    assert "+log facility local5" in preview["rack1-leaf1"].splitlines()
    commit(blueprints, bp)
    # versioned with the revisions: rolling back restores the value of revision `first`
    version = blueprints.staging.version(bp)
    blueprints.staging.rollback(bp, first, base_version=version, author="alice")
    commit(blueprints, bp)
    assert "log facility local4" in rendered(blueprints, bp, "rack1-leaf1")


def test_tags_scope_configlets_and_are_staged_with_an_inverse(
    make_blueprint: Callable[[str], str], blueprints: Blueprints, configlet: Callable[..., str]
) -> None:
    bp = make_blueprint("lab")
    name = configlet(tags=["edge"])
    stage(blueprints, bp, "attach_configlet", configlet=name)
    assert blueprints.incremental_preview(bp) == {}  # nothing is tagged yet
    stage(blueprints, bp, "set_tags", kind="System", id="rack2-leaf1", tags=["edge", "blue"])
    stage(blueprints, bp, "set_tags", kind="Link", id="spine1:swp1--rack1-leaf1:swp1", tags=["x"])
    preview = blueprints.incremental_preview(bp)
    assert [system for system, delta in sorted(preview.items()) if delta] == ["rack2-leaf1"]
    assert "+log timestamp precision 3" in preview["rack2-leaf1"].splitlines()
    revision = commit(blueprints, bp)
    assert "log timestamp precision 3" in rendered(blueprints, bp, "rack2-leaf1")
    version = blueprints.staging.version(bp)
    blueprints.staging.rollback(bp, revision - 1, base_version=version, author="alice")
    commit(blueprints, bp)
    assert "log timestamp precision 3" not in rendered(blueprints, bp, "rack2-leaf1")


def test_refusals_name_what_is_allowed(
    make_blueprint: Callable[[str], str], blueprints: Blueprints, configlet: Callable[..., str]
) -> None:
    bp = make_blueprint("lab")
    name = configlet()
    with pytest.raises(NotFoundError, match="configlet 'no-such'"):
        stage(blueprints, bp, "attach_configlet", configlet="no-such")
    with pytest.raises(ValidationError, match="scope roles"):
        stage(blueprints, bp, "attach_configlet", configlet=name, scope={"roles": ["router"]})
    with pytest.raises(ValidationError, match="property key"):
        stage(blueprints, bp, "set_property_set", values={"bad key": "x"})
    with pytest.raises(ValidationError, match="property ntp"):
        stage(blueprints, bp, "set_property_set", values={"ntp": "a\nhostname evil"})
    with pytest.raises(ValidationError, match="tag"):
        stage(blueprints, bp, "set_tags", kind="System", id="rack1-leaf1", tags=["Not OK"])
    with pytest.raises(NotFoundError, match="no Interface 'rack1-leaf1:swp99'"):
        stage(blueprints, bp, "set_tags", kind="Interface", id="rack1-leaf1:swp99", tags=["a"])
    stage(blueprints, bp, "attach_configlet", configlet=name)
    with pytest.raises(ConflictError, match="already attached"):
        stage(blueprints, bp, "attach_configlet", configlet=name)
    with pytest.raises(ConflictError, match="staged attach_configlet"):
        blueprints.catalogues.delete("configlets", name)
    commit(blueprints, bp)
    with pytest.raises(ConflictError, match="attached configlets"):
        blueprints.catalogues.delete("configlets", name)


def mixed_template(name: str) -> dict[str, Any]:
    """Arista spines over Linux/FRR leaf pairs (one rack): two NOSes in one fabric."""
    return {
        "name": name,
        "spines": {
            "count": 2,
            "logical_device": "spine-32x100",
            "device_profile": "arista-7060cx-32s",
        },
        "racks": [{"rack_type": "leaf-pair-4-dual", "count": 1}],
        "overlay": "ip_fabric",
        "pools": {
            "asn-spine": {"kind": "asn", "ranges": ["65000-65099"]},
            "asn-leaf": {"kind": "asn", "ranges": ["65100-65999"]},
            "ipv4-loopback": {"kind": "ipv4", "ranges": ["10.0.0.0/24"], "prefix_len": 32},
            "ipv4-fabric": {"kind": "ipv4", "ranges": ["10.1.0.0/24"], "prefix_len": 31},
            "ipv4-server-link": {"kind": "ipv4", "ranges": ["10.2.0.0/24"], "prefix_len": 31},
            "ipv4-server-host": {"kind": "ipv4", "ranges": ["10.3.0.0/24"], "prefix_len": 32},
        },
    }


def test_detaching_from_a_merge_nos_previews_the_negation(
    make_blueprint: Callable[[str], str],
    blueprints: Blueprints,
    configlet: Callable[..., str],
    entry_names: list[str],
) -> None:
    template = f"t-mixed-{uuid.uuid4().hex[:8]}"
    entry_names.append(template)
    blueprints.catalogues.create("templates", [mixed_template(template)], author="t", via="t")
    bp = make_blueprint(template)
    name = configlet()
    stage(blueprints, bp, "set_property_set", values={"ntp_server": "192.0.2.7"})
    stage(blueprints, bp, "attach_configlet", configlet=name)
    preview = blueprints.incremental_preview(bp)
    assert preview["spine1"].splitlines() == ["ntp server 192.0.2.7"]  # eos: the remediation
    assert "+log timestamp precision 3" in preview["rack1-leaf1"].splitlines()  # linux_frr
    changes = blueprints.incremental_changes(bp)
    assert {s: c["incremental"] for s, c in changes.items()} == preview
    assert changes["spine1"]["rollback"].splitlines() == ["no ntp server 192.0.2.7"]
    assert "-log timestamp precision 3" in changes["rack1-leaf1"]["rollback"].splitlines()
    commit(blueprints, bp)
    stage(blueprints, bp, "detach_configlet", configlet=name)
    preview = blueprints.incremental_preview(bp)
    rollback = blueprints.incremental_changes(bp)["spine1"]["rollback"]
    assert rollback.splitlines() == ["ntp server 192.0.2.7"]  # detaching undone: re-added
    # the configlet's negation first; hier_config's own `no ntp server ...` is not repeated
    assert preview["spine1"].splitlines() == [
        f"! negation of configlet {name!r}",
        "no ntp server 192.0.2.7",
    ]
    assert "negation" not in preview["rack1-leaf1"]  # frr-reload removes by the diff
    assert "-log timestamp precision 3" in preview["rack1-leaf1"].splitlines()
    commit(blueprints, bp)
    stored = blueprints.config(bp, "spine1", "incremental") or ""
    assert stored.splitlines()[-1] == "no ntp server 192.0.2.7"
