"""Probes in the graph: create (scope checked read-only and resolved), list, delete, and
the probes of a blueprint with their subjects for evaluation.

``(:Blueprint)-[:HAS_PROBE]->(:Probe {uid: "<bp>/<name>", blueprint, name, definition,
predefined, subjects, resolved, created_by, created_at})``. ``subjects`` are the ids the
scope returned at the blueprint's active revision ``resolved``; a commit (a new active
revision) makes the next evaluation run the scope again. The predefined probes'
nodes only cache their subjects (their definitions are the code's).

A scope is caller-supplied Cypher, so it passes the exploration endpoint's gates
(``blueprint_engine.readonly``: the text, then the plan of ``EXPLAIN``: read-only, no
administration, no LOAD CSV, allowed procedures only) and runs in a READ transaction
with a timeout, ``$bp`` as its one parameter; it must return a column ``subject`` of
ids of the kind's intent nodes in the blueprint, at most ``MAX_SUBJECTS``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.readonly import check_plan, check_text
from telemetry.model import SUBJECT_LABEL
from telemetry.probes.model import MAX_PROBES, MAX_SCOPE_CHARS, MAX_SUBJECTS, Probe, parse
from telemetry.probes.predefined import NAMES, PREDEFINED

SCOPE_TIMEOUT_S = 5.0

STATE = Query(
    "probes.state",
    """
    OPTIONAL MATCH (b:Blueprint {name: $bp})
    RETURN b IS NOT NULL AS found, b.active_revision AS revision,
           COLLECT { MATCH (b)-[:HAS_PROBE]->(p:Probe)
                     RETURN p {.name, .definition, .predefined, .subjects, .resolved} }
           AS probes,
           COLLECT { MATCH (a:Anomaly) WHERE a.blueprint = $bp AND a.state = 'raised'
                           AND a.type = 'probe'
                     RETURN a {.uid, .probe, .subject, .device} } AS raised
    """,
)
LOCK = Query(
    "probes.lock",
    "MATCH (b:Blueprint {name: $bp}) SET b.probes_changed_at = $now RETURN b.name AS name",
)
"""Writers of a blueprint's probes take its node's lock first: they serialise."""
SAVE_SUBJECTS = Query(
    "probes.save_subjects",
    """
    MATCH (b:Blueprint {name: $bp})
    UNWIND $rows AS r
    CALL {
        WITH b, r WITH b, r WHERE r.predefined
        MERGE (b)-[:HAS_PROBE]->(p:Probe {uid: $bp + '/' + r.name})
        ON CREATE SET p.blueprint = $bp, p.name = r.name, p.predefined = true,
                      p.created_by = 'fabricgraph', p.created_at = datetime()
        RETURN p
        UNION
        WITH b, r WITH b, r WHERE NOT r.predefined
        MATCH (b)-[:HAS_PROBE]->(p:Probe {uid: $bp + '/' + r.name})
        RETURN p
    }
    SET p.subjects = r.subjects, p.resolved = r.revision, p.definition = r.definition
    """,
)
CREATE = Query(
    "probes.create",
    """
    MATCH (b:Blueprint {name: $bp})
    CREATE (b)-[:HAS_PROBE]->(:Probe {uid: $bp + '/' + $name, blueprint: $bp, name: $name,
            definition: $definition, predefined: false, subjects: $subjects,
            resolved: $revision, created_by: $author, created_at: datetime()})
    """,
)
DELETE = Query(
    "probes.delete",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_PROBE]->(p:Probe {uid: $bp + '/' + $name})
    WHERE NOT p.predefined
    DETACH DELETE p
    RETURN count(*) AS deleted
    """,
)
LIST = Query(
    "probes.list",
    """
    MATCH (b:Blueprint {name: $bp})
    RETURN COLLECT { MATCH (b)-[:HAS_PROBE]->(p:Probe)
                     RETURN p {.name, .definition, .predefined, .subjects, .created_by,
                               created_at: toString(p.created_at)} } AS probes,
           COLLECT { MATCH (a:Anomaly) WHERE a.blueprint = $bp AND a.state = 'raised'
                           AND a.type = 'probe' RETURN a.probe } AS raised
    """,
)


