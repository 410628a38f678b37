"""Rendered and incremental configs of blueprint switches.

``Configs.render`` turns graph contexts into config text (one query for any number
of switches). On commit, ``Configs.commit_hook`` finds the switches a revision
touches, renders them in the committing transaction, diffs them against their
previous rendered config and stores both, so incremental configs are ready the
moment the commit is (work proportional to the change, not to the blueprint).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from blueprint_engine.catalogue.store import CatalogueCache
from blueprint_engine.change.edits import Applied, DiffEntry
from blueprint_engine.configs.configlets import Attached, attached, in_scope, switch_facts
from blueprint_engine.configs.contexts import (
    CONFIGLETS,
    SWITCH_FACTS,
    assemble,
    fetch_rows,
    switch_ids,
)
from blueprint_engine.configs.rendering import (
    incremental,
    incremental_rollback,
    render,
    render_configlet,
    render_negation,
)
from blueprint_engine.errors import ConfigletError
from blueprint_engine.graph.db import Graph, Query, Tx
from renderers.context import DeviceContext, Stage

RENDERED = "rendered"
INCREMENTAL = "incremental"

STORED = Query(
    "configs.stored",
    """
    UNWIND $systems AS sid
    MATCH (:System {uid: $bp + '/' + sid})-[:HAS_CONFIG]->(c:Config {stage: $stage})
    RETURN sid AS system, c.text AS text
    """,
)
STORE = Query(
    "configs.store",
    """
    UNWIND $rows AS r
    MATCH (s:System {uid: $bp + '/' + r.system})
    MERGE (s)-[:HAS_CONFIG]->(c:Config {stage: r.stage})
    SET c.text = r.text, c.device = $bp + '/' + r.system, c.revision = $revision,
        c.updated_at = datetime()
    """,
)
# the revision a commit is about to record (the blueprint is locked by the commit)
COMMITTING_REVISION = Query(
    "configs.committing_revision",
    "MATCH (b:Blueprint {name: $bp}) RETURN coalesce(b.active_revision, 0) + 1 AS number",
)
EXISTING_SWITCHES = Query(
    "configs.existing_switches",
    """
    UNWIND $ids AS id
    MATCH (s:System {uid: $bp + '/' + id}) WHERE s.role IN ['superspine', 'spine', 'leaf']
    RETURN s.id AS id
    """,
)
VN_LEAFS = Query(
    "configs.vn_leafs",
    """
    UNWIND $names AS name
    MATCH (:VirtualNetwork {uid: $bp + '/' + name})-[:BOUND_TO]->(:Rack)<-[:IN_RACK]-(s:System)
    WHERE s.role = 'leaf'
    RETURN DISTINCT s.id AS id
    """,
)
RACK_LEAFS = Query(
    "configs.rack_leafs",
    """
    UNWIND $racks AS rack
    MATCH (:Rack {uid: $bp + '/' + rack})<-[:IN_RACK]-(s:System {role: 'leaf'})
    RETURN DISTINCT s.id AS id
    """,
)


def touched(diff: Iterable[DiffEntry]) -> tuple[set[str], set[str], set[str]]:
    """(system ids, virtual network names, rack ids) a logical diff touches (pure)."""
    systems: set[str] = set()
    networks: set[str] = set()
    racks: set[str] = set()
    for entry in diff:
        kind, ident = entry["kind"], str(entry["id"])
        if kind == "System":
            systems.add(ident)
        elif kind in ("Interface", "Transceiver"):
            systems.add(ident.split(":")[0])
        elif kind in ("Link", "BgpSession"):
            for end in ident.split(":evpn")[0].split("--"):
                systems.add(end.split(":")[0])
        elif kind == "VirtualNetwork":
            networks.add(ident)
        elif kind == "Rack":
            racks.add(ident)
        if entry.get("field", "").startswith("endpoint_"):
            for value in (entry.get("before"), entry.get("after")):
                if value:
                    systems.add(str(value).split(":")[0])
    return systems, networks, racks


class Configs:
    def __init__(self, graph: Graph, catalogues: CatalogueCache) -> None:
        self.graph = graph
        self.catalogues = catalogues
        self._speeds: dict[str, dict[str, int]] = {}

    def port_speed(self, profile: str, port: str) -> int:
        if profile not in self._speeds:
            ports = self.catalogues.device_profile(profile).physical_ports
            self._speeds[profile] = {p.name: p.speed_mbps for p in ports}
        return self._speeds[profile].get(port, 0)

    def contexts(
        self, bp: str, systems: list[str], tx: Tx | None = None
    ) -> dict[str, DeviceContext]:
        """{system id: device context}, read in one query (and one for the configlets)."""
        rows = fetch_rows(self.graph, bp, systems, tx)
        configlets = self.attached(bp, tx)
        return {
            row["id"]: assemble(
                row,
                self.catalogues.device_profile(row["profile"]).nos,
                self.port_speed,
                configlets,
            )
            for row in rows
        }

    def attached(self, bp: str, tx: Tx | None = None) -> list[Attached]:
        """The configlets attached to ``bp`` (as ``tx`` sees it; active without one)."""
        rows = self.graph.run(tx, CONFIGLETS, bp=bp) if tx else self.graph.read(CONFIGLETS, bp=bp)
        return attached(rows)

    def _in_scope_of(self, tx: Tx, bp: str, configlets: list[Attached]) -> set[str]:
        """Switches (as ``tx`` sees them) in the scope of any of ``configlets``."""
        if not configlets:
            return set()
        facts = [switch_facts(r) for r in self.graph.run(tx, SWITCH_FACTS, bp=bp)]
        return {f.id for f in facts for c in configlets if in_scope(c.scope, f)}

    def _configlet_switches(self, tx: Tx, bp: str, diff: list[DiffEntry]) -> set[str]:
        """Switches whose configlets or property values a diff may change."""
        ids = {str(e["id"]) for e in diff if e["kind"] == "Configlet"}
        blueprint_values = any(
            e["kind"] == "Blueprint" and e.get("field", "").startswith("property_set.")
            for e in diff
        )
        if not ids and not blueprint_values:
            return set()
        both = self.attached(bp, tx) + self.attached(bp)  # staged and active
        return self._in_scope_of(tx, bp, [c for c in both if blueprint_values or c.id in ids])

    def configlet_problems(self, tx: Tx, bp: str, diff: list[DiffEntry] | None) -> list[str]:
        """Build errors of configlets: each configlet (and negation) that fails to render on
        a switch, named with the device and line; on the switches ``diff`` touches, or on
        every switch in the scope of an attached configlet (``diff`` None)."""
        configlets = self.attached(bp, tx)
        if not configlets:
            return []
        if diff is None:
            systems = sorted(self._in_scope_of(tx, bp, configlets))
        else:
            systems = self.affected(tx, bp, diff)
        problems: list[str] = []
        for context in self.contexts(bp, systems, tx).values():
            for configlet in context.get("configlets", []):
                for render_one in (render_configlet, render_negation):
                    try:
                        render_one(configlet, context)
                    except ConfigletError as exc:
                        problems.append(exc.message)
        return sorted(set(problems))

    def render(
        self,
        bp: str,
        systems: list[str] | None = None,
        stage: Stage = Stage.SERVICE,
        tx: Tx | None = None,
    ) -> dict[str, str]:
        """{system id: config text} for the given switches (all switches when None)."""
        ids = systems if systems is not None else switch_ids(self.graph, bp, tx)
        # one context query for all of them: measured faster than chunked prefetching (B2)
        return {sid: render(ctx, stage) for sid, ctx in self.contexts(bp, ids, tx).items()}

    def stored(
        self, bp: str, systems: list[str], stage: str, tx: Tx | None = None
    ) -> dict[str, str]:
        rows = (
            self.graph.run(tx, STORED, bp=bp, systems=systems, stage=stage)
            if tx
            else self.graph.read(STORED, bp=bp, systems=systems, stage=stage)
        )
        return {r["system"]: r["text"] for r in rows}

    def affected(self, tx: Tx, bp: str, diff: list[DiffEntry]) -> list[str]:
        """Switches whose config a diff may change, as of staged (tx) and of active."""
        systems, networks, racks = touched(diff)
        systems |= self._configlet_switches(tx, bp, diff)
        for query, key, values in ((VN_LEAFS, "names", networks), (RACK_LEAFS, "racks", racks)):
            if values:
                params = {"bp": bp, key: sorted(values)}
                staged = self.graph.run(tx, query, **params)
                active = self.graph.read(query, **params)  # removed intent is still there
                systems |= {r["id"] for r in staged + active}
        rows = self.graph.run(tx, EXISTING_SWITCHES, bp=bp, ids=sorted(systems))
        return sorted(str(r["id"]) for r in rows)

    def incremental_preview(
        self, tx: Tx, bp: str, applied: Applied, *, rollback: bool = False
    ) -> dict[str, dict[str, Any]]:
        """For each touched switch: its new rendered config and the delta from the old one
        (with ``rollback``, also what undoes that delta)."""
        systems = self.affected(tx, bp, applied.diff)
        contexts = self.contexts(bp, systems, tx)
        new = {sid: render(ctx, Stage.SERVICE) for sid, ctx in contexts.items()}
        old = self.stored(bp, systems, RENDERED, tx)
        missing = [s for s in systems if s not in old]
        if missing:  # never rendered before: the active blueprint is the baseline
            old.update(self.render(bp, missing))  # own transaction: sees active, not staged
        negations = self._negations(bp, contexts)
        result: dict[str, dict[str, Any]] = {}
        for sid, text in new.items():
            delta = incremental(
                contexts[sid]["nos"], old.get(sid, ""), text, negations.get(sid, [])
            )
            result[sid] = {"rendered": text, "incremental": delta}
            if rollback:
                nos = contexts[sid]["nos"]
                result[sid]["rollback"] = incremental_rollback(nos, old.get(sid, ""), text)
        return result

    def _negations(
        self, bp: str, staged: dict[str, DeviceContext]
    ) -> dict[str, list[tuple[str, str]]]:
        """Per switch, the negations of the configlets it had in active and loses in staged
        (rendered with the active context: the values the lines were rendered with)."""
        had = [
            sid
            for sid, ctx in staged.items()
            if ctx["nos"] != "linux_frr"  # frr-reload removes lines by the config diff
        ]
        if not had or not self.attached(bp):
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for sid, active in self.contexts(bp, had).items():
            kept = {c["name"]: c for c in staged[sid].get("configlets", [])}
            for configlet in active.get("configlets", []):
                if kept.get(configlet["name"]) != configlet:
                    text = render_negation(configlet, active)
                    out.setdefault(sid, []).append((configlet["name"], text))
        return out

    def commit_hook(self, bp: str) -> Any:
        """A ``Staging.commit`` hook storing rendered + incremental configs of touched
        switches, each stamped with the revision the commit records."""

        def hook(tx: Tx, applied: Applied) -> list[str]:
            preview = self.incremental_preview(tx, bp, applied)
            rows = [
                {"system": s, "stage": stage, "text": cfg[key]}
                for s, cfg in preview.items()
                for stage, key in ((RENDERED, "rendered"), (INCREMENTAL, "incremental"))
            ]
            revision = self.graph.run(tx, COMMITTING_REVISION, bp=bp)[0]["number"]
            self.graph.run(tx, STORE, bp=bp, rows=rows, revision=revision)
            return sorted(s for s, cfg in preview.items() if cfg["incremental"])

        return hook
