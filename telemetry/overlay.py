"""The EVPN overlay against intent, as pure functions: facts in, verdicts out.

For every leaf of the overlay (``telemetry.overlay_intent``) whose device is deployed,
from its ``evpn`` observation (``telemetry.overlay_model``):

* ``vni_missing`` — one per (VNI, leaf): the VNI is present and up. ``subject`` the
  virtual network (L2 VNI) or routing zone (L3 VNI), ``device`` the leaf,
  ``uid = <bp>/vni_missing/<network or zone>@<leaf>``.
* ``remote_vtep_missing`` — one per (other leaf, leaf) that share L2 VNIs: every shared
  VNI that is up on the leaf lists the other leaf's VTEP among its remote VTEPs.
  ``subject`` the other leaf (whose VTEP is missing), ``device`` the leaf,
  ``uid = <bp>/remote_vtep_missing/<other leaf>@<leaf>``; the actual value names the VNIs
  missing it and whether the leaf's RIB has a route to that VTEP. A VNI absent or down on
  the leaf is its ``vni_missing``, not also a missing remote VTEP.

A verdict is unknown (None: the anomaly keeps its state) while the leaf is unreachable
or its VNIs were not observed; a leaf whose device is not deployed clears its anomalies.
While either leaf drains, ``remote_vtep_missing`` between them is ``expected``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from telemetry.evaluate import AnomalyType, Verdict
from telemetry.overlay_intent import LeafOverlay
from telemetry.overlay_model import VniIntent

Value = Mapping[str, Any]
TYPES = (AnomalyType.VNI_MISSING, AnomalyType.REMOTE_VTEP_MISSING)


def _known(device_obs: Value | None, evpn_obs: Value | None) -> bool:
    return bool(device_obs and device_obs.get("reachable")) and evpn_obs is not None


def _vni_verdict(leaf: LeafOverlay, v: VniIntent, seen: Value | None, known: bool) -> Verdict:
    broken: bool | None = False
    if leaf.deployed:
        broken = None if not known or seen is None else not (seen["present"] and seen["up"])
    state = "absent" if seen is not None and not seen["present"] else "down"
    return Verdict(
        AnomalyType.VNI_MISSING,
        v.owner,
        v.owner_label,
        leaf.system,
        broken,
        expected_value={"vni": v.vni, "present": True, "up": True},
        actual_value=None if seen is None else {"vni": v.vni, "layer": v.layer,
                                                "present": seen["present"], "up": seen["up"]},
        summary=f"{leaf.system}: {v.layer.upper()} VNI {v.vni} of {v.owner} is {state}",
    )  # fmt: skip


def _peer_verdict(
    leaf: LeafOverlay,
    peer: LeafOverlay,
    shared: list[VniIntent],
    by_vni: Mapping[int, Value],
    evpn_obs: Value | None,
    known: bool,
) -> Verdict:
    vtep = str(peer.vtep)
    up = [v for v in shared if (s := by_vni.get(v.vni)) is not None and s["present"] and s["up"]]
    missing = [v.vni for v in up if vtep not in by_vni[v.vni]["remote_vteps"]]
    broken: bool | None = False
    if leaf.deployed and peer.deployed:
        observed = any(v.vni in by_vni for v in shared)
        broken = None if not known or not observed else bool(missing)
    unrouted = (evpn_obs or {}).get("unrouted_vteps")
    routed = None if unrouted is None else vtep not in unrouted
    return Verdict(
        AnomalyType.REMOTE_VTEP_MISSING,
        peer.system,
        "System",
        leaf.system,
        broken,
        expected_value={"vtep": vtep, "vnis": [v.vni for v in shared]},
        actual_value={"vtep": vtep, "vnis": missing, "routed": routed},
        summary=f"{leaf.system}: VTEP {vtep} of {peer.system} missing from VNI(s) "
        f"{', '.join(map(str, missing))}" + (" (no route to it)" if routed is False else ""),
        expected=leaf.draining or peer.draining,
    )


def evaluate_leaf(
    leaf: LeafOverlay,
    leafs: Mapping[str, LeafOverlay],
    device_obs: Value | None,
    evpn_obs: Value | None,
) -> list[Verdict]:
    """The overlay verdicts of one leaf (``leafs``: every leaf of the overlay)."""
    known = _known(device_obs, evpn_obs)
    by_vni = {int(e["vni"]): e for e in (evpn_obs or {}).get("vnis", ())} if known else {}
    out = [_vni_verdict(leaf, v, by_vni.get(v.vni), known) for v in leaf.vnis]
    for peer_id in sorted({p for v in leaf.vnis for p in v.peers}):
        peer = leafs.get(peer_id)
        if peer is None or not peer.vtep:
            continue
        shared = [v for v in leaf.vnis if peer_id in v.peers]
        out.append(_peer_verdict(leaf, peer, shared, by_vni, evpn_obs, known))
    return out


def evaluate(
    leafs: Mapping[str, LeafOverlay],
    device_obs: Mapping[str, Value],
    evpn_obs: Mapping[str, Value],
    every: Mapping[str, LeafOverlay] | None = None,
) -> list[Verdict]:
    """The overlay verdicts of ``leafs`` (observations by leaf; ``every``: all the
    overlay's leafs, their peers among them, when ``leafs`` is only some of them)."""
    out: list[Verdict] = []
    for system in sorted(leafs):
        out += evaluate_leaf(
            leafs[system], every or leafs, device_obs.get(system), evpn_obs.get(system)
        )
    return out


def stale(
    bp: str, verdicts: Iterable[Verdict], raised: Iterable[Mapping[str, Any]]
) -> list[Verdict]:
    """Clearing verdicts for raised overlay anomalies (``uid``, ``type``, ``subject``,
    ``device``) that no verdict speaks of any more (a network unbound, a leaf removed)."""
    known = {v.uid(bp) for v in verdicts}
    return [
        Verdict(AnomalyType(r["type"]), r["subject"], "System", r["device"], False)
        for r in raised
        if r["uid"] not in known
    ]
