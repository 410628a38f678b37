"""What each Grafana panel asks: PromQL over `/metrics`, Cypher over the graph.

Cypher panels go through the Neo4j datasource for Grafana
(``kniepdennis-neo4j-datasource``), which runs the text in a read session with no
parameters; Grafana substitutes its dashboard variables (``${blueprint}``...) into
the text first, so the variables are quoted string literals here. Each Cypher
panel declares the columns it shows; the integration tests run every statement
against the real graph and compare the columns it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.topology import DEPENDENTS_BODY
from blueprint_engine.graph.db import Query

# Dashboard variables, and a value each takes when the tests evaluate the queries.
VARIABLES = ("blueprint", "system", "link", "element")


@dataclass(frozen=True)
class Prom:
    expr: str
    legend: str = ""
    # "telemetry": returns data only once collectors write observations into the graph;
    # "anomaly": only while an anomaly is raised
    needs: str = ""


@dataclass(frozen=True)
class PromPanel:
    title: str
    targets: tuple[Prom, ...]
    kind: str = "timeseries"  # timeseries | stat
    unit: str = "short"
    description: str = ""


@dataclass(frozen=True)
class CypherPanel:
    title: str
    query: Query
    columns: tuple[str, ...]
    description: str = ""


Panel = PromPanel | CypherPanel

BP = 'blueprint="$blueprint"'


def _ms(expr: str) -> str:
    """A time column: epoch seconds (the contract) or a datetime (as stored) -> datetime."""
    millis = f"datetime({{epochMillis: toInteger({expr} * 1000)}})"
    return f"CASE WHEN {expr} IS :: FLOAT OR {expr} IS :: INTEGER THEN {millis} ELSE {expr} END"


# ---- Cypher ---------------------------------------------------------------------------

BLUEPRINT_NAMES = Query(
    "panels.blueprint_names", "MATCH (b:Blueprint) RETURN b.name AS blueprint ORDER BY blueprint"
)
SWITCH_NAMES = Query(
    "panels.switch_names",
    """
    MATCH (s:System {blueprint: '${blueprint}'}) WHERE s.role <> 'server'
    RETURN s.id AS system ORDER BY system
    """,
)
DEVICES = Query(
    "panels.devices",
    """
    MATCH (s:System {blueprint: '${blueprint}'}) WHERE s.role <> 'server'
    OPTIONAL MATCH (d:Device)-[:ASSIGNED_TO]->(s)
    RETURN s.id AS system, s.role AS role, coalesce(s.deploy_mode, 'not_set') AS intent_mode,
           d.serial AS serial, d.state AS state, d.deploy_mode AS deploy_mode,
           d.liveness AS liveness, d.deviation AS deviation,
           COUNT { MATCH (a:Anomaly {blueprint: s.blueprint, state: 'raised'})
                   WHERE a.device = s.id } AS raised_anomalies
    ORDER BY system LIMIT 1000
    """,
)
ANOMALIES_WITH_CAUSE = Query(
    "panels.anomalies_with_cause",
    f"""
    MATCH (a:Anomaly {{blueprint: '${{blueprint}}', state: 'raised'}})
    OPTIONAL MATCH (r:RootCause {{state: 'open'}})-[:EXPLAINS]->(a)
    RETURN a.type AS type, a.subject AS subject, a.device AS device, a.summary AS summary,
           coalesce(a.expected, false) AS expected, coalesce(a.suppressed, false) AS suppressed,
           r.kind AS root_cause, r.subject AS root_cause_at, r.summary AS root_cause_summary,
           {_ms("a.first_seen")} AS first_seen
    ORDER BY first_seen DESC LIMIT 500
    """,
)
OPEN_ROOT_CAUSES = Query(
    "panels.open_root_causes",
    f"""
    MATCH (r:RootCause {{blueprint: '${{blueprint}}', state: 'open'}})
    OPTIONAL MATCH (r)-[:CAUSED_AT]->(x)
    RETURN r.kind AS kind, r.subject AS subject, head(labels(x)) AS element,
           r.summary AS summary, COUNT {{ (r)-[:EXPLAINS]->(:Anomaly) }} AS symptoms,
           {_ms("r.first_seen")} AS since
    ORDER BY since DESC LIMIT 200
    """,
)
LAST_DEPLOYMENTS = Query(
    "panels.last_deployments",
    """
    MATCH (d:Device)-[:ASSIGNED_TO]->(s:System {blueprint: '${blueprint}'})
    MATCH (d)-[:HAS_DEPLOYMENT]->(p:Deployment)
    WITH s, d, p ORDER BY p.at DESC
    WITH s, d, collect(p)[0] AS last, count(p) AS pushes
    RETURN s.id AS system, d.serial AS serial, d.state AS state, last.stage AS stage,
           last.status AS status, last.seconds AS seconds, last.at AS at, pushes
    ORDER BY system
    """,
)
DEVICE_OBSERVATIONS = Query(
    "panels.device_observations",
    f"""
    MATCH (o:Observation {{blueprint: '${{blueprint}}', observer: '${{system}}'}})
    RETURN o.kind AS kind, o.subject AS subject, o.value AS value,
           {_ms("o.observed_at")} AS observed_at, {_ms("o.changed_at")} AS changed_at
    ORDER BY kind, subject LIMIT 1000
    """,
)
LINK_OBSERVATIONS = Query(
    "panels.link_observations",
    f"""
    MATCH (l:Link {{blueprint: '${{blueprint}}', id: '${{link}}'}})-[:ENDPOINT]->(i:Interface)
    MATCH (o:Observation)-[:OBSERVES]->(x)
    WHERE x = i OR (i)-[:HAS_TRANSCEIVER]->(x)
    RETURN i.id AS interface, o.kind AS kind, o.observer AS observer, o.value AS value,
           {_ms("o.observed_at")} AS observed_at
    ORDER BY interface, kind
    """,
)
# every VM of the blueprint with its networks, the raised anomalies on its vNICs or its
# server, and the open root causes whose impact reaches it (their ``impacted_vms``)
VMS = Query(
    "panels.vms",
    """
    MATCH (vm:Vm {blueprint: '${blueprint}'})-[:HOSTED_ON]->(h:Hypervisor)-[:RUNS_ON]->(s:System)
    WITH vm, h, s, [(vm)-[:HAS_VNIC]->(n:Vnic) | n] AS nics
    RETURN vm.id AS vm, vm.name AS name, vm.state AS state, h.id AS hypervisor,
           s.id AS server, [n IN nics WHERE n.network IS NOT NULL | n.network] AS networks,
           COLLECT { MATCH (a:Anomaly {state: 'raised'})-[:ON]->(x)
                     WHERE x IN nics OR x = s
                     RETURN DISTINCT a.type + ' ' + a.subject } AS anomalies,
           COLLECT { MATCH (r:RootCause {blueprint: vm.blueprint, state: 'open'})
                     WHERE r.evidence CONTAINS ('"vm": "' + vm.id + '"')
                     RETURN r.kind + ' ' + r.subject } AS root_causes
    ORDER BY vm LIMIT 1000
    """,
)
# what depends on one element (system, link, interface or transceiver id): the same
# traversal as the topology page's impact (api.topology.DEPENDENTS_BODY)
IMPACT = Query(
    "panels.impact",
    """
    CALL {
      MATCH (x:System {blueprint: '${blueprint}', id: '${element}'}) RETURN x
      UNION MATCH (x:Link {blueprint: '${blueprint}', id: '${element}'}) RETURN x
      UNION MATCH (x:Interface {blueprint: '${blueprint}', id: '${element}'}) RETURN x
      UNION MATCH (x:Transceiver {blueprint: '${blueprint}', id: '${element}'}) RETURN x
    }
    WITH x, x.uid AS uid"""
    + DEPENDENTS_BODY
    + """
    RETURN kind AS dependent_kind, id AS dependent, collect(DISTINCT l.id) AS via
    ORDER BY dependent_kind, dependent
    """,
)

# ---- PromQL ---------------------------------------------------------------------------


def _p(expr: str, legend: str = "", needs: str = "") -> Prom:
    return Prom(expr, legend, needs)


HEALTH: tuple[Panel, ...] = (
    PromPanel(
        "Active anomalies",
        (_p(f"sum(fabricgraph_anomalies_active{{{BP}}})"),),
        "stat",
        description="raised, not expected by a drain, not suppressed",
    ),
    PromPanel(
        "Open root causes", (_p(f'sum(fabricgraph_root_causes{{{BP}, state="open"}})'),), "stat"
    ),
    PromPanel(
        "BGP sessions down", (_p(f'sum(fabricgraph_bgp_sessions{{{BP}, state="down"}})'),), "stat"
    ),
    PromPanel("Links down", (_p(f'sum(fabricgraph_links{{{BP}, state="down"}})'),), "stat"),
    PromPanel(
        "Devices in service", (_p(f'sum(fabricgraph_devices{{{BP}, state="IS-ACTIVE"}})'),), "stat"
    ),
    PromPanel(
        "Scrape cost",
        (_p("max by (part) (fabricgraph_scrape_seconds)", "{{part}}"),),
        "stat",
        unit="s",
    ),
    PromPanel(
        "BGP sessions by observed state",
        (_p(f"sum by (state) (fabricgraph_bgp_sessions{{{BP}}})", "{{state}}"),),
    ),
    PromPanel(
        "Links by role and observed state",
        (_p(f"sum by (role, state) (fabricgraph_links{{{BP}}})", "{{role}} {{state}}"),),
    ),
    PromPanel(
        "Active anomalies by type",
        (_p(f"sum by (type) (fabricgraph_anomalies_active{{{BP}}})", "{{type}}"),),
    ),
    PromPanel(
        "Graph and broker answering",
        (
            _p("fabricgraph_graph_up", "graph"),
            _p("fabricgraph_broker_up", "broker"),
            _p("fabricgraph_events_listening", "event channels"),
        ),
    ),
    CypherPanel(
        "Devices",
        DEVICES,
        (
            "system",
            "role",
            "intent_mode",
            "serial",
            "state",
            "deploy_mode",
            "liveness",
            "deviation",
            "raised_anomalies",
        ),
    ),
)

ANOMALIES: tuple[Panel, ...] = (
    PromPanel(
        "Raised anomalies by type",
        (_p(f'sum by (type) (fabricgraph_anomalies{{{BP}, state="raised"}})', "{{type}}"),),
    ),
    PromPanel(
        "Open root causes by kind",
        (_p(f'sum by (kind) (fabricgraph_root_causes{{{BP}, state="open"}})', "{{kind}}"),),
    ),
    PromPanel(
        "Anomaly and root-cause events per second",
        (
            _p(
                'sum by (kind) (rate(fabricgraph_events_total{kind=~"anomaly|root_cause"}'
                "[$__rate_interval]))",
                "{{kind}}",
            ),
        ),
        unit="ops",
    ),
    PromPanel(
        "Cleared anomalies kept",
        (_p(f'sum(fabricgraph_anomalies{{{BP}, state="cleared"}})'),),
        "stat",
    ),
    CypherPanel(
        "Raised anomalies and their root cause",
        ANOMALIES_WITH_CAUSE,
        (
            "type",
            "subject",
            "device",
            "summary",
            "expected",
            "suppressed",
            "root_cause",
            "root_cause_at",
            "root_cause_summary",
            "first_seen",
        ),
    ),
    CypherPanel(
        "Open root causes",
        OPEN_ROOT_CAUSES,
        ("kind", "subject", "element", "summary", "symptoms", "since"),
    ),
    CypherPanel(
        "Impact of the selected element (variable: element)",
        IMPACT,
        ("dependent_kind", "dependent", "via"),
    ),
    CypherPanel(
        "Virtual machines and their anomalies",
        VMS,
        ("vm", "name", "state", "hypervisor", "server", "networks", "anomalies", "root_causes"),
        "raised anomalies on a VM's vNICs or its server, and open root causes whose impact "
        "reaches it (from the virtual inventory synced into the graph)",
    ),
)

DEPLOYMENTS: tuple[Panel, ...] = (
    PromPanel(
        "Devices by lifecycle state",
        (
            _p(
                f"sum by (state, deploy_mode) (fabricgraph_devices{{{BP}}})",
                "{{state}} / {{deploy_mode}}",
            ),
        ),
    ),
    PromPanel(
        "Switches by intended deploy mode",
        (
            _p(
                f'sum by (deploy_mode) (fabricgraph_systems{{{BP}, role!="server"}})',
                "{{deploy_mode}}",
            ),
        ),
    ),
    PromPanel(
        "Deployment duration (p50, p95) by stage",
        (
            _p(
                "histogram_quantile(0.5, sum by (le, stage) "
                "(fabricgraph_deployment_duration_seconds_bucket))",
                "p50 {{stage}}",
            ),
            _p(
                "histogram_quantile(0.95, sum by (le, stage) "
                "(fabricgraph_deployment_duration_seconds_bucket))",
                "p95 {{stage}}",
            ),
        ),
        unit="s",
    ),
    PromPanel(
        "Deployments by stage and status",
        (
            _p(
                "sum by (stage, status) (fabricgraph_deployment_duration_seconds_count)",
                "{{stage}} {{status}}",
            ),
        ),
    ),
    PromPanel(
        "Celery queue depth",
        (
            _p("fabricgraph_celery_queue_length", "{{queue}}"),
            _p("fabricgraph_celery_tasks_unacked", "in flight"),
        ),
    ),
    CypherPanel(
        "Last deployment per device",
        LAST_DEPLOYMENTS,
        ("system", "serial", "state", "stage", "status", "seconds", "at", "pushes"),
    ),
)

TELEMETRY: tuple[Panel, ...] = (
    PromPanel(
        "Telemetry ingest (observations per second)",
        (
            _p(
                "sum by (blueprint) (rate(fabricgraph_telemetry_observations_total"
                "[$__rate_interval]))",
                "{{blueprint}}",
            ),
        ),
        unit="ops",
    ),
    PromPanel(
        "Observations held, by kind",
        (_p(f"sum by (kind) (fabricgraph_observations{{{BP}}})", "{{kind}}", "telemetry"),),
    ),
    PromPanel(
        "Age of the newest observation",
        (_p(f"fabricgraph_observation_age_seconds{{{BP}}}", "{{kind}}", "telemetry"),),
        unit="s",
    ),
    PromPanel(
        "Device reachable ($system)",
        (_p(f'fabricgraph_device_reachable{{{BP}, system="$system"}}', "{{system}}", "telemetry"),),
    ),
    PromPanel(
        "Interfaces up ($system)",
        (_p(f'fabricgraph_interface_up{{{BP}, system="$system"}}', "{{interface}}", "telemetry"),),
    ),
    PromPanel(
        "BGP sessions established ($system)",
        (_p(f'fabricgraph_bgp_session_up{{{BP}, system="$system"}}', "{{session}}", "telemetry"),),
    ),
    PromPanel(
        "Optics receive power ($system)",
        (
            _p(
                f'fabricgraph_optics_rx_power_dbm{{{BP}, system="$system"}}',
                "{{transceiver}}",
                "telemetry",
            ),
        ),
        unit="dBm",
    ),
    PromPanel(
        "Raised anomalies per switch",
        (_p(f"sum by (system) (fabricgraph_device_anomalies{{{BP}}})", "{{system}}", "anomaly"),),
    ),
    PromPanel(
        "Link up ($link)",
        (_p(f'fabricgraph_link_up{{{BP}, link="$link"}}', "{{link}}", "telemetry"),),
    ),
    PromPanel(
        "Link throughput ($link)",
        (
            _p(
                "sum by (interface, direction) "
                f'(fabricgraph_link_throughput_bps{{{BP}, link="$link"}})',
                "{{interface}} {{direction}}",
                "telemetry",
            ),
        ),
        unit="bps",
        description="bits per second each end receives and sends, from the interface "
        "counters' rates between consecutive collection rounds",
    ),
    CypherPanel(
        "Latest observations of $system",
        DEVICE_OBSERVATIONS,
        ("kind", "subject", "value", "observed_at", "changed_at"),
    ),
    CypherPanel(
        "Latest observations of link $link",
        LINK_OBSERVATIONS,
        ("interface", "kind", "observer", "value", "observed_at"),
    ),
)


@dataclass(frozen=True)
class DashboardSpec:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    variables: tuple[str, ...]


DASHBOARDS = (
    DashboardSpec(
        "fabricgraph-health",
        "Fabricgraph: fabric health",
        "Anomalies, root causes, BGP sessions and links of one blueprint at a glance",
        HEALTH,
        ("blueprint",),
    ),
    DashboardSpec(
        "fabricgraph-anomalies",
        "Fabricgraph: anomalies and root causes",
        "What is wrong, why, and what a selected element takes down with it",
        ANOMALIES,
        ("blueprint", "element"),
    ),
    DashboardSpec(
        "fabricgraph-deployments",
        "Fabricgraph: deployment status",
        "Device lifecycle states, config pushes and the worker queues",
        DEPLOYMENTS,
        ("blueprint",),
    ),
    DashboardSpec(
        "fabricgraph-telemetry",
        "Fabricgraph: device and link telemetry",
        "What the collectors observe per switch and per link",
        TELEMETRY,
        ("blueprint", "system", "link"),
    ),
)


def substitute(text: str, values: dict[str, str]) -> str:
    """Grafana's interpolation of ``$name`` / ``${name}`` (and the range/rate intervals)."""
    out = text.replace("$__rate_interval", values.get("__rate_interval", "1m"))
    for name in sorted(values, key=len, reverse=True):
        out = out.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    return out
