"""Bearer tokens mapped to roles (viewer < operator < admin)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import IntEnum

from blueprint_engine.errors import AuthError, ValidationError


class UnauthenticatedError(AuthError):
    """No token, or one that is not configured, where a token is needed (HTTP 401)."""

    code = "unauthenticated"
    http_status = 401


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    authenticated: bool = True

    def require(self, role: Role, action: str) -> None:
        if not self.authenticated and role > Role.VIEWER:
            raise UnauthenticatedError(
                f"an anonymous caller may not {action}",
                allowed=f"'Authorization: Bearer <token>' with role {role.name.lower()} or higher",
            )
        if self.role < role:
            raise AuthError(
                f"{self.name} ({self.role.name.lower()}) may not {action}",
                allowed=f"a token with role {role.name.lower()} or higher",
            )

    def require_token(self, action: str) -> None:
        """Any configured token (a viewer at least); anonymous callers are refused."""
        if not self.authenticated:
            raise UnauthenticatedError(
                f"an anonymous caller may not {action}",
                allowed="'Authorization: Bearer <token>' with a configured token (any role)",
            )


ANONYMOUS = Caller("anonymous", Role.VIEWER, authenticated=False)


def parse_tokens(spec: str) -> dict[str, Caller]:
    """``"token:role:name,..."`` -> {token: Caller}."""
    tokens: dict[str, Caller] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        token, role, name = ([*item.split(":"), "", ""])[:3]
        try:
            tokens[token] = Caller(name or role, Role[role.upper()])
        except KeyError:
            raise ValidationError(
                f"unknown role {role!r} in FG_API_TOKENS", allowed="viewer, operator, admin"
            ) from None
    return tokens


def caller_from_token(token: str, tokens: dict[str, Caller]) -> Caller | None:
    """The caller of ``token``, compared in constant time with every configured token."""
    presented = token.encode()
    found: Caller | None = None
    for known, caller in tokens.items():
        if hmac.compare_digest(presented, known.encode()):
            found = caller
    return found


def caller_from_header(header: str | None, tokens: dict[str, Caller]) -> Caller:
    """No header: an anonymous viewer (reads only). A wrong token is refused (401)."""
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    caller = caller_from_token(token.strip(), tokens) if scheme.lower() == "bearer" else None
    if caller is None:
        raise UnauthenticatedError(
            "the Authorization header does not carry a known token",
            allowed="'Authorization: Bearer <token>' with a configured token",
        )
    return caller
