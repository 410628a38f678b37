"""What the collectors report: one ``Observation`` per fact, and the value shape per kind.

An observation is one fact reported by one device (``observer``, a system id)
about one intent node (``subject``, its ``id`` inside the blueprint). The value
is a small JSON-able dict whose keys depend on the kind (``VALUE_KEYS``):

==========  ==============================  ==========================================
kind        subject (intent node)           value
==========  ==============================  ==========================================
device      the observer's own System id    ``reachable`` bool, ``hostname`` str|None
interface   Interface id ``leaf1:swp1``     ``oper_up`` bool, ``admin_up`` bool
lldp        the local Interface id          ``neighbor`` str|None (system name seen),
                                            ``port`` str|None (its port name)
bgp         BgpSession id                   ``established`` bool, ``state`` str
optics      Transceiver id                  ``present`` bool, ``rx_power_dbm`` float|None
                                            (the weakest lane)
route       the peer System id whose        ``present`` bool, ``prefix`` str
            loopback should be in the RIB
config      the observer's own System id    ``deviated`` bool, ``last_deploy``
                                            "succeeded"|"failed"|None
daemons     the observer's own System id    ``running`` bool (every routing daemon the
                                            switch needs runs), ``down`` str|None (the
                                            ones not running, comma-separated),
                                            ``restarted`` str|None (those that crashed
                                            and were restarted, still coming back)
counters    Interface id                    the interface's counters (``rx_octets``,
                                            ``tx_octets``, ``rx_errors``, ``tx_errors``,
                                            ``rx_discards``, ``tx_discards``: int|None),
                                            ``sampled_at`` (when they were read),
                                            ``oper_up`` bool|None and rates per second
                                            from the previous sample (``rx_bps``,
                                            ``tx_bps``, ``errors_ps``, ``discards_ps``,
                                            ``errors_discards_ps``: float|None, None
                                            first and while the port is down)
bgp_prefixes BgpSession id                  ``received``, ``accepted``: int|None (the
                                            prefixes the observer has from its peer;
                                            None while the session is not established)
evpn        the observer's own System id    ``vnis``: one entry per VNI intent gives the
            (a leaf whose intent has        leaf, ``{"vni": int, "present": bool, "up":
            virtual networks)               bool, "remote_vteps": [str]}`` in VNI order;
                                            ``unrouted_vteps``: [str]|None, the remote
                                            VTEPs intent expects that the leaf's RIB has
                                            no active route to (None: RIB not read)
                                            (``telemetry.overlay_model``)
==========  ==============================  ==========================================

A device that cannot be reached is reported with one ``device`` observation
``{"reachable": false, "hostname": null}``; its other observations are then
left as they were (the engine treats them as unknown, not as healthy).

Pure: frozen dataclasses, enums and validation; no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from blueprint_engine.errors import ValidationError
from telemetry.overlay_model import ALLOWED as EVPN_ALLOWED
from telemetry.overlay_model import check_evpn_value


class ObservationKind(StrEnum):
    DEVICE = "device"
    INTERFACE = "interface"
    LLDP = "lldp"
    BGP = "bgp"
    OPTICS = "optics"
    ROUTE = "route"
    CONFIG = "config"
    DAEMONS = "daemons"
    COUNTERS = "counters"
    BGP_PREFIXES = "bgp_prefixes"
    EVPN = "evpn"


# the graph label of the intent node each kind observes
SUBJECT_LABEL: dict[ObservationKind, str] = {
    ObservationKind.DEVICE: "System",
    ObservationKind.INTERFACE: "Interface",
    ObservationKind.LLDP: "Interface",
    ObservationKind.BGP: "BgpSession",
    ObservationKind.OPTICS: "Transceiver",
    ObservationKind.ROUTE: "System",
    ObservationKind.CONFIG: "System",
    ObservationKind.DAEMONS: "System",
    ObservationKind.COUNTERS: "Interface",
    ObservationKind.BGP_PREFIXES: "BgpSession",
    ObservationKind.EVPN: "System",
}

# required value keys and the types each accepts
_BOOL: tuple[type, ...] = (bool,)
_OPT_STR: tuple[type, ...] = (str, type(None))
_OPT_BOOL: tuple[type, ...] = (bool, type(None))
_OPT_NUM: tuple[type, ...] = (int, float, type(None))
_OPT_INT: tuple[type, ...] = (int, type(None))
_NUM: tuple[type, ...] = (int, float)
COUNTER_KEYS = ("rx_octets", "tx_octets", "rx_errors", "tx_errors", "rx_discards", "tx_discards")
RATE_KEYS = ("rx_bps", "tx_bps", "errors_ps", "discards_ps", "errors_discards_ps")
VALUE_KEYS: dict[ObservationKind, dict[str, tuple[type, ...]]] = {
    ObservationKind.DEVICE: {"reachable": _BOOL, "hostname": _OPT_STR},
    ObservationKind.INTERFACE: {"oper_up": _BOOL, "admin_up": _BOOL},
    ObservationKind.LLDP: {"neighbor": _OPT_STR, "port": _OPT_STR},
    ObservationKind.BGP: {"established": _BOOL, "state": _OPT_STR},
    ObservationKind.OPTICS: {"present": _BOOL, "rx_power_dbm": _OPT_NUM},
    ObservationKind.ROUTE: {"present": _BOOL, "prefix": _OPT_STR},
    ObservationKind.CONFIG: {"deviated": _BOOL, "last_deploy": _OPT_STR},
    ObservationKind.DAEMONS: {"running": _BOOL, "down": _OPT_STR, "restarted": _OPT_STR},
    ObservationKind.COUNTERS: {
        **{key: _OPT_INT for key in COUNTER_KEYS},
        "sampled_at": _NUM,
        "oper_up": _OPT_BOOL,  # False: the port was down when read (no rates then)
        **{key: _OPT_NUM for key in RATE_KEYS},
    },
    ObservationKind.BGP_PREFIXES: {"received": _OPT_INT, "accepted": _OPT_INT},
    # the shape inside is checked by telemetry.overlay_model.check_evpn_value
    ObservationKind.EVPN: {"vnis": (list,), "unrouted_vteps": (list, type(None))},
}
# kinds whose subject is the observer itself
SELF_KINDS = frozenset(
    {ObservationKind.DEVICE, ObservationKind.CONFIG, ObservationKind.DAEMONS, ObservationKind.EVPN}
)
LAST_DEPLOY_VALUES = ("succeeded", "failed", None)


@dataclass(frozen=True)
class Observation:
    """One fact seen by ``observer`` about intent node ``subject`` at ``observed_at``."""

    blueprint: str
    kind: ObservationKind
    observer: str
    subject: str
    value: Mapping[str, Any] = field(hash=False)
    observed_at: float

    @property
    def uid(self) -> str:
        return observation_uid(self.blueprint, self.kind, self.observer, self.subject)

    def value_json(self) -> str:
        """The value as canonical JSON text: equal values give equal text."""
        return canonical_json(self.value)


def observation_uid(blueprint: str, kind: str, observer: str, subject: str) -> str:
    return f"{blueprint}/{kind}/{observer}/{subject}"


# what json.dumps(value, sort_keys=True, separators=(",", ":")) builds on every call,
# built once (its configuration never changes): the text of every observation goes
# through it
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def canonical_json(value: Mapping[str, Any]) -> str:
    return _CANONICAL.encode(value)


def parse_kind(kind: str) -> ObservationKind:
    try:
        return ObservationKind(kind)
    except ValueError:
        raise ValidationError(
            f"unknown observation kind {kind!r}", allowed=[k.value for k in ObservationKind]
        ) from None


_EXACT: dict[ObservationKind, tuple[tuple[str, frozenset[type]], ...]] = {
    kind: tuple((key, frozenset(types)) for key, types in spec.items())
    for kind, spec in VALUE_KEYS.items()
}


def _allowed(kind: ObservationKind) -> str:
    if kind is ObservationKind.EVPN:  # nested: its own description
        return EVPN_ALLOWED
    return ", ".join(
        f"{key}: {'|'.join('null' if t is type(None) else t.__name__ for t in types)}"
        for key, types in VALUE_KEYS[kind].items()
    )


def check_value(kind: ObservationKind, value: Mapping[str, Any]) -> None:
    """Raise ValidationError naming the key when ``value`` does not fit ``kind``."""
    spec = VALUE_KEYS[kind]
    if len(value) != len(spec) or any(key not in value for key in spec):
        missing = [key for key in spec if key not in value]
        extra = [key for key in value if key not in spec]
        raise ValidationError(
            f"{kind.value} observation value has missing keys {missing} / unknown keys {extra}",
            allowed=_allowed(kind),
        )
    for key, types in _EXACT[kind]:
        item = value[key]
        # exact types: a bool is not a number, an int is not a bool
        wrong = type(item) not in types or (type(item) is float and not math.isfinite(item))
        if wrong:
            raise ValidationError(
                f"{kind.value} observation value {key}={item!r} has the wrong type",
                allowed=_allowed(kind),
            )
    if kind is ObservationKind.CONFIG and value["last_deploy"] not in LAST_DEPLOY_VALUES:
        raise ValidationError(
            f"config observation last_deploy={value['last_deploy']!r} is not a deploy result",
            allowed="succeeded, failed, null",
        )
    if kind is ObservationKind.EVPN:
        check_evpn_value(value)


def check(observation: Observation) -> Observation:
    """Validate one observation (kind, ids, value shape, time); return it (its kind as
    an ``ObservationKind`` when it was given as text)."""
    kind = observation.kind
    if type(kind) is not ObservationKind:
        kind = parse_kind(str(kind))
    for name, text in (
        ("blueprint", observation.blueprint),
        ("observer", observation.observer),
        ("subject", observation.subject),
    ):
        if type(text) is not str or not text or "/" in text:
            raise ValidationError(
                f"observation {name} {text!r} is not an id",
                allowed=f"a non-empty {name} id without '/'",
            )
    if kind in SELF_KINDS and observation.subject != observation.observer:
        raise ValidationError(
            f"a {kind.value} observation is about its observer, not {observation.subject!r}",
            allowed=f"subject = observer = {observation.observer!r}",
        )
    at = observation.observed_at
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at) or at < 0:
        raise ValidationError(
            f"observed_at {at!r} is not a time", allowed="epoch seconds (float, >= 0)"
        )
    check_value(kind, observation.value)
    if kind is not observation.kind:  # given as text: carry the enum from here on
        return replace(observation, kind=kind)
    return observation
