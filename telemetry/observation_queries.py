"""Cypher that writes observations, their samples, and applies the retention policy."""

from __future__ import annotations

from blueprint_engine.graph.db import Query
from telemetry.model import SUBJECT_LABEL, ObservationKind

WRITE = Query(
    "telemetry.write",
    """
    UNWIND $rows AS r
    OPTIONAL MATCH (seen:Observation {uid: r.uid})
    WITH r, seen.value AS old, seen.observed_at.epochMillis AS last,
         toInteger(r.at * 1000) AS at_ms
    WHERE last IS NULL OR (at_ms >= last AND old <> r.value)
    MERGE (o:Observation {uid: r.uid})
    ON CREATE SET o.blueprint = $bp, o.kind = r.kind, o.observer = r.observer,
                  o.subject = r.subject, o.linked = false
    WITH r, o, old, datetime({epochMillis: at_ms}) AS at
    SET o.observed_at = at, o.changed_at = at, o.value = r.value
    CREATE (o)-[:HAD]->(:Sample {blueprint: $bp, observation: r.uid, value: r.value,
                                 at: r.at})
    WITH r, o, old
    CALL {
        WITH o
        MATCH (o)-[:HAD]->(s:Sample)
        WITH s ORDER BY s.at DESC SKIP $keep
        DETACH DELETE s
        RETURN count(*) AS dropped
    }
    RETURN r.kind AS kind, r.observer AS observer, r.subject AS subject, old,
           r.value AS value, NOT o.linked AS new, dropped
    """,
)
"""New or changed facts of every kind in one statement: upsert, a ``Sample`` per
change, at most ``$keep`` samples per observation. Returns one row per fact written
(``old`` null when new). A fact older than the stored one is ignored."""


def _link_query(kind: ObservationKind) -> Query:
    """Tie new observations of one kind to the intent node they observe; ``unknown``
    names subjects that are not intent nodes of the blueprint (the caller then rolls
    the transaction back)."""
    label = SUBJECT_LABEL[kind]  # a schema label, never a value
    return Query(
        f"telemetry.link.{kind.value}",
        f"""
        UNWIND $rows AS r
        MATCH (o:Observation {{uid: r.uid}}) WHERE o.linked = false
        OPTIONAL MATCH (n:{label} {{uid: $bp + '/' + r.subject}})
        FOREACH (_ IN CASE WHEN n IS NULL THEN [] ELSE [1] END |
                 CREATE (o)-[:OBSERVES]->(n) SET o.linked = true)
        RETURN r.subject AS subject, n IS NULL AS unknown
        """,
    )


LINK: dict[ObservationKind, Query] = {kind: _link_query(kind) for kind in ObservationKind}

# the first pass over the facts of the observers whose digest does not settle them (all
# kinds at once): every fact's stored time, whether it is due (true: new or changed,
# false: unchanged but due for a refresh of observed_at, null: nothing to do) and
# whether the stored value is the batch's
TRIAGE = Query(
    "telemetry.triage",
    """
    UNWIND range(0, size($uids) - 1) AS i
    OPTIONAL MATCH (o:Observation {uid: $uids[i]})
    WITH i, o.value AS old, o.observed_at.epochMillis AS last, $at_ms[i] AS at_ms
    RETURN i, last, old = $values[i] AS same,
           CASE WHEN last IS NULL
                  OR (at_ms >= last AND (old <> $values[i] OR at_ms - last >= $refresh_ms))
                THEN old IS NULL OR old <> $values[i] END AS due
    """,
)
"""Parallel lists (uids, values, times) rather than maps: a smaller message to pack."""
# unchanged facts whose observed_at is due for a refresh (all kinds at once)
TOUCH = Query(
    "telemetry.touch",
    """
    UNWIND range(0, size($uids) - 1) AS i
    MATCH (o:Observation {uid: $uids[i]})
    WITH o, $at_ms[i] AS at_ms
    WHERE o.observed_at.epochMillis < at_ms
    SET o.observed_at = datetime({epochMillis: at_ms})
    """,
)
"""Parallel lists (uids, times), as the triage's."""

BLUEPRINT_SYSTEMS = Query(
    "telemetry.observers",
    """
    OPTIONAL MATCH (b:Blueprint {name: $bp})
    WITH b
    UNWIND $ids AS id
    OPTIONAL MATCH (s:System {uid: $bp + '/' + id})
    OPTIONAL MATCH (d:ObservationDigest {uid: $bp + '/' + id})
    RETURN b IS NOT NULL AS blueprint, id, s IS NOT NULL AS known, s.role AS role,
           d.fp_kinds AS fp_kinds, d.fingerprints AS fingerprints,
           d.fp_oldest_ms AS fp_oldest_ms
    """,
)
"""The observers (are they switches of the blueprint?) with their digests by kind."""
LOCK_DIGESTS = Query(
    "telemetry.digests.lock",
    """
    UNWIND $ids AS id
    MERGE (d:ObservationDigest {uid: $bp + '/' + id})
    ON CREATE SET d.blueprint = $bp, d.observer = id
    SET d._lock = true
    WITH id, d
    RETURN id, d.kinds AS kinds, d.counts AS counts, d.newest_ms AS newest_ms,
           d.fp_kinds AS fp_kinds, d.fingerprints AS fingerprints,
           d.fp_oldest_ms AS fp_oldest_ms
    """,
)
"""The digests of the observers to triage fact by fact, write-locked (``ids`` sorted:
one order for every transaction) before their facts are read; their counts and digests
by kind as held under the lock."""
WRITE_DIGESTS = Query(
    "telemetry.digests.write",
    """
    UNWIND $rows AS r
    MATCH (d:ObservationDigest {uid: $bp + '/' + r.id})
    SET d.fp_kinds = r.fp_kinds, d.fingerprints = r.fingerprints,
        d.fp_oldest_ms = r.fp_oldest_ms, d.kinds = r.kinds, d.counts = r.counts,
        d.newest_ms = r.newest_ms
    REMOVE d._lock, d.fingerprint, d.oldest_ms
    """,
)

# history older than the policy's age, and cleared anomalies / root causes past it
PRUNE_SAMPLES = Query(
    "telemetry.prune_samples",
    """
    MATCH (s:Sample) WHERE s.blueprint = $bp AND s.at < $cutoff
    WITH s LIMIT $limit
    DETACH DELETE s
    RETURN count(*) AS dropped
    """,
)
PRUNE_CLEARED = Query(
    "telemetry.prune_cleared",
    """
    CALL {
        MATCH (a:Anomaly) WHERE a.blueprint = $bp AND a.state = 'cleared'
              AND a.cleared_at < datetime({epochMillis: $cutoff_ms})
        RETURN a AS n
        UNION
        MATCH (c:RootCause) WHERE c.blueprint = $bp AND c.state = 'cleared'
              AND c.cleared_at < datetime({epochMillis: $cutoff_ms})
        RETURN c AS n
    }
    WITH n LIMIT $limit
    DETACH DELETE n
    RETURN count(*) AS dropped
    """,
)
