"""The overlay's facts: what intent says a leaf serves, and what its ``evpn`` observation
holds. Pure (validation and mapping; no I/O).

Intent (``telemetry.overlay_intent`` reads it): on a blueprint whose overlay is EVPN, a
leaf serves the L2 VNI of every virtual network bound to its rack and the L3 VNI of each
of those networks' routing zones (as the renderer configures them). For an L2 VNI the
remote VTEPs it should list are the VTEPs (loopback addresses) of the other leafs
serving it; an L3 VNI lists none (FRR prints no remote VTEPs for it), it must be present
and up.

The ``evpn`` observation of a leaf (``ObservationKind.EVPN``, subject the leaf itself)::

    {"vnis": [{"vni": 10100, "present": true, "up": true, "remote_vteps": ["10.0.0.12"]},
              {"vni": 10001, "present": true, "up": true, "remote_vteps": []}],
     "unrouted_vteps": []}

``vnis``: one entry per VNI intent gives the leaf (those the device reports but intent
does not hold are not observed; those intent holds but the device lacks are observed
``present`` false), in VNI order. ``unrouted_vteps``: the remote VTEPs intent expects
that the leaf's RIB has no active route to (None when the RIB was not read this round).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from blueprint_engine.errors import ValidationError

MAX_VNIS = 4096  # per leaf and observation (hostile input is bounded)
MAX_VTEPS = 1024  # remote VTEPs per VNI
MAX_VNI = 16_777_215  # 24 bits
VNI_KEYS = ("vni", "present", "up", "remote_vteps")
EVPN_GETTER = "get_evpn_vnis"  # the linuxfrr driver's getter beyond NAPALM's

ALLOWED = (
    "vnis: a list (at most 4096) of {vni: int 1..16777215, present: bool, up: bool, "
    "remote_vteps: [IPv4 address] (at most 1024)}; unrouted_vteps: [IPv4 address] | null"
)


@dataclass(frozen=True)
class VniIntent:
    """One VNI a leaf serves: L2 (a virtual network) or L3 (a routing zone)."""

    vni: int
    layer: str  # "l2" | "l3"
    owner: str  # the VirtualNetwork id (l2) or the RoutingZone id (l3)
    peers: tuple[str, ...] = ()  # l2: the other leafs serving it (system ids)
    remote_vteps: tuple[str, ...] = ()  # l2: those leafs' VTEP addresses

    @property
    def owner_label(self) -> str:
        return "VirtualNetwork" if self.layer == "l2" else "RoutingZone"


def _bad(what: str) -> ValidationError:
    return ValidationError(f"evpn observation value: {what}", allowed=ALLOWED)


def _address(text: Any, where: str) -> None:
    if type(text) is not str or len(text) > 15:
        raise _bad(f"{where} {text!r} is not an IPv4 address")
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        raise _bad(f"{where} {text!r} is not an IPv4 address") from None


def _addresses(items: Any, where: str, limit: int) -> None:
    if type(items) is not list or len(items) > limit:
        raise _bad(f"{where} is not a list of at most {limit} addresses")
    for item in items:
        _address(item, where)


def check_evpn_value(value: Mapping[str, Any]) -> None:
    """Raise ValidationError naming what is wrong inside an ``evpn`` observation value
    (its two keys and their outer types are checked by ``telemetry.model``)."""
    vnis = value["vnis"]
    if len(vnis) > MAX_VNIS:
        raise _bad(f"{len(vnis)} VNIs, more than {MAX_VNIS}")
    seen: set[int] = set()
    for item in vnis:
        if type(item) is not dict or sorted(item) != sorted(VNI_KEYS):
            raise _bad(f"VNI entry {item!r:.80} does not have exactly the keys {VNI_KEYS}")
        vni = item["vni"]
        if type(vni) is not int or not 1 <= vni <= MAX_VNI or vni in seen:
            raise _bad(f"vni {vni!r} is not a VNI (or is listed twice)")
        seen.add(vni)
        if type(item["present"]) is not bool or type(item["up"]) is not bool:
            raise _bad(f"VNI {vni}: present and up must be booleans")
        _addresses(item["remote_vteps"], f"VNI {vni} remote_vteps", MAX_VTEPS)
    if value["unrouted_vteps"] is not None:
        _addresses(value["unrouted_vteps"], "unrouted_vteps", MAX_VTEPS)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _routed(rib: Mapping[str, Sequence[Mapping[str, Any]]], vtep: str) -> bool:
    entries = rib.get(f"{vtep}/32") or ()
    return any(bool(e.get("current_active")) for e in entries)


def evpn_value(
    vnis: Sequence[VniIntent],
    reported: Mapping[str, Mapping[str, Any]],
    rib: Mapping[str, Sequence[Mapping[str, Any]]] | None,
) -> dict[str, Any]:
    """The ``evpn`` observation value of a leaf serving ``vnis``: ``reported`` is the
    driver's ``get_evpn_vnis`` (VNIs by number as text), ``rib`` the whole RIB from
    ``get_route_to`` (None when it failed)."""
    entries = []
    for intent in sorted(vnis, key=lambda v: v.vni):
        seen = reported.get(str(intent.vni))
        if not isinstance(seen, Mapping):
            entries.append({"vni": intent.vni, "present": False, "up": False, "remote_vteps": []})
            continue
        remote = seen.get("remote_vteps") or []
        entries.append(
            {
                "vni": intent.vni,
                "present": True,
                "up": str(seen.get("state", "")).lower() == "up",
                # what the value may hold (an address FRR prints otherwise is not one)
                "remote_vteps": sorted({str(v) for v in remote if _is_ipv4(str(v))})[:MAX_VTEPS],
            }
        )
    expected = sorted({vtep for v in vnis for vtep in v.remote_vteps})
    unrouted = None if rib is None else [v for v in expected if not _routed(rib, v)]
    return {"vnis": entries, "unrouted_vteps": unrouted}
