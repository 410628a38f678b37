"""The Grafana dashboards, built with grafana-foundation-sdk from ``ops.panels``.

``python -m ops.dashboards [out_dir]`` (``make dashboards``) writes one JSON file
per dashboard into ``deploy/grafana/dashboards/``; those files are what Grafana's
provisioning loads and are never edited by hand (a test regenerates and compares).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Self

from grafana_foundation_sdk.builders import common as sdk_common
from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm

from ops.panels import (
    BLUEPRINT_NAMES,
    DASHBOARDS,
    SWITCH_NAMES,
    CypherPanel,
    DashboardSpec,
    Panel,
    PromPanel,
)

OUT_DIR = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "dashboards"
# the datasource uids the provisioning files declare (deploy/grafana/provisioning)
PROMETHEUS = dm.DataSourceRef(type_val="prometheus", uid="fabricgraph-prometheus")
NEO4J_TYPE = "kniepdennis-neo4j-datasource"
NEO4J = dm.DataSourceRef(type_val=NEO4J_TYPE, uid="fabricgraph-neo4j")
DEFAULTS = {
    "blueprint": "demo",
    "system": "spine1",
    "link": "spine1:swp1--rack1-leaf1:swp1",
    "element": "rack1-leaf1",
}


class CypherQuery(cogvariants.Dataquery):
    """The Neo4j datasource's query model: ``{refId, cypherQuery, datasource}``."""

    def __init__(self, ref_id: str, cypher: str) -> None:
        self.ref_id, self.cypher = ref_id, cypher

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "cypherQuery": self.cypher, "datasource": NEO4J.to_json()}


class Cypher(cogbuilder.Builder[CypherQuery]):
    def __init__(self, cypher: str) -> None:
        self._internal = CypherQuery("A", cypher)

    def ref_id(self, ref_id: str) -> Self:
        self._internal.ref_id = ref_id
        return self

    def build(self) -> CypherQuery:
        return self._internal


def _clean(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines())


def prom_panel(spec: PromPanel) -> cogbuilder.Builder[dm.Panel]:
    panel: Any
    if spec.kind == "stat":
        panel = stat.Panel().height(4).span(4).graph_mode(common.BigValueGraphMode.AREA)
    else:
        legend = (
            sdk_common.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        panel = timeseries.Panel().height(8).span(12).fill_opacity(10).legend(legend)
    panel = panel.title(spec.title).datasource(PROMETHEUS).unit(spec.unit)
    if spec.description:
        panel = panel.description(spec.description)
    for i, target in enumerate(spec.targets):
        query = prometheus.Dataquery().expr(target.expr).ref_id(chr(ord("A") + i))
        if target.legend:
            query = query.legend_format(target.legend)
        panel = panel.with_target(query)
    return panel  # type: ignore[no-any-return]


def cypher_panel(spec: CypherPanel) -> cogbuilder.Builder[dm.Panel]:
    # the "organize" transformation fixes the column order: it is the panel's declaration
    organize = dm.DataTransformerConfig(
        id_val="organize",
        options={"indexByName": {name: i for i, name in enumerate(spec.columns)}},
    )
    panel = (
        table.Panel()
        .title(spec.title)
        .datasource(NEO4J)
        .height(9)
        .span(24)
        .with_target(Cypher(_clean(spec.query.text)))
        .with_transformation(organize)
        .show_header(True)
    )
    if spec.description:
        panel = panel.description(spec.description)
    return panel


def panel(spec: Panel) -> cogbuilder.Builder[dm.Panel]:
    return prom_panel(spec) if isinstance(spec, PromPanel) else cypher_panel(spec)


def variable(name: str) -> cogbuilder.Builder[dm.VariableModel]:
    current = dm.VariableOption(text=DEFAULTS[name], value=DEFAULTS[name], selected=True)
    if name == "blueprint":
        query = {"refId": "blueprint", "cypherQuery": _clean(BLUEPRINT_NAMES.text)}
        return (
            gd.QueryVariable(name)
            .label("Blueprint")
            .datasource(NEO4J)
            .query(query)  # type: ignore[arg-type]
            .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
            .current(current)
        )
    if name == "system":
        query = {"refId": "system", "cypherQuery": _clean(SWITCH_NAMES.text)}
        return (
            gd.QueryVariable(name)
            .label("Switch")
            .datasource(NEO4J)
            .query(query)  # type: ignore[arg-type]
            .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
            .current(current)
        )
    label = {"link": "Link id", "element": "Element id (system, link, interface, transceiver)"}
    return gd.TextBoxVariable(name).label(label[name]).default_value(DEFAULTS[name])


def build(spec: DashboardSpec) -> dm.Dashboard:
    board = (
        gd.Dashboard(spec.title)
        .uid(spec.uid)
        .description(spec.description)
        .tags(["fabricgraph"])
        .editable()
        .refresh("10s")
        .time("now-30m", "now")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
    )
    for name in spec.variables:
        board = board.with_variable(variable(name))
    for item in spec.panels:
        board = board.with_panel(panel(item))
    built = board.build()
    # the SDK gives every variable the interval variable's auto* fields, which Grafana's
    # dashboard schema does not declare on VariableModel (the schema check refuses them)
    for var in built.templating.list_val or []:
        var.auto = var.auto_min = var.auto_count = None
    return built


def render(spec: DashboardSpec) -> str:
    return json.dumps(build(spec), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def write_all(out_dir: Path = OUT_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in DASHBOARDS:
        path = out_dir / f"{spec.uid}.json"
        path.write_text(render(spec))
        written.append(path)
    return written


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUT_DIR
    for path in write_all(out):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
