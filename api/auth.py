"""Bearer tokens mapped to roles (viewer < operator < admin)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from blueprint_engine.errors import AuthError, ValidationError


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role

    def require(self, role: Role, action: str) -> None:
        if self.role < role:
            raise AuthError(
                f"{self.name} ({self.role.name.lower()}) may not {action}",
                allowed=f"a token with role {role.name.lower()} or higher",
            )


ANONYMOUS = Caller("anonymous", Role.VIEWER)


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


def caller_from_header(header: str | None, tokens: dict[str, Caller]) -> Caller:
    """No header: an anonymous viewer (reads only). A wrong token is refused."""
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or token not in tokens:
        raise AuthError(
            "the Authorization header does not carry a known token",
            allowed="'Authorization: Bearer <token>' with a configured token",
        )
    return tokens[token]
