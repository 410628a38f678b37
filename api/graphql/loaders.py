"""Per-request dataloaders behind the nested blueprint types, for the children a level
read (``api.graphql.levels``) did not attach: each batches one level into one query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from api.graphql.types import Interface, Link, System
from blueprint_engine import reads
from blueprint_engine.graph.db import Graph, Query, Tx

if TYPE_CHECKING:
    from api.graphql.context import Context

# (blueprint, staged version) of a staged read; None reads active
StagedRef = tuple[str, int] | None


def make_loaders(graph: Graph) -> dict[str, DataLoader[str, Any]]:
    """A fresh cache of loaders for one request (filled on first use, never shared)."""
    del graph  # loaders are made on demand by ``Reader``, per view
    return {}


class Reader:
    """One request's view of a blueprint (active, or a staged version): dataloaders per
    level, and the statements of a whole nested read in one transaction of that view."""

    def __init__(self, context: Context, staged: StagedRef, bp: str) -> None:
        self.context = context
        self.staged = staged
        self.prefix = bp + "/"

    def transaction(self, work: Any) -> Any:
        """Run ``work(tx)`` in a read transaction of this view (blocking: call in a thread)."""
        if self.staged is None:
            return self.context.graph.read_tx(work)
        bp, version = self.staged
        return self.context.blueprints.staging.read_staged(bp, work, version)

    def _loader(self, name: str, query: Query, build: Any, key_of: Any) -> DataLoader[str, Any]:
        key = f"{name}@{self.prefix}@{self.staged}"
        found: DataLoader[str, Any] | None = self.context.loaders.get(key)
        if found is None:
            graph = self.context.graph

            def read(uids: list[str]) -> list[Any]:
                def work(tx: Tx) -> list[Any]:
                    rows = graph.run(tx, query, uids=uids)
                    return list(rows[0]["found"]) if rows else []

                by_key: dict[str, Any] = {}
                for values in self.transaction(work):
                    by_key.setdefault(key_of(values), []).append(values)
                return [by_key.get(uid, []) for uid in uids]

            async def load(uids: list[str]) -> list[Any]:
                return [build(rows) for rows in await run_in_threadpool(read, uids)]

            found = self.context.loaders[key] = DataLoader(load_fn=load)
        return found

    def _by_id(self, values: list[Any]) -> str:
        return self.prefix + str(values[0])

    async def interfaces(
        self, system_uid: str, first: int, after: str | None, tag: str | None = None
    ) -> list[Interface]:
        def build(rows: list[Any]) -> list[list[Any]]:
            return rows[0][1] if rows else []

        loader = self._loader("interfaces", reads.INTERFACES_OF, build, lambda v: v[0])
        ports: list[list[Any]] = await loader.load(system_uid)
        page = reads.ports_page(ports, first, after, tag)
        return [Interface.of_values(values, self.prefix, self) for values in page]

    async def interface(self, uid: str) -> Interface | None:
        def build(rows: list[Any]) -> Interface | None:
            return Interface.of_values(rows[0], self.prefix, self) if rows else None

        loader = self._loader("interface", reads.INTERFACES_BY_UID, build, self._by_id)
        found: Interface | None = await loader.load(uid)
        return found

    async def link(self, uid: str) -> Link | None:
        def build(rows: list[Any]) -> Link | None:
            return Link.of_values(rows[0], self.prefix, self) if rows else None

        loader = self._loader("link", reads.LINKS_BY_UID, build, self._by_id)
        found: Link | None = await loader.load(uid)
        return found

    async def system(self, uid: str) -> System | None:
        def build(rows: list[Any]) -> System | None:
            return System.of_values(rows[0], self.prefix, self) if rows else None

        loader = self._loader("system", reads.SYSTEMS_BY_UID, build, self._by_id)
        found: System | None = await loader.load(uid)
        return found
