"""Each closed vocabulary has one home, its enum; everything that exports it follows.

A new member of an enum must reach: the metrics' zero-filled series, the GraphQL
enums and stage lists, the edits' allowed values, and every dashboard query that
names a member. These tests fail when one of those is re-typed by hand and misses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from api import fabric_metrics as fm
from api.graphql.devices import DEVICE_STAGES, MODE_EVENTS, SYSTEM_STAGES
from api.graphql.schema import build_schema
from blueprint_engine.change.edits import DEPLOY_MODES
from blueprint_engine.configs.stored import INCREMENTAL, RENDERED
from blueprint_engine.devices.lifecycle import (
    DEPLOYED_MODES,
    ConfigStage,
    DeployMode,
    DeviceState,
    Liveness,
)
from blueprint_engine.devices.reconcile import UNPUSHED_STAGES
from blueprint_engine.events import EventKind
from ops.panels import ANOMALIES, DEPLOYMENTS, HEALTH, TELEMETRY, PromPanel
from telemetry.evaluate import AnomalyType
from telemetry.rootcause import CauseKind


def _values(members: Iterable[object]) -> set[str]:
    return {str(m) for m in members}


def test_metrics_zero_fill_every_anomaly_type_and_root_cause_kind() -> None:
    assert set(fm.ANOMALY_TYPES) == _values(AnomalyType)
    assert set(fm.ROOT_CAUSE_KINDS) == _values(CauseKind)
    anomalies = fm.zero_filled(
        [], ["dc1"], ("type", "state"), (fm.ANOMALY_TYPES, fm.ANOMALY_STATES), "anomalies"
    )
    assert {s.labels["type"] for s in anomalies} == _values(AnomalyType)
    causes = fm.zero_filled(
        [], ["dc1"], ("kind", "state"), (fm.ROOT_CAUSE_KINDS, fm.ROOT_CAUSE_STATES), "root_causes"
    )
    assert {s.labels["kind"] for s in causes} == _values(CauseKind)
    assert set(fm.LINK_DOWN_TYPES) <= _values(AnomalyType)


def _enum_values(sdl: str, name: str) -> set[str]:
    body = re.search(r"enum " + name + r" \{([^}]*)\}", sdl)
    assert body is not None, f"no GraphQL enum {name}"
    return set(body.group(1).split())


def test_graphql_exports_every_deploy_mode_and_config_stage() -> None:
    sdl = build_schema().as_str()
    assert _enum_values(sdl, "DeployModeChange") == {m.name for m in DeployMode}
    # every mode but the starting one is reached by a lifecycle event
    assert set(MODE_EVENTS) == set(DeployMode) - {DeployMode.NOT_SET}
    pushed = {s for s in ConfigStage if s not in UNPUSHED_STAGES} - {ConfigStage.INCREMENTAL}
    assert _values(pushed) | {str(ConfigStage.PRISTINE)} <= set(DEVICE_STAGES)
    assert set(SYSTEM_STAGES) == {RENDERED, INCREMENTAL}


def test_edits_and_collection_use_the_lifecycle_deploy_modes() -> None:
    assert set(DEPLOY_MODES) == _values(DeployMode)
    assert set(DeployMode) >= DEPLOYED_MODES


# metric -> {label: the vocabulary its values come from}
LABELS: dict[str, dict[str, set[str]]] = {
    "fabricgraph_anomalies": {"type": _values(AnomalyType), "state": set(fm.ANOMALY_STATES)},
    "fabricgraph_anomalies_active": {"type": _values(AnomalyType)},
    "fabricgraph_root_causes": {"kind": _values(CauseKind), "state": set(fm.ROOT_CAUSE_STATES)},
    "fabricgraph_devices": {
        "state": _values(DeviceState),
        "deploy_mode": _values(DeployMode),
        "liveness": _values(Liveness),
    },
    "fabricgraph_systems": {"deploy_mode": _values(DeployMode)},
    "fabricgraph_bgp_sessions": {"state": set(fm.ELEMENT_STATES)},
    "fabricgraph_links": {"state": set(fm.ELEMENT_STATES)},
    "fabricgraph_events_total": {"kind": _values(EventKind)},
}
MATCHER = re.compile(r'(\w+)\s*(=~|!~|=|!=)\s*"([^"$]*)"')


def _selectors(expr: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = re.findall(r"(fabricgraph_\w+)\{([^}]*)\}", expr)
    return found


def test_dashboards_name_only_members_of_each_vocabulary() -> None:
    """A dashboard groups by a vocabulary's label (so a new member appears by itself);
    where a query names members (``state="IS-ACTIVE"``, ``kind=~"anomaly|root_cause"``)
    each must be one, so a renamed or removed member cannot leave a panel empty."""
    checked = 0
    for panel in (*HEALTH, *ANOMALIES, *DEPLOYMENTS, *TELEMETRY):
        if not isinstance(panel, PromPanel):
            continue
        for target in panel.targets:
            for metric, body in _selectors(target.expr):
                vocab = LABELS.get(metric, {})
                for label, _, value in MATCHER.findall(body):
                    if label not in vocab:
                        continue
                    named = set(value.split("|"))
                    assert named <= vocab[label], (panel.title, label, named - vocab[label])
                    checked += 1
    assert checked >= 5  # the dashboards do name members (a vacuous pass would hide a rename)
