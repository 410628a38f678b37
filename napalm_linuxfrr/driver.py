"""``LinuxFrrDriver``: the NAPALM driver for Linux/FRR switches (lab namespaces or SSH).

optional_args:
  transport      "netns" (default when ``netns`` is given) or "ssh"
  netns          lab namespace of the device, e.g. "fg-leaf1"
  lab_state_dir  the lab's state directory (default ``/var/run/fabricgraph-lab``)
  layout         "lab" (default for netns) or "host" (default for ssh): where files live
  port, key_filename, proxy_command, use_sudo   SSH settings
  one_shell      over SSH, every command through one remote shell (default true)
  host_key       over SSH, the device's pinned host key ("ssh-ed25519 AAAA..."): any other
                 key offered is refused before credentials are sent (``host_keys``)
  host_key_policy  over SSH without ``host_key``: "tofu" (default: accept the first key
                 offered, ``host_key_seen`` names it for the caller to pin) or "strict"
  management     interfaces the driver leaves alone, comma-separated (default "eth0",
                 the management port as on Cumulus/SONiC; "" for none): a management
                 port and its VRF (``"eth0,mgmt"``); devices enslaved to them too. Never
                 read as ports, never shut, never deleted, their VRF's table never reused
  runner         an object with ``run(argv, stdin)`` used instead of a transport
                 (the unit tests replay recorded command outputs through it)
"""

from __future__ import annotations

import time
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import (
    CommitError,
    ConnectionClosedException,
    ConnectionException,
    MergeConfigException,
    ReplaceConfigException,
)

from linuxfrr_document import Document, DocumentError, parse_document, render_document
from napalm_linuxfrr import evpn, frr, getters, lldp, routes
from napalm_linuxfrr.apply import apply_document, apply_merge_frr
from napalm_linuxfrr.candidate import (
    Candidate,
    CandidateError,
    check_static_parts,
    merged_target,
    static_diff,
)
from napalm_linuxfrr.device import Device, DeviceCommandError, management_names
from napalm_linuxfrr.events import EventStream, stream_command
from napalm_linuxfrr.frr_delta import native_delta
from napalm_linuxfrr.host_keys import HostKeyError, HostKeyPolicy
from napalm_linuxfrr.kernel import device_ports
from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR, host_layout, lab_layout
from napalm_linuxfrr.transport import (
    CommandRunner,
    NetnsTransport,
    SshSettings,
    SshTransport,
    TransportError,
)

# how long compare_config's reading of the running state stands for commit_config's (the
# caller holds the device between them, as the workers' lease does)
RUNNING_REUSE_S = 30.0


