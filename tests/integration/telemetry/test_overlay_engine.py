"""The overlay's anomalies and root causes on the real Neo4j and Redis (no lab).

A ``lab-tenants`` blueprint whose switches have devices registered, assigned and
deployed (lifecycle only)::

    spine1
     |      \\
    rack1-leaf1  rack2-leaf1    web stretched over both racks, db in rack2;
                                zone blue's L3 VNI on both leafs

The collectors' reports are simulated (``fabric_state`` for the underlay; the ``evpn``
facts here, derived from the design's virtual networks, racks and loopbacks, not from
the engine), changed the way each overlay fault changes them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from blueprint_engine.design.model import Role
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from telemetry import engine, overlay_engine
from telemetry.collect_intent import read_intents
from telemetry.ingest import ingest
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration

RAISED = Query(
    "test.overlay_engine.raised",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'})-[:ON]->(n)
    RETURN a.type AS type, a.subject AS subject, a.device AS device, labels(n) AS on
    """,
)
OPEN = Query(
    "test.overlay_engine.causes",
    """
    MATCH (c:RootCause {blueprint: $bp, state: 'open'})
    OPTIONAL MATCH (c)-[:EXPLAINS]->(a:Anomaly)
    RETURN c.kind AS kind, c.subject AS subject,
           collect([a.type, a.subject, a.device]) AS symptoms
    """,
)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


def overlay_of(f: fs.Fabric) -> dict[str, dict[int, list[str]]]:
    """Per leaf, its VNIs with the remote VTEPs each should list, from the design."""
    d = f.design
    leafs_of = {r.id: r.leafs for r in d.racks}
    zone_vni = {z.id: z.vni for z in d.routing_zones}
    vtep = {s.id: str(s.loopback).split("/")[0] for s in d.systems if s.role == Role.LEAF}
    out: dict[str, dict[int, list[str]]] = {}
    for vn in d.virtual_networks:
        serving = sorted({leaf for rack in vn.racks for leaf in leafs_of[rack]})
        for leaf in serving:
            mine = out.setdefault(leaf, {})
            assert vn.vni is not None
            mine[vn.vni] = sorted(vtep[o] for o in serving if o != leaf)
            l3 = zone_vni[vn.routing_zone]
            if l3 is not None:
                mine[l3] = []
    return out


def evpn_facts(f: fs.Fabric) -> fs.Facts:
    return {
        ("evpn", leaf, leaf): {
            "vnis": [
                {"vni": n, "present": True, "up": True, "remote_vteps": remote}
                for n, remote in sorted(vnis.items())
            ],
            "unrouted_vteps": [],
        }
        for leaf, vnis in overlay_of(f).items()
    }


Fab = tuple[fs.Fabric, fs.Facts]


@pytest.fixture(scope="module")
def fabric(graph: Graph, client: redis.Redis) -> Iterator[Fab]:
    with fs.deployed_fabric(graph, template="lab-tenants") as fabric:
        facts = {**fs.healthy(fabric), **evpn_facts(fabric)}
        result = ingest(graph, client, fs.observations(fabric, facts, 1_000.0))
        assert result.anomalies_raised == []
        yield fabric, facts


def raised(graph: Graph, bp: str) -> set[tuple[str, str, str]]:
    return {(r["type"], r["subject"], r["device"]) for r in graph.read(RAISED, bp=bp)}


def causes(graph: Graph, bp: str) -> list[tuple[str, str, set[tuple[str, str, str]]]]:
    return [
        (r["kind"], r["subject"], {tuple(s) for s in r["symptoms"]})
        for r in graph.read(OPEN, bp=bp)
    ]


def web_leafs(f: fs.Fabric) -> tuple[str, str, int]:
    """web's two leafs (the one to fault second) and its VNI."""
    web = next(vn for vn in f.design.virtual_networks if vn.id == "web")
    leafs = {r.id: r.leafs for r in f.design.racks}
    first, second = sorted({leaf for rack in web.racks for leaf in leafs[rack]})
    assert web.vni is not None
    return first, second, web.vni


def without_web(facts: fs.Facts, f: fs.Fabric) -> fs.Facts:
    """web's VXLAN device deleted on its second leaf: absent there, and the first leaf's
    web no longer lists the second's VTEP."""
    first, second, vni = web_leafs(f)
    out = {k: dict(v) for k, v in facts.items()}
    for leaf in (first, second):
        key = ("evpn", leaf, leaf)
        entries = []
        for e in facts[key]["vnis"]:
            if e["vni"] == vni:
                e = (
                    {**e, "present": False, "up": False, "remote_vteps": []}
                    if leaf == second
                    else {**e, "remote_vteps": []}
                )
            entries.append(e)
        out[key] = {**facts[key], "vnis": entries}
    return out


def test_the_collector_reads_each_leafs_vnis_and_only_those(fabric: Fab, graph: Graph) -> None:
    f, _ = fabric
    expected = overlay_of(f)
    intents = {i.system: i for i in read_intents(graph, f.bp, golden=False)}
    for system, intent in intents.items():
        got = {v.vni: list(v.remote_vteps) for v in intent.vnis}
        assert got == expected.get(system, {}), system  # the spine has none


