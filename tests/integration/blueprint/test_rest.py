"""REST for resource pools, so an external IPAM can own them, described by OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.integration.api_calls import OPERATOR

pytestmark = pytest.mark.integration


def test_pools_list_their_ranges_and_how_many_values_are_held(
    client: TestClient, make_blueprint: Any
) -> None:
    bp = make_blueprint("lab")
    pools = {p["id"]: p for p in client.get(f"/api/blueprints/{bp}/pools").json()}
    assert pools["ipv4-loopback"]["ranges"] == ["10.0.0.0/24"]
    assert pools["ipv4-loopback"]["used"] == 6  # 2 spines + 4 leafs
    held = client.get(f"/api/blueprints/{bp}/pools/ipv4-loopback/resources").json()
    assert {r["owner"] for r in held} == {
        "spine1",
        "spine2",
        "rack1-leaf1",
        "rack2-leaf1",
        "rack3-leaf1",
        "rack3-leaf2",
    }


def test_an_ipam_may_widen_a_pool_but_not_strand_allocated_values(
    client: TestClient, make_blueprint: Any
) -> None:
    bp = make_blueprint("lab")
    url = f"/api/blueprints/{bp}/pools/ipv4-loopback"
    wider = client.put(url, json={"ranges": ["10.0.0.0/23"]}, headers=OPERATOR)
    assert wider.status_code == 200 and wider.json()["ranges"] == ["10.0.0.0/23"]
    stranding = client.put(url, json={"ranges": ["10.0.1.0/24"]}, headers=OPERATOR)
    assert stranding.status_code == 400
    assert "6 allocated value(s) would fall outside" in stranding.json()["error"]["message"]
    pools = {p["id"]: p for p in client.get(f"/api/blueprints/{bp}/pools").json()}
    assert pools["ipv4-loopback"]["ranges"] == ["10.0.0.0/23"]  # unchanged by the refusal


def test_changing_a_pool_needs_an_operator_and_well_formed_ranges(
    client: TestClient, make_blueprint: Any
) -> None:
    bp = make_blueprint("lab")
    url = f"/api/blueprints/{bp}/pools/asn-leaf"
    anonymous = client.put(url, json={"ranges": ["65100-65200"]})
    assert anonymous.status_code == 401 and "operator" in anonymous.json()["error"]["allowed"]
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    malformed = client.put(url, json={"ranges": ["65100-"]}, headers=OPERATOR)
    assert malformed.status_code == 400 and "asn-leaf" in malformed.json()["error"]["message"]
    not_a_list = client.put(url, json={"ranges": "65100-65200"}, headers=OPERATOR)
    assert not_a_list.status_code == 400
    unknown = client.put(f"/api/blueprints/{bp}/pools/nope", json={"ranges": []}, headers=OPERATOR)
    assert unknown.status_code == 404


def test_the_openapi_document_describes_the_pool_routes(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/api/blueprints/{bp}/pools",
        "/api/blueprints/{bp}/pools/{pool}",
        "/api/blueprints/{bp}/pools/{pool}/resources",
        "/api/cypher",
    } <= set(doc["paths"])
    assert "put" in doc["paths"]["/api/blueprints/{bp}/pools/{pool}"]
