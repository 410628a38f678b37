"""Worker pools on the real stack: placement in the graph, tasks on the pool's queue,
the pool_down anomaly raised and cleared with real workers, and no two pools pushing
to one device at once.

    pool A (queue t-a-...)  ──worker──►  devices placed on A
    pool B (queue t-b-...)  ──worker──►  devices placed on B
                 each device: (:Device)-[:PLACED_ON]->(:WorkerPool)
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import Role
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import (
    ConflictError,
    NotFoundError,
    PoolExhaustedError,
    ServiceUnavailableError,
    ValidationError,
)
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from tests.integration.api_calls import OPERATOR, VIEWER, gql
from tests.integration.pools.helpers import (
    DROP_POOLS,
    SilentDevice,
    made_pools,
    pool_worker,
    wait_for,
)
from workers.app import app
from workers.collect import collect_blueprint, request_round
from workers.device_ops import DeviceOps
from workers.lease import lease_key
from workers.pools import check_pools, live_queues
from workers.reconciler import reconcile_device

pytestmark = pytest.mark.integration

DROP_DEVICES = Query(
    "test.pools.drop_devices",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAD_EVENT|HAS_DEPLOYMENT]->(x) DETACH DELETE x, d",
)
PLACED = Query(
    "test.pools.placed",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix "
    "OPTIONAL MATCH (d)-[:PLACED_ON]->(p:WorkerPool) "
    "RETURN d.serial AS serial, p.name AS pool ORDER BY serial",
)
ANOMALY = Query(
    "test.pools.anomaly",
    "MATCH (a:Anomaly {uid: $uid}) OPTIONAL MATCH (a)-[:ON]->(s:System) "
    "RETURN a.state AS state, a.summary AS summary, a.actual_value AS actual, "
    "collect(s.id) AS on",
)
CAUSE = Query(
    "test.pools.cause",
    "MATCH (c:RootCause {uid: $uid}) RETURN c.state AS state, c.evidence AS evidence, "
    "c.summary AS summary",
)
LIVENESS = Query(
    "test.pools.liveness",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix RETURN collect(DISTINCT d.liveness) AS l",
)
DEPLOYMENTS = Query(
    "test.pools.deployments",
    "MATCH (:Device {serial: $serial})-[:HAS_DEPLOYMENT]->(x:Deployment) "
    "RETURN x.status AS status, x.seconds AS seconds, x.by AS by, "
    "datetime(x.at).epochMillis / 1000.0 AS ended ORDER BY ended",
)


PROFILE = "frr-vswitch-8x10"


def _register(
    devices: Devices, serial: str, queue: str | None, profile: str = PROFILE, **args: Any
) -> None:
    devices.register(
        serial,
        hostname=serial.lower(),
        profile=profile,
        nos="linux_frr",
        driver="linuxfrr",
        driver_args=args,
        pristine="",  # discovery 1 renders from the profile alone
        worker_queue=queue,
    )


@pytest.fixture
def prefix(graph: Graph) -> Iterator[str]:
    tag = f"TP{uuid.uuid4().hex[:6]}-"
    yield tag
    graph.write(DROP_DEVICES, prefix=tag)


def _placed(graph: Graph, prefix: str) -> dict[str, str | None]:
    return {r["serial"]: r["pool"] for r in graph.read(PLACED, prefix=prefix)}


def test_devices_are_placed_and_moved_only_by_checked_operator_actions(
    graph: Graph, prefix: str
) -> None:
    pools = WorkerPools(graph)
    devices = Devices(graph)
    with made_pools(graph, "a", "b", capacity=2) as made:
        a, b = sorted(made)
        _register(devices, prefix + "1", made[a])
        _register(devices, prefix + "2", made[a])
        _register(devices, prefix + "3", made[b])
        before = _placed(graph, prefix)
        assert before == {prefix + "1": a, prefix + "2": a, prefix + "3": b}
        # refusals name what was wrong and leave the placement as it was
        with pytest.raises(ValidationError) as unknown:
            pools.move(prefix + "1", "t-nowhere")
        assert a in unknown.value.allowed and b in unknown.value.allowed
        with pytest.raises(ConflictError, match="already placed"):
            pools.move(prefix + "1", a)
        with pytest.raises(NotFoundError, match="no device"):
            pools.move(prefix + "missing", b)
        moved = pools.move(prefix + "1", b)
        assert (moved.previous, moved.pool, moved.queue) == (a, b, made[b])
        with pytest.raises(PoolExhaustedError, match=r"is full \(2/2"):
            pools.move(prefix + "2", b)
        assert _placed(graph, prefix) == {prefix + "1": b, prefix + "2": a, prefix + "3": b}
        # an agent registering again keeps the operator's placement
        _register(devices, prefix + "1", made[a])
        assert _placed(graph, prefix)[prefix + "1"] == b
        with pytest.raises(ConflictError, match="already uses"):
            pools.create(a, "t-other-queue", 5)
        with pytest.raises(ConflictError, match="still holds 2 device"):
            pools.delete(b)
        with pytest.raises(ValidationError, match="capacity"):
            pools.create("t-zero", "t-zero", 0)
        # a worker on a queue that is another pool's name gets a pool of its own
        extra = [f"{a}-n", f"queue-{a}-n"]
        try:
            pools.create(extra[0], f"{a}-nq", 5)
            assert pools.ensure(extra[0]) == extra[1]
            assert pools.ensure(extra[0]) == extra[1]  # the same pool the second time
        finally:
            graph.write(DROP_POOLS, names=extra)


def test_pools_over_graphql_and_rest_move_a_device_and_list_it(
    graph: Graph, client: TestClient, prefix: str
) -> None:
    devices = Devices(graph)
    with made_pools(graph, "a", "b") as made:
        a, b = sorted(made)
        _register(devices, prefix + "1", made[a])
        move = (
            "mutation($s: String!, $p: String!) "
            "{ moveDevice(serial: $s, pool: $p) { pool previous } }"
        )
        denied = gql(client, move, VIEWER, s=prefix + "1", p=b)
        assert denied["errors"][0]["extensions"]["code"] == "forbidden"
        body = gql(client, move, OPERATOR, s=prefix + "1", p=b)
        assert body["data"]["moveDevice"] == {"pool": b, "previous": a}
        bad = client.put(
            f"/api/devices/{prefix}1/pool", json={"pool": "t-nowhere"}, headers=OPERATOR
        )
        assert bad.status_code == 400 and "no worker pool" in bad.json()["error"]["message"]
        back = client.put(f"/api/devices/{prefix}1/pool", json={"pool": a}, headers=OPERATOR)
        assert back.status_code == 200 and back.json()["previous"] == b
        listed = client.get("/api/worker-pools").json()
        mine = {p["name"]: p for p in listed["pools"] if p["name"] in made}
        assert [d["serial"] for d in mine[a]["devices"]] == [prefix + "1"]
        assert mine[b]["devices"] == [] and mine[a]["load"] == pytest.approx(1 / 50)
        assert mine[a]["liveness"] == "never_seen" and listed["asked"] is True


@pytest.fixture
def bp(graph: Graph) -> Iterator[tuple[Blueprints, str]]:
    blueprints = Blueprints(graph)
    name = f"tp-{uuid.uuid4().hex[:6]}"
    blueprints.create(name, "lab")
    yield blueprints, name
    blueprints.delete(name)


def _deployed_on(
    graph: Graph, blueprints: Blueprints, bp: str, prefix: str, queue: str
) -> dict[str, str]:
    """A device per switch of ``bp``, placed on ``queue``'s pool, deployed by lifecycle
    events only (nothing pushed: no worker is asked)."""
    devices = Devices(graph)
    design = build_design(blueprints.catalogue, "lab", bp)
    serials = {}
    for s in design.systems:
        if s.role == Role.SERVER:
            continue
        serial = serials[s.id] = prefix + s.id
        _register(devices, serial, queue, str(s.device_profile))
        devices.event(serial, Event.ACKNOWLEDGE)
        devices.event(serial, Event.ASSIGN, blueprint=bp, system=s.id)
        devices.event(serial, Event.DEPLOY)
    return serials


def _check(graph: Graph, settings: Settings) -> dict[str, Any]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return check_pools(graph, client, live_queues(app))
    finally:
        client.close()


def test_a_pool_whose_workers_are_gone_raises_pool_down_naming_its_devices(
    graph: Graph, settings: Settings, client: TestClient, prefix: str, bp: tuple[Blueprints, str]
) -> None:
    blueprints, name = bp
    with made_pools(graph, "b") as made:
        [pool] = made
        queue = made[pool]
        serials = _deployed_on(graph, blueprints, name, prefix, queue)
        uid = f"{name}/pool_down/{pool}"
        with pool_worker(queue):
            assert _check(graph, settings)["pools"][pool]["liveness"] == "up"
            listed = gql(
                client, "{ workerPools { pools { name liveness workers devices { serial } } } }"
            )
            mine = next(p for p in listed["data"]["workerPools"]["pools"] if p["name"] == pool)
            assert mine["liveness"] == "up"
            assert [w.split("@")[0] for w in mine["workers"]] == [queue]
            assert sorted(d["serial"] for d in mine["devices"]) == sorted(serials.values())
            # a task for a device of the pool runs on the pool's worker
            ops = DeviceOps(graph, redis.Redis.from_url(settings.redis_url), blueprints)
            serial = serials["spine1"]
            queued = ops.reconcile(serial, wait=False)
            result = reconcile_device.AsyncResult(queued["task"])
            result.get(timeout=60)
            assert str(result.worker).startswith(f"{queue}@")
            assert graph.read(ANOMALY, uid=uid) == []
        # every worker of the pool is gone: the next check raises the anomaly
        checked = _check(graph, settings)
        assert checked["pools"][pool]["liveness"] == "down"  # (the beat's check may be first)
        [anomaly] = graph.read(ANOMALY, uid=uid)
        assert anomaly["state"] == "raised"
        assert sorted(anomaly["on"]) == sorted(serials)
        assert all(s in anomaly["summary"] for s in serials.values())
        [cause] = graph.read(CAUSE, uid=f"{name}/pool_down/{pool}")
        assert cause["state"] == "open"
        assert "neither collected nor deployable" in cause["summary"]
        evidence = json.loads(cause["evidence"])
        assert sorted(evidence["not_collected"]) == sorted(serials.values())
        assert graph.read(LIVENESS, prefix=prefix)[0]["l"] == ["unknown"]
        with pytest.raises(ServiceUnavailableError, match=f"no worker of its pool {pool}"):
            ops.reconcile(serials["spine1"], wait=True, timeout=10)
        series = f'fabricgraph_worker_pool_up{{pool="{pool}",queue="{queue}"}}'
        assert f"{series} 0.0" in client.get("/metrics").text
        # the pool comes back: the next check clears both
        with pool_worker(queue):
            checked = _check(graph, settings)
            assert checked["pools"][pool]["liveness"] == "up"
            assert graph.read(ANOMALY, uid=uid)[0]["state"] == "cleared"
            assert graph.read(CAUSE, uid=uid)[0]["state"] == "cleared"
            assert f"{series} 1.0" in client.get("/metrics").text


def test_a_device_moved_while_a_push_is_in_flight_is_never_pushed_by_two_pools(
    graph: Graph, settings: Settings, prefix: str
) -> None:
    devices = Devices(graph)
    client = redis.Redis.from_url(settings.redis_url)
    silent = SilentDevice()
    serial = prefix + "leaf"
    try:
        with (
            made_pools(graph, "a", "b") as made,
            pool_worker(made[sorted(made)[0]]),
            pool_worker(made[sorted(made)[1]]),
        ):
            a, b = sorted(made)
            _register(devices, serial, made[a], hostname="127.0.0.1", port=silent.port)
            devices.event(serial, Event.ACKNOWLEDGE)  # discovery 1 is due: a full push
            ops = DeviceOps(graph, client)
            ops.reconcile(serial, wait=False)  # to pool A's queue
            wait_for(lambda: silent.accepted >= 1, 60, "pool A's push reaching the device")
            assert client.exists(lease_key(serial))
            WorkerPools(graph).move(serial, b)
            # pool B's job for the device waits for the lease, then reports busy
            with pytest.raises(ConflictError, match="another deployment holds the device"):
                ops.reconcile(serial, wait=True, timeout=12)
            assert silent.accepted == 1
            silent.release()  # pool A's push fails now
            pushes = wait_for(
                lambda: graph.read(DEPLOYMENTS, serial=serial), 60, "pool A's push recorded"
            )
            assert [(p["status"], p["by"]) for p in pushes] == [("failed", made[a])]
            # pool A no longer serves the device at all, now that its lease is free
            stale = reconcile_device.apply_async((serial,), queue=made[a]).get(timeout=60)
            assert stale["status"] == "blocked" and made[b] in stale["reason"]
            after = ops.reconcile(serial, wait=True, timeout=60)  # pool B: backing off
            assert after["status"] in ("blocked", "none"), after
            pushes = graph.read(DEPLOYMENTS, serial=serial)
            assert len(pushes) == 1 and silent.accepted == 1
    finally:
        silent.close()
        client.close()


def test_each_pool_collects_only_its_own_devices_of_a_blueprint(
    graph: Graph, settings: Settings, prefix: str, bp: tuple[Blueprints, str]
) -> None:
    blueprints, name = bp
    with made_pools(graph, "a", "b") as made:
        a, b = sorted(made)
        serials = _deployed_on(graph, blueprints, name, prefix, made[a])
        on_b = sorted(serials.values())[::2]
        for serial in on_b:
            WorkerPools(graph).move(serial, b)
        with pool_worker(made[a]), pool_worker(made[b]):
            rounds = {
                pool: collect_blueprint.apply_async(
                    (name,), {"queue": made[pool], "wait_s": 20}, queue=made[pool]
                )
                for pool in (a, b)
            }
            done = {pool: r.get(timeout=120) for pool, r in rounds.items()}
            assert {p: str(r.worker).split("@")[0] for p, r in rounds.items()} == made
            assert done[b]["devices"] == len(on_b)
            assert done[a]["devices"] == len(serials) - len(on_b)
            # the devices answer nobody here (no agent): each pool saw exactly its own
            assert sorted(done[a]["unreachable"] + done[b]["unreachable"]) == sorted(serials)
            merged = request_round(graph, name, timeout_s=120)
            assert merged["devices"] == len(serials)


def test_a_tick_that_finds_its_round_running_gets_another_round_right_after_it(
    graph: Graph, settings: Settings, prefix: str, bp: tuple[Blueprints, str]
) -> None:
    """A round held up by a switch that does not answer (accepts, sends nothing): the
    periodic tick that comes meanwhile is a no-op (busy) that asks the running round
    for one more, which it runs as soon as it ends, instead of idling until the next
    tick (out-of-band changes are seen a round sooner)."""
    _, name = bp
    devices = Devices(graph)
    silent = SilentDevice()
    serial = prefix + "rack1-leaf1"
    try:
        with made_pools(graph, "a") as made:
            [queue] = made.values()
            _register(devices, serial, queue, hostname="127.0.0.1", port=silent.port)
            devices.event(serial, Event.ACKNOWLEDGE)
            devices.event(serial, Event.ASSIGN, blueprint=name, system="rack1-leaf1")
            devices.event(serial, Event.DEPLOY)
            tick = {"deployed_only": True, "queue": queue}
            outcome: list[dict[str, Any]] = []
            running = threading.Thread(
                target=lambda: outcome.append(collect_blueprint.apply((name,), tick).get())
            )
            running.start()
            wait_for(lambda: silent.accepted >= 1, 60, "the round reaching the switch")
            busy = collect_blueprint.apply((name,), tick).get()
            assert busy["status"] == "busy", busy
            silent.release()  # the switch fails at once now: the rounds end
            running.join(timeout=120)
            assert not running.is_alive()
            [done] = outcome
            assert done["rounds"] == 2, done
            assert done["unreachable"] == ["rack1-leaf1"]
            alone = collect_blueprint.apply((name,), tick).get()  # no tick came meanwhile
            assert alone["rounds"] == 1, alone
    finally:
        silent.close()


COMMIT = """mutation($bp: String!, $v: Int!) {
  commit(blueprint: $bp, baseVersion: $v, message: "rename") { devices reconciling } }"""


def test_a_commit_reconciles_the_devices_of_the_switches_it_touched_at_once(
    graph: Graph, client: TestClient, prefix: str, bp: tuple[Blueprints, str]
) -> None:
    blueprints, name = bp
    with made_pools(graph, "c") as made:
        [queue] = made.values()
        serials = _deployed_on(graph, blueprints, name, prefix, queue)
        edit = {"kind": "System", "id": "rack1-leaf1", "key": "hostname", "value": "r1-leaf"}
        version = blueprints.staging.stage(
            name, {"kind": "set_property", "params": edit}, base_version=0, author="alice"
        )
        with pool_worker(queue):
            body = gql(client, COMMIT, OPERATOR, bp=name, v=version)
            committed = body["data"]["commit"]
            assert "rack1-leaf1" in committed["devices"]
            assert len(committed["devices"]) < len(serials)  # not every switch
            assert committed["reconciling"] == sorted(serials[s] for s in committed["devices"])
            # the push ran on the pool's worker (and failed: no switch answers here)
            pushed = wait_for(
                lambda: graph.read(DEPLOYMENTS, serial=serials["rack1-leaf1"]),
                60,
                "the touched leaf's push recorded",
            )
            assert [p["by"] for p in pushed] == [queue]
