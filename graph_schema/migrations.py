"""Numbered graph migrations, applied in this explicit order, each exactly once.

A migration is a tuple of idempotent Cypher statements (``IF NOT EXISTS``, or a
backfill that sets a property only where it is null); the applied numbers are recorded
on the single ``GraphMeta`` node, so applying the list twice changes nothing. Append new
migrations; never edit an applied one.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_schema.labels import Label
from graph_schema.natural import SORT_KEY, natural_key


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    statements: tuple[str, ...]


def _unique(label: Label, prop: str) -> str:
    name = f"{label.value.lower()}_{prop}_unique"
    return (
        f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label.value}) REQUIRE n.{prop} IS UNIQUE"
    )


def _index(label: Label, *props: str) -> str:
    name = f"{label.value.lower()}_{'_'.join(props)}_index"
    fields = ", ".join(f"n.{p}" for p in props)
    return f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label.value}) ON ({fields})"


_INTENT = (
    Label.RACK,
    Label.SYSTEM,
    Label.INTERFACE,
    Label.TRANSCEIVER,
    Label.LINK,
    Label.BGP_SESSION,
    Label.ROUTING_ZONE,
    Label.VIRTUAL_NETWORK,
    Label.POOL,
    Label.CONFIGLET,
    Label.PROPERTY_SET,
)


def _backfill_sort_key(label: Label, prop: str) -> str:
    """The natural key of ``prop`` on every ``label`` node created before it was stored."""
    return (
        f"MATCH (n:{label.value}) WHERE n.{SORT_KEY} IS NULL AND n.{prop} IS :: STRING "
        f"SET n.{SORT_KEY} = {natural_key(f'n.{prop}')}"
    )


_VIRTUAL = (Label.HYPERVISOR, Label.VIRTUAL_SWITCH, Label.VM, Label.VNIC)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "uniqueness of names and ids",
        (
            _unique(Label.GRAPH_META, "name"),
            _unique(Label.BLUEPRINT, "name"),
            _unique(Label.LOGICAL_DEVICE, "name"),
            _unique(Label.DEVICE_PROFILE, "name"),
            _unique(Label.RACK_TYPE, "name"),
            _unique(Label.TEMPLATE, "name"),
            *(_unique(label, "uid") for label in _INTENT),
            # a (pool, value) pair is held at most once: no double allocation, by the graph
            _unique(Label.RESOURCE, "key"),
            _unique(Label.REVISION, "uid"),
            _unique(Label.STAGED_CHANGE, "uid"),
            _unique(Label.DEVICE, "serial"),
            _unique(Label.DEPLOYMENT, "uid"),
            _unique(Label.ANOMALY, "uid"),
            _unique(Label.ROOT_CAUSE, "uid"),
        ),
    ),
    Migration(
        2,
        "lookup indexes",
        (
            *(_index(label, "blueprint", "id") for label in _INTENT),
            _index(Label.SYSTEM, "blueprint", "role"),
            _index(Label.RESOURCE, "blueprint", "pool"),
            _index(Label.ANOMALY, "blueprint", "state"),
            _index(Label.ANOMALY, "kind"),
            _index(Label.CONFIG, "device", "stage"),
            _index(Label.OBSERVATION, "key"),
            _index(Label.DEVICE, "hostname"),
        ),
    ),
    Migration(
        3,
        "telemetry: observations, samples, anomalies, root causes",
        (
            _unique(Label.OBSERVATION, "uid"),
            _index(Label.OBSERVATION, "blueprint", "kind"),
            _index(Label.OBSERVATION, "blueprint", "subject"),
            _index(Label.SAMPLE, "blueprint", "at"),
            _index(Label.ANOMALY, "blueprint", "device"),
            _index(Label.ANOMALY, "blueprint", "state", "cleared_at"),
            _index(Label.ROOT_CAUSE, "blueprint", "state"),
            _index(Label.ROOT_CAUSE, "blueprint", "state", "cleared_at"),
        ),
    ),
    Migration(
        4,
        "catalogue interface maps and device history",
        (
            _unique(Label.INTERFACE_MAP, "name"),
            _index(Label.DEVICE_EVENT, "device", "at"),
        ),
    ),
    Migration(
        5,
        "5-stage pods",
        (
            _unique(Label.POD, "uid"),
            _index(Label.POD, "blueprint", "id"),
        ),
    ),
    Migration(
        6,
        "worker pools: one pool per name and per queue",
        (
            _unique(Label.WORKER_POOL, "name"),
            _unique(Label.WORKER_POOL, "queue"),
        ),
    ),
    Migration(
        7,
        "off-box agents: one per name; devices by agent and inventory",
        (
            _unique(Label.AGENT, "name"),
            _index(Label.AGENT, "status"),
        ),
    ),
    Migration(
        8,
        "virtual inventory: hypervisors, virtual switches, VMs, vNICs",
        (
            *(_unique(label, "uid") for label in _VIRTUAL),
            *(_index(label, "blueprint", "source") for label in _VIRTUAL),
            _index(Label.VNIC, "blueprint", "vlan"),
            _index(Label.VIRTUAL_NETWORK, "blueprint", "vlan"),
        ),
    ),
    Migration(
        9,
        "virtual sources: one per blueprint and source, locked by each sync",
        (_unique(Label.VIRTUAL_SOURCE, "uid"),),
    ),
    Migration(
        10,
        "natural order stored: pages of systems and links read in an index's order",
        (
            _index(Label.SYSTEM, "blueprint", SORT_KEY),
            _index(Label.LINK, "blueprint", SORT_KEY),
            _backfill_sort_key(Label.SYSTEM, "id"),
            _backfill_sort_key(Label.LINK, "id"),
            _backfill_sort_key(Label.INTERFACE, "name"),
        ),
    ),
    Migration(
        11,
        "observation digests: one per blueprint and observer, with its observation counts",
        (
            _unique(Label.OBSERVATION_DIGEST, "uid"),
            # the counts of the observations ingested before digests existed (no
            # fingerprint: the next round of each observer is triaged fact by fact)
            "MATCH (o:Observation) WHERE o.blueprint IS NOT NULL AND o.observer IS NOT NULL "
            "WITH o.blueprint AS bp, o.observer AS observer, o.kind AS kind, count(*) AS n, "
            "max(o.observed_at.epochMillis) AS newest "
            "WITH bp, observer, collect([kind, n, newest]) AS c "
            "MERGE (d:ObservationDigest {uid: bp + '/' + observer}) "
            "WITH d, bp, observer, c WHERE d.counts IS NULL "
            "SET d.counts = [x IN c | x[1]], d.kinds = [x IN c | x[0]], "
            "d.newest_ms = [x IN c | x[2]], d.blueprint = bp, d.observer = observer",
        ),
    ),
)

GRAPH_VERSION: int = MIGRATIONS[-1].number
