"""Device operations over a command runner: files, vtysh, frr-reload, lldpcli, ``ip``."""

from __future__ import annotations

import posixpath
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from linuxfrr_document import Document, DocumentError, parse_document
from napalm_linuxfrr import frr, lldp
from napalm_linuxfrr.ifaces import render_interfaces
from napalm_linuxfrr.kernel import (
    KernelIface,
    Record,
    parse_bridge_vlans,
    parse_ip_addr,
    parse_record,
    running_interfaces,
)
from napalm_linuxfrr.kstate import without_management
from napalm_linuxfrr.layout import DeviceLayout
from napalm_linuxfrr.transport import CommandResult, CommandRunner

FRR_RELOAD = "/usr/lib/frr/frr-reload.py"


class DeviceCommandError(Exception):
    """A command on the device failed; the message carries its output."""


_BATCHED = ("ip", "bridge")
WRITE_FILE = 'mkdir -p "$1" && cat > "$2"'  # sh -c WRITE_FILE sh FOLDER PATH < text
_FAILED_LINE = re.compile(r"Command failed -:(\d+)")


def batches(commands: Sequence[Sequence[str]]) -> list[tuple[str, list[Sequence[str]]]]:
    """Consecutive commands of one batchable program, grouped; a command whose words hold
    spaces or quotes (an alias) runs alone, as does anything but ``ip``/``bridge``."""
    groups: list[tuple[str, list[Sequence[str]]]] = []
    for argv in commands:
        program = argv[0]
        plain = program in _BATCHED and not any(
            not word or any(c in word for c in " \t\"'\\#") for word in argv[1:]
        )
        if plain and groups and groups[-1][0] == program and len(groups[-1][1]) > 0:
            groups[-1][1].append(argv)
        else:
            groups.append((program if plain else "", [argv]))
    return [(program or group[0][0], group) for program, group in groups]


def failed_batch_line(stderr: str, group: Sequence[Sequence[str]]) -> Sequence[str]:
    """The command of a batch that failed (``Command failed -:N``), else the first one."""
    found = _FAILED_LINE.search(stderr)
    index = int(found.group(1)) - 1 if found else 0
    return group[index] if 0 <= index < len(group) else group[0]


_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}")


def management_names(option: object) -> frozenset[str]:
    """The driver's ``management`` option (``"eth0,mgmt"``: a port and a VRF, or a list)
    as names; each must be a Linux interface name (at most 15 characters of letters,
    digits, ``_.:-``)."""
    if isinstance(option, str):
        words = option.split(",")
    elif isinstance(option, list | tuple | frozenset | set):
        words = [str(w) for w in option]
    else:
        words = []
    names = [w.strip() for w in words if w.strip()]
    bad = [n for n in names if not _IFNAME.fullmatch(n)]
    if bad:
        raise ValueError(
            f"management: {bad[0]!r} is not an interface name "
            "(allowed: 1-15 of letters, digits, '_', '.', ':', '-', comma-separated)"
        )
    return frozenset(names)


