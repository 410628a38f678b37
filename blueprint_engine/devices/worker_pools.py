"""Worker pools in the graph and the placement of devices on them.

``(:WorkerPool {name, queue, capacity, liveness, workers, checked_at, last_alive_at})``
and ``(:Device)-[:PLACED_ON]->(:WorkerPool)``: exactly one pool per placed device. The
pool's workers (consuming its queue) collect its devices and push to them; moving a
device is an operator action (``move``), checked and written in one transaction, so a
refusal leaves the graph unchanged. New devices are spread over the pools
(``placement.spread``). The pool check (``status_recorded``) owns the liveness facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from blueprint_engine.devices.lifecycle import Liveness
from blueprint_engine.devices.placement import (
    DEFAULT_CAPACITY,
    PoolLiveness,
    PoolLoad,
    check_capacity,
    check_move,
    check_name,
    spread,
)
from blueprint_engine.errors import ConflictError, NotFoundError, PoolExhaustedError
from blueprint_engine.graph.db import Graph, Query, Tx

ENSURE = Query(
    "pools.ensure",
    """
    OPTIONAL MATCH (other:WorkerPool {name: $name})
    WITH other IS NOT NULL AND other.queue <> $queue AS taken
    MERGE (p:WorkerPool {queue: $queue})
    ON CREATE SET p.name = CASE WHEN taken THEN 'queue-' + $queue ELSE $name END,
                  p.capacity = $capacity, p.liveness = $never,
                  p.created_at = datetime(), p.workers = []
    RETURN p.name AS name
    """,
)
BY_NAME_OR_QUEUE = Query(
    "pools.by_name_or_queue",
    """
    MATCH (p:WorkerPool) WHERE p.name = $name OR p.queue = $queue
    RETURN p.name AS name, p.queue AS queue
    """,
)
CREATE = Query(
    "pools.create",
    """
    CREATE (p:WorkerPool {name: $name, queue: $queue, capacity: $capacity, liveness: $never,
                          created_at: datetime(), workers: []})
    """,
)
SET_CAPACITY = Query(
    "pools.set_capacity",
    "MATCH (p:WorkerPool {name: $name}) SET p.capacity = $capacity RETURN p.name AS name",
)
DELETE_EMPTY = Query(
    "pools.delete_empty",
    """
    MATCH (p:WorkerPool {name: $name})
    OPTIONAL MATCH (d:Device)-[:PLACED_ON]->(p)
    WITH p, collect(d.serial)[..10] AS held, count(d) AS n
    FOREACH (_ IN CASE WHEN n = 0 THEN [1] ELSE [] END | DELETE p)
    RETURN n, held
    """,
)
# reading the loads under each pool's write lock: concurrent placements serialise here
LOADS_LOCKED = Query(
    "pools.loads_locked",
    """
    MATCH (p:WorkerPool)
    SET p._lock = true REMOVE p._lock
    WITH p
    OPTIONAL MATCH (d:Device)-[:PLACED_ON]->(p)
    RETURN p.name AS name, p.queue AS queue, p.capacity AS capacity, count(d) AS devices,
           coalesce(p.liveness, $never) AS liveness
    ORDER BY name
    """,
)
CURRENT_LOCKED = Query(
    "pools.current_locked",
    """
    MATCH (d:Device {serial: $serial})
    SET d._lock = true REMOVE d._lock
    WITH d
    OPTIONAL MATCH (d)-[:PLACED_ON]->(p:WorkerPool)
    RETURN p.name AS pool
    """,
)
UNPLACED_LOCKED = Query(
    "pools.unplaced_locked",
    """
    MATCH (d:Device) WHERE ($serials IS NULL OR d.serial IN $serials)
      AND NOT EXISTS { (d)-[:PLACED_ON]->(:WorkerPool) }
    SET d._lock = true REMOVE d._lock
    WITH d WHERE NOT EXISTS { (d)-[:PLACED_ON]->(:WorkerPool) }
    RETURN d.serial AS serial ORDER BY serial
    """,
)
PLACE = Query(
    "pools.place",
    """
    UNWIND $rows AS r
    MATCH (d:Device {serial: r.serial}), (p:WorkerPool {name: r.pool})
    OPTIONAL MATCH (d)-[old:PLACED_ON]->(:WorkerPool)
    DELETE old
    MERGE (d)-[:PLACED_ON]->(p)
    SET d.placed_at = datetime()
    """,
)
QUEUE_OF = Query(
    "pools.queue_of",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:PLACED_ON]->(p:WorkerPool)
    RETURN p.queue AS queue, p.name AS pool, p.liveness AS liveness,
           toString(p.checked_at) AS checked_at
    """,
)
SERIALS_ON = Query(
    "pools.serials_on",
    """
    MATCH (d:Device)-[:PLACED_ON]->(:WorkerPool {queue: $queue})
    RETURN d.serial AS serial ORDER BY serial
    """,
)
LIST = Query(
    "pools.list",
    """
    MATCH (p:WorkerPool)
    OPTIONAL MATCH (d:Device)-[:PLACED_ON]->(p)
    OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(s:System)
    WITH p, d, s ORDER BY d.serial
    RETURN p {.name, .queue, .capacity, .workers, liveness: coalesce(p.liveness, $never),
              checked_at: toString(p.checked_at), last_alive_at: toString(p.last_alive_at)}
           AS pool,
           [x IN collect(CASE WHEN d IS NULL THEN null ELSE
               d {.serial, .state, .deploy_mode, .liveness, system: s.id,
                  blueprint: s.blueprint} END) WHERE x IS NOT NULL] AS devices
    ORDER BY pool.name
    """,
)
UNPLACED = Query(
    "pools.unplaced",
    """
    MATCH (d:Device) WHERE NOT EXISTS { (d)-[:PLACED_ON]->(:WorkerPool) }
    RETURN d.serial AS serial ORDER BY serial
    """,
)
STATUS = Query(
    "pools.status",
    """
    UNWIND $rows AS r
    MATCH (p:WorkerPool {name: r.name})
    WITH p, r, p.liveness AS before
    SET p.liveness = r.liveness, p.workers = r.workers, p.checked_at = datetime(),
        p.last_alive_at = CASE WHEN r.liveness = $up THEN datetime() ELSE p.last_alive_at END
    WITH p, r, before
    CALL {
        WITH p, r
        MATCH (d:Device)-[:PLACED_ON]->(p)
        WHERE r.liveness = $down AND d.state IS NOT NULL
        SET d.liveness = $unknown
        RETURN count(d) AS unknown
    }
    RETURN p.name AS name, before, r.liveness AS liveness, unknown
    """,
)
SEEN = Query(
    "pools.seen",
    "MATCH (p:WorkerPool) RETURN p.name AS name, p.queue AS queue, "
    "p.last_alive_at IS NOT NULL AS seen ORDER BY name",
)
DOWN_PLACEMENTS = Query(
    "pools.down_placements",
    """
    MATCH (p:WorkerPool {liveness: $down})<-[:PLACED_ON]-(d:Device)-[:ASSIGNED_TO]->(s:System)
    WHERE d.state IS NOT NULL
    WITH p, s.blueprint AS blueprint, d, s ORDER BY d.serial
    RETURN p.name AS pool, p.queue AS queue, toString(p.last_alive_at) AS last_alive_at,
           blueprint, collect({serial: d.serial, system: s.id, state: d.state,
                               deploy_mode: d.deploy_mode}) AS devices
    ORDER BY pool, blueprint
    """,
)


