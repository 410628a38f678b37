"""A pool's allocation policy, changed over REST, decides what staged additions get.

On the `lab` blueprint, rack1 is removed and committed (its leaf ASN is freed), then a
single-leaf rack is staged. Expected values come from the pool's ranges and the values
held, as listed by REST, never from the allocator:

- lowest_free: the lowest value of the ranges not held;
- sequential_from_last: the value after the last one handed out (at build, with the
  lowest_free policy, values were handed out in increasing order: the highest held).
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from blueprint_engine.blueprints import Blueprints
from tests.integration.api_calls import OPERATOR, VIEWER

pytestmark = pytest.mark.integration

POOL = "asn-leaf"
ADD_RACK = {"kind": "add_rack", "params": {"rack_type": "lab-single-leaf"}}
STAGED_ASN = """
query($n: String!, $o: String!) { blueprint(name: $n, view: STAGED) {
  resources(pool: "asn-leaf", owner: $o) { value } } }
"""


def held(client: TestClient, bp: str) -> dict[str, int]:
    """{owner: value} of the pool, from REST."""
    url = f"/api/blueprints/{bp}/pools/{POOL}/resources?limit=1000"
    return {r["owner"]: int(r["value"]) for r in client.get(url).json()}


def pool(client: TestClient, bp: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = client.get(f"/api/blueprints/{bp}/pools").json()
    return next(p for p in rows if p["id"] == POOL)


def staged_asn(client: TestClient, bp: str, owner: str) -> int:
    body = client.post("/graphql", json={"query": STAGED_ASN, "variables": {"n": bp, "o": owner}})
    (resource,) = body.json()["data"]["blueprint"]["resources"]
    return int(resource["value"])


def remove_rack1(blueprints: Blueprints, bp: str) -> None:
    edit = {"kind": "remove_rack", "params": {"rack": "rack1"}}
    version = blueprints.staging.stage(bp, edit, base_version=0, author="t")
    blueprints.staging.commit(bp, base_version=version, author="t", message="drop rack1")


def test_lowest_free_reuses_a_freed_value_sequential_continues_after_the_last(
    client: TestClient, make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab")
    at_build = held(client, bp)
    highest = max(at_build.values())
    remove_rack1(blueprints, bp)
    now = set(held(client, bp).values())
    first, last = (int(x) for x in pool(client, bp)["ranges"][0].split("-"))
    lowest_free = min(v for v in range(first, last + 1) if v not in now)
    assert pool(client, bp)["policy"] == "lowest_free"
    version = blueprints.staging.version(bp)
    version = blueprints.staging.stage(bp, ADD_RACK, base_version=version, author="t")
    assert staged_asn(client, bp, "rack4-leaf1") == lowest_free
    blueprints.staging.discard(bp, base_version=version)

    url = f"/api/blueprints/{bp}/pools/{POOL}"
    changed = client.put(url, json={"policy": "sequential_from_last"}, headers=OPERATOR)
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["policy"], changed.json()["ranges"]) == (
        "sequential_from_last",
        pool(client, bp)["ranges"],
    )
    version = blueprints.staging.stage(bp, ADD_RACK, base_version=version, author="t")
    assert staged_asn(client, bp, "rack4-leaf1") == highest + 1
    blueprints.staging.commit(bp, base_version=version, author="t", message="rack4")
    version = blueprints.staging.version(bp)
    blueprints.staging.stage(bp, ADD_RACK, base_version=version, author="t")
    assert staged_asn(client, bp, "rack5-leaf1") == highest + 2  # the last value persists


def test_an_unknown_policy_is_refused_with_the_allowed_ones_and_changes_nothing(
    client: TestClient, make_blueprint: Any
) -> None:
    bp = make_blueprint("lab")
    url = f"/api/blueprints/{bp}/pools/{POOL}"
    before = pool(client, bp)
    unknown = client.put(
        url, json={"policy": "random", "ranges": ["65100-65200"]}, headers=OPERATOR
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["allowed"] == "lowest_free, sequential_from_last"
    nothing = client.put(url, json={}, headers=OPERATOR)
    assert nothing.status_code == 400 and "policy" in nothing.json()["error"]["allowed"]
    viewer = client.put(url, json={"policy": "sequential_from_last"}, headers=VIEWER)
    assert viewer.status_code == 403
    assert pool(client, bp) == before  # neither ranges nor policy changed
