"""Per-request dataloaders: each batches one level of a nested read into one query."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from blueprint_engine import reads
from blueprint_engine.db import Graph, Query


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
