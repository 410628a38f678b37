"""Calling the API in-process from integration tests: role headers and GraphQL."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

OPERATOR = {"Authorization": "Bearer dev-operator"}
ADMIN = {"Authorization": "Bearer dev-admin"}
VIEWER = {"Authorization": "Bearer dev-viewer"}


def gql(
    client: TestClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    """POST one GraphQL document; the decoded body (data and/or errors)."""
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    body: dict[str, Any] = response.json()
    return body