@dataclass
class Device:
    runner: CommandRunner
    layout: DeviceLayout
    # interfaces the driver never reads or changes (a management port, its VRF) and, with
    # them, every device enslaved to one of them
    management: frozenset[str] = frozenset()

    # -- raw commands ------------------------------------------------------------
    def run(self, argv: Sequence[str], stdin: str | None = None) -> CommandResult:
        return self.runner.run(argv, stdin=stdin)

    def must(self, argv: Sequence[str], stdin: str | None = None) -> str:
        result = self.run(argv, stdin)
        if not result.ok:
            raise DeviceCommandError(
                f"{' '.join(argv)} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result.stdout

    def must_all(self, commands: Sequence[Sequence[str]]) -> None:
        """Run ``ip``/``bridge`` commands in order, each run of the same program as one
        ``<program> -batch -`` (one process instead of one per command: a push to a leaf
        with tenants is some 50 of them). The first failure stops the run; the error names
        that command."""
        for program, group in batches(commands):
            if len(group) == 1:
                self.must(group[0])
                continue
            result = self.run(
                [program, "-batch", "-"], "".join(f"{' '.join(a[1:])}\n" for a in group)
            )
            if not result.ok:
                failed = failed_batch_line(result.stderr, group)
                raise DeviceCommandError(
                    f"{' '.join(failed)} failed ({result.returncode}): "
                    f"{(result.stderr or result.stdout).strip()}"
                )

    def read_file(self, path: str) -> str | None:
        result = self.run(["cat", path])
        return result.stdout if result.ok else None

    def write_file(self, path: str, text: str) -> None:
        """``text`` into ``path``, its folder made first: one command."""
        folder = posixpath.dirname(path) or "."
        self.must(["sh", "-c", WRITE_FILE, "sh", folder, path], stdin=text)

    def remove_file(self, path: str) -> None:
        self.must(["rm", "-f", path])

    def temp_path(self, suffix: str) -> str:
        return f"{self.layout.tmp_dir}/{secrets.token_hex(6)}{suffix}"

    # -- FRR ----------------------------------------------------------------------
    def vtysh_argv(self) -> list[str]:
        argv = ["vtysh", "--config_dir", self.layout.frr_conf_dir]
        if self.layout.frr_run_dir:
            argv += ["--vty_socket", self.layout.frr_run_dir]
        return argv

    def vtysh(self, *commands: str) -> CommandResult:
        argv = self.vtysh_argv()
        for command in commands:
            argv += ["-c", command]
        return self.run(argv)

    def frr_check(self, path: str) -> CommandResult:
        """Syntax check of a candidate file by vtysh itself (no daemon involved)."""
        return self.run([*self.vtysh_argv(), "-m", "-f", path])

    def frr_reload(self, path: str, *, test: bool) -> CommandResult:
        run_dir = self.layout.frr_run_dir or "/var/run/frr"
        argv = [FRR_RELOAD, "--test" if test else "--reload", "--stdout", "--bindir", "/usr/bin"]
        argv += ["--confdir", self.layout.frr_conf_dir, "--rundir", run_dir]
        if self.layout.frr_run_dir:
            argv += ["--vty_socket", self.layout.frr_run_dir]
        return self.run([*argv, path])

    def applied_frr(self, record: Record, running_frr: str | None) -> str | None:
        """The FRR configuration the last commit applied (its startup document's), when
        FRR still runs exactly what that commit left (``Record.frr_unchanged``); else
        None (never committed, a merge since, or changed out of band)."""
        if not record.frr_applied or running_frr is None:
            return None
        try:
            committed = parse_document(self.read_file(self.layout.startup_file) or "")
        except DocumentError:
            return None
        hostname = (committed.hostname or "").strip()
        applied = frr.daemon_config(committed.frr or frr.factory_frr(hostname))
        return applied if record.frr_unchanged(applied, running_frr) else None

    def frr_apply_script(self, script: str) -> CommandResult:
        """Configuration lines applied by ``vtysh -f`` from a file, as frr-reload.py does
        (not from stdin: in the tenant lab, ``vtysh -f /dev/stdin`` failed, reason not
        recorded, and frr-reload.py ran after it)."""
        path = self.temp_path(".conf")
        self.write_file(path, script)
        try:
            return self.run([*self.vtysh_argv(), "-f", path])
        finally:
            self.remove_file(path)

    def frr_apply_lines(self, path: str) -> CommandResult:
        """Merge: run the file's lines in config mode (additive)."""
        return self.run([*self.vtysh_argv(), "-f", path])

    def frr_running(self) -> str | None:
        result = self.vtysh("show running-config")
        return frr.normalise_running(result.stdout) if result.ok else None

    # -- lldpd ----------------------------------------------------------------------
    def lldpcli(self, *args: str, json_output: bool = False) -> CommandResult:
        argv = ["lldpcli"]
        if self.layout.lldpd_socket:
            argv += ["-u", self.layout.lldpd_socket]
        if json_output:
            argv += ["-f", "json"]
        return self.run([*argv, *args])

    # -- kernel and records -------------------------------------------------------------
    def kernel(self) -> dict[str, KernelIface]:
        """Interfaces with their addresses, and bridge members with their VLANs (without
        the management interfaces)."""
        return without_management(self.kernel_with_management(), self.management)

    def kernel_with_management(self) -> dict[str, KernelIface]:
        vlans = self.run(["bridge", "-j", "vlan", "show"])
        members = parse_bridge_vlans(vlans.stdout) if vlans.ok else {}
        return parse_ip_addr(self.must(["ip", "-j", "-d", "addr", "show"]), members)

    def is_management(self, k: KernelIface) -> bool:
        return k.name not in without_management({k.name: k}, self.management)

    def management_tables(self, every: Mapping[str, KernelIface] | None = None) -> frozenset[int]:
        """Routing tables of the management VRFs (never given to a tenant VRF), from
        ``every`` (``kernel_with_management()``, read now when not given)."""
        found = (every if every is not None else self.kernel_with_management()).values()
        return frozenset(k.vrf_table for k in found if self.is_management(k) and k.vrf_table)

    def record(self) -> Record:
        return parse_record(self.read_file(self.layout.record_file) or "")

    def hostname(self) -> str:
        return (self.read_file(self.layout.hostname_file) or "").strip()

    def running_document(self, record: Record | None = None) -> Document:
        """The document built from the device's real state (see the format doc);
        ``record`` is the device's record when the caller has just read it."""
        record = record if record is not None else self.record()
        hostname = self.hostname()
        lldpd_text: str | None = None
        if record.lldp_enabled:
            shown = self.lldpcli("show", "configuration", json_output=True)
            if shown.ok:
                lldpd_text = lldp.render_lldpd_conf(lldp.running_settings(shown.stdout))
        return Document(
            hostname=f"{hostname}\n" if hostname else None,
            interfaces=render_interfaces(running_interfaces(self.kernel(), record)),
            lldpd=lldpd_text,
            frr=self.frr_running(),
        )
