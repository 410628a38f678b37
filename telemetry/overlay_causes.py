"""Root causes of the EVPN overlay's anomalies (``telemetry.overlay``). Pure.

The underlay's rules (``telemetry.rootcause.RULES``) run first, in their order; each
cause one of them finds at a leaf also explains what it does to the overlay:

* ``device_offline`` of a leaf: the ``remote_vtep_missing`` anomalies about it on the
  other leafs (its own overlay anomalies stay as they were, unknown, and are its own
  symptoms already);
* ``routing_daemon_down`` on a leaf (bgpd or zebra: no EVPN routes either way): the
  ``remote_vtep_missing`` anomalies about it and on it;
* ``oob_change`` / ``deployment_failure`` on a leaf: its ``vni_missing`` anomalies and
  the ``remote_vtep_missing`` anomalies about it for those VNIs (or saying the other leaf
  has no route to its VTEP).

Then the overlay's own, for what is left:

1. ``vni_missing``: a leaf reports VNIs intent gives it absent or down (removed out of
   band, its VXLAN device deleted, ...): one cause per leaf, explaining those and the
   ``remote_vtep_missing`` anomalies about it on the other leafs for those VNIs.
2. ``vtep_unreachable``: the other leafs do not list a leaf's VTEP (their RIB has no
   route to it, or its EVPN routes are not learnt): one cause per leaf whose VTEP is
   missing, explaining every ``remote_vtep_missing`` anomaly about it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from telemetry.evaluate import AnomalyType as T
from telemetry.rootcause import RULES as UNDERLAY
from telemetry.rootcause import Cause, CauseKind, Index, Rule, Symptom, Topology


def _vnis(symptom: Symptom) -> set[int]:
    """The VNIs a ``remote_vtep_missing`` symptom names (its VNI for ``vni_missing``)."""
    actual = symptom.actual or {}
    if symptom.type is T.VNI_MISSING:
        return {int(actual["vni"])} if actual.get("vni") is not None else set()
    return {int(v) for v in actual.get("vnis") or ()}


def _about(idx: Index, leaf: str) -> list[Symptom]:
    """The ``remote_vtep_missing`` anomalies on other leafs about ``leaf``."""
    return idx.get(T.REMOTE_VTEP_MISSING, leaf)


def _on(idx: Index, kind: T, leaf: str) -> list[Symptom]:
    return [s for s in idx.of_type(kind) if s.device == leaf]


def _missing_here(idx: Index, leaf: str) -> tuple[list[Symptom], list[Symptom]]:
    """A leaf's ``vni_missing`` symptoms and those about it on other leafs they explain
    (every VNI those name missing on the leaf)."""
    own = _on(idx, T.VNI_MISSING, leaf)
    missing = {v for s in own for v in _vnis(s)}
    about = [s for s in _about(idx, leaf) if _vnis(s) and _vnis(s) <= missing]
    return own, about


def _offline(idx: Index, leaf: str) -> list[Symptom]:
    return _about(idx, leaf)


def _daemon(idx: Index, leaf: str) -> list[Symptom]:
    return _about(idx, leaf) + _on(idx, T.REMOTE_VTEP_MISSING, leaf)


def _config(idx: Index, leaf: str) -> list[Symptom]:
    own, about = _missing_here(idx, leaf)
    unrouted = [s for s in _about(idx, leaf) if (s.actual or {}).get("routed") is False]
    return own + about + unrouted


EXPLAINS: dict[CauseKind, Callable[[Index, str], list[Symptom]]] = {
    CauseKind.DEVICE_OFFLINE: _offline,
    CauseKind.ROUTING_DAEMON_DOWN: _daemon,
    CauseKind.OOB_CHANGE: _config,
    CauseKind.DEPLOYMENT_FAILURE: _config,
}


def _extended(rule: Rule) -> Rule:
    """``rule``, its causes at a leaf also claiming the overlay symptoms they explain."""

    def run(idx: Index, topo: Topology) -> list[Cause]:
        out = []
        for cause in rule(idx, topo):
            more = EXPLAINS.get(cause.kind)
            extra = idx.claim(more(idx, cause.subject)) if more else ()
            if extra:
                symptoms = tuple(sorted({*cause.symptoms, *extra}))
                summary = f"{cause.summary}; {len(extra)} overlay symptom(s)"
                cause = replace(cause, symptoms=symptoms, summary=summary)
            out.append(cause)
        return out

    run.__name__ = getattr(rule, "__name__", "rule")
    return run


def _networks(symptoms: Iterable[Symptom]) -> dict[str, int]:
    return {s.subject: v for s in symptoms if s.type is T.VNI_MISSING for v in _vnis(s)}


def _vnis_missing(idx: Index, topo: Topology) -> list[Cause]:
    causes = []
    for leaf in sorted({s.device for s in idx.of_type(T.VNI_MISSING)}):
        own, about = _missing_here(idx, leaf)
        uids = idx.claim(own + about)
        networks = _networks(own)
        named = ", ".join(f"{vni} ({name})" for name, vni in sorted(networks.items()))
        causes.append(
            Cause(
                CauseKind.VNI_MISSING,
                leaf,
                (("System", leaf),),
                uids,
                {
                    "device": leaf,
                    "vnis": networks,
                    "peers_missing_it": sorted({s.device for s in about}),
                    "observed": {s.uid: s.actual for s in own + about},
                },
                f"{leaf}: VNI(s) {named} absent or down; {len(about)} symptom(s) on its "
                "peers follow from it",
            )
        )
    return causes


def _vteps_unreachable(idx: Index, topo: Topology) -> list[Cause]:
    causes = []
    for leaf in sorted({s.subject for s in idx.of_type(T.REMOTE_VTEP_MISSING)}):
        about = _about(idx, leaf)
        uids = idx.claim(about)
        unrouted = sorted(s.device for s in about if (s.actual or {}).get("routed") is False)
        vtep: Any = next((s.actual.get("vtep") for s in about if s.actual), None)
        why = (
            f"no route to it on {', '.join(unrouted)}" if unrouted else "its EVPN routes not learnt"
        )
        causes.append(
            Cause(
                CauseKind.VTEP_UNREACHABLE,
                leaf,
                (("System", leaf),),
                uids,
                {
                    "device": leaf,
                    "vtep": vtep,
                    "missing_on": sorted({s.device for s in about}),
                    "unrouted_on": unrouted,
                    "observed": {s.uid: s.actual for s in about},
                },
                f"VTEP {vtep} of {leaf} unreachable from {len(about)} leaf(s) ({why})",
            )
        )
    return causes


RULES: tuple[Rule, ...] = (
    *(_extended(rule) for rule in UNDERLAY),
    _vnis_missing,
    _vteps_unreachable,
)
