"""Tokens map to roles; a role below what an action needs is refused by name."""

import pytest

from api.auth import ANONYMOUS, Role, caller_from_header, parse_tokens
from blueprint_engine.errors import AuthError, ValidationError

TOKENS = parse_tokens("t-admin:admin:alice,t-view:viewer:bob")


def test_bearer_token_resolves_to_its_caller_and_role() -> None:
    caller = caller_from_header("Bearer t-admin", TOKENS)
    assert (caller.name, caller.role) == ("alice", Role.ADMIN)


def test_no_header_is_an_anonymous_viewer() -> None:
    assert caller_from_header(None, TOKENS) is ANONYMOUS


def test_unknown_token_is_refused() -> None:
    with pytest.raises(AuthError, match="known token"):
        caller_from_header("Bearer nope", TOKENS)


def test_viewer_may_not_do_operator_work_and_is_told_what_is_needed() -> None:
    viewer = caller_from_header("Bearer t-view", TOKENS)
    with pytest.raises(AuthError) as err:
        viewer.require(Role.OPERATOR, "commit a blueprint")
    assert "bob (viewer) may not commit a blueprint" in err.value.message
    assert "operator" in err.value.allowed


def test_unknown_role_in_configuration_names_allowed_roles() -> None:
    with pytest.raises(ValidationError, match="viewer, operator, admin"):
        parse_tokens("x:root:eve")
