"""Items 2 and 3: the exploration endpoint runs plain reads only, and a runaway stops."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import neo4j
import pytest

from blueprint_engine.settings import Settings

pytestmark = pytest.mark.integration

VIEWER = {"Authorization": "Bearer dev-viewer"}
RUNAWAY = "RETURN size(reduce(s='', x IN range(1,2000000) | s + 'xxxxxxxxxx'))"
# billions of rows: the server's own time limit has to stop it (between rows)
ROW_RUNAWAY = "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b RETURN count(*) AS n"


def cypher(http: httpx.Client, query: str, **params: Any) -> httpx.Response:
    return http.post("/api/cypher", json={"query": query, "params": params}, headers=VIEWER)


def transactions(settings: Settings, needle: str) -> list[dict[str, Any]]:
    """Transactions running ``needle``, seen through the admin driver."""
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=settings.neo4j_user_password) as d:
        records, _, _ = d.execute_query(
            "SHOW TRANSACTIONS YIELD transactionId, currentQuery, status "
            "WHERE currentQuery CONTAINS $needle AND NOT currentQuery STARTS WITH 'SHOW' "
            "RETURN transactionId, status",
            needle=needle,
        )
    return [r.data() for r in records]


def test_reads_run_and_the_allowed_procedures_answer(http: httpx.Client) -> None:
    ok = cypher(http, "MATCH (m:GraphMeta {name: 'schema'}) RETURN m.version AS v")
    assert ok.status_code == 200 and ok.json()["columns"] == ["v"]
    labels = cypher(http, "CALL db.labels() YIELD label RETURN label")
    assert labels.status_code == 200 and ["GraphMeta"] in labels.json()["rows"]
    nan = cypher(http, "RETURN 0.0 / 0.0 AS x")  # not JSON: returned as a string
    assert nan.status_code == 200 and nan.json()["rows"] == [["NaN"]]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
        ("SHOW TRANSACTIONS", "SHOW"),
        ("SHOW USERS", "administration"),
        ("SHOW SETTINGS", "SHOW"),
        ("CALL dbms.killConnections(['bolt-1'])", "dbms.killConnections"),
        ("CALL dbms.listConnections()", "dbms.listConnections"),
        ("CALL db.clearQueryCaches()", "db.clearQueryCaches"),
        ("CALL db.stats.retrieve('GRAPH COUNTS')", "db.stats.retrieve"),
        ("CALL dbms.listConfig()", "dbms.listConfig"),
        ("CALL dbms.queryJmx('*:*')", "dbms.queryJmx"),
        ("LOAD CSV FROM 'http://127.0.0.1:8000/metrics' AS line RETURN line", "LOAD CSV"),
        ("CREATE (n:Intruder) RETURN n", "read-only"),
        ("MATCH (n) DETACH DELETE n", "read-only"),
        (RUNAWAY, "reduce()"),
    ],
)
def test_everything_but_plain_reads_is_refused_naming_what_is_allowed(
    http: httpx.Client, query: str, named: str
) -> None:
    response = cypher(http, query)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert named in error["message"]
    assert "db.labels()" in error["allowed"]


def test_the_endpoint_needs_a_token_and_a_json_content_type(http: httpx.Client) -> None:
    body = {"query": "RETURN 1 AS one"}
    anonymous = http.post("/api/cypher", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    wrong = http.post("/api/cypher", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    # what a cross-origin page can send without a preflight: refused
    plain = http.post(
        "/api/cypher",
        content=b'{"query": "RETURN 1 AS one"}',
        headers={**VIEWER, "Content-Type": "text/plain"},
    )
    assert plain.status_code == 415 and "application/json" in plain.json()["error"]["allowed"]
    assert cypher(http, "RETURN 1 AS one").json()["rows"] == [[1]]


def test_the_query_text_is_capped(http: httpx.Client) -> None:
    huge = "RETURN 1 AS one " + "// padding\n" * 80_000  # ~900 KB, ran 14 s before
    response = cypher(http, huge)
    assert response.status_code == 400 and "characters long" in response.json()["error"]["message"]


def test_a_runaway_query_really_stops_at_the_time_limit(
    http: httpx.Client, settings: Settings
) -> None:
    """The served API has a 2 s limit: the statement is stopped by the server, the
    request answers with the reason, and the transaction is gone from the server."""
    answered: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answered.append(cypher(http, ROW_RUNAWAY)))
    thread.start()
    deadline = time.monotonic() + 20
    while not transactions(settings, "UNWIND range(1, 100000)") and thread.is_alive():
        assert time.monotonic() < deadline, "the runaway never started"
        time.sleep(0.1)
    thread.join(timeout=30)
    assert not thread.is_alive(), "the request did not come back after the time limit"
    assert answered[0].status_code == 400
    assert "time limit" in answered[0].json()["error"]["message"]
    deadline = time.monotonic() + 10
    while transactions(settings, "UNWIND range(1, 100000)"):
        assert time.monotonic() < deadline, "the stopped statement is still on the server"
        time.sleep(0.2)
    # the in-row loop that outlived every limit before is refused before it runs
    assert cypher(http, RUNAWAY).status_code == 400
    assert transactions(settings, "reduce(s=''") == []


def test_the_server_itself_has_a_transaction_limit_and_no_csv_from_urls(
    settings: Settings,
) -> None:
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=settings.neo4j_user_password) as d:
        records, _, _ = d.execute_query(
            "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
            names=[
                "db.transaction.timeout",
                "dbms.security.allow_csv_import_from_file_urls",
                "dbms.security.procedures.allowlist",
            ],
        )
    values = {r["name"]: r["value"] for r in records}
    assert values["db.transaction.timeout"] not in ("0s", "0", "")
    assert values["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert "db.labels" in values["dbms.security.procedures.allowlist"]


def test_parameters_bolt_cannot_carry_are_a_400(http: httpx.Client) -> None:
    """Found by the fuzzer: a 64-bit overflow in params was a 500 from the driver."""
    body = b'{"query": "RETURN $x AS x", "params": {"x": 9223372036854775808}}'
    response = http.post(
        "/api/cypher", content=body, headers={**VIEWER, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "out of range" in response.json()["error"]["message"]
    assert cypher(http, "RETURN $x AS x", x=2**63 - 1).json()["rows"] == [[2**63 - 1]]
