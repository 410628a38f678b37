"""FRR: normalising ``show running-config``, reading frr-reload's diff, BGP state. Pure."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

BANNER_LINES = ("Building configuration...", "Current configuration:", "end")
VTYSH_ONLY_LINES = ("service integrated-vtysh-config",)


def normalise_running(text: str) -> str:
    """``show running-config`` without banner, version, ``end`` and blank lines."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line in BANNER_LINES or line.startswith("frr version "):
            continue
        if line == "!" and (not lines or lines[-1] == "!"):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def fingerprint(text: str) -> str:
    """A configuration's identity (sha256 of its text, blank lines and trailing spaces
    aside): equal fingerprints, the same configuration."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def daemon_config(candidate: str) -> str:
    """The candidate without vtysh-only lines (the daemons never show them)."""
    kept = [line for line in candidate.splitlines() if line.strip() not in VTYSH_ONLY_LINES]
    return "\n".join(kept) + "\n"


def factory_frr(hostname: str) -> str:
    """What replaces ``frr.conf`` when a full replace carries no FRR file."""
    return f"frr defaults datacenter\nhostname {hostname}\nlog syslog informational\n!\n"


def reload_diff(stdout: str) -> str:
    """The "Lines To Delete" / "Lines To Add" part of ``frr-reload.py --test``; '' if none."""
    sections: dict[str, list[str]] = {"Lines To Delete": [], "Lines To Add": []}
    current: list[str] | None = None
    for line in stdout.splitlines():
        if line.strip() in sections:
            current = sections[line.strip()]
        elif current is not None and _is_content(line) and line not in current:
            current.append(line)
    out: list[str] = []
    if sections["Lines To Delete"]:
        out += ["frr lines to delete:", *(f"- {x}" for x in sections["Lines To Delete"])]
    if sections["Lines To Add"]:
        out += ["frr lines to add:", *(f"+ {x}" for x in sections["Lines To Add"])]
    return "\n".join(out)


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not set(line.strip()) <= {"="}


def reload_error(stdout: str, stderr: str) -> str:
    """The useful part of a failed frr-reload (vtysh's complaint, not the log noise)."""
    text = "\n".join([stdout, stderr])
    found = re.findall(r"line \d+: %[^\\\n']*", text)
    if found:
        return "; ".join(s.strip() for s in found)
    errors = [ln for ln in text.splitlines() if "ERROR" in ln or "failed" in ln.lower()]
    return "; ".join(errors[-3:]) or text.strip()[-500:]


def set_vtysh_hostname(vtysh_conf: str, hostname: str) -> str:
    """vtysh.conf with its ``hostname`` line set, so vtysh agrees with the daemons."""
    kept = [line for line in vtysh_conf.splitlines() if not line.startswith("hostname ")]
    return "\n".join([f"hostname {hostname}", *kept]) + "\n"


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def parse_bgp(summary_text: str, neighbors_text: str) -> dict[str, Any]:
    """``show bgp vrf all summary json`` + ``show bgp vrf all neighbors json`` → NAPALM."""
    summary = json.loads(summary_text or "{}")
    neighbors = json.loads(neighbors_text or "{}")
    result: dict[str, Any] = {}
    for vrf, families in summary.items():
        napalm_vrf = "global" if vrf == "default" else vrf
        details = neighbors.get(vrf, {})
        entry: dict[str, Any] = {"router_id": "", "peers": {}}
        for family_name, family in families.items():
            if not isinstance(family, dict) or "peers" not in family:
                continue
            entry["router_id"] = str(family.get("routerId", entry["router_id"]))
            afi = _napalm_family(family_name)
            for address, peer in family["peers"].items():
                item = entry["peers"].setdefault(
                    address, _peer(peer, details.get(address, {}), family)
                )
                item["address_family"][afi] = {
                    "received_prefixes": _as_int(peer.get("pfxRcd", -1)),
                    "accepted_prefixes": _as_int(peer.get("pfxRcd", -1)),
                    "sent_prefixes": _as_int(peer.get("pfxSnt", -1)),
                }
        result[napalm_vrf] = entry
    return result


def _napalm_family(frr_name: str) -> str:
    return {"ipv4Unicast": "ipv4", "ipv6Unicast": "ipv6", "l2VpnEvpn": "l2vpn"}.get(
        frr_name, frr_name
    )


def _peer(peer: dict[str, Any], detail: dict[str, Any], family: dict[str, Any]) -> dict[str, Any]:
    state = str(peer.get("state", ""))
    return {
        "local_as": _as_int(peer.get("localAs", family.get("as", -1))),
        "remote_as": _as_int(peer.get("remoteAs", -1)),
        "remote_id": str(detail.get("remoteRouterId", "0.0.0.0")),
        "is_up": state == "Established",
        "is_enabled": "Admin" not in state and "Shutdown" not in state,
        "description": str(peer.get("desc", detail.get("nbrDesc", ""))),
        "uptime": _as_int(peer.get("peerUptimeMsec", 0)) // 1000 if state == "Established" else -1,
        "address_family": {},
    }


# daemons FRR 8 always runs, whatever /etc/frr/daemons says
ALWAYS_RUNNING = ("zebra", "staticd")


def enabled_daemons(daemons_file: str) -> list[str]:
    """The routing daemons ``/etc/frr/daemons`` enables (``bgpd=yes``), with the
    ones FRR always runs; an empty file means FRR's defaults (zebra, staticd)."""
    enabled = set(ALWAYS_RUNNING)
    for raw in daemons_file.splitlines():
        line = raw.split("#", 1)[0].strip()
        name, sep, value = line.partition("=")
        if sep and name.strip().endswith("d") and value.strip().strip("\"'") == "yes":
            enabled.add(name.strip())
    return sorted(enabled)


def routing_daemons(
    show_daemons: str, daemons_file: str, processes: str = ""
) -> dict[str, dict[str, Any]]:
    """``show daemons`` (the daemons vtysh reaches), ``/etc/frr/daemons`` and the
    processes of the FRR run directory (``PROCESSES_SCRIPT``'s output) →
    ``{name: {"enabled": bool, "running": bool, "pid": int|None, "started_at":
    float|None}}`` for every daemon either of the first two names, and ``watchfrr``
    (the supervisor: never enabled, running when its process is) when it runs. A
    start time later than the supervisor's is a daemon the supervisor restarted."""
    running = set(show_daemons.split())
    enabled = set(enabled_daemons(daemons_file))
    started = daemon_processes(processes)
    result: dict[str, dict[str, Any]] = {
        name: {
            "enabled": name in enabled,
            "running": name in running,
            **dict(zip(("pid", "started_at"), started.get(name, (None, None)), strict=True)),
        }
        for name in sorted(running | enabled)
    }
    if SUPERVISOR in started:
        pid, at = started[SUPERVISOR]
        result[SUPERVISOR] = {"enabled": False, "running": True, "pid": pid, "started_at": at}
    return result


SUPERVISOR = "watchfrr"
# one line per pid file of the FRR run directory ($1): "NAME PID <its /proc/PID/stat>",
# then the boot time and the clock ticks per second (start times in /proc are ticks
# since boot); a stale pid file (no such process) gives no stat
PROCESSES_SCRIPT = (
    'cd "$1" 2>/dev/null || exit 0; '
    'for f in *.pid; do [ -f "$f" ] || continue; p=$(head -c 16 "$f"); '
    'case "$p" in *[!0-9]*|"") continue ;; esac; '
    'printf "%s %s %s\\n" "${f%.pid}" "$p" "$(cat /proc/$p/stat 2>/dev/null)"; done; '
    'grep "^btime " /proc/stat; echo "clk_tck $(getconf CLK_TCK)"'
)
_MAX_LINES = 64


def daemon_processes(text: str) -> dict[str, tuple[int, float]]:
    """``PROCESSES_SCRIPT``'s output → ``{name: (pid, started_at epoch s)}`` of the pid
    files whose process runs under that name (a pid file left by a dead process, or
    whose pid now belongs to another program, is not a running daemon)."""
    lines = text.splitlines()[:_MAX_LINES]
    facts = dict(line.split(" ", 1) for line in lines if line.startswith(("btime ", "clk_tck ")))
    try:
        boot, ticks = int(facts["btime"]), int(facts["clk_tck"])
    except (KeyError, ValueError):
        return {}
    found: dict[str, tuple[int, float]] = {}
    for line in lines:
        name, _, rest = line.partition(" ")
        pid, _, stat = rest.partition(" ")
        comm, close, fields = stat.rpartition(") ")  # comm may hold ") "
        if not pid.isdigit() or not close or comm.partition(" (")[2] != name[:15]:
            continue
        parts = fields.split()
        if len(parts) > 19 and parts[19].isdigit() and ticks > 0:
            found[name] = (int(pid), round(boot + int(parts[19]) / ticks, 2))
    return found
