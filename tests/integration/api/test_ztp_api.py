"""The ZTP endpoints against the real services: the script a switch runs, the call home,
hostile input refused with every problem named, the policy's bounds, the rate."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from api.rest_ztp import RATE
from blueprint_engine.graph.db import Graph, Query

REGISTER = "/api/ztp/register"
DELETE_AGENT = Query("test.ztp_delete_agent", "MATCH (a:Agent {name: $name}) DETACH DELETE a")
GOOD = {"serial": "ZTP-T1", "address": "10.253.0.77", "platform": "linuxfrr", "hostname": "t1"}


def test_script_is_a_ztp_script_calling_home_with_no_secret(client: TestClient) -> None:
    resp = client.get("/api/ztp/script", headers={"host": "10.253.0.1:8500"})
    assert resp.status_code == 200
    text = resp.text
    assert text.startswith("#!/bin/sh\n# CUMULUS-AUTOPROVISIONING\n")
    assert "http://10.253.0.1:8500/api/ztp/register" in text
    assert "password" not in text.lower() and "token" not in text.lower()


def test_hostile_host_header_is_not_echoed_into_the_script(client: TestClient) -> None:
    text = client.get("/api/ztp/script", headers={"host": "x;rm -rf /"}).text
    assert "rm -rf" not in text


def test_registration_problems_are_each_named(client: TestClient) -> None:
    body = {"serial": "../etc", "address": "999.1.1.1", "platform": "Eos!", "hostname": "-x",
            "extra": 1}  # fmt: skip
    resp = client.post(REGISTER, json=body)
    assert resp.status_code == 400
    message = resp.json()["error"]["message"]
    for word in ("unknown fields ['extra']", "serial '../etc'", "address '999.1.1.1'",
                 "platform 'Eos!'", "hostname '-x'"):  # fmt: skip
        assert word in message


def test_oversized_and_non_object_bodies_are_refused(client: TestClient) -> None:
    big = json.dumps({**GOOD, "hostname": "a" * 5000})
    resp = client.post(REGISTER, content=big, headers={"content-type": "application/json"})
    assert resp.status_code == 400 and "larger than 4096 bytes" in resp.json()["error"]["message"]
    resp = client.post(REGISTER, content=b"[1, 2]", headers={"content-type": "application/json"})
    assert resp.status_code == 400


def test_policy_bounds_subnet_and_platform(client: TestClient) -> None:
    resp = client.post(REGISTER, json={**GOOD, "address": "192.0.2.9"})
    assert resp.status_code == 403
    assert "outside ZTP policy 'lab'" in resp.json()["error"]["message"]
    resp = client.post(REGISTER, json={**GOOD, "platform": "eos"})
    assert resp.status_code == 403 and "not provisioned" in resp.json()["error"]["message"]


def test_a_registration_creates_the_agent_the_policy_describes(
    client: TestClient, graph: Graph
) -> None:
    try:
        resp = client.post(REGISTER, json=GOOD)
        assert resp.status_code == 201, resp.text
        row = resp.json()
        assert row["name"] == "ztp-ztp-t1" and row["address"] == "10.253.0.77"
        assert row["options"] == {"transport": "netns", "netns": "fg-t1",
                                  "lab_state_dir": "/var/run/fabricgraph-lab"}  # fmt: skip
        assert row["credential"] is None
        moved = client.post(REGISTER, json={**GOOD, "address": "10.253.0.78"})
        assert moved.status_code == 400 and "exists with address" in moved.text
    finally:
        graph.write(DELETE_AGENT, name="ztp-ztp-t1")


def test_rate_per_caller(client: TestClient) -> None:
    codes = [client.get("/api/ztp/script").status_code for _ in range(RATE + 5)]
    assert 429 in codes
