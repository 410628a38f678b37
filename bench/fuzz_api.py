"""Fuzzing the served API with schemathesis: every REST operation of /api/openapi.json and
every GraphQL field of /graphql, with generated (valid and invalid) inputs, anonymous and
with tokens of each role. A 5xx or a dropped connection is a failure.

The test suite runs a few hundred cases (tests/integration/api/test_fuzz.py); a campaign
runs as many as asked and writes bench/results/fuzz.json:

    .venv/bin/python -m bench.fuzz_api --url http://127.0.0.1:8000 --rest 10000 --graphql 10000
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

# JSON arguments: any GraphQL value, nested a little
_JSON_LEAF = st.one_of(
    st.text(max_size=20).map(nodes.String),
    st.integers(-(2**40), 2**40).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.booleans().map(nodes.Boolean),
)
schemathesis.graphql.scalar(
    "JSON",
    st.recursive(
        _JSON_LEAF,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(nodes.List),
            st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=4).map(
                lambda d: nodes.Object(
                    [
                        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                        for k, v in d.items()
                    ]
                )
            ),
        ),
        max_leaves=8,
    ),
)
RESULTS = Path(__file__).resolve().parent / "results"
ROLES: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer dev-viewer"},
    {"Authorization": "Bearer dev-operator"},
    {"Authorization": "Bearer dev-admin"},
    {"Authorization": "Bearer not-a-token"},
]
# operations that change the shared graph: fuzzed with tokens too weak to change it, so
# the campaign never leaves anything behind (their body parsing is exercised with an
# operator token by tests/integration/api/test_hostile_requests.py)
WRITES = {"PUT", "POST", "DELETE", "PATCH"}


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    slowest: dict[str, float] = field(default_factory=dict)

    def record(self, label: str, status: int | None, detail: str) -> None:
        self.requests += 1
        self.statuses[status or 0] += 1
        if status is None or status >= 500:
            self.server_errors.append(f"{label}: {status} {detail[:300]}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "server_errors": len(self.server_errors),
            "statuses": dict(sorted(self.statuses.items())),
            "examples_of_errors": self.server_errors[:20],
            "seconds": round(self.seconds, 1),
            "slowest_s": {
                k: round(v, 2) for k, v in sorted(self.slowest.items(), key=lambda kv: -kv[1])[:5]
            },
        }


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _send(
    session: requests.Session, case: Any, base_url: str, headers: dict[str, str], tally: Tally
) -> None:
    label = f"{case.operation.label}"
    started = time.monotonic()
    try:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
    except requests.RequestException as exc:  # a dropped connection counts as a failure
        tally.record(label, None, f"{type(exc).__name__}: {exc}")
        return
    took = time.monotonic() - started
    tally.slowest[label] = max(tally.slowest.get(label, 0.0), took)
    tally.record(label, response.status_code, response.text)


def _operations(schema: Any) -> list[Any]:
    """The schema's operations (a part schemathesis cannot read fails loudly)."""
    return [result.ok() for result in schema.get_all_operations()]


def _role_for(method: str, index: int, forbidden_writes: bool) -> dict[str, str]:
    if forbidden_writes and method.upper() in WRITES:
        return ROLES[[0, 1, 4][index % 3]]  # anonymous, viewer, unknown: refused writes
    return ROLES[index % len(ROLES)]


def fuzz_rest(
    base_url: str, examples_per_operation: int, *, forbidden_writes: bool = True
) -> Tally:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    tally, started = Tally(), time.monotonic()
    counter = itertools.count()
    with requests.Session() as session:
        for operation in _operations(schema):

            @_settings(examples_per_operation)
            @given(case=operation.as_strategy())  # type: ignore[untyped-decorator,unused-ignore]
            def run(case: Any) -> None:
                headers = _role_for(case.operation.method, next(counter), forbidden_writes)
                _send(session, case, base_url, headers, tally)

            run()
    tally.seconds = time.monotonic() - started
    return tally


def fuzz_graphql(base_url: str, examples_per_field: int, *, queries_only: bool = True) -> Tally:
    """Every query field (mutations too unless ``queries_only``: they are sent with
    tokens that may not run them, so nothing changes)."""
    schema = schemathesis.graphql.from_url(f"{base_url}/graphql")
    tally, started = Tally(), time.monotonic()
    counter = itertools.count()
    with requests.Session() as session:
        for operation in _operations(schema):
            mutation = operation.label.startswith("Mutation.")
            if operation.label.startswith("Subscription."):
                continue
            if mutation and queries_only:
                continue

            @_settings(examples_per_field)
            @given(case=operation.as_strategy(), pick=st.integers(0, 2))  # type: ignore[untyped-decorator,unused-ignore]
            def run(case: Any, pick: int) -> None:
                index = next(counter)
                is_mutation = case.operation.label.startswith("Mutation.")
                headers = ROLES[[0, 1, 4][pick]] if is_mutation else ROLES[index % len(ROLES)]
                _send(session, case, base_url, headers, tally)

            run()
    tally.seconds = time.monotonic() - started
    return tally


def campaign(base_url: str, rest_total: int, graphql_total: int) -> dict[str, Any]:
    rest_ops = len(_operations(schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")))
    gql_ops = len(
        [
            op
            for op in _operations(schemathesis.graphql.from_url(f"{base_url}/graphql"))
            if not op.label.startswith("Subscription.")
        ]
    )
    rest: Tally = Tally()
    while rest.requests < rest_total:  # hypothesis may stop early on a small input space
        more = fuzz_rest(base_url, max(1, (rest_total - rest.requests) // rest_ops + 1))
        rest = _merge(rest, more)
    gql: Tally = Tally()
    while gql.requests < graphql_total:
        more = fuzz_graphql(
            base_url, max(1, (graphql_total - gql.requests) // gql_ops + 1), queries_only=False
        )
        gql = _merge(gql, more)
    return {
        "id": "fuzz",
        "rest": rest.as_dict(),
        "graphql": gql.as_dict(),
        "rest_operations": rest_ops,
        "graphql_fields": gql_ops,
    }


def _merge(a: Tally, b: Tally) -> Tally:
    slowest = {
        k: max(a.slowest.get(k, 0.0), b.slowest.get(k, 0.0)) for k in {*a.slowest, *b.slowest}
    }
    return Tally(
        a.requests + b.requests,
        a.statuses + b.statuses,
        a.server_errors + b.server_errors,
        a.seconds + b.seconds,
        slowest,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rest", type=int, default=10_000)
    parser.add_argument("--graphql", type=int, default=10_000)
    parser.add_argument("--out", default="fuzz", help="bench/results/<out>.json")
    args = parser.parse_args()
    result = campaign(args.url.rstrip("/"), args.rest, args.graphql)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if result["rest"]["server_errors"] or result["graphql"]["server_errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
