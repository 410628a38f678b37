"""Zero-touch provisioning: the policy, the provisioning script, a registration's checks.

A switch booting factory-default gets an address and this API's script URL by DHCP
(option 239), downloads the script (``GET /api/ztp/script``) and runs it: it reads its
serial, management address and hostname and calls home (``POST /api/ztp/register``).
The **ZTP policy** decides what becomes of a registration: the management subnets and
platforms it accepts, the credential set *name* (never a secret) and the connection
options of the off-box agent it creates (``{hostname}`` in an option stands for the
switch's hostname). ``FG_ZTP_POLICY`` is the path of a JSON policy; unset, the lab's
policy applies (its management subnet, platform linuxfrr, the lab's netns transport, no
credential); ``off`` refuses every registration. A policy's ``authorized_keys`` (the
off-box agent's SSH public keys) are the pre-install config the script applies: they are
added to root's ``authorized_keys`` on the switch before it calls home.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.devices.agent_spec import AgentSpec, parse_agents
from blueprint_engine.errors import AuthError, ValidationError

MAX_BODY = 4096
SERIAL_GRAMMAR = "1..64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit"
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PLATFORM = re.compile(r"[a-z][a-z0-9_]{0,31}")
# the Host header a switch used to reach us, reused in the script's call-home URL
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?")
# an OpenSSH public key line: type, base64 body, optional comment (no quote, no newline)
_PUBKEY = re.compile(
    r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com)"
    r" [A-Za-z0-9+/]{16,8192}={0,3}( [A-Za-z0-9@._+-]{1,64})?"
)
PUBKEY_GRAMMAR = "'<type> <base64> [comment]', type ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp*"
MAX_KEYS = 16
FIELDS = ("serial", "address", "platform", "hostname")
LAB_MGMT_SUBNET = "10.253.0.0/24"  # lab/mgmt.py's MGMT_SUBNET
LAB_STATE_DIR = "/var/run/fabricgraph-lab"


@dataclass(frozen=True)
class ZtpPolicy:
    name: str
    subnets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    platforms: tuple[str, ...]
    credential: str | None = None
    group: str | None = None
    profile: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    authorized_keys: tuple[str, ...] = ()


LAB_POLICY = ZtpPolicy(
    name="lab",
    subnets=(ipaddress.ip_network(LAB_MGMT_SUBNET),),
    platforms=("linuxfrr",),
    options={"transport": "netns", "netns": "fg-{hostname}", "lab_state_dir": LAB_STATE_DIR},
)


def load_policy(env: dict[str, str] | None = None) -> ZtpPolicy | None:
    """The policy ``FG_ZTP_POLICY`` names (a JSON file), the lab's when unset, None when off."""
    source = (env if env is not None else dict(os.environ)).get("FG_ZTP_POLICY", "")
    if source == "":
        return LAB_POLICY
    if source == "off":
        return None
    try:
        with open(source, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"ZTP policy {source!r} is unreadable: {exc}", allowed="a JSON object"
        ) from None
    return parse_policy(raw)


def parse_policy(raw: object) -> ZtpPolicy:
    if not isinstance(raw, dict):
        raise ValidationError("a ZTP policy is a JSON object", allowed="subnets, platforms, ...")
    try:
        subnets = tuple(ipaddress.ip_network(s) for s in raw.get("subnets", []))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"ZTP policy subnets: {exc}", allowed="CIDR prefixes") from None
    platforms = raw.get("platforms", [])
    options = raw.get("options", {})
    if not subnets or not isinstance(platforms, list) or not isinstance(options, dict):
        raise ValidationError(
            "a ZTP policy needs subnets (non-empty), platforms (a list), options (an object)",
            allowed="e.g. {subnets: ['192.0.2.0/24'], platforms: ['eos'], credential: 'dc1'}",
        )
    keys = raw.get("authorized_keys", [])
    if not isinstance(keys, list) or len(keys) > MAX_KEYS:
        raise ValidationError(
            "ZTP policy authorized_keys must be a list", allowed=f"at most {MAX_KEYS} keys"
        )
    for key in keys:
        if not _matches(_PUBKEY, key):
            raise ValidationError(
                f"ZTP policy authorized_keys: {_show(key)} is not an SSH public key",
                allowed=PUBKEY_GRAMMAR,
            )
    return ZtpPolicy(
        name=str(raw.get("name", "file")),
        subnets=subnets,
        platforms=tuple(str(p) for p in platforms),
        credential=raw.get("credential"),
        group=raw.get("group"),
        profile=raw.get("profile"),
        options=dict(options),
        authorized_keys=tuple(keys),
    )


@dataclass(frozen=True)
class Registration:
    serial: str
    address: str
    platform: str
    hostname: str

    @property
    def agent(self) -> str:
        """The off-box agent's name: ``ztp-`` and the serial, lower-cased."""
        return f"ztp-{self.serial.lower()}"


