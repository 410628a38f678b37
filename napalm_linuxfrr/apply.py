"""Applying a full document to a device: FRR first (most likely to refuse), then the rest."""

from __future__ import annotations

from linuxfrr_document import Document
from napalm_linuxfrr import frr, lldp
from napalm_linuxfrr.device import Device, DeviceCommandError
from napalm_linuxfrr.frr_delta import Delta, native_delta
from napalm_linuxfrr.ifaces import parse_interfaces
from napalm_linuxfrr.kernel import Record, plan_interface_changes
from napalm_linuxfrr.kstate import without_management
from napalm_linuxfrr.virtual import plan_devices


def apply_document(
    device: Device,
    doc: Document,
    *,
    with_frr: bool = True,
    running: Document | None = None,
) -> None:
    """Make the device's state equal ``doc`` (a full replace; FRR left alone for a merge).

    ``running`` is the device's running document as just read (the commit reads it for
    its rollback point): with it, FRR is not reloaded when the last commit applied the
    same FRR configuration and FRR still runs what that commit left
    (``Record.frr_unchanged``): ``frr-reload.py`` (a Python start and some eight vtysh
    runs) is skipped for a change of interfaces only; and when only the lines
    ``napalm_linuxfrr.frr_delta`` applies itself changed since (a tenant network's
    announcement), they are applied as one vtysh script instead.
    """
    hostname = (doc.hostname or "").strip() or device.hostname()
    previous = device.record()
    applied, after = previous.frr_applied, previous.frr_running
    if with_frr:
        wanted = frr.daemon_config(doc.frr or frr.factory_frr(hostname))
        running_frr = running.frr if running is not None else None
        if not previous.frr_unchanged(wanted, running_frr):
            last = device.applied_frr(previous, running_frr) if running is not None else None
            delta = native_delta(last, wanted) if last is not None else None
            if delta is None or not apply_frr_delta(device, delta):
                apply_frr(device, wanted)
            applied, after = frr.fingerprint(wanted), frr.fingerprint(device.frr_running() or "")
    apply_hostname(device, hostname)
    ifaces = parse_interfaces(doc.interfaces or "")
    every = device.kernel_with_management()  # one read: the owned state and the reserved
    kernel = without_management(every, device.management)
    reserved = device.management_tables(every) if device.management else frozenset()
    created = plan_devices(ifaces, kernel, reserved)
    device.must_all(created)
    device.must_all(plan_interface_changes(ifaces, device.kernel() if created else kernel))
    if doc.interfaces is not None:
        device.write_file(device.layout.interfaces_file, doc.interfaces)
    lldpd_running = running.lldpd if running is not None and previous.lldp_enabled else None
    apply_lldpd(device, doc.lldpd, lldpd_running)
    record = Record(
        mentioned=tuple(name for name in ifaces if name != "lo"),
        link_speed={n: c.link_speed for n, c in ifaces.items() if c.link_speed is not None},
        lldp_enabled=doc.lldpd is not None,
        hwaddress={n: c.hwaddress for n, c in ifaces.items() if c.hwaddress is not None},
        frr_applied=applied if with_frr else "",
        frr_running=after if with_frr else "",
    )
    device.write_file(device.layout.record_file, record.to_json())


def apply_frr_delta(device: Device, delta: Delta) -> bool:
    """The delta as one vtysh script, then saved; False if vtysh refused a line (the
    caller then reloads the whole configuration, which settles whatever was applied)."""
    if not device.frr_apply_script(delta.script()).ok:
        return False
    return device.vtysh("write memory").ok


def apply_frr(device: Device, text: str) -> None:
    """``frr-reload.py --reload``: only the difference is applied, then saved."""
    path = device.temp_path(".conf")
    device.write_file(path, text)
    try:
        result = device.frr_reload(path, test=False)
    finally:
        device.remove_file(path)
    if not result.ok:
        raise DeviceCommandError(
            "FRR refused the configuration: " + frr.reload_error(result.stdout, result.stderr)
        )


def apply_merge_frr(device: Device, text: str) -> None:
    """Merge: the lines are applied in configuration mode, then saved."""
    if not text.strip():
        return
    path = device.temp_path(".conf")
    device.write_file(path, text)
    try:
        result = device.frr_apply_lines(path)
    finally:
        device.remove_file(path)
    if not result.ok:
        raise DeviceCommandError(
            f"FRR refused the merge: {(result.stderr or result.stdout).strip()}"
        )
    device.vtysh("write memory")


def apply_hostname(device: Device, hostname: str) -> None:
    device.write_file(device.layout.hostname_file, f"{hostname}\n")
    vtysh_conf = f"{device.layout.frr_conf_dir}/vtysh.conf"
    current = device.read_file(vtysh_conf) or ""
    wanted = frr.set_vtysh_hostname(current, hostname)
    if wanted != current:
        device.write_file(vtysh_conf, wanted)


def apply_lldpd(device: Device, text: str | None, running: str | None = None) -> None:
    """Set lldpd to exactly the file's settings; no file means LLDP paused. ``running``:
    lldpd's settings as the running document shows them, when just read (equal settings
    are not set again)."""
    if text is None:
        device.remove_file(device.layout.lldpd_conf_file)
        device.lldpcli("pause")
        return
    device.write_file(device.layout.lldpd_conf_file, text)
    for args in lldp.changed_commands(text, running):
        result = device.lldpcli(*args)
        if not result.ok:
            raise DeviceCommandError(f"lldpcli {' '.join(args)}: {result.stderr.strip()}")
