"""Resource pools and deterministic allocation (pure: no I/O).

A pool is a list of ranges (``model.Pool``). ASN, VLAN and VNI ranges are
``"first-last"`` (inclusive); IPv4 ranges are networks (``"10.1.0.0/24"``)
carved into blocks of ``prefix_len`` bits. A /32 pool carved from a network
of /30 or larger skips that network's own network and broadcast addresses,
so the first loopback of ``10.0.0.0/24`` is ``10.0.0.1/32``.

Allocation is deterministic: an ``Allocator`` is given the pools and the
values already in use (``PoolState``; the graph enforces uniqueness too) and
hands out values in the order it is asked, following each pool's policy:

- ``lowest_free`` (default): the lowest value not in use;
- ``sequential_from_last``: the next free value after the last one handed out
  (``PoolState.last``), wrapping around once, so freed values are reused late.

A pool that cannot serve a demand raises ``PoolExhaustedError`` naming the
pool, how many values were needed and how many were free.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from blueprint_engine.design.model import Allocation, Pool
from blueprint_engine.errors import ConflictError, PoolExhaustedError, ValidationError
from blueprint_engine.grammar import MAX_POOL_RANGES, check_ipv4_range


class PoolId(StrEnum):
    """The pools a template defines; the id says what each one serves."""

    ASN_SUPERSPINE = "asn-superspine"  # 5-stage: one ASN for the superspine tier
    ASN_SPINE = "asn-spine"  # one ASN per spine layer (3-stage: the fabric's; 5-stage: a pod's)
    ASN_LEAF = "asn-leaf"  # one ASN per leaf
    LOOPBACK = "ipv4-loopback"  # /32 per switch
    LOOPBACK_SUPERSPINE = "ipv4-loopback-superspine"  # optional: superspines' /32s
    LOOPBACK_SPINE = "ipv4-loopback-spine"  # optional: spines' /32s
    FABRIC = "ipv4-fabric"  # /31 per spine-leaf link (collapsed: per leaf-leaf link)
    SUPERSPINE_FABRIC = "ipv4-superspine-fabric"  # 5-stage: /31 per superspine-spine link
    SERVER_LINK = "ipv4-server-link"  # /31 per leaf-server link
    SERVER_HOST = "ipv4-server-host"  # /32 host address per server
    VIRTUAL_NETWORK = "ipv4-vn"  # one subnet per virtual network, sliced per rack
    VNI = "vni"  # VXLAN VNIs (virtual networks and routing zones) with EVPN
    VLAN = "vlan"  # one VLAN per virtual network


POOL_KIND: Mapping[PoolId, str] = {
    PoolId.ASN_SUPERSPINE: "asn",
    PoolId.ASN_SPINE: "asn",
    PoolId.ASN_LEAF: "asn",
    PoolId.LOOPBACK: "ipv4",
    PoolId.LOOPBACK_SUPERSPINE: "ipv4",
    PoolId.LOOPBACK_SPINE: "ipv4",
    PoolId.FABRIC: "ipv4",
    PoolId.SUPERSPINE_FABRIC: "ipv4",
    PoolId.SERVER_LINK: "ipv4",
    PoolId.SERVER_HOST: "ipv4",
    PoolId.VIRTUAL_NETWORK: "ipv4",
    PoolId.VNI: "vni",
    PoolId.VLAN: "vlan",
}

# Prefix length each IPv4 pool must hand out (None: any, chosen by the template).
POOL_PREFIX_LEN: Mapping[PoolId, int | None] = {
    PoolId.LOOPBACK: 32,
    PoolId.LOOPBACK_SUPERSPINE: 32,
    PoolId.LOOPBACK_SPINE: 32,
    PoolId.FABRIC: 31,
    PoolId.SUPERSPINE_FABRIC: 31,
    PoolId.SERVER_LINK: 31,
    PoolId.SERVER_HOST: 32,
    PoolId.VIRTUAL_NETWORK: None,
}

NUMBER_LIMITS: Mapping[str, tuple[int, int]] = {
    "asn": (1, 4_294_967_295),
    "vlan": (1, 4094),
    "vni": (1, 16_777_215),
}


class Policy(StrEnum):
    LOWEST_FREE = "lowest_free"
    SEQUENTIAL_FROM_LAST = "sequential_from_last"


@dataclass(frozen=True)
class _Span:
    """Candidate values ``start, start + step, ...`` (``count`` of them)."""

    start: int
    count: int
    step: int

    def __contains__(self, value: int) -> bool:
        offset = value - self.start
        return 0 <= offset < self.count * self.step and offset % self.step == 0


def _number_span(text: str, kind: str) -> _Span:
    low, high = NUMBER_LIMITS[kind]
    first_text, sep, last_text = text.partition("-")
    try:
        first = int(first_text)
        last = int(last_text) if sep else first
    except ValueError:
        raise ValueError(
            f"{kind} range {text!r} is not 'first-last' (e.g. '65100-65199')"
        ) from None
    if not low <= first <= last <= high:
        raise ValueError(f"{kind} range {text!r} must satisfy {low} <= first <= last <= {high}")
    return _Span(first, last - first + 1, 1)


def _ipv4_span(text: str, prefix_len: int | None) -> _Span:
    if prefix_len is None or not 1 <= prefix_len <= 32:
        raise ValueError("an ipv4 pool needs prefix_len between 1 and 32")
    try:
        network = ipaddress.IPv4Network(text)
    except ValueError as exc:
        raise ValueError(
            f"ipv4 range {text!r} is not a network like '10.1.0.0/24': {exc}"
        ) from None
    if network.prefixlen > prefix_len:
        raise ValueError(f"ipv4 range {text!r} is smaller than one /{prefix_len} block")
    check_ipv4_range(text)  # at most a /8: never 0.0.0.0/0
    start = int(network.network_address)
    count = 1 << (prefix_len - network.prefixlen)
    if prefix_len == 32 and network.prefixlen <= 30:
        return _Span(start + 1, count - 2, 1)
    return _Span(start, count, 1 << (32 - prefix_len))


def pool_spans(pool: Pool) -> tuple[_Span, ...]:
    """Parse a pool's ranges; raises ``ValueError`` saying what is allowed."""
    if len(pool.ranges) > MAX_POOL_RANGES:
        raise ValueError(f"{len(pool.ranges)} ranges (allowed: at most {MAX_POOL_RANGES})")
    if pool.kind == "ipv4":
        spans = [_ipv4_span(text, pool.prefix_len) for text in pool.ranges]
    elif pool.kind in NUMBER_LIMITS:
        spans = [_number_span(text, pool.kind) for text in pool.ranges]
    else:
        raise ValueError(f"pool kind {pool.kind!r} is unknown (allowed: asn, ipv4, vni, vlan)")
    if not spans:
        raise ValueError("a pool needs at least one range")
    ordered = sorted(spans, key=lambda span: span.start)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.start + before.count * before.step:
            raise ValueError(f"pool {pool.id} has overlapping ranges")
    return tuple(ordered)


