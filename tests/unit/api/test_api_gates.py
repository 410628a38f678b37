"""Pure gates of the API: JSON bodies, the Cypher text and plan gates, GraphQL budgets."""

from __future__ import annotations

import hmac

import pytest
from graphql import parse

from api.auth import ANONYMOUS, UnauthenticatedError, caller_from_header, parse_tokens
from api.bodies import MAX_DEPTH, parse_json, parse_json_object
from api.graphql.limits import ANONYMOUS_BUDGET, TOKEN_BUDGET, measure, over_budget
from blueprint_engine.errors import AuthError, ValidationError
from blueprint_engine.readonly import check_plan, check_text
from blueprint_engine.reads import page

RUNAWAY = "RETURN size(reduce(s='', x IN range(1,2000000) | s + 'xxxxxxxxxx'))"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": -Infinity}', "-Infinity"),
        (b'{"a": ' + b"1" * 4000 + b"}", "4000 digits"),
        (b'{"a": 1e999}', "too large"),
        (b'{"a": 9223372036854775808}', "out of range"),  # 2**63: Bolt cannot carry it
        (b"[" * 100_000 + b"]" * 100_000, "nests"),
        (b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), "nests"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_json_that_nothing_downstream_can_use_is_refused_by_name(raw: bytes, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        parse_json(raw)


def test_ordinary_json_still_parses() -> None:
    assert parse_json(b'{"a": [1, 2.5, -3e10, "x", null, true]}') == {
        "a": [1, 2.5, -3e10, "x", None, True]
    }
    assert parse_json_object(b"") == {}
    with pytest.raises(ValidationError, match="not a JSON object"):
        parse_json_object(b"[1]")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (RUNAWAY, "reduce"),
        ("RETURN [x IN range(1, 10) | x]", "list comprehension"),
        ("RETURN any(x IN [1] WHERE x > 0)", "all/any/none/single"),
        ("UNWIND range(1, 2000000) AS x RETURN x", "builds 2000000 values"),
        ("UNWIND range(1, $n) AS x RETURN x", "not integer literals"),
        ("RETURN 1 // " + "x" * 20_000, "characters long"),
        ("   ", "missing or empty"),
    ],
)
def test_the_text_gate_refuses_loops_the_server_cannot_interrupt(text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        check_text(text, max_chars=10_000)


def test_the_text_gate_passes_reads_and_ignores_words_inside_strings() -> None:
    check_text("MATCH (s:System) WHERE s.id = 'reduce(' RETURN s.id", max_chars=10_000)
    check_text("UNWIND range(1, 100) AS x RETURN x // [x IN y]", max_chars=10_000)


def plan(*operators: tuple[str, str]) -> dict[str, object]:
    node: dict[str, object] = {"operatorType": "ProduceResults@neo4j", "args": {}}
    top = node
    for name, details in operators:
        child: dict[str, object] = {"operatorType": f"{name}@neo4j", "args": {"Details": details}}
        node["children"] = [child]
        node = child
    return top


@pytest.mark.parametrize(
    ("query_type", "operators", "problem"),
    [
        ("r", [("ShowTransactions", "allTransactions")], "SHOW"),
        ("r", [("TerminateTransactions", "tx-1")], "TERMINATE"),
        ("r", [("LoadCSV", "l")], "LOAD CSV"),
        ("s", [("AdministrationCommand", "")], "administration"),
        ("s", [("ProcedureCall", "dbms.listConfig() :: (name :: STRING)")], "dbms.listConfig"),
        ("r", [("ProcedureCall", "db.stats.retrieve($a) :: (section :: STRING)")], "db.stats"),
        ("rw", [("Create", "(n:X)")], "type 'rw'"),
    ],
)
def test_the_plan_gate_passes_only_plain_reads(
    query_type: str, operators: list[tuple[str, str]], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem) as err:
        check_plan(query_type, plan(*operators))
    assert "db.labels()" in err.value.allowed


def test_the_plan_gate_passes_allowed_procedures_and_reads() -> None:
    check_plan("r", plan(("ProcedureCall", "db.labels() :: (label :: STRING)")))
    check_plan("r", plan(("Expand(All)", "(a)-[r]->(b)"), ("AllNodesScan", "a")))


def test_graphql_budget_counts_aliases_depth_and_fields_through_fragments() -> None:
    many = parse("{ " + " ".join(f"a{i}: health {{ ok }}" for i in range(300)) + " }")
    cost = measure(many)
    assert (cost.aliases, cost.depth, cost.fields) == (300, 2, 600)
    assert "300 aliases" in (over_budget(cost, ANONYMOUS_BUDGET, "anonymous") or "")
    deep = parse("{ a " + "{ b " * 30 + "}" * 31)
    assert "31 levels of depth" in (over_budget(measure(deep), TOKEN_BUDGET, "x") or "")
    # a fragment bomb: 2**20 fields if expanded, measured without expanding it
    frags = ["fragment F0 on Query { graphVersion }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 21)
    ]
    bomb = parse("{ ...F20 } " + " ".join(frags))
    assert measure(bomb).fields == 2**20
    introspection = parse(
        "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }"
    )
    assert measure(introspection).depth == 7  # introspection counts: it is recursive


def test_pagination_out_of_range_is_refused_naming_the_range() -> None:
    assert page(10, 0) == {"limit": 10, "offset": 0, "after": None}
    with pytest.raises(ValidationError, match="limit -1") as err:
        page(-1, 0)
    assert err.value.allowed == "0..10000"
    with pytest.raises(ValidationError, match="offset -5"):
        page(10, -5)
    with pytest.raises(ValidationError, match="limit 10001"):
        page(10_001, 0)


def test_tokens_are_compared_in_constant_time_and_a_bad_one_is_unauthenticated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = parse_tokens("t-one:viewer:one,t-two:admin:two")
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    assert caller_from_header("Bearer t-two", tokens).name == "two"
    assert {b for _, b in compared} == {b"t-one", b"t-two"}  # every token, not a lookup
    with pytest.raises(UnauthenticatedError) as err:
        caller_from_header("Bearer t-three", tokens)
    assert err.value.http_status == 401 and isinstance(err.value, AuthError)
    with pytest.raises(UnauthenticatedError):
        ANONYMOUS.require_token("run Cypher")