def _known_query(label: str) -> Query:
    # label is a SUBJECT_LABEL value (a schema name, never a value)
    return Query(
        f"probes.known.{label}",
        f"""
        UNWIND $ids AS id
        OPTIONAL MATCH (n:{label} {{uid: $bp + '/' + id}})
        WITH id, n WHERE n IS NULL
        RETURN id LIMIT 10
        """,
    )


KNOWN = {label: _known_query(label) for label in sorted(set(SUBJECT_LABEL.values()))}


@dataclass(frozen=True)
class ProbeState:
    """What evaluation needs of a blueprint: its probes with subjects, the raised probe
    anomalies (uid, probe, subject, device)."""

    found: bool
    probes: tuple[Probe, ...] = ()
    raised: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)


def scope_subjects(graph: Graph, bp: str, probe: Probe) -> tuple[str, ...]:
    """Run a probe's scope through the read-only gates; the subject ids it selects."""
    check_text(probe.scope, MAX_SCOPE_CHARS)
    params = {"bp": bp}
    query_type, plan = graph.explain(probe.scope, params, timeout_s=SCOPE_TIMEOUT_S)
    check_plan(query_type, plan)
    keys, rows, truncated = graph.run_readonly(
        probe.scope, params, max_rows=MAX_SUBJECTS, timeout_s=SCOPE_TIMEOUT_S
    )
    if "subject" not in keys:
        raise ValidationError(
            f"the scope returns columns {keys}, not 'subject'",
            allowed=f"a query returning the ids of {probe.on_label} nodes AS subject",
        )
    if truncated:
        raise ValidationError(
            f"the scope selects more than {MAX_SUBJECTS} subjects",
            allowed=f"at most {MAX_SUBJECTS} {probe.on_label} nodes per probe",
        )
    at = keys.index("subject")
    ids = [row[at] for row in rows]
    wrong = [i for i in ids if not isinstance(i, str) or not i or "/" in i]
    if wrong:
        raise ValidationError(
            f"the scope returns subjects {wrong[:5]!r} that are not ids",
            allowed=f"the id property of {probe.on_label} nodes (e.g. i.id AS subject)",
        )
    unique = tuple(sorted(set(ids)))
    unknown = [r["id"] for r in graph.read(KNOWN[probe.on_label], bp=bp, ids=list(unique))]
    if unknown:
        raise ValidationError(
            f"the scope returns {unknown!r}, not {probe.on_label} ids of blueprint {bp!r}",
            allowed=f"ids of the {probe.on_label} nodes a {probe.kind.value} observation is about",
        )
    return unique


def _blueprint_revision(graph: Graph, bp: str) -> int | None:
    rows = graph.read(STATE, bp=bp)
    if not rows[0]["found"]:
        raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint name")
    revision = rows[0]["revision"]
    return int(revision) if revision is not None else None


def create(graph: Graph, bp: str, definition: object, author: str) -> Probe:
    """Check and store a user probe; the graph is unchanged when anything is refused."""
    probe = parse(definition)
    if probe.name in NAMES:
        raise ConflictError(
            f"{probe.name!r} is a predefined probe", allowed=f"a name other than {sorted(NAMES)}"
        )
    revision = _blueprint_revision(graph, bp)
    subjects = scope_subjects(graph, bp, probe)

    def work(tx: Any) -> None:
        graph.run(tx, LOCK, bp=bp, now=time.time())
        names = [p["name"] for p in graph.run(tx, LIST, bp=bp)[0]["probes"]]
        user = [n for n in names if n not in NAMES]
        if probe.name in names:
            raise ConflictError(
                f"blueprint {bp!r} has a probe named {probe.name!r} already",
                allowed=f"a name not in {sorted(names)}",
            )
        if len(user) >= MAX_PROBES:
            raise ValidationError(
                f"blueprint {bp!r} has {len(user)} user probes",
                allowed=f"at most {MAX_PROBES} (delete one first)",
            )
        graph.run(
            tx,
            CREATE,
            bp=bp,
            name=probe.name,
            definition=probe.definition_json(),
            subjects=list(subjects),
            revision=revision,
            author=author,
        )

    graph.write_tx(work)
    return replace(probe, subjects=subjects)


