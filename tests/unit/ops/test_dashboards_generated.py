"""The provisioned dashboards are exactly what ops.dashboards generates (never hand-edited)."""

from __future__ import annotations

import json

from ops import dashboards
from ops.panels import DASHBOARDS, CypherPanel, PromPanel


def test_each_provisioned_dashboard_file_is_the_generated_one() -> None:
    files = sorted(p.name for p in dashboards.OUT_DIR.glob("*.json"))
    assert files == sorted(f"{spec.uid}.json" for spec in DASHBOARDS)
    for spec in DASHBOARDS:
        on_disk = (dashboards.OUT_DIR / f"{spec.uid}.json").read_text()
        assert on_disk == dashboards.render(spec), f"run `make dashboards` ({spec.uid})"


def test_prometheus_panels_query_prometheus_and_cypher_panels_query_neo4j() -> None:
    for spec in DASHBOARDS:
        board = json.loads(dashboards.render(spec))
        assert len(board["panels"]) == len(spec.panels)
        for declared, built in zip(spec.panels, board["panels"], strict=True):
            assert built["title"] == declared.title
            if isinstance(declared, PromPanel):
                assert built["datasource"]["uid"] == "fabricgraph-prometheus"
                assert [t["expr"] for t in built["targets"]] == [t.expr for t in declared.targets]
            else:
                assert isinstance(declared, CypherPanel)
                assert built["datasource"]["type"] == dashboards.NEO4J_TYPE
                organize = built["transformations"][0]["options"]["indexByName"]
                assert sorted(organize, key=organize.get) == list(declared.columns)
                assert built["targets"][0]["cypherQuery"].startswith(
                    declared.query.text.strip().split()[0]
                )