def test_a_vni_removed_out_of_band_is_one_oob_change_with_its_overlay_symptoms(
    fabric: Fab, graph: Graph, client: redis.Redis
) -> None:
    f, healthy = fabric
    first, second, _ = web_leafs(f)
    faulty = without_web(healthy, f)
    faulty[("config", second, second)] = {"deviated": True, "last_deploy": "succeeded"}
    ingest(graph, client, fs.observations(f, fs.changed(healthy, faulty), 1_010.0))
    expected = {
        ("vni_missing", "web", second),
        ("remote_vtep_missing", second, first),
        ("config_deviation", second, second),
    }
    assert raised(graph, f.bp) == expected
    assert causes(graph, f.bp) == [("oob_change", second, expected)]
    on = {(r["type"], tuple(r["on"])) for r in graph.read(RAISED, bp=f.bp)}
    assert ("vni_missing", ("VirtualNetwork",)) in on
    ingest(graph, client, fs.observations(f, fs.changed(faulty, healthy), 1_020.0))
    assert raised(graph, f.bp) == set()
    assert causes(graph, f.bp) == []


def test_a_vni_missing_without_a_config_change_is_its_own_root_cause(
    fabric: Fab, graph: Graph, client: redis.Redis
) -> None:
    f, healthy = fabric
    first, second, _ = web_leafs(f)
    faulty = without_web(healthy, f)
    ingest(graph, client, fs.observations(f, fs.changed(healthy, faulty), 1_030.0))
    expected = {("vni_missing", "web", second), ("remote_vtep_missing", second, first)}
    assert causes(graph, f.bp) == [("vni_missing", second, expected)]
    ingest(graph, client, fs.observations(f, fs.changed(faulty, healthy), 1_040.0))
    assert raised(graph, f.bp) == set()


def test_an_offline_leaf_explains_its_vtep_missing_on_the_other_leaf(
    fabric: Fab, graph: Graph, client: redis.Redis
) -> None:
    f, healthy = fabric
    first, second, vni = web_leafs(f)
    faulty = fs.device_offline(f, healthy, second)
    key = ("evpn", first, first)
    faulty[key] = {
        **healthy[key],
        "vnis": [{**e, "remote_vteps": []} if e["vni"] == vni else e for e in healthy[key]["vnis"]],
    }
    ingest(graph, client, fs.observations(f, fs.changed(healthy, faulty), 1_050.0))
    [(kind, subject, symptoms)] = causes(graph, f.bp)
    assert (kind, subject) == ("device_offline", second)
    assert ("remote_vtep_missing", second, first) in symptoms
    assert symptoms == raised(graph, f.bp)
    ingest(graph, client, fs.observations(f, fs.changed(faulty, healthy), 1_060.0))
    assert raised(graph, f.bp) == set()
    assert causes(graph, f.bp) == []


def test_an_underlay_only_blueprint_has_no_overlay_verdicts(graph: Graph) -> None:
    with fs.deployed_fabric(graph, template="lab") as f:
        assert overlay_engine.verdicts(graph, f.bp) == []
        assert all(i.vnis == () for i in read_intents(graph, f.bp, golden=False))


def test_the_sweep_judges_the_overlay_without_a_change_to_trigger_it(
    fabric: Fab, graph: Graph, client: redis.Redis
) -> None:
    """Facts written without evaluation (an evaluation lost): the level-triggered sweep
    raises what they imply, and clears it once the healthy facts are back."""
    f, healthy = fabric
    first, second, _ = web_leafs(f)
    faulty = without_web(healthy, f)
    ingest(graph, client, fs.observations(f, fs.changed(healthy, faulty), 1_070.0),
           evaluate=False)  # fmt: skip
    assert raised(graph, f.bp) == set()
    engine.reevaluate(graph, client, f.bp)
    assert raised(graph, f.bp) == {
        ("vni_missing", "web", second),
        ("remote_vtep_missing", second, first),
    }
    ingest(graph, client, fs.observations(f, fs.changed(faulty, healthy), 1_080.0),
           evaluate=False)  # fmt: skip
    engine.reevaluate(graph, client, f.bp)
    assert raised(graph, f.bp) == set()
    assert causes(graph, f.bp) == []


def test_a_change_on_one_leaf_judges_that_leafs_overlay_and_no_other(
    fabric: Fab, graph: Graph, client: redis.Redis
) -> None:
    f, healthy = fabric
    first, second, _ = web_leafs(f)
    faulty = without_web(healthy, f)

    def only(leaf: str, facts: fs.Facts) -> fs.Facts:
        return {("evpn", leaf, leaf): facts[("evpn", leaf, leaf)]}

    # the second leaf's facts written without evaluation, then the first leaf's ingested
    ingest(graph, client, fs.observations(f, only(second, faulty), 1_090.0), evaluate=False)
    ingest(graph, client, fs.observations(f, only(first, faulty), 1_091.0))
    assert raised(graph, f.bp) == {("remote_vtep_missing", second, first)}
    engine.reevaluate(graph, client, f.bp)  # the sweep judges every leaf
    assert ("vni_missing", "web", second) in raised(graph, f.bp)
    ingest(graph, client, fs.observations(f, only(first, healthy), 1_092.0))
    ingest(graph, client, fs.observations(f, only(second, healthy), 1_093.0))
    assert raised(graph, f.bp) == set()
    assert causes(graph, f.bp) == []
