"""Off-box agents: what an operator declares, checked before anything is stored (pure).

An off-box agent (seed 001: "installed server-side") is how a switch enters
Fabricgraph: a management address, a NAPALM platform, optional connection options
from an allow-list, and the *name* of a credential set (never the secret itself;
credential sets are resolved on the workers only). One agent or a file of them
(YAML or CSV) is parsed here; every problem is reported with the agent and field.

Also pure: matching a device profile from the model a device reports, and OS
version ranges.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from blueprint_engine import grammar
from blueprint_engine.errors import ValidationError

# NAPALM drivers tested here; any other name is taken as a NAPALM plugin's name
KNOWN_PLATFORMS = ("eos", "nxos_ssh", "junos", "linuxfrr")
# the device profile NOS each platform drives
PLATFORM_NOS = {"eos": "eos", "nxos_ssh": "nxos", "nxos": "nxos", "junos": "junos"}
PLATFORM_NOS["linuxfrr"] = "linux_frr"
# the TCP port the agent's driver connects to unless ``port`` says otherwise
DEFAULT_PORTS = {"eos": 443, "nxos_ssh": 22, "nxos": 443, "junos": 830, "linuxfrr": 22}
TRANSPORTS = ("ssh", "https", "http", "netconf", "netns")
MAX_AGENTS_PER_FILE = 1000
MAX_TIMEOUT_S = 60
DEFAULT_TIMEOUT_S = 10

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_PLATFORM = re.compile(r"[a-z][a-z0-9_]{0,31}")
_STATE_DIR = re.compile(r"/[A-Za-z0-9._/-]{1,200}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Linux interface names (at most 15 characters), up to 4, comma-separated
_MANAGEMENT = re.compile(r"[A-Za-z0-9_.-]{1,15}(?:,[A-Za-z0-9_.-]{1,15}){0,3}")
LAYOUTS = ("lab", "host")
# an SSH public key as OpenSSH writes it: its type and its base64 (no comment)
_HOST_KEY = re.compile(r"[a-z][a-z0-9@.-]{2,60} [A-Za-z0-9+/]{16,8192}={0,2}")
HOST_KEY_POLICIES = ("tofu", "strict")

NAME = grammar.Grammar("[a-z0-9][a-z0-9._-]{0,62}", lambda v: _fullmatch(_NAME, v))
PLATFORM = grammar.Grammar(
    f"a NAPALM driver name: {', '.join(KNOWN_PLATFORMS)}, or a plugin's ([a-z][a-z0-9_]{{0,31}})",
    lambda v: _fullmatch(_PLATFORM, v),
)
ADDRESS = grammar.Grammar(
    "an IPv4 or IPv6 address, or an RFC 1123 hostname (at most 253 characters)",
    lambda v: _address(v),
)


def _fullmatch(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and value.isascii() and pattern.fullmatch(value) is not None


def _address(value: object) -> bool:
    if not isinstance(value, str) or not 0 < len(value) <= 253 or not value.isascii():
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    labels = value.removesuffix(".").split(".")
    return all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def _int_in(low: int, high: int) -> grammar.Grammar:
    return grammar.Grammar(
        f"an integer from {low} to {high}", lambda v: type(v) is int and low <= v <= high
    )


# connection options an agent may carry: name -> grammar (anything else is refused)
OPTIONS: dict[str, grammar.Grammar] = {
    "port": _int_in(1, 65535),
    "timeout": _int_in(1, MAX_TIMEOUT_S),
    "transport": grammar.Grammar(
        ", ".join(TRANSPORTS), lambda v: isinstance(v, str) and v in TRANSPORTS
    ),
    # a NAPALM mock recording under fixtures/napalm_recordings/ (tests, demonstrations)
    "recording": NAME,
    # the lab's Linux/FRR switches: their namespace and the lab's state directory
    "netns": NAME,
    "lab_state_dir": grammar.Grammar(
        "an absolute path of [A-Za-z0-9._/-], no '..'",
        lambda v: _fullmatch(_STATE_DIR, v) and ".." not in str(v),
    ),
    # linuxfrr: where the switch keeps its files (a lab switch reached over SSH: "lab")
    "layout": grammar.Grammar(", ".join(LAYOUTS), lambda v: isinstance(v, str) and v in LAYOUTS),
    # linuxfrr: the management port and VRF the driver leaves alone ("eth0,mgmt")
    "management": grammar.Grammar(
        "up to 4 interface names ([A-Za-z0-9_.-]{1,15}), comma-separated",
        lambda v: _fullmatch(_MANAGEMENT, v),
    ),
    # linuxfrr over SSH: the device's pinned host key (any other is refused), and what to
    # do without one (tofu: pin the first key offered; strict: refuse)
    "host_key": grammar.Grammar(
        "an SSH public key '<type> <base64>' (e.g. 'ssh-ed25519 AAAA...')",
        lambda v: _fullmatch(_HOST_KEY, v),
    ),
    "host_key_policy": grammar.Grammar(
        ", ".join(HOST_KEY_POLICIES), lambda v: isinstance(v, str) and v in HOST_KEY_POLICIES
    ),
}
FIELDS = ("name", "address", "platform", "credential", "group", "profile", "options")


@dataclass(frozen=True)
class AgentSpec:
    """One off-box agent as declared. ``credential`` (or, without it, ``group``) names
    the credential set its worker resolves; ``profile`` optionally picks among the
    device profiles that fit the reported model."""

    name: str
    address: str
    platform: str
    credential: str | None = None
    group: str | None = None
    profile: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def credential_ref(self) -> str | None:
        return self.credential or self.group

    @property
    def nos(self) -> str | None:
        return PLATFORM_NOS.get(self.platform)

    @property
    def port(self) -> int:
        return int(self.options.get("port") or DEFAULT_PORTS.get(self.platform, 22))

    @property
    def timeout(self) -> int:
        return int(self.options.get("timeout") or DEFAULT_TIMEOUT_S)

    def as_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "platform": self.platform,
            "credential": self.credential,
            "group": self.group,
            "profile": self.profile,
            "options": dict(self.options),
        }


def _problems_of(where: str, raw: Mapping[str, Any]) -> list[str]:
    problems = [f"{where}: unknown field {grammar.shown(k)}" for k in raw if k not in FIELDS]
    for key, check in (("name", NAME), ("address", ADDRESS), ("platform", PLATFORM)):
        if key not in raw:
            problems.append(f"{where}: {key} is required ({check.allowed})")
        elif (problem := check.problem(key, raw[key])) is not None:
            problems.append(f"{where}: {problem}")
    for key in ("credential", "group", "profile"):
        if raw.get(key) is not None and (problem := NAME.problem(key, raw[key])) is not None:
            problems.append(f"{where}: {problem}")
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        return [*problems, f"{where}: options must be a mapping of {', '.join(OPTIONS)}"]
    for key, value in options.items():
        if key not in OPTIONS:
            problems.append(
                f"{where}: option {grammar.shown(key)} is not allowed "
                f"(allowed: {', '.join(OPTIONS)})"
            )
        elif (problem := OPTIONS[key].problem(f"option {key}", value)) is not None:
            problems.append(f"{where}: {problem}")
    return problems


def parse_agent(raw: object, where: str = "agent") -> AgentSpec:
    """One agent from a mapping; a ValidationError lists every problem."""
    specs = parse_agents([raw], where=where)
    return specs[0]


def parse_agents(items: Sequence[object], where: str = "agent") -> list[AgentSpec]:
    """Agents from mappings: every problem of every item, and duplicate names, at once."""
    if len(items) > MAX_AGENTS_PER_FILE:
        raise ValidationError(
            f"{len(items)} agents in one request", allowed=f"at most {MAX_AGENTS_PER_FILE}"
        )
    if not items:
        raise ValidationError("no agent given", allowed="one agent or a list of them")
    problems: list[str] = []
    for i, raw in enumerate(items):
        label = f"{where} {i + 1}" if len(items) > 1 else where
        if not isinstance(raw, Mapping):
            problems.append(f"{label}: must be a mapping with {', '.join(FIELDS)}")
            continue
        problems += _problems_of(label, raw)
    names = [r.get("name") for r in items if isinstance(r, Mapping)]
    dups = sorted({str(n) for n in names if names.count(n) > 1})
    if dups:
        problems.append(f"agent names given more than once: {', '.join(dups)}")
    if problems:
        raise ValidationError("; ".join(problems), allowed="agent fields " + ", ".join(FIELDS))
    return [_spec(r) for r in items if isinstance(r, Mapping)]


def _spec(raw: Mapping[str, Any]) -> AgentSpec:
    return AgentSpec(
        name=raw["name"],
        address=raw["address"],
        platform=raw["platform"],
        credential=raw.get("credential"),
        group=raw.get("group"),
        profile=raw.get("profile"),
        options=dict(raw.get("options") or {}),
    )


FORMATS = ("yaml", "csv")
CSV_OPTION_INTS = ("port", "timeout")


def parse_file(text: str, fmt: str) -> list[AgentSpec]:
    """Agents from a YAML document (a list, or ``agents: [...]``) or a CSV file whose
    header names fields and options (``name,address,platform,credential,port,...``)."""
    if fmt not in FORMATS:
        raise ValidationError(f"file format {grammar.shown(fmt)}", allowed=", ".join(FORMATS))
    items = _yaml_items(text) if fmt == "yaml" else _csv_items(text)
    return parse_agents(items, where="line" if fmt == "csv" else "agent")


def _yaml_items(text: str) -> list[object]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"the YAML does not parse: {exc}", allowed="YAML") from None
    if isinstance(doc, Mapping) and "agents" in doc:
        doc = doc["agents"]
    if isinstance(doc, Mapping):
        doc = [doc]
    if not isinstance(doc, list):
        raise ValidationError("the YAML holds no agents", allowed="a list, or agents: [...]")
    return list(doc)


def _csv_items(text: str) -> list[object]:
    reader = csv.DictReader(io.StringIO(text))
    unknown = [h for h in reader.fieldnames or [] if h not in FIELDS and h not in OPTIONS]
    if unknown or not reader.fieldnames:
        raise ValidationError(
            f"CSV header columns not known: {', '.join(map(grammar.shown, unknown)) or 'none'}",
            allowed=", ".join([*FIELDS[:-1], *OPTIONS]),
        )
    items: list[object] = []
    for row in reader:
        item: dict[str, Any] = {}
        options: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or value == "":
                continue
            if key in OPTIONS:
                options[key] = _csv_value(key, value)
            else:
                item[key] = value
        if options:
            item["options"] = options
        items.append(item)
    return items


def _csv_value(key: str, value: str) -> object:
    if key in CSV_OPTION_INTS and value.strip().isdigit():
        return int(value.strip())
    return value


# --- device profiles from the reported model ----------------------------------


@dataclass(frozen=True)
class ProfileFit:
    """What a device profile says about the hardware it describes."""

    name: str
    nos: str
    hardware_model: str
    models: tuple[str, ...] = ()  # other model strings devices of it report
    os_versions: tuple[str | None, str | None] = (None, None)  # inclusive min, max

    def fits(self, model: str) -> bool:
        wanted = _norm(model)
        return any(_norm(m) == wanted for m in (self.hardware_model, *self.models))


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def match_profile(
    model: str, nos: str | None, profiles: Iterable[ProfileFit], hint: str | None = None
) -> ProfileFit:
    """The device profile for a device reporting ``model``; a ValidationError names the
    profiles that could fit (same model, else same NOS) when none or several do."""
    known = list(profiles)
    fitting = [p for p in known if p.fits(model) and (nos is None or p.nos == nos)]
    if hint is not None:
        chosen = [p for p in fitting if p.name == hint]
        if chosen:
            return chosen[0]
        raise ValidationError(
            f"device profile {hint!r} does not fit model {model!r}",
            allowed=_candidates(fitting, known, nos),
        )
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        raise ValidationError(
            f"model {model!r} fits several device profiles; name one in the agent's profile",
            allowed=", ".join(p.name for p in fitting),
        )
    raise ValidationError(
        f"no device profile lists model {model!r}"
        + (f" for NOS {nos}" if nos else "")
        + " (a profile's hardware_model or models)",
        allowed=_candidates(fitting, known, nos),
    )


def _candidates(fitting: list[ProfileFit], known: list[ProfileFit], nos: str | None) -> str:
    if fitting:
        return "profiles that fit: " + ", ".join(p.name for p in fitting)
    same_nos = [p.name for p in known if nos is None or p.nos == nos]
    return "profiles that could fit (same NOS): " + (", ".join(same_nos) or "none")


def version_key(version: str) -> tuple[int, ...]:
    """A comparable key of an OS version: its numbers in order
    (``4.28.3M`` -> (4, 28, 3); ``10.3(2)`` -> (10, 3, 2); ``22.4R2-S1.6`` -> (22, 4, 2, 1, 6))."""
    return tuple(int(n) for n in re.findall(r"\d+", version)[:8])


def version_in_range(version: str, low: str | None, high: str | None) -> bool:
    """Whether ``version`` lies in the inclusive range (an open end allows anything)."""
    key = version_key(version)
    above_low = low is None or key >= version_key(low)
    return above_low and (high is None or key <= version_key(high))