def parse_registration(body: object) -> Registration:
    """A switch's call-home body, every problem named."""
    if not isinstance(body, dict):
        raise ValidationError("a registration is a JSON object", allowed=", ".join(FIELDS))
    problems: list[str] = []
    unknown = sorted(str(k)[:40] for k in body if k not in FIELDS)
    if unknown:
        problems.append(f"unknown fields {unknown}")
    serial, address = body.get("serial"), body.get("address")
    platform, hostname = body.get("platform"), body.get("hostname", "")
    if not _matches(_SERIAL, serial):
        problems.append(f"serial {_show(serial)} is not {SERIAL_GRAMMAR}")
    if not isinstance(address, str) or not _is_ip(address):
        problems.append(f"address {_show(address)} is not an IPv4 or IPv6 address")
    if not _matches(_PLATFORM, platform):
        problems.append(f"platform {_show(platform)} is not a NAPALM driver name")
    if hostname != "" and not _matches(_HOSTNAME, hostname):
        problems.append(f"hostname {_show(hostname)} is not an RFC 1123 label")
    if problems:
        raise ValidationError("invalid ZTP registration: " + "; ".join(problems),
                              allowed="serial, address, platform, hostname (optional)")  # fmt: skip
    return Registration(str(serial), str(address), str(platform), str(hostname))


def agent_spec(policy: ZtpPolicy | None, reg: Registration) -> AgentSpec:
    """The off-box agent ``policy`` makes of ``reg`` (refused outside the policy)."""
    if policy is None:
        raise AuthError("zero-touch provisioning is off (FG_ZTP_POLICY=off)", allowed="a policy")
    address = ipaddress.ip_address(reg.address)
    if not any(address in net for net in policy.subnets):
        raise AuthError(
            f"address {reg.address} is outside ZTP policy {policy.name!r}'s subnets",
            allowed=", ".join(str(n) for n in policy.subnets),
        )
    if reg.platform not in policy.platforms:
        raise AuthError(
            f"platform {reg.platform!r} is not provisioned by ZTP policy {policy.name!r}",
            allowed=", ".join(policy.platforms),
        )
    needs_host = any("{hostname}" in str(v) for v in policy.options.values())
    if needs_host and not reg.hostname:
        raise ValidationError(
            f"ZTP policy {policy.name!r} needs the switch's hostname", allowed="hostname"
        )
    options = {
        k: v.replace("{hostname}", reg.hostname) if isinstance(v, str) else v
        for k, v in policy.options.items()
    }
    item = {"name": reg.agent, "address": reg.address, "platform": reg.platform,
            "credential": policy.credential, "group": policy.group, "profile": policy.profile,
            "options": options}  # fmt: skip
    return parse_agents([{k: v for k, v in item.items() if v is not None}], where="ztp")[0]


def base_url(host_header: str | None, scheme: str, fallback: str) -> str:
    """The URL a switch reached us at (its Host header if well-formed, else ``fallback``)."""
    if host_header and _HOST.fullmatch(host_header):
        return f"{'https' if scheme == 'https' else 'http'}://{host_header}"
    return fallback


def preinstall(authorized_keys: tuple[str, ...]) -> str:
    """The script's pre-install config: the agent's SSH public keys added to root's
    ``authorized_keys`` under ``$root`` (directory 0700, file 0600), each once however
    often the script runs. Only keys of the policy's grammar are written (no quote, no
    newline, so none can leave its single quotes); none: nothing."""
    keys = [k for k in authorized_keys if _matches(_PUBKEY, k)]
    if not keys:
        return ""
    lines = [
        '(umask 077; mkdir -p "$root/root/.ssh"; touch "$root/root/.ssh/authorized_keys")',
        'keys="$root/root/.ssh/authorized_keys"',
        *(f"grep -qxF '{k}' \"$keys\" || printf '%s\\n' '{k}' >> \"$keys\"" for k in keys),
    ]
    return "\n".join(lines) + "\n"


def script(base: str, authorized_keys: tuple[str, ...] = ()) -> str:
    """The provisioning script (POSIX sh, as Cumulus ZTP runs it): it carries no secret,
    only the call-home URL and the agent's SSH public keys. It adds the keys to root's
    ``authorized_keys`` (once each; under the switch's root: ``/`` on a switch,
    ``$FG_SWITCH_ROOT`` on a lab switch), reads the switch's serial (``product_serial``),
    the address of ``eth0`` and the hostname, and registers (bounded: 10 s per attempt,
    5 attempts). The keys passed the policy's grammar: no quote can reach the shell."""
    return (
        "#!/bin/sh\n"
        "# CUMULUS-AUTOPROVISIONING\n"
        "# Fabricgraph zero-touch provisioning: call home, the off-box agent does the rest\n"
        "set -eu\n"
        'root="${FG_SWITCH_ROOT:-}"\n'
        + preinstall(authorized_keys)
        + 'serial=$(tr -d " \\n" < "$root/sys/class/dmi/id/product_serial")\n'
        'hostname=$(tr -d " \\n" < "$root/etc/hostname")\n'
        "address=$(ip -4 -o addr show dev eth0 | awk '{split($4, a, \"/\"); print a[1]; exit}')\n"
        'body=$(printf \'{"serial": "%s", "address": "%s", "platform": "linuxfrr", '
        '"hostname": "%s"}\' "$serial" "$address" "$hostname")\n'
        "i=0\n"
        "while [ $i -lt 5 ]; do\n"
        "  i=$((i + 1))\n"
        f"  if curl -fsS --max-time 10 -H 'Content-Type: application/json' -d \"$body\" "
        f"{base}/api/ztp/register; then\n"
        '    echo; echo "ztp: registered $serial at $address"; exit 0\n'
        "  fi\n"
        "  sleep 2\n"
        "done\n"
        'echo "ztp: registration of $serial failed" >&2\n'
        "exit 1\n"
    )


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and value.isascii() and pattern.fullmatch(value) is not None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _show(value: object) -> str:
    return repr(value)[:40] if isinstance(value, str) else f"of type {type(value).__name__}"