@dataclass(frozen=True)
class ProbeRow:
    probe: Probe
    subjects: int
    raised: int
    created_by: str | None = None
    created_at: str | None = None


def list_probes(graph: Graph, bp: str) -> list[ProbeRow]:
    """The blueprint's probes, predefined first, then by name."""
    rows = graph.read(LIST, bp=bp)
    if not rows:
        raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint name")
    stored = {p["name"]: p for p in rows[0]["probes"]}
    raised: dict[str, int] = {}
    for name in rows[0]["raised"]:
        raised[name] = raised.get(name, 0) + 1
    out: list[ProbeRow] = []
    for probe in PREDEFINED:
        node = stored.get(probe.name) or {}
        count = len(node.get("subjects") or [])
        out.append(ProbeRow(probe, count, raised.get(probe.name, 0), "fabricgraph"))
    for name, node in sorted(stored.items()):
        if name in NAMES:
            continue
        probe = parse(json.loads(node["definition"]))
        count = len(node.get("subjects") or [])
        out.append(
            ProbeRow(probe, count, raised.get(name, 0), node["created_by"], node["created_at"])
        )
    return out


def delete(graph: Graph, bp: str, name: str) -> None:
    """Delete a user probe (its raised anomalies are cleared by the caller's next step,
    ``telemetry.probes.evaluate.forget``)."""
    if name in NAMES:
        raise ConflictError(
            f"{name!r} is a predefined probe and cannot be deleted",
            allowed="the name of a user probe",
        )

    def work(tx: Any) -> int:
        if not graph.run(tx, LOCK, bp=bp, now=time.time()):
            raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint name")
        return int(graph.run(tx, DELETE, bp=bp, name=name)[0]["deleted"])

    if not graph.write_tx(work):
        names = [r.probe.name for r in list_probes(graph, bp) if not r.probe.predefined]
        raise NotFoundError(
            f"blueprint {bp!r} has no user probe named {name!r}",
            allowed=", ".join(names) or "no user probe exists",
        )


def _stored(node: Mapping[str, Any]) -> Probe | None:
    try:
        return parse(json.loads(node["definition"]))
    except (ValidationError, ValueError, TypeError):
        return None  # a definition this code no longer accepts is not evaluated


def state(graph: Graph, bp: str) -> ProbeState:
    """The blueprint's probes with their subjects (scopes run again after a commit)."""
    row = graph.read(STATE, bp=bp)[0]
    if not row["found"]:
        return ProbeState(False)
    revision = row["revision"]
    nodes = {p["name"]: p for p in row["probes"]}
    probes: list[Probe] = []
    stale: list[dict[str, Any]] = []
    for name, probe in [(p.name, p) for p in PREDEFINED] + [
        (n, _stored(node)) for n, node in sorted(nodes.items()) if n not in NAMES
    ]:
        if probe is None:
            continue
        node = nodes.get(name)
        if node is not None and node["resolved"] == revision and node["subjects"] is not None:
            probes.append(replace(probe, subjects=tuple(node["subjects"])))
            continue
        try:
            subjects = scope_subjects(graph, bp, probe)
        except ValidationError:
            subjects = tuple(node["subjects"] or ()) if node else ()
        probes.append(replace(probe, subjects=subjects))
        stale.append(
            {
                "name": name,
                "predefined": probe.predefined,
                "subjects": list(subjects),
                "revision": revision,
                "definition": probe.definition_json(),
            }
        )
    if stale:
        _save(graph, bp, stale)
    return ProbeState(True, tuple(probes), tuple(row["raised"]))


def _save(graph: Graph, bp: str, rows: Sequence[Mapping[str, Any]]) -> None:
    def work(tx: Any) -> None:
        graph.run(tx, LOCK, bp=bp, now=time.time())
        graph.run(tx, SAVE_SUBJECTS, bp=bp, rows=list(rows))

    graph.write_tx(work)


def as_dict(row: ProbeRow) -> dict[str, Any]:
    """A probe as the API and CLI show it."""
    return {
        **row.probe.definition(),
        "predefined": row.probe.predefined,
        "subjects": row.subjects,
        "raised": row.raised,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }
