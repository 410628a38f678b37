"""Catalogue entries created at run time (API, CLI), kept in the graph beside the fixtures.

The built-in entries come from ``fixtures/catalogue/*.yaml``; entries created through
REST, GraphQL or the CLI are nodes (``LogicalDevice``, ``DeviceProfile``,
``InterfaceMap``, ``RackType``, ``Template``) holding their definition as JSON. A new
entry is validated against fixtures + every stored entry with the very checks a YAML
file gets (``catalogue.extend_catalogue``), inside the transaction that stores it: an
invalid entry raises and the graph is unchanged. Writes are serialised by a lock node,
so names stay unique per kind across fixtures and stored entries (the graph's name
constraints also refuse duplicates, for every kind but interface maps).

A created entry that nothing uses can be deleted (``CatalogueCache.delete``): no other
entry may refer to it and no blueprint may use it (its template, racks, systems or a
staged ``add_rack``); fixture entries cannot be deleted (edit the YAML). Entries are
never edited, so a process's cached catalogue re-reads the stored entries only when a
name it is asked for is missing (``having``); a cache may still hold an entry another
process deleted, so whatever makes a blueprint use created entries (creating a blueprint,
staging or committing an ``add_rack``) first ``confirm``s them in its own transaction,
under the same lock node as deletions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import neo4j

from blueprint_engine.catalogue.entries import (
    Catalogue,
    NewEntry,
    Source,
    definition,
    entry_source,
    extend_catalogue,
)
from blueprint_engine.catalogue.models import ENTRY_KINDS, DeviceProfile
from blueprint_engine.catalogue.refs import EntryRef, dependencies, users
from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Row, Tx
from graph_schema.labels import Label

LABELS: Mapping[str, Label] = {
    "logical_devices": Label.LOGICAL_DEVICE,
    "device_profiles": Label.DEVICE_PROFILE,
    "interface_maps": Label.INTERFACE_MAP,
    "rack_types": Label.RACK_TYPE,
    "templates": Label.TEMPLATE,
    "configlets": Label.CATALOGUE_CONFIGLET,
}
FIXTURE, CREATED = "fixture", "created"
REPO = Path(__file__).resolve().parents[2]

STORED = Query(
    "catalogue.stored",
    f"""
    CALL () {{
      {" UNION ALL ".join(f"MATCH (n:{label.value}) RETURN n" for label in LABELS.values())}
    }}
    RETURN n.kind AS kind, n.name AS name, n.definition AS definition,
           n.created_by AS created_by, n.created_via AS created_via,
           toString(n.created_at) AS created_at
    ORDER BY n.created_at, n.kind, n.name
    """,
)


# every catalogue write first locks this node: writes are serialised, so the check against
# the stored entries (names included: InterfaceMap has no constraint of its own) holds
LOCK = Query(
    "catalogue.lock",
    """
    MERGE (m:GraphMeta {name: 'catalogue'})
    SET m.writes = coalesce(m.writes, 0) + 1, m.updated_at = datetime()
    """,
)


def _create_query(kind: str, label: Label) -> Query:
    # the label comes from LABELS (a schema name, never a value)
    return Query(
        f"catalogue.create.{kind}",
        f"""
        UNWIND $rows AS r
        CREATE (n:{label.value} {{name: r.name, kind: $kind, definition: r.definition,
                                  created_by: $author, created_via: $via,
                                  created_at: datetime()}})
        RETURN n.name AS name
        """,
    )


CREATE = {kind: _create_query(kind, label) for kind, label in LABELS.items()}


def _delete_query(kind: str, label: Label) -> Query:
    return Query(
        f"catalogue.delete.{kind}",
        f"MATCH (n:{label.value} {{name: $name}}) DETACH DELETE n",
    )


DELETE = {kind: _delete_query(kind, label) for kind, label in LABELS.items()}
# what in the blueprints uses an entry: a template, racks, systems, staged add_rack edits
BLUEPRINT_USERS = Query(
    "catalogue.blueprint_users",
    """
    CALL () {
      MATCH (b:Blueprint) WHERE $kind = 'templates' AND b.template = $name
      RETURN b.name AS blueprint, 'its template' AS what, 1 AS n
      UNION ALL
      MATCH (k:Rack) WHERE $kind = 'rack_types' AND k.rack_type = $name
      RETURN k.blueprint AS blueprint, 'racks' AS what, count(*) AS n
      UNION ALL
      MATCH (c:StagedChange {kind: 'add_rack'})
      WHERE $kind = 'rack_types' AND c.params CONTAINS $quoted
      RETURN c.blueprint AS blueprint, 'staged add_rack edits' AS what, count(*) AS n
      UNION ALL
      MATCH (c:Configlet) WHERE $kind = 'configlets' AND c.configlet = $name
      RETURN c.blueprint AS blueprint, 'attached configlets' AS what, count(*) AS n
      UNION ALL
      MATCH (c:StagedChange {kind: 'attach_configlet'})
      WHERE $kind = 'configlets' AND c.params CONTAINS $quoted
      RETURN c.blueprint AS blueprint, 'staged attach_configlet edits' AS what, count(*) AS n
      UNION ALL
      MATCH (s:System)
      WHERE ($kind = 'logical_devices' AND s.logical_device = $name)
         OR ($kind = 'device_profiles' AND s.device_profile = $name)
         OR ($kind = 'interface_maps' AND s.logical_device = $ld AND s.device_profile = $dp)
      RETURN s.blueprint AS blueprint, 'systems' AS what, count(*) AS n
    }
    RETURN blueprint, what, n ORDER BY blueprint, what
    """,
)


def catalogue_kind(text: str) -> str:
    """The section name of a kind (``rack-types`` and ``rack_types`` both name one)."""
    kind = text.strip().lower().replace("-", "_")
    if kind not in ENTRY_KINDS:
        raise NotFoundError(f"unknown catalogue kind {text!r}", allowed=list(ENTRY_KINDS))
    return kind


def stored_entries(rows: Sequence[Row]) -> list[NewEntry]:
    """Stored rows as entries to add to the fixtures (pure)."""
    entries = []
    for row in rows:
        data = json.loads(row["definition"])
        origin = f"graph:{row['kind']}/{row['name']}"
        entries.append(NewEntry(row["kind"], data, entry_source(data, origin)))
    return entries


def _fixture_location(source: Source) -> str:
    file = Path(source.document.file)
    shown = file.relative_to(REPO) if file.is_relative_to(REPO) else file
    line = source.document.line_of(source.path)
    return f"{shown}:{line}" if line is not None else str(shown)


def listing(fixtures: Catalogue, stored: Sequence[Row], kind: str | None = None) -> list[Row]:
    """Every entry (fixtures and stored), by kind then name, each with its source (pure)."""
    kinds = [kind] if kind else list(ENTRY_KINDS)
    result: list[Row] = []
    for section in kinds:
        rows = [
            {
                "kind": section,
                "name": name,
                "source": FIXTURE,
                "location": _fixture_location(fixtures.source(section, name)),
                "created_by": None,
                "created_via": None,
                "created_at": None,
                "definition": definition(entry),
            }
            for name, entry in fixtures.section(section).items()
        ]
        rows += [
            {
                "kind": section,
                "name": row["name"],
                "source": CREATED,
                "location": None,
                "created_by": row["created_by"],
                "created_via": row["created_via"],
                "created_at": row["created_at"],
                "definition": json.loads(row["definition"]),
            }
            for row in stored
            if row["kind"] == section
        ]
        result += sorted(rows, key=lambda row: str(row["name"]))
    return result


class CatalogueCache:
    """The catalogue a process uses: fixtures + stored entries, refreshed on a miss."""

    def __init__(self, graph: Graph, fixtures: Catalogue) -> None:
        self.graph = graph
        self.fixtures = fixtures
        self._current = fixtures
        self._lock = threading.Lock()

    def snapshot(self) -> Catalogue:
        """The catalogue as last read (no I/O): fixtures + the stored entries seen so far."""
        return self._current

    def refresh(self, tx: Tx | None = None) -> Catalogue:
        rows = self.graph.run(tx, STORED) if tx else self.graph.read(STORED)
        current = extend_catalogue(self.fixtures, stored_entries(rows))
        with self._lock:
            self._current = current
        return current

    def having(self, kind: str, name: str) -> Catalogue:
        """A catalogue holding ``name`` of ``kind`` if it exists anywhere (re-read on a miss)."""
        current = self._current
        if name in current.section(kind):
            return current
        return self.refresh()

    def device_profile(self, name: str) -> DeviceProfile:
        return self.having("device_profiles", name).device_profile(name)

    def entries(self, kind: str | None = None) -> list[Row]:
        """Every entry of ``kind`` (all kinds when None): fixtures and stored ones."""
        section = catalogue_kind(kind) if kind else None
        return listing(self.fixtures, self.graph.read(STORED), section)

    def create(self, kind: str, items: Sequence[object], *, author: str, via: str) -> list[Row]:
        """Validate and store new entries of one kind, all or none; return them as listed.

        ``items`` are definitions (mappings, as the API receives them; anything else is
        refused) or ``NewEntry`` values carrying a file source (the CLI: errors with lines).
        """
        section = catalogue_kind(kind)
        new = [_new_entry(section, item) for item in items]
        if not new:
            raise ValidationError("no entry to create", allowed="at least one definition")

        def work(tx: neo4j.ManagedTransaction) -> Catalogue:
            self.graph.run(tx, LOCK)
            current = extend_catalogue(self.fixtures, stored_entries(self.graph.run(tx, STORED)))
            extended = extend_catalogue(current, new)  # raises: nothing is written
            entries = extended.section(section)
            rows = [
                {"name": name, "definition": json.dumps(definition(entries[name]))}
                for name in _names(new)
            ]
            self.graph.run(tx, CREATE[section], rows=rows, kind=section, author=author, via=via)
            return extended

        extended = self.graph.write_tx(work)
        with self._lock:
            self._current = extended
        names = set(_names(new))
        return [row for row in self.entries(section) if row["name"] in names]

    def confirm(self, tx: Tx, entries: Iterable[EntryRef]) -> None:
        """Check, in ``tx``, that the created entries ``entries`` depend on are still stored
        as this cache knows them (raises if another process deleted one; fixtures need no
        check). Takes the catalogue lock, so a deletion cannot slip in before ``tx`` ends."""
        current = self._current
        needed = sorted(
            (kind, name)
            for kind, name in dependencies(current, entries)
            if name not in self.fixtures.section(kind)
        )
        if not needed:
            return
        self.graph.run(tx, LOCK)
        rows = self.graph.run(tx, STORED)
        stored = {(r["kind"], r["name"]): json.loads(r["definition"]) for r in rows}
        stale = [
            entry
            for entry in needed
            if entry[1] not in current.section(entry[0])
            or stored.get(entry) != definition(current.section(entry[0])[entry[1]])
        ]
        if stale:
            refreshed = extend_catalogue(self.fixtures, stored_entries(rows))
            with self._lock:
                self._current = refreshed
            kind, name = stale[0]
            if (kind, name) not in stored:
                raise NotFoundError(
                    f"{kind} {name!r} was deleted from the catalogue",
                    allowed=list(refreshed.section(kind)),
                )
            raise ConflictError(
                f"{kind} {name!r} changed in the catalogue while this was prepared",
                allowed="retry",
            )

    def delete(self, kind: str, name: str) -> Row:
        """Delete a created entry that no other entry and no blueprint uses; return it.

        Refused, naming them, when entries refer to it or blueprints use it (their
        template, racks, systems or staged ``add_rack`` edits); fixture entries cannot
        be deleted. All in one transaction under the catalogue lock.
        """
        section = catalogue_kind(kind)
        if name in self.fixtures.section(section):
            where = _fixture_location(self.fixtures.source(section, name))
            raise ConflictError(
                f"{section} {name!r} is built in ({where}) and cannot be deleted",
                allowed="created entries only (built-in entries change with the fixtures)",
            )

        def work(tx: neo4j.ManagedTransaction) -> tuple[Catalogue, Row]:
            self.graph.run(tx, LOCK)
            rows = self.graph.run(tx, STORED)
            mine = [r for r in rows if (r["kind"], r["name"]) == (section, name)]
            if not mine:
                created = sorted(r["name"] for r in rows if r["kind"] == section)
                raise NotFoundError(
                    f"no created {section} entry named {name!r}",
                    allowed=created or f"none: no {section} entry was created",
                )
            current = extend_catalogue(self.fixtures, stored_entries(rows))
            self._refuse_if_used(tx, current, section, name)
            rest = [r for r in rows if r is not mine[0]]
            remaining = extend_catalogue(self.fixtures, stored_entries(rest))
            self.graph.run(tx, DELETE[section], name=name)
            listed = listing(self.fixtures, mine, section)
            return remaining, next(r for r in listed if r["source"] == CREATED)

        remaining, row = self.graph.write_tx(work)
        with self._lock:
            self._current = remaining
        return row

    def _refuse_if_used(self, tx: Tx, current: Catalogue, kind: str, name: str) -> None:
        entry_users = [f"{k} {n}" for k, n in users(current, kind, name)]
        pair: dict[str, str | None] = {"ld": None, "dp": None}
        if kind == "interface_maps":
            imap = current.interface_maps[name]
            pair = {"ld": imap.logical_device, "dp": imap.device_profile}
        rows = self.graph.run(
            tx, BLUEPRINT_USERS, kind=kind, name=name, quoted=json.dumps(name), **pair
        )
        used_by = [
            f"blueprint {r['blueprint']} ("
            + (r["what"] if r["what"] == "its template" else f"{r['n']} {r['what']}")
            + ")"
            for r in rows
        ]
        if entry_users or used_by:
            raise ConflictError(
                f"{kind} {name!r} is in use by " + ", ".join(entry_users + used_by),
                allowed="an entry nothing uses (delete or change its users first)",
            )


def _new_entry(kind: str, item: object) -> NewEntry:
    if isinstance(item, NewEntry):
        return NewEntry(kind, item.data, item.source)
    if not isinstance(item, Mapping):
        raise ValidationError(
            f"a {kind} definition must be a mapping of fields, not {type(item).__name__}",
            allowed=f"fields {', '.join(ENTRY_KINDS[kind].model_fields)}",
        )
    return NewEntry(kind, item, entry_source(dict(item), "<api>"))


def _names(entries: Sequence[NewEntry]) -> list[str]:
    return [str(entry.data["name"]) for entry in entries]
