"""What a probe is, and the checks of a definition (pure).

A probe watches one field of one observation kind on the intent nodes its scope
selects, reduces each observation's recent samples with a processor chain, and raises
an anomaly where the chain's comparisons all hold::

    {"name": "uplink-errors",
     "scope": "MATCH (:System {blueprint: $bp, role: 'leaf'})-[:HAS_INTERFACE]->(i:Interface)"
              " RETURN i.id AS subject",
     "kind": "counters", "field": "errors_ps",
     "processors": [{"type": "average", "window_s": 30},
                    {"type": "threshold", "op": "gt", "value": 1}],
     "anomaly": {"type": "uplink_errors", "severity": "warning"}}

The chain is one reducer (``current``, ``rate``, ``min``, ``max``, ``average``,
``state_changes``; all but ``current`` over ``window_s``) followed by one to three
comparisons (``threshold`` with a literal, ``property`` with a property-set value of
the observing switch, its own overriding the blueprint's, or ``default`` when neither
has it), all of which must hold. Every bound is named in an error that says what is
allowed; nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Any

from blueprint_engine.errors import ValidationError
from blueprint_engine.grammar import PROPERTY_KEY, printable, shown
from telemetry.evaluate import AnomalyType
from telemetry.model import SUBJECT_LABEL, VALUE_KEYS, ObservationKind, parse_kind

MAX_PROBES = 64  # user probes per blueprint (the predefined ones come on top)
MAX_CHAIN = 4  # one reducer and at most three comparisons
MIN_WINDOW_S = 1
MAX_WINDOW_S = 3600
MAX_SCOPE_CHARS = 4000
MAX_SUBJECTS = 10_000  # intent nodes one probe's scope may select
MAX_DESCRIPTION = 256
FIELDS = ("name", "scope", "kind", "field", "processors", "anomaly", "description")
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
ANOMALY_TYPE = re.compile(r"[a-z][a-z0-9_]{0,62}")
NAME_ALLOWED = "a probe name: [a-z0-9][a-z0-9._-]{0,62}"
TYPE_ALLOWED = "an anomaly type: [a-z][a-z0-9_]{0,62}, not a built-in type"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Step(StrEnum):
    CURRENT = "current"
    RATE = "rate"
    MIN = "min"
    MAX = "max"
    AVERAGE = "average"
    STATE_CHANGES = "state_changes"
    THRESHOLD = "threshold"
    PROPERTY = "property"


REDUCERS = (Step.CURRENT, Step.RATE, Step.MIN, Step.MAX, Step.AVERAGE, Step.STATE_CHANGES)
COMPARISONS = (Step.THRESHOLD, Step.PROPERTY)
NUMERIC_REDUCERS = (Step.RATE, Step.MIN, Step.MAX, Step.AVERAGE)
ORDER_OPS = ("gt", "ge", "lt", "le")
OPS = (*ORDER_OPS, "eq", "ne")
STEP_KEYS: dict[Step, frozenset[str]] = {
    Step.CURRENT: frozenset({"type"}),
    **{s: frozenset({"type", "window_s"}) for s in REDUCERS if s is not Step.CURRENT},
    Step.THRESHOLD: frozenset({"type", "op", "value"}),
    Step.PROPERTY: frozenset({"type", "op", "property", "default"}),
}

Scalar = bool | int | float | str | None


@dataclass(frozen=True)
class Processor:
    type: Step
    window_s: float | None = None
    op: str | None = None
    value: Scalar = None  # threshold: the literal compared with
    property: str | None = None  # property: the property-set key
    default: float | None = None  # property: when no property set has the key

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value}
        if self.window_s is not None:
            out["window_s"] = self.window_s
        if self.type is Step.THRESHOLD:
            out.update(op=self.op, value=self.value)
        if self.type is Step.PROPERTY:
            out.update(op=self.op, property=self.property)
            if self.default is not None:
                out["default"] = self.default
        return out


@dataclass(frozen=True)
class Probe:
    name: str
    scope: str
    kind: ObservationKind
    field: str
    processors: tuple[Processor, ...]
    anomaly_type: str
    severity: Severity
    description: str = ""
    predefined: bool = False
    subjects: tuple[str, ...] = dataclass_field(default=(), compare=False)

    @property
    def reducer(self) -> Processor:
        return self.processors[0]

    @property
    def comparisons(self) -> tuple[Processor, ...]:
        return self.processors[1:]

    @property
    def window_s(self) -> float:
        return float(self.reducer.window_s or 0.0)

    @property
    def on_label(self) -> str:
        return SUBJECT_LABEL[self.kind]

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "kind": self.kind.value,
            "field": self.field,
            "processors": [p.as_dict() for p in self.processors],
            "anomaly": {"type": self.anomaly_type, "severity": self.severity.value},
            "description": self.description,
        }

    def definition_json(self) -> str:
        return json.dumps(self.definition(), sort_keys=True)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e15


def _field_types(kind: ObservationKind, name: object) -> tuple[type, ...]:
    spec = VALUE_KEYS[kind]
    if not isinstance(name, str) or name not in spec:
        raise ValidationError(
            f"field {shown(name)} is not a field of {kind.value} observations",
            allowed=", ".join(spec),
        )
    return spec[name]


def _window(where: str, raw: Mapping[str, Any]) -> float:
    value = raw.get("window_s")
    if not isinstance(value, (int, float)) or not _number(value):
        value = None
    if value is None or not MIN_WINDOW_S <= float(value) <= MAX_WINDOW_S:
        raise ValidationError(
            f"{where}.window_s {shown(value)} is not a window",
            allowed=f"seconds, a number from {MIN_WINDOW_S} to {MAX_WINDOW_S}",
        )
    return float(value)


def _op(where: str, raw: Mapping[str, Any], numeric: bool) -> str:
    op = raw.get("op")
    allowed = ORDER_OPS if numeric else OPS
    if op not in allowed:
        raise ValidationError(f"{where}.op {shown(op)} is not a comparison", allowed=allowed)
    return str(op)


def _step(where: str, raw: object) -> Processor:
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{where} is not an object", allowed="{'type': ..., ...}")
    try:
        step = Step(str(raw.get("type")))
    except ValueError:
        raise ValidationError(
            f"{where}.type {shown(raw.get('type'))} is not a processor",
            allowed=", ".join(s.value for s in Step),
        ) from None
    extra = sorted(set(raw) - STEP_KEYS[step])
    if extra:
        raise ValidationError(
            f"{where} ({step.value}) has unknown keys {extra}",
            allowed=", ".join(sorted(STEP_KEYS[step])),
        )
    if step in REDUCERS:
        return Processor(step, None if step is Step.CURRENT else _window(where, raw))
    if step is Step.THRESHOLD:
        value = raw.get("value")
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        op = _op(where, raw, numeric=False)
        if op in ORDER_OPS and not _number(value):
            raise ValidationError(
                f"{where}.value {shown(value)} cannot be ordered", allowed="a finite number"
            )
        if not (numeric and _number(value)) and not isinstance(value, (bool, str, type(None))):
            raise ValidationError(
                f"{where}.value {shown(value)} is not a scalar",
                allowed="a number, true/false, a string of at most 128 characters or null",
            )
        if isinstance(value, str) and len(value) > 128:
            raise ValidationError(f"{where}.value is too long", allowed="at most 128 characters")
        return Processor(step, op=op, value=value)
    key = raw.get("property")
    PROPERTY_KEY.check(f"{where}.property", key)
    default = raw.get("default")
    if default is not None and not _number(default):
        raise ValidationError(
            f"{where}.default {shown(default)} is not a number", allowed="a finite number or null"
        )
    return Processor(
        step,
        op=_op(where, raw, numeric=True),
        property=str(key),
        default=float(default) if isinstance(default, (int, float)) else None,
    )


def _chain(raw: object, kind: ObservationKind, field_name: str) -> tuple[Processor, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        raise ValidationError("processors is not a list", allowed="a list of processors")
    if not 2 <= len(raw) <= MAX_CHAIN:
        raise ValidationError(
            f"the processor chain has {len(raw)} steps",
            allowed=f"2 to {MAX_CHAIN}: one reducer, then one to {MAX_CHAIN - 1} comparisons",
        )
    types = _field_types(kind, field_name)
    steps = tuple(_step(f"processors[{i}]", item) for i, item in enumerate(raw))
    first, rest = steps[0], steps[1:]
    if first.type not in REDUCERS:
        raise ValidationError(
            f"processors[0] is {first.type.value}, not a reducer",
            allowed=", ".join(r.value for r in REDUCERS),
        )
    for i, step in enumerate(rest, start=1):
        if step.type not in COMPARISONS:
            raise ValidationError(
                f"processors[{i}] is {step.type.value}, not a comparison",
                allowed="threshold, property (the chain's one reducer comes first)",
            )
    numeric_field = all(t in (int, float, type(None)) for t in types)
    if first.type in NUMERIC_REDUCERS and not numeric_field:
        raise ValidationError(
            f"{first.type.value} needs a numeric field; {field_name} is not one",
            allowed="current or state_changes for this field, or a numeric field",
        )
    numeric_result = first.type is Step.STATE_CHANGES or numeric_field
    for i, step in enumerate(rest, start=1):
        if step.op in ORDER_OPS and not numeric_result:
            raise ValidationError(
                f"processors[{i}] orders values of {field_name}, which are not numbers",
                allowed="eq or ne for this field",
            )
    return steps


def _anomaly(raw: object) -> tuple[str, Severity]:
    if not isinstance(raw, Mapping) or set(raw) - {"type", "severity"}:
        raise ValidationError(
            f"anomaly {shown(raw)} is not an anomaly", allowed="{'type': ..., 'severity': ...}"
        )
    kind = raw.get("type")
    builtin = {t.value for t in AnomalyType}
    if not isinstance(kind, str) or not ANOMALY_TYPE.fullmatch(kind) or kind in builtin:
        raise ValidationError(f"anomaly.type {shown(kind)} is not allowed", allowed=TYPE_ALLOWED)
    try:
        severity = Severity(raw.get("severity", Severity.WARNING.value))
    except ValueError:
        raise ValidationError(
            f"anomaly.severity {shown(raw.get('severity'))} is not a severity",
            allowed=", ".join(s.value for s in Severity),
        ) from None
    return kind, severity


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValidationError(f"probe name {shown(name)} is not allowed", allowed=NAME_ALLOWED)
    return name


def parse(raw: object, *, predefined: bool = False) -> Probe:
    """A probe from its definition (a JSON object), or ValidationError naming the part
    that is wrong and what is allowed. The scope's Cypher is checked at the edge that can
    plan it (``telemetry.probes.store``); here only its size."""
    if not isinstance(raw, Mapping):
        raise ValidationError("a probe definition is an object", allowed=", ".join(FIELDS))
    extra = sorted(set(raw) - set(FIELDS))
    missing = [k for k in FIELDS[:6] if k not in raw]
    if extra or missing:
        raise ValidationError(
            f"the probe definition has unknown keys {extra} / missing keys {missing}",
            allowed=", ".join(FIELDS) + " (description optional)",
        )
    scope = raw["scope"]
    if not isinstance(scope, str) or not scope.strip() or len(scope) > MAX_SCOPE_CHARS:
        what = f"{len(scope)} characters" if isinstance(scope, str) else "not a string"
        raise ValidationError(
            f"scope is {what}",
            allowed=f"a read-only Cypher query of 1 to {MAX_SCOPE_CHARS} characters "
            "returning a column 'subject'",
        )
    kind = parse_kind(str(raw["kind"]))
    field_name = raw["field"]
    _field_types(kind, field_name)
    description = raw.get("description") or ""
    if description:
        printable(MAX_DESCRIPTION).check("description", description)
    anomaly_type, severity = _anomaly(raw["anomaly"])
    return Probe(
        check_name(raw["name"]),
        scope,
        kind,
        str(field_name),
        _chain(raw["processors"], kind, str(field_name)),
        anomaly_type,
        severity,
        str(description),
        predefined,
    )