def format_value(pool: Pool, value: int) -> str:
    if pool.kind == "ipv4":
        return f"{ipaddress.IPv4Address(value)}/{pool.prefix_len}"
    return str(value)


def parse_value(pool: Pool, text: str) -> int:
    """The integer form of a value of ``pool`` (``ValueError`` when malformed)."""
    if pool.kind != "ipv4":
        return int(text)
    network = ipaddress.IPv4Network(text)
    if network.prefixlen != pool.prefix_len:
        raise ValueError(f"{text} is not a /{pool.prefix_len}")
    return int(network.network_address)


@dataclass(frozen=True)
class PoolState:
    """Values already in use per pool id, and the last value handed out per pool."""

    in_use: Mapping[str, frozenset[str]] = field(default_factory=dict)
    last: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_allocations(
        cls, allocations: Iterable[Allocation], last: Mapping[str, str] | None = None
    ) -> PoolState:
        return cls().with_allocations(allocations, last)

    def with_allocations(
        self, allocations: Iterable[Allocation], last: Mapping[str, str] | None = None
    ) -> PoolState:
        """A new state that also holds ``allocations`` (and overrides ``last``)."""
        in_use: dict[str, set[str]] = {pool: set(values) for pool, values in self.in_use.items()}
        for allocation in allocations:
            in_use.setdefault(allocation.pool, set()).add(allocation.value)
        frozen = {pool: frozenset(values) for pool, values in in_use.items()}
        return PoolState(frozen, {**self.last, **(last or {})})


