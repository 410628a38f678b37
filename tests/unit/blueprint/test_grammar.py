"""Grammars of operator values that reach configs (pure)."""

from __future__ import annotations

import pytest

from blueprint_engine.grammar import HOSTNAME, SPEED, SUBNET, TEXT, shown


@pytest.mark.parametrize("name", ["spine1", "rack3-leaf2", "web1.dc1.example", "A", "x" * 63])
def test_rfc_1123_host_names_pass(name: str) -> None:
    assert HOSTNAME.problem("hostname", name) is None


@pytest.mark.parametrize(
    "name",
    ["", "x" * 64, "-a", "a-", "a..b", "a_b", "spine1\n", "x\nrouter bgp 666", "lëaf", "a b", 1],
)
def test_anything_else_is_refused(name: object) -> None:
    assert HOSTNAME.problem("hostname", name) is not None


def test_a_refusal_escapes_and_truncates_the_value() -> None:
    problem = HOSTNAME.problem("System s: hostname", "x\nrouter bgp 666\n" + "y" * 200)
    assert problem is not None and "\n" not in problem
    assert problem.startswith("System s: hostname 'x\\nrouter bgp 666\\nyyyy")
    assert len(shown("z" * 1000)) == 40


def test_speeds_subnets_and_text() -> None:
    assert SPEED.problem("s", 25_000) is None
    assert all(SPEED.problem("s", v) for v in (-5, 0, 10_001, "fast", 25_000.0, True))
    assert SUBNET.problem("s", "10.100.0.0/16") is None
    assert all(SUBNET.problem("s", v) for v in ("10.100.0.1/16", "0.0.0.0/0", "10.0.0.0/31", 5))
    assert TEXT.problem("t", "Arista 7060CX-32S") is None
    assert all(TEXT.problem("t", v) for v in ("", "a\tb", 'say "hi"', "x" * 129))
