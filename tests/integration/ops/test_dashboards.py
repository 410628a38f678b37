"""The generated dashboards: valid for Grafana's schema, and their Cypher panels run.

The Prometheus side is checked against a real Prometheus during a lab run in
``test_prometheus_lab.py``.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from api.virtual_sync import sync_inventory
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from ops import schema_check
from ops.dashboards import NEO4J_TYPE
from ops.panels import substitute

pytestmark = pytest.mark.integration


def cypher_panels(boards: dict[str, dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """(title, cypher, declared columns) of every Neo4j table panel in the provisioned files."""
    found = []
    for board in boards.values():
        for panel in board["panels"]:
            if panel["datasource"]["type"] != NEO4J_TYPE:
                continue
            organize = panel["transformations"][0]["options"]["indexByName"]
            columns = sorted(organize, key=organize.get)
            for target in panel["targets"]:
                found.append((panel["title"], target["cypherQuery"], columns))
    return found


def variable_queries(boards: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (var["name"], var["query"]["cypherQuery"])
        for board in boards.values()
        for var in board["templating"]["list"]
        if var["type"] == "query"
    ]


@pytest.fixture(scope="module")
def lab_bp(graph: Graph) -> Iterator[str]:
    blueprints = Blueprints(graph)
    name = f"ops-dash-{uuid.uuid4().hex[:6]}"
    blueprints.create(name, "lab")
    yield name
    blueprints.delete(name)


def test_every_provisioned_dashboard_is_valid_for_grafanas_dashboard_schema() -> None:
    boards = schema_check.provisioned()
    assert len(boards) == 4
    assert schema_check.check(boards) == {name: [] for name in boards}


def test_the_schema_check_refuses_an_unknown_field_and_a_wrong_type() -> None:
    """Negative control: the check is not vacuous."""
    board = schema_check.provisioned()["fabricgraph-health"]
    typo = copy.deepcopy(board)
    typo["panels"][0]["titel"] = typo["panels"][0].pop("title")
    wrong = copy.deepcopy(board)
    wrong["panels"][0]["gridPos"]["h"] = "four"
    errors = schema_check.check({"typo": typo, "wrong": wrong})
    assert any("titel" in e for e in errors["typo"])
    assert any("not assignable to type 'number'" in e for e in errors["wrong"])


def test_every_cypher_panel_returns_the_columns_it_declares(graph: Graph, lab_bp: str) -> None:
    design = read_cabling(graph, lab_bp)
    link = next(lk.id for lk in design.links if lk.role == LinkRole.SPINE_LEAF)
    values = {"blueprint": lab_bp, "system": "spine1", "link": link, "element": "rack3-leaf1"}
    panels = cypher_panels(schema_check.provisioned())
    assert len(panels) == 8
    for title, text, columns in panels:
        keys, _, _ = graph.run_readonly(substitute(text, values), {}, max_rows=1000, timeout_s=10)
        assert keys == columns, title


def test_variable_queries_list_the_blueprints_and_their_switches(graph: Graph, lab_bp: str) -> None:
    design = read_cabling(graph, lab_bp)
    switches = sorted(s.id for s in design.systems if s.role != Role.SERVER)
    for name, text in variable_queries(schema_check.provisioned()):
        _, rows, _ = graph.run_readonly(
            substitute(text, {"blueprint": lab_bp}), {}, max_rows=10_000, timeout_s=10
        )
        values = [r[0] for r in rows]
        if name == "blueprint":
            assert lab_bp in values
        else:
            assert values == switches


def test_device_and_impact_tables_show_what_the_blueprint_implies(
    graph: Graph, lab_bp: str
) -> None:
    design = read_cabling(graph, lab_bp)
    found = cypher_panels(schema_check.provisioned())
    panels = {title: (text, cols) for title, text, cols in found}
    text, _ = panels["Devices"]
    _, rows, _ = graph.run_readonly(
        substitute(text, {"blueprint": lab_bp}), {}, max_rows=1000, timeout_s=10
    )
    assert sorted(r[0] for r in rows) == sorted(
        s.id for s in design.systems if s.role != Role.SERVER
    )
    # impact of a leaf: its links, the sessions over them, the servers cabled to it
    leaf = "rack3-leaf1"
    interfaces = {i.id for i in design.interfaces if i.system == leaf}
    links = [lk for lk in design.links if lk.a in interfaces or lk.b in interfaces]
    servers = {
        i.system
        for lk in links
        for i in design.interfaces
        if i.id in (lk.a, lk.b)
        and i.system != leaf
        and next(s for s in design.systems if s.id == i.system).role == Role.SERVER
    }
    intended = build_design(Blueprints(graph).catalogue, "lab", lab_bp)  # from the template
    sessions = {s.id for s in intended.sessions if leaf in (s.a, s.b) and s.afi == "ipv4"}
    text, _ = panels["Impact of the selected element (variable: element)"]
    _, rows, _ = graph.run_readonly(
        substitute(text, {"blueprint": lab_bp, "element": leaf}), {}, max_rows=1000, timeout_s=10
    )
    by_kind: dict[str, set[str]] = {}
    for kind, dependent, _via in rows:
        by_kind.setdefault(kind, set()).add(dependent)
    assert by_kind["link"] == {lk.id for lk in links}
    assert by_kind["server"] == servers and servers
    assert by_kind["bgp_session"] == sessions and sessions


def test_impact_of_an_uplink_reaches_the_servers_behind_its_leaf(graph: Graph, lab_bp: str) -> None:
    design = read_cabling(graph, lab_bp)
    uplink = next(lk for lk in design.links if lk.role == LinkRole.SPINE_LEAF)
    leaf = next(i.system for i in design.interfaces if i.id == uplink.b)
    leaf_ifs = {i.id for i in design.interfaces if i.system == leaf}
    roles = {s.id: s.role for s in design.systems}
    servers = {
        i.system
        for lk in design.links
        if lk.role == LinkRole.LEAF_SERVER and (lk.a in leaf_ifs or lk.b in leaf_ifs)
        for i in design.interfaces
        if i.id in (lk.a, lk.b) and roles[i.system] == Role.SERVER
    }
    found = cypher_panels(schema_check.provisioned())
    text = next(t for title, t, _ in found if title.startswith("Impact"))
    _, rows, _ = graph.run_readonly(
        substitute(text, {"blueprint": lab_bp, "element": uplink.id}),
        {},
        max_rows=1000,
        timeout_s=10,
    )
    assert {r[1] for r in rows if r[0] == "server"} == servers and servers
    assert {r[1] for r in rows if r[0] == "link"} == {uplink.id}


def test_the_vm_table_shows_each_vm_with_the_anomalies_on_its_vnics_and_server(
    graph: Graph, settings: Settings, lab_bp: str
) -> None:
    """Two VMs on two servers of `lab` (no virtual network at all): the untagged one is
    carried, the one tagged VLAN 100 is not (``vm_network_missing``)."""
    servers = sorted(s.id for s in read_cabling(graph, lab_bp).systems if s.role == Role.SERVER)[:2]
    snapshot = {
        "hypervisors": [{"id": "h1", "server": servers[0]}, {"id": "h2", "server": servers[1]}],
        "vms": [
            {"id": "plain", "hypervisor": "h1",
             "vnics": [{"id": "n0", "mac": "02:01:00:00:00:01"}]},
            {"id": "tagged", "hypervisor": "h2",
             "vnics": [{"id": "n0", "mac": "02:01:00:00:00:02", "vlan": 100}]},
        ],
    }  # fmt: skip
    sync_inventory(graph, settings, lab_bp, "dash", snapshot=snapshot)
    panels = {title: text for title, text, _ in cypher_panels(schema_check.provisioned())}
    _, rows, _ = graph.run_readonly(
        substitute(panels["Virtual machines and their anomalies"], {"blueprint": lab_bp}),
        {},
        max_rows=1000,
        timeout_s=10,
    )
    table = {r[0]: r for r in rows}
    assert sorted(table) == ["dash/plain", "dash/tagged"]
    assert table["dash/plain"][4] == servers[0] and table["dash/plain"][6] == []
    assert table["dash/tagged"][4] == servers[1]
    assert table["dash/tagged"][6] == ["vm_network_missing dash/tagged/n0"]