class _PoolCursor:
    """Hands out free values of one pool in policy order."""

    def __init__(self, pool: Pool, used: Iterable[str], last: str | None) -> None:
        self.pool = pool
        self.spans = pool_spans(pool)
        self.total = sum(span.count for span in self.spans)
        self.used: set[int] = set()
        for text in used:
            value = parse_value(pool, text)
            if self.contains(value):
                self.used.add(value)
        start = 0
        if pool.policy == Policy.SEQUENTIAL_FROM_LAST and last is not None:
            start = self._index_after(parse_value(pool, last))
        self._candidates = self._walk(start)

    def contains(self, value: int) -> bool:
        return any(value in span for span in self.spans)

    @property
    def free(self) -> int:
        return self.total - len(self.used)

    def _index_after(self, value: int) -> int:
        index = 0
        for span in self.spans:
            if value in span:
                return (index + (value - span.start) // span.step + 1) % self.total
            index += span.count
        return 0

    def _walk(self, start: int) -> Iterator[int]:
        """Every candidate once, beginning at flat index ``start`` and wrapping."""
        index = 0
        tail: list[range] = []
        for span in self.spans:
            values = range(span.start, span.start + span.count * span.step, span.step)
            if index + span.count <= start:
                tail.append(values)
            elif index >= start:
                yield from values
            else:
                yield from values[start - index :]
                tail.append(values[: start - index])
            index += span.count
        for values in tail:
            yield from values

    def take(self) -> int:
        for value in self._candidates:
            if value not in self.used:
                self.used.add(value)
                return value
        raise PoolShortfallError(self.pool, needed=1, free=0)


class PoolShortfallError(PoolExhaustedError):
    """A pool with fewer free values than a build needs."""

    def __init__(self, pool: Pool, *, needed: int, free: int) -> None:
        self.pool = pool.id
        self.needed = needed
        self.free = free
        super().__init__(
            f"pool {pool.id} is exhausted: {needed} value(s) needed, {free} free",
            allowed=f"add ranges to pool {pool.id} (now {', '.join(pool.ranges)}) "
            "or remove intent that holds its values",
        )


class Allocator:
    """Allocates from a set of pools for one build; never hands out a value twice."""

    def __init__(self, pools: Iterable[Pool], state: PoolState | None = None) -> None:
        state = state or PoolState()
        self._cursors = {
            pool.id: _PoolCursor(pool, state.in_use.get(pool.id, ()), state.last.get(pool.id))
            for pool in pools
        }
        self.allocations: list[Allocation] = []
        self.last: dict[str, str] = {}

    def _cursor(self, pool_id: str) -> _PoolCursor:
        try:
            return self._cursors[pool_id]
        except KeyError:
            raise ValidationError(
                f"pool {pool_id} is not defined", allowed=sorted(self._cursors)
            ) from None

    def free(self, pool_id: str) -> int:
        return self._cursor(pool_id).free

    def defines(self, pool_id: str) -> bool:
        """Whether the pools include ``pool_id`` (optional per-tier pools)."""
        return pool_id in self._cursors

    def ensure(self, demand: Mapping[str, int]) -> None:
        """Raise ``PoolExhaustedError`` for the first pool (by id) short of ``demand``."""
        for pool_id in sorted(demand):
            cursor = self._cursor(pool_id)
            if demand[pool_id] > cursor.free:
                raise PoolShortfallError(cursor.pool, needed=demand[pool_id], free=cursor.free)

    def allocate(self, pool_id: str, owner: str) -> Allocation:
        cursor = self._cursor(pool_id)
        value = format_value(cursor.pool, cursor.take())
        return self._record(Allocation(cursor.pool.id, value, owner))

    def claim(self, pool_id: str, value: str, owner: str) -> Allocation:
        """Allocate a specific value (an explicit VLAN, or one chosen by an IPAM)."""
        cursor = self._cursor(pool_id)
        try:
            number = parse_value(cursor.pool, value)
        except ValueError:
            number = -1
        if not cursor.contains(number):
            raise ValidationError(
                f"{value!r} is not in pool {pool_id}", allowed=", ".join(cursor.pool.ranges)
            )
        if number in cursor.used:
            raise ConflictError(
                f"{value} of pool {pool_id} is already in use",
                allowed=f"a free value of pool {pool_id}, or none to allocate one",
            )
        cursor.used.add(number)
        return self._record(Allocation(cursor.pool.id, format_value(cursor.pool, number), owner))

    def _record(self, allocation: Allocation) -> Allocation:
        self.allocations.append(allocation)
        self.last[allocation.pool] = allocation.value
        return allocation


def release(allocations: Iterable[Allocation], removed_owners: Iterable[str]) -> list[Allocation]:
    """The allocations to free when the intent ``removed_owners`` is deleted."""
    removed = set(removed_owners)
    return [allocation for allocation in allocations if allocation.owner in removed]
