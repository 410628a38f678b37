"""Nested blueprint reads, one Cypher statement per level of the query.

A list field (``systems``, ``links``) reads its own rows, then walks the query's
selection below it: every level the query asks for (interfaces of those systems,
their links, the links' ends, the ends' systems...) is read for all parents of the
level in one statement, and the children are attached to their parents before
graphql-core sees them. The nested resolvers then only return what is attached: no
dataloader future, no awaitable, no per-row query. Objects are shared by uid within
a request (a leaf's interface reached again as a link's end is the same object).

A shape the walk does not plan (a field reached through a path it does not follow)
still works: the resolver falls back to the request's dataloaders, one query per
level as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.graphql.types import ChildReader, Interface, Link, System
from blueprint_engine import reads
from blueprint_engine.graph.db import Graph, Query, Tx

# (first, after, tag) of an interfaces page
PageKey = tuple[int, str | None, str | None]
Run = Callable[[Query, dict[str, Any]], list[dict[str, Any]]]


def fields(selections: Iterable[Selection], name: str) -> Iterator[SelectedField]:
    """The selections of field ``name`` (through fragments) among ``selections``."""
    for item in selections:
        if isinstance(item, SelectedField):
            if item.name == name:
                yield item
        elif isinstance(item, (FragmentSpread, InlineFragment)):
            yield from fields(item.selections, name)


def _below(selected: list[SelectedField]) -> list[Selection]:
    return [child for field in selected for child in field.selections]


class Levels:
    """Reads one level per statement and links the objects of a request together."""

    def __init__(self, run: Run, reader: ChildReader, bp: str) -> None:
        self.run = run
        self.reader = reader
        self.prefix = bp + "/"
        self.systems: dict[str, System] = {}
        self.interfaces: dict[str, Interface] = {}
        self.links: dict[str, Link] = {}

    def _found(self, query: Query, uids: list[str]) -> list[Any]:
        rows = self.run(query, {"uids": uids})
        found: list[Any] = rows[0]["found"] if rows else []
        return found

    # -- objects from rows, shared by uid
    def system(self, row: dict[str, Any]) -> System:
        known = self.systems.get(row["uid"])
        if known is None:
            known = self.systems[row["uid"]] = System.of(row, self.reader)
        return known

    def link(self, row: dict[str, Any]) -> Link:
        known = self.links.get(row["uid"])
        if known is None:
            known = self.links[row["uid"]] = Link.of(row, self.reader)
        return known

    def _interface(self, values: list[Any]) -> Interface:
        known = self.interfaces.get(self.prefix + values[0])
        if known is None:
            known = Interface.of_values(values, self.prefix, self.reader)
            self.interfaces[known.uid] = known
        return known

    # -- one statement per level, then the levels below it
    def expand_systems(self, systems: list[System], selections: list[Selection]) -> None:
        by_page: dict[PageKey, list[SelectedField]] = {}
        for field in fields(selections, "interfaces"):
            first = int(field.arguments.get("first", reads.MAX_PAGE))
            key = (reads.clamp(first), field.arguments.get("after"), field.arguments.get("tag"))
            by_page.setdefault(key, []).append(field)
        found: dict[str, list[list[Any]]] = {}
        if by_page:
            found = dict(self._found(reads.INTERFACES_OF, [s.uid for s in systems]))
        for (first, after, tag), selected in by_page.items():
            children: list[Interface] = []
            for system in systems:
                rows = reads.ports_page(found.get(system.uid, []), first, after, tag)
                page = [self._interface(values) for values in rows]
                for interface in page:
                    interface.system_obj = system
                if system.pages is None:
                    system.pages = {}
                system.pages[(first, after, tag)] = page
                children += page
            self.expand_interfaces(children, _below(selected))

    def expand_interfaces(self, interfaces: list[Interface], selections: list[Selection]) -> None:
        selected = list(fields(selections, "link"))
        if selected:
            cabled = [i for i in interfaces if i.link_uid is not None]
            uids = {str(i.link_uid) for i in cabled}
            missing = sorted(uid for uid in uids if uid not in self.links)
            if missing:
                for values in self._found(reads.LINKS_BY_UID, missing):
                    link = Link.of_values(values, self.prefix, self.reader)
                    self.links[link.uid] = link
            for interface in cabled:
                interface.link_obj = self.links.get(str(interface.link_uid))
            links = list({id(x): x for i in cabled if (x := i.link_obj) is not None}.values())
            self.expand_links(links, _below(selected))
        selected = list(fields(selections, "system"))
        if selected:
            missing = sorted({i.system_uid for i in interfaces if i.system_uid not in self.systems})
            if missing:
                for values in self._found(reads.SYSTEMS_BY_UID, missing):
                    system = System.of_values(values, self.prefix, self.reader)
                    self.systems[system.uid] = system
            for interface in interfaces:
                interface.system_obj = self.systems.get(interface.system_uid)
            systems = list({id(s): s for i in interfaces if (s := i.system_obj)}.values())
            self.expand_systems(systems, _below(selected))

    def expand_links(self, links: list[Link], selections: list[Selection]) -> None:
        ends = [*fields(selections, "aEnd"), *fields(selections, "bEnd")]
        if not ends:
            return
        wanted = {link.a_uid for link in links} | {link.b_uid for link in links}
        missing = sorted(uid for uid in wanted if uid not in self.interfaces)
        if missing:
            for values in self._found(reads.INTERFACES_BY_UID, missing):
                self._interface(values)
        for link in links:
            link.a_obj = self.interfaces.get(link.a_uid)
            link.b_obj = self.interfaces.get(link.b_uid)
        children = [self.interfaces[uid] for uid in sorted(wanted) if uid in self.interfaces]
        self.expand_interfaces(children, _below(ends))


def runner(graph: Graph, tx: Tx) -> Run:
    def run(query: Query, params: dict[str, Any]) -> list[dict[str, Any]]:
        return graph.run(tx, query, **params)

    return run


def read_systems(
    graph: Graph, tx: Tx, reader: ChildReader, params: dict[str, Any], selections: list[Selection]
) -> list[System]:
    """The ``systems`` list and every level below it the query selects, in ``tx``."""
    levels = Levels(runner(graph, tx), reader, params["bp"])
    rows = graph.run(tx, reads.SYSTEMS, **params)
    systems = [levels.system(dict(r["row"])) for r in rows]
    levels.expand_systems(systems, selections)
    return systems


def read_links(
    graph: Graph, tx: Tx, reader: ChildReader, params: dict[str, Any], selections: list[Selection]
) -> list[Link]:
    """The ``links`` list and every level below it the query selects, in ``tx``."""
    levels = Levels(runner(graph, tx), reader, params["bp"])
    rows = graph.run(tx, reads.LINKS, **params)
    links = [levels.link(dict(r["row"])) for r in rows]
    levels.expand_links(links, selections)
    return links
