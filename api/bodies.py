"""Request bodies: a size limit counted as bytes arrive, and JSON parsed defensively.

``BodyLimit`` refuses a body over the limit with a 413 whether or not it declares a
Content-Length (a chunked body is counted chunk by chunk and never buffered past the
limit). ``parse_json`` refuses what ``json.loads`` accepts but nothing downstream can
use: NaN and Infinity, integers and floats too long to be real values, and nesting
deeper than any Fabricgraph document needs.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from blueprint_engine.errors import ValidationError

MAX_DEPTH = 32  # objects and arrays inside each other
MAX_NUMBER_CHARS = 40  # an int64 has at most 20 characters; a float in JSON fewer than 40
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class BodyTooLarge(Exception):
    """Raised by the counting ``receive`` once the body passes the limit."""


def too_large(size: int | str, max_bytes: int) -> ValidationError:
    return ValidationError(
        f"request body of {size} bytes is too large", allowed=f"at most {max_bytes} bytes"
    )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with a 413 naming the limit.

    The declared Content-Length is checked first; then every ``http.request`` message
    is counted, so a chunked (or lying) body is cut off once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            size = int(length) if length.isdigit() else length.decode("latin-1")
            await self._refuse(scope, receive, send, size)
            return
        received, started = 0, False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # the app answered before reading all of it: nothing to add
                return
            await self._refuse(scope, receive, send, f"more than {self.max_bytes}")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int | str) -> None:
        exc = too_large(size, self.max_bytes)
        response = JSONResponse({"error": exc.as_dict()}, status_code=413)
        await response(scope, receive, send)


def _refuse_constant(name: str) -> Any:
    raise ValidationError(
        f"the body has the number {name}, which JSON does not allow",
        allowed="finite numbers",
    )


def _parse_int(text: str) -> int:
    """A 64-bit integer (what Neo4j stores); longer or larger ones are refused."""
    allowed = f"integers from {INT64_MIN} to {INT64_MAX}"
    if len(text) > MAX_NUMBER_CHARS:
        raise ValidationError(f"the body has an integer of {len(text)} digits", allowed=allowed)
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValidationError(f"the body has the integer {text}, out of range", allowed=allowed)
    return value


def _parse_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise ValidationError(
            f"the body has the number {text[:20]}{'...' if len(text) > 20 else ''}, "
            "too large or too long to be a value",
            allowed=f"finite numbers of at most {MAX_NUMBER_CHARS} characters",
        )
    return value


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise ValidationError(
                f"the body nests objects/arrays more than {MAX_DEPTH} deep",
                allowed=f"at most {MAX_DEPTH} levels of nesting",
            )
        stack.extend((child, depth + 1) for child in children)


def parse_json(raw: bytes | str) -> Any:
    """Decode a JSON document or raise ``ValidationError`` naming what is wrong."""
    try:
        value = json.loads(
            raw,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecursionError:
        raise ValidationError(
            f"the body nests objects/arrays more than {MAX_DEPTH} deep",
            allowed=f"at most {MAX_DEPTH} levels of nesting",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"the body is not valid JSON: {exc}", allowed="a JSON object"
        ) from exc
    _check_depth(value)
    return value


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """``parse_json`` of a body that must be an object (an empty body is ``{}``)."""
    body = parse_json(raw or b"{}")
    if not isinstance(body, dict):
        raise ValidationError("the body is not a JSON object", allowed="a JSON object")
    return body