class LinuxFrrDriver(NetworkDriver):  # type: ignore[misc]
    """NAPALM driver; the configuration is the document of ``docs/linux-frr-config.md``."""

    platform = "linuxfrr"

    def __init__(
        self,
        hostname: str,
        username: str = "",
        password: str = "",
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        self.hostname = hostname
        self.username = username
        self.password = password
        self.timeout = timeout
        self.optional_args = dict(optional_args or {})
        args = self.optional_args
        self.transport_name = str(args.get("transport", "netns" if "netns" in args else "ssh"))
        self.netns = str(args.get("netns", hostname))
        layout_name = str(args.get("layout", "lab" if self.transport_name == "netns" else "host"))
        state_dir = str(args.get("lab_state_dir", DEFAULT_LAB_STATE_DIR))
        self.layout = lab_layout(state_dir, self.netns) if layout_name == "lab" else host_layout()
        self.is_lab = layout_name == "lab"
        self.management = management_names(args.get("management", "eth0"))
        self._device: Device | None = None
        self._candidate: Candidate | None = None
        # the running document compare_config read for the loaded candidate, and when:
        # commit_config right after it reuses it (its rollback point, FRR's fingerprint)
        self._running: tuple[float, Document] | None = None

    # -- connection ------------------------------------------------------------------
    def _make_runner(self) -> CommandRunner:
        runner = self.optional_args.get("runner")
        if runner is not None:
            return runner  # type: ignore[no-any-return]
        if self.transport_name == "netns":
            return NetnsTransport(self.netns)
        if self.transport_name == "ssh":
            args = self.optional_args
            return SshTransport(
                SshSettings(
                    hostname=self.hostname,
                    username=self.username or "root",
                    password=self.password,
                    port=int(args.get("port", 22)),
                    key_filename=args.get("key_filename"),
                    proxy_command=args.get("proxy_command"),
                    use_sudo=bool(args.get("use_sudo", False)),
                    one_shell=str(args.get("one_shell", True)).lower() not in ("false", "0", "no"),
                    timeout=float(self.timeout),
                    host_key=args.get("host_key") or None,
                    host_key_policy=HostKeyPolicy.of(args.get("host_key_policy")),
                )
            )
        raise ConnectionException(
            f"unknown transport {self.transport_name!r} (allowed: netns, ssh)"
        )

    @property
    def host_key_seen(self) -> str | None:
        """Beyond NAPALM: over SSH with nothing pinned, the host key the device offered and
        the transport trusted on first use ("ssh-ed25519 AAAA..."); else None."""
        runner = self._device.runner if self._device is not None else None
        return runner.host_key_seen if isinstance(runner, SshTransport) else None

    def open(self) -> None:
        try:
            device = Device(self._make_runner(), self.layout, self.management)
        except (TransportError, HostKeyError) as exc:
            raise ConnectionException(str(exc)) from exc
        probe = device.vtysh("show version")
        if not probe.ok:
            device.runner.close()
            raise ConnectionException(
                f"FRR on {self.hostname} does not answer: {(probe.stderr or probe.stdout).strip()}"
            )
        self._device = device

    def close(self) -> None:
        if self._device is not None:
            self._device.runner.close()
        self._device = None

    def is_alive(self) -> dict[str, bool]:
        if self._device is None:
            return {"is_alive": False}
        runner = self._device.runner
        if isinstance(runner, SshTransport) and not runner.is_active():
            return {"is_alive": False}
        return {"is_alive": self._device.vtysh("show version").ok}

    def open_event_stream(self) -> EventStream:
        """Beyond NAPALM: the device's own events (kernel link changes, bgpd's neighbour
        state changes; ``napalm_linuxfrr.events``) as a long-lived stream. Only a lab
        switch (the netns transport) has one here; elsewhere NotImplementedError."""
        if self.transport_name != "netns" or "runner" in self.optional_args:
            raise NotImplementedError(
                f"{self.hostname}: event streams need the netns transport (allowed: netns)"
            )
        argv = ["ip", "netns", "exec", self.netns, *stream_command(self.layout.bgp_log_file)]
        return EventStream(argv)

    @property
    def device(self) -> Device:
        if self._device is None:
            raise ConnectionClosedException(f"{self.hostname}: call open() first")
        return self._device

    # -- configuration -----------------------------------------------------------------
    def _read_source(self, filename: str | None, config: str | None) -> str:
        if filename is not None:
            with open(filename, encoding="utf-8") as fh:
                return fh.read()
        return config or ""

    def _validate(self, candidate: Candidate) -> None:
        ports = device_ports(self.device.kernel())
        check_static_parts(candidate.document, ports)
        frr_text = candidate.merge_frr if candidate.is_merge else candidate.document.frr
        if (
            frr_text
            and not candidate.is_merge
            and self.device.record().frr_applied == (frr.fingerprint(frr.daemon_config(frr_text)))
        ):  # the configuration the last commit applied: FRR accepted it then
            return
        if frr_text:
            path = self.device.temp_path(".conf")
            self.device.write_file(path, frr_text)
            try:
                checked = self.device.frr_check(path)
            finally:
                self.device.remove_file(path)
            if not checked.ok:
                raise CandidateError(
                    "FRR rejects /etc/frr/frr.conf: "
                    + (checked.stderr or checked.stdout).strip().replace("\n", " ")
                )

    def load_replace_candidate(
        self, filename: str | None = None, config: str | None = None
    ) -> None:
        self._running = None
        try:
            document = parse_document(self._read_source(filename, config))
            candidate = Candidate(document=document)
            self._validate(candidate)
        except (DocumentError, CandidateError, DeviceCommandError) as exc:
            self._candidate = None
            raise ReplaceConfigException(str(exc)) from exc
        self._candidate = candidate

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self._running = None
        try:
            extra = parse_document(self._read_source(filename, config))
            candidate = merged_target(self.device.running_document(), extra)
            self._validate(candidate)
        except (DocumentError, CandidateError, DeviceCommandError, ValueError) as exc:
            self._candidate = None
            raise MergeConfigException(str(exc)) from exc
        self._candidate = candidate

    def compare_config(self) -> str:
        if self._candidate is None:
            return ""
        record = self.device.record()
        running = self.device.running_document(record)
        self._running = (time.monotonic(), running)
        target = self._candidate.document
        parts = static_diff(running, target)
        if self._candidate.is_merge:
            lines = [ln for ln in (self._candidate.merge_frr or "").splitlines() if ln.strip()]
            if lines:
                parts.append("\n".join(["frr lines to merge:", *(f"+ {ln}" for ln in lines)]))
        else:
            hostname = (running.hostname or "").strip()
            wanted = frr.daemon_config(target.frr or frr.factory_frr(hostname))
            if not record.frr_unchanged(wanted, running.frr):  # else no FRR line differs
                last = self.device.applied_frr(record, running.frr)
                delta = native_delta(last, wanted) if last is not None else None
                parts.append(delta.preview() if delta is not None else self._frr_test(wanted))
        return "\n\n".join(p for p in parts if p)

    def _just_read_running(self) -> Document:
        """The running document compare_config read moments ago, else read now."""
        cached, self._running = self._running, None
        if cached is not None and time.monotonic() - cached[0] <= RUNNING_REUSE_S:
            return cached[1]
        return self.device.running_document()

    def _frr_test(self, text: str) -> str:
        path = self.device.temp_path(".conf")
        self.device.write_file(path, frr.daemon_config(text))
        try:
            result = self.device.frr_reload(path, test=True)
        finally:
            self.device.remove_file(path)
        return frr.reload_diff(result.stdout)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if revert_in is not None:
            raise NotImplementedError("commit confirm (revert_in) is not supported by linuxfrr")
        if self._candidate is None:
            raise CommitError("no candidate loaded (call load_replace/merge_candidate first)")
        running = self._just_read_running()
        before = render_document(running)
        self.device.write_file(self.layout.rollback_file, before)
        candidate = self._candidate
        try:
            if candidate.is_merge:
                apply_merge_frr(self.device, candidate.merge_frr or "")
                apply_document(self.device, candidate.document, with_frr=False)
            else:
                apply_document(self.device, candidate.document, running=running)
        except DeviceCommandError as exc:
            self._restore(before)
            raise CommitError(f"commit failed, previous config restored: {exc}") from exc
        committed = candidate.document
        if candidate.is_merge:
            committed = self.device.running_document()
        self.device.write_file(self.layout.startup_file, render_document(committed))
        self._candidate = None

    def _restore(self, text: str) -> None:
        try:
            apply_document(self.device, parse_document(text))
        except (DeviceCommandError, DocumentError):
            return

    def discard_config(self) -> None:
        self._candidate = None
        self._running = None

    def rollback(self) -> None:
        text = self.device.read_file(self.layout.rollback_file)
        if not text:
            raise CommitError("no rollback point: nothing has been committed on this device")
        try:
            apply_document(self.device, parse_document(text))
        except DeviceCommandError as exc:
            raise CommitError(f"rollback failed: {exc}") from exc
        self.device.write_file(self.layout.startup_file, text)
        self._candidate = None

    def get_config(
        self,
        retrieve: str = "all",
        full: bool = False,
        sanitized: bool = False,
        format: str = "text",
    ) -> dict[str, str]:
        result = {"running": "", "candidate": "", "startup": ""}
        if retrieve in ("all", "running"):
            result["running"] = render_document(self.device.running_document())
        if retrieve in ("all", "candidate") and self._candidate is not None:
            result["candidate"] = render_document(self._candidate.document)
        if retrieve in ("all", "startup"):
            result["startup"] = self.device.read_file(self.layout.startup_file) or ""
        return result

    # -- getters -----------------------------------------------------------------------
    def get_facts(self) -> dict[str, Any]:
        device = self.device
        version = device.vtysh("show version")
        if not version.ok:
            raise ConnectionException(f"FRR on {self.hostname} does not answer")
        uptime = device.must(["cat", "/proc/uptime"])
        if self.is_lab:
            # the lab's switch is named by its namespace without the lab's "fg-" prefix
            serial = f"LAB-{self.netns.removeprefix('fg-')}"
            model = "Linux/FRR virtual switch (lab)"
        else:
            serial = (device.read_file("/etc/machine-id") or "").strip()
            model = (device.read_file("/sys/class/dmi/id/product_name") or "Linux/FRR").strip()
        return getters.facts(
            device.hostname(), version.stdout, uptime, device.kernel(), serial, model
        )

    def get_interfaces(self) -> dict[str, Any]:
        return getters.interfaces(self.device.kernel(), self.device.record())

    def get_interfaces_counters(self) -> dict[str, Any]:
        """The kernel's counters of every interface (``ip -s -j link show``)."""
        return getters.interfaces_counters(self.device.must(["ip", "-s", "-j", "link", "show"]))

    def get_interfaces_ip(self) -> dict[str, Any]:
        return getters.interfaces_ip(self.device.kernel())

    def _lldp_json(self) -> str:
        shown = self.device.lldpcli("show", "neighbors", "details", json_output=True)
        if not shown.ok:
            raise ConnectionException(f"lldpd on {self.hostname} does not answer")
        return shown.stdout

    def get_lldp_neighbors(self) -> dict[str, Any]:
        return lldp.parse_neighbors(self._lldp_json())

    def get_lldp_neighbors_detail(self, interface: str = "") -> dict[str, Any]:
        detail = lldp.parse_neighbors_detail(self._lldp_json())
        return {k: v for k, v in detail.items() if not interface or k == interface}

    def get_bgp_neighbors(self) -> dict[str, Any]:
        summary = self.device.vtysh("show bgp vrf all summary json")
        neighbors = self.device.vtysh("show bgp vrf all neighbors json")
        if not summary.ok or not neighbors.ok:
            raise ConnectionException(f"bgpd on {self.hostname} does not answer")
        result = frr.parse_bgp(summary.stdout, neighbors.stdout)
        result.setdefault("global", {"router_id": "", "peers": {}})
        return result

    def get_routing_daemons(self) -> dict[str, dict[str, bool]]:
        """Beyond NAPALM's getters: the FRR daemons enabled on the device and whether
        each is running, e.g. ``{"bgpd": {"enabled": True, "running": False}, "zebra":
        {"enabled": True, "running": True}}`` (a crashed bgpd that watchfrr has not
        restarted yet). Running = vtysh reaches it (``show daemons``)."""
        shown = self.device.vtysh("show daemons")
        if not shown.ok:
            raise ConnectionException(f"vtysh on {self.hostname} does not answer")
        enabled = self.device.read_file(f"{self.layout.frr_conf_dir}/daemons") or ""
        return frr.routing_daemons(shown.stdout, enabled)

    def get_evpn_vnis(self) -> dict[str, dict[str, Any]]:
        """Beyond NAPALM's getters: the device's EVPN VNIs with their VRF, local and remote
        VTEPs (see ``napalm_linuxfrr.evpn.parse_vnis``), an L2 VNI ``down`` while its VXLAN
        device is (``evpn.with_links``); ``{}`` without EVPN."""
        shown = self.device.vtysh("show evpn vni detail json")
        if not shown.ok:
            raise ConnectionException(f"zebra on {self.hostname} does not answer")
        vnis = evpn.parse_vnis(shown.stdout)
        if not vnis:
            return vnis
        # an L2 VNI is "up" only while its VXLAN device is (zebra prints no state for it)
        links = self.device.must(["ip", "-j", "link", "show", "type", "vxlan"])
        return evpn.with_links(vnis, evpn.vxlan_up(links))

    def get_optics(self) -> dict[str, Any]:
        return getters.optics(self.device.read_file(self.layout.transceivers_file) or "{}")

    def get_route_to(
        self, destination: str = "", protocol: str = "", longer: bool = False
    ) -> dict[str, Any]:
        """Routes to ``destination`` (longest match; ``longer`` adds more specifics)."""
        command = f"show ip route {destination}".strip()
        if longer and destination:
            command += " longer-prefixes"
        shown = self.device.vtysh(command + " json")
        if not shown.ok:
            raise ConnectionException(f"zebra on {self.hostname} does not answer")
        return routes.parse_route_to(shown.stdout, protocol)

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, str]:
        """vtysh commands (e.g. ``show ip route``), output per command."""
        return {command: self.device.vtysh(command).stdout for command in commands}
