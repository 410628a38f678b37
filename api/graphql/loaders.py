"""Per-request dataloaders behind the nested blueprint types, for the children a level
read (``api.graphql.levels``) did not attach: each batches one level into one query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from api.graphql.types import Interface, Link, System
from blueprint_engine import reads
from blueprint_engine.db import Graph, Query, Tx

if TYPE_CHECKING:
    from api.graphql.context import Context

# (blueprint, staged version) of a staged read; None reads active
StagedRef = tuple[str, int] | None


def make_loaders(graph: Graph) -> dict[str, DataLoader[str, Any]]:
    """A fresh cache of loaders for one request (filled on first use, never shared)."""
    del graph  # loaders are made on demand by ``Reader``, per view
    return {}


class Reader:
    """One request's view (active, or a staged version): dataloaders per level, and the
    statements of a whole nested read run in one transaction of that view."""

    def __init__(self, context: Context, staged: StagedRef) -> None:
        self.context = context
        self.staged = staged

    def transaction(self, work: Any) -> Any:
        """Run ``work(tx)`` in a read transaction of this view (blocking: call in a thread)."""
        if self.staged is None:
            return self.context.graph.read_tx(work)
        bp, version = self.staged
        return self.context.blueprints.staging.read_staged(bp, work, version)

    def _loader(self, name: str, query: Query, build: Any, **params: Any) -> DataLoader[str, Any]:
        key = f"{name}@{self.staged}@{sorted(params.items())}"
        found: DataLoader[str, Any] | None = self.context.loaders.get(key)
        if found is None:
            graph = self.context.graph

            def read(uids: list[str]) -> list[list[dict[str, Any]]]:
                def work(tx: Tx) -> list[list[dict[str, Any]]]:
                    rows = graph.run(tx, query, uids=uids)
                    by_parent = reads.found_by_parent(rows[0]["found"] if rows else [])
                    return [by_parent.get(uid, []) for uid in uids]

                result: list[list[dict[str, Any]]] = self.transaction(work)
                return result

            async def load(uids: list[str]) -> list[Any]:
                return [build(rows) for rows in await run_in_threadpool(read, uids)]

            found = self.context.loaders[key] = DataLoader(load_fn=load)
        return found

    async def interfaces(self, system_uid: str, first: int, after: str | None) -> list[Interface]:
        def build(rows: list[dict[str, Any]]) -> list[Interface]:
            return [Interface.of(row, self) for row in reads.ports_page(rows, first, after)]

        loader = self._loader("interfaces", reads.INTERFACES_OF, build, first=first, after=after)
        found: list[Interface] = await loader.load(system_uid)
        return found

    async def interface(self, uid: str) -> Interface | None:
        def build(rows: list[dict[str, Any]]) -> Interface | None:
            return Interface.of(rows[0], self) if rows else None

        found: Interface | None = await self._loader(
            "interface", reads.INTERFACES_BY_UID, build
        ).load(uid)
        return found

    async def link(self, uid: str) -> Link | None:
        def build(rows: list[dict[str, Any]]) -> Link | None:
            return Link.of(rows[0], self) if rows else None

        found: Link | None = await self._loader("link", reads.LINKS_BY_UID, build).load(uid)
        return found

    async def system(self, uid: str) -> System | None:
        def build(rows: list[dict[str, Any]]) -> System | None:
            return System.of(rows[0], self) if rows else None

        found: System | None = await self._loader("system", reads.SYSTEMS_BY_UID, build).load(uid)
        return found