@dataclass(frozen=True)
class Placement:
    serial: str
    pool: str
    queue: str
    previous: str | None


@dataclass(frozen=True)
class PoolOf:
    """Where one device is placed (all None: on no pool)."""

    pool: str | None
    queue: str | None
    liveness: str | None
    checked_at: str | None


@dataclass(frozen=True)
class PoolStatus:
    name: str
    liveness: PoolLiveness
    workers: tuple[str, ...]


@dataclass(frozen=True)
class DownPlacement:
    """The devices of one blueprint on a pool that is down."""

    pool: str
    queue: str
    blueprint: str
    last_alive_at: str | None
    devices: tuple[dict[str, Any], ...]


def _loads(graph: Graph, tx: Tx) -> list[PoolLoad]:
    return [
        PoolLoad(r["name"], r["queue"], r["capacity"], r["devices"], PoolLiveness(r["liveness"]))
        for r in graph.run(tx, LOADS_LOCKED, never=str(PoolLiveness.NEVER_SEEN))
    ]


class WorkerPools:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    # -- the pools ------------------------------------------------------------------
    def ensure(self, queue: str, *, capacity: int = DEFAULT_CAPACITY) -> str:
        """The pool consuming ``queue`` (created, named after the queue, when missing;
        ``queue-<queue>`` when another pool has that name): a worker starting on a queue
        makes its pool exist. Returns the pool's name."""
        rows = self.graph.write(
            ENSURE,
            queue=queue,
            name=queue,
            capacity=check_capacity(capacity),
            never=str(PoolLiveness.NEVER_SEEN),
        )
        return str(rows[0]["name"])

    def create(self, name: str, queue: str, capacity: int) -> None:
        """An operator creates a pool; a name or queue already used is a conflict."""
        check_name("pool name", name)
        check_name("pool queue", queue)
        check_capacity(capacity)

        def work(tx: Tx) -> None:
            taken = self.graph.run(tx, BY_NAME_OR_QUEUE, name=name, queue=queue)
            if taken:
                t = taken[0]
                raise ConflictError(
                    f"a worker pool {t['name']!r} (queue {t['queue']!r}) already uses "
                    f"that name or queue",
                    allowed="a new pool name and a queue no other pool consumes",
                )
            self.graph.run(
                tx, CREATE, name=name, queue=queue, capacity=capacity,
                never=str(PoolLiveness.NEVER_SEEN),
            )  # fmt: skip

        self.graph.write_tx(work)

    def set_capacity(self, name: str, capacity: int) -> None:
        check_capacity(capacity)
        if not self.graph.write(SET_CAPACITY, name=name, capacity=capacity):
            raise NotFoundError(f"no worker pool named {name!r}", allowed=self._names())

    def delete(self, name: str) -> None:
        """Delete an empty pool; one that still holds devices is refused, naming some."""
        rows = self.graph.write(DELETE_EMPTY, name=name)
        if not rows:
            raise NotFoundError(f"no worker pool named {name!r}", allowed=self._names())
        if rows[0]["n"]:
            raise ConflictError(
                f"worker pool {name!r} still holds {rows[0]['n']} device(s): "
                + ", ".join(rows[0]["held"]),
                allowed="move its devices to another pool first",
            )

    def _names(self) -> list[str]:
        return [r["name"] for r in self.graph.read(SEEN)] or ["no pool exists yet"]

    # -- placement ------------------------------------------------------------------
    def move(self, serial: str, pool: str) -> Placement:
        """An operator moves ``serial`` to ``pool``: refused (graph unchanged) when the
        device or pool does not exist, the device is there already, or the pool is full."""

        def work(tx: Tx) -> Placement:
            current = self.graph.run(tx, CURRENT_LOCKED, serial=serial)
            if not current:
                raise NotFoundError(
                    f"no device with serial {serial!r}",
                    allowed="a serial registered by a device agent",
                )
            loads = {p.name: p for p in _loads(self.graph, tx)}
            target = loads.get(pool)
            check_move(serial, current[0]["pool"], target, sorted(loads))
            assert target is not None
            self.graph.run(tx, PLACE, rows=[{"serial": serial, "pool": pool}])
            return Placement(serial, pool, target.queue, current[0]["pool"])

        return self.graph.write_tx(work)

    def place_new(self, serial: str, queue: str | None) -> Placement | None:
        """Place a newly registered device that has no pool yet: on the pool of
        ``queue`` when the agent names one (created when missing), else spread. A device
        already placed keeps its pool (a move is the operator's); None when left
        unplaced (no pool with room)."""
        if queue is not None:
            self.ensure(queue)
        placed = self._place_unplaced([serial], queue)
        return placed[0] if placed else None

    def spread_unplaced(self) -> list[Placement]:
        """Automatic spread: every device with no pool goes to the pools with room."""
        return self._place_unplaced(None, None)

    def _place_unplaced(self, serials: list[str] | None, queue: str | None) -> list[Placement]:
        def work(tx: Tx) -> list[Placement]:
            todo = [r["serial"] for r in self.graph.run(tx, UNPLACED_LOCKED, serials=serials)]
            if not todo:
                return []
            loads = _loads(self.graph, tx)
            by_name = {p.name: p for p in loads}
            if queue is not None:
                names = [p.name for p in loads if p.queue == queue] * len(todo)
            else:
                try:
                    names = spread(loads, len(todo))
                except PoolExhaustedError:
                    return []
            rows = [{"serial": s, "pool": n} for s, n in zip(todo, names, strict=True)]
            self.graph.run(tx, PLACE, rows=rows)
            return [Placement(r["serial"], r["pool"], by_name[r["pool"]].queue, None) for r in rows]

        return self.graph.write_tx(work)

    # -- reads ----------------------------------------------------------------------
    def queue_of(self, serial: str) -> str | None:
        """The queue of the pool ``serial`` is placed on (None: not placed)."""
        return self.pool_of(serial).queue

    def pool_of(self, serial: str) -> PoolOf:
        """The pool ``serial`` is placed on, with the last check's liveness."""
        rows = self.graph.read(QUEUE_OF, serial=serial)
        if not rows:
            raise NotFoundError(
                f"no device with serial {serial!r}", allowed="a serial registered by a device agent"
            )
        r = rows[0]
        return PoolOf(r["pool"], r["queue"], r["liveness"], r["checked_at"])

    def serials_on(self, queue: str) -> set[str]:
        return {r["serial"] for r in self.graph.read(SERIALS_ON, queue=queue)}

    def listing(self) -> list[dict[str, Any]]:
        """Every pool with its devices and load (stored liveness of the last check)."""
        out = []
        for r in self.graph.read(LIST, never=str(PoolLiveness.NEVER_SEEN)):
            pool = dict(r["pool"])
            pool["devices"] = r["devices"]
            pool["load"] = round(len(r["devices"]) / pool["capacity"], 4)
            out.append(pool)
        return out

    def unplaced(self) -> list[str]:
        return [r["serial"] for r in self.graph.read(UNPLACED)]

    def queues(self) -> dict[str, tuple[str, bool]]:
        """{pool name: (queue, a worker of it was ever seen)}."""
        return {r["name"]: (r["queue"], bool(r["seen"])) for r in self.graph.read(SEEN)}

    # -- the pool check --------------------------------------------------------------
    def status_recorded(self, statuses: Sequence[PoolStatus]) -> list[dict[str, Any]]:
        """One check's verdicts: each pool's liveness and workers; the managed devices
        of a pool that is down have liveness ``unknown`` (nobody collects them)."""
        rows = [
            {"name": s.name, "liveness": str(s.liveness), "workers": list(s.workers)}
            for s in statuses
        ]
        if not rows:
            return []
        return self.graph.write(
            STATUS,
            rows=rows,
            up=str(PoolLiveness.UP),
            down=str(PoolLiveness.DOWN),
            unknown=str(Liveness.UNKNOWN),
        )

    def down_placements(self) -> list[DownPlacement]:
        return [
            DownPlacement(
                r["pool"], r["queue"], r["blueprint"], r["last_alive_at"], tuple(r["devices"])
            )
            for r in self.graph.read(DOWN_PLACEMENTS, down=str(PoolLiveness.DOWN))
        ]
