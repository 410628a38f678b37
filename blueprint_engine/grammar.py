"""Grammars and limits of operator-supplied values that reach device configs (pure).

Every string an operator can put into intent (a staged edit, a catalogue entry) and
that a renderer writes into a config has a grammar here; every count has a bound a
real fabric could need and no more. A refusal names the field, the value (escaped and
truncated, so a hostile value cannot forge lines of the message) and the grammar.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from blueprint_engine.errors import ValidationError

# -- limits (named in the README; each is what a real fabric could need, no more) -------
MAX_HOSTNAME = 63  # Linux HOST_NAME_MAX is 64 with the terminating NUL
MAX_TEXT = 128  # free text (hardware model, media) and edit parameters naming things
MAX_PORTS_PER_DEVICE = 4096  # a large modular chassis with 4x breakouts stays below it
MAX_PORT_NUMBER = 9999  # first port number of a port range
MAX_PORT_PREFIX = 32  # "Ethernet", "et-0/0/", "swp"...
MAX_SPINES = 128
MAX_RACKS = 1024  # racks per template (and per rack-count line); per pod in a 5-stage
MAX_PODS = 128  # pods of a 5-stage template
MAX_PLANES = 16  # superspine planes
MAX_SUPERSPINES_PER_PLANE = 64
MAX_FABRIC_RACKS = 8192  # racks of a whole 5-stage fabric (every pod)
MAX_COLLAPSED_LEAFS = 8  # leafs of a collapsed fabric (a full mesh: n(n-1)/2 links)
MAX_SERVERS_PER_RACK = 256
MAX_LINKS_PER_LEAF = 8  # links from one server to one leaf
MAX_POOL_RANGES = 64
MIN_IPV4_RANGE_PREFIX = 8  # a pool range is at most a /8: never 0.0.0.0/0
MAX_ZONES = 256  # routing zones per template
MAX_VIRTUAL_NETWORKS = 4094  # one per VLAN
MAX_BOUND_RACKS = MAX_RACKS  # racks named by one virtual network
MAX_RACK_TYPES_PER_VN = 64
MAX_EDITS_PER_BATCH = 10_000  # edits in one rollback batch
MAX_CONFIGLET_CHARS = 16_384  # one configlet template (or negation) per NOS
MAX_SCOPE_ITEMS = 256  # names in one field of a configlet's scope
MAX_TAGS = 32  # tags on one system, link or interface
MAX_PROPERTIES = 256  # keys of one property set
MAX_PROPERTY_VALUE = 1024  # characters of one property value
SPEEDS_MBPS = (
    100,
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    40_000,
    50_000,
    100_000,
    200_000,
    400_000,
    800_000,
)
SPEEDS_TEXT = ", ".join(str(s) for s in SPEEDS_MBPS)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PRINTABLE = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")  # ASCII printable but " and \


def shown(value: object, limit: int = 40) -> str:
    """A value as it may appear in an error: repr (escapes newlines), truncated."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Grammar:
    """What a value must look like: ``valid`` decides, ``allowed`` says it to the operator."""

    allowed: str
    valid: Callable[[object], bool]

    def problem(self, field: str, value: object) -> str | None:
        """None when ``value`` is valid; else a sentence naming field, value and grammar."""
        if self.valid(value):
            return None
        return f"{field} {shown(value)} is not allowed (allowed: {self.allowed})"

    def check(self, field: str, value: object) -> None:
        if not self.valid(value):
            raise ValidationError(f"{field} {shown(value)} is not allowed", allowed=self.allowed)


def _hostname(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_HOSTNAME
        and value.isascii()
        and _HOSTNAME.fullmatch(value) is not None
    )


def _speed(value: object) -> bool:
    return type(value) is int and value in SPEEDS_MBPS


def _subnet(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 18:
        return False
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError:
        return False
    return str(network) == value and 8 <= network.prefixlen <= 30


def printable(max_len: int = MAX_TEXT) -> Grammar:
    def valid(value: object) -> bool:
        return (
            isinstance(value, str)
            and 0 < len(value) <= max_len
            and _PRINTABLE.fullmatch(value) is not None
        )

    return Grammar(
        f"1 to {max_len} printable ASCII characters, no newline, control character, "
        "double quote or backslash",
        valid,
    )


_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_VALUE = re.compile(r"[\x20-\x7e]*")  # printable ASCII, one line


def _matches(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def _property_value(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_PROPERTY_VALUE
        and _VALUE.fullmatch(value) is not None
    )


TAG = Grammar("a tag: [a-z0-9][a-z0-9._-]{0,62}", _matches(_NAME))
PROPERTY_KEY = Grammar(
    "a property key: a letter or '_', then letters, digits or '_', at most 63 characters",
    _matches(_KEY),
)
PROPERTY_VALUE = Grammar(
    f"a string of at most {MAX_PROPERTY_VALUE} printable ASCII characters on one line",
    _property_value,
)
HOSTNAME = Grammar(
    f"an RFC 1123 host name: labels of letters, digits and '-' (not first or last), "
    f"separated by '.', at most {MAX_HOSTNAME} characters",
    _hostname,
)
SPEED = Grammar(f"an integer speed in Mb/s, one of {SPEEDS_TEXT}", _speed)
SUBNET = Grammar("an IPv4 network in canonical form, /8 to /30, e.g. '10.100.0.0/16'", _subnet)
TEXT = printable()


def check_ipv4_range(text: str) -> None:
    """A pool range may be no larger than a /8 (``ValueError`` naming the bound)."""
    network = ipaddress.IPv4Network(text)
    if network.prefixlen < MIN_IPV4_RANGE_PREFIX:
        raise ValueError(
            f"ipv4 range {text!r} is a /{network.prefixlen}: a pool range is at most a "
            f"/{MIN_IPV4_RANGE_PREFIX} (prefix length {MIN_IPV4_RANGE_PREFIX} to 32)"
        )
