"""Per-request dataloaders: each batches one level of a nested read into one query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from blueprint_engine import reads
from blueprint_engine.db import Graph, Query
from blueprint_engine.staging import Staging

if TYPE_CHECKING:
    from api.graphql.context import Context


def _loader(graph: Graph, query: Query, single: bool) -> DataLoader[str, Any]:
    async def load(uids: list[str]) -> list[Any]:
        found = await run_in_threadpool(reads.grouped, graph, query, uids)
        return reads.first_of(found) if single else found

    return DataLoader(load_fn=load)


def make_loaders(graph: Graph) -> dict[str, DataLoader[str, Any]]:
    """Fresh loaders for one request (their caches never outlive it)."""
    return {
        "interfaces": _loader(graph, reads.INTERFACES_OF, single=False),
        "link": _loader(graph, reads.LINKS_BY_UID, single=True),
    }


# (blueprint, staged version) of a staged read; None reads active
StagedRef = tuple[str, int] | None
QUERIES = {"interfaces": (reads.INTERFACES_OF, False), "link": (reads.LINKS_BY_UID, True)}


def _staged_loader(
    graph: Graph, staging: Staging, name: str, bp: str, version: int
) -> DataLoader[str, Any]:
    query, single = QUERIES[name]

    def read(uids: list[str]) -> list[Any]:
        return staging.read_staged(bp, lambda tx: reads.grouped(graph, query, uids, tx), version)

    async def load(uids: list[str]) -> list[Any]:
        found = await run_in_threadpool(read, uids)
        return reads.first_of(found) if single else found

    return DataLoader(load_fn=load)


def loader(context: Context, name: str, staged: StagedRef) -> DataLoader[str, Any]:
    """The request's loader ``name``: over active, or over one staged view of a blueprint.

    A staged loader answers each batch in its own staged view pinned to the version
    the read started from: one view per level, never one per row.
    """
    if staged is None:
        active: DataLoader[str, Any] = context.loaders[name]
        return active
    key = f"{name}@{staged[0]}@{staged[1]}"
    if key not in context.loaders:
        staging = context.blueprints.staging
        context.loaders[key] = _staged_loader(context.graph, staging, name, *staged)
    found: DataLoader[str, Any] = context.loaders[key]
    return found
