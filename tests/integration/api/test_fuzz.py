"""Item 6: schemathesis over /api/openapi.json and /graphql finds no server error.

Bounded so the suite stays fast (a few hundred cases); `python -m bench.fuzz_api` runs
the large campaign against a running API."""

from __future__ import annotations

import re

import httpx
import pytest

from bench.fuzz_api import fuzz_graphql, fuzz_rest

pytestmark = pytest.mark.integration


def test_every_operation_declares_its_path_parameters(http: httpx.Client) -> None:
    doc = http.get("/api/openapi.json").json()
    operations = [(path, op) for path, ops in doc["paths"].items() for op in ops.values()]
    assert len(operations) >= 9
    for path, op in operations:
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_fuzzing_the_rest_api_finds_no_server_error(served: str) -> None:
    tally = fuzz_rest(served, examples_per_operation=25)
    assert tally.requests >= 100
    assert tally.server_errors == [], tally.server_errors[:5]
    assert set(tally.statuses) - {200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422} == set()


def test_fuzzing_graphql_finds_no_server_error(served: str) -> None:
    tally = fuzz_graphql(served, examples_per_field=4, queries_only=False)
    assert tally.requests >= 100
    assert tally.server_errors == [], tally.server_errors[:5]
